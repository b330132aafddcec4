/* wrap_redis.c — the --wrap shims for hiredis (wrap_shim.h), and its two variadic functions
 * (redis_variadic.h). */
#include "lib/redis_variadic.h"
#include "lib/wrap_shim.h"
#include "xray_capture/redis.h"

XRAY_PATCHED_REDIS(XRC_WRAP_SHIM)

XRC_REDIS_VARIADIC(__wrap_redisCommand, __wrap_redisAppendCommand, xrc_tls.lib_inside,
                   __real_redisvCommand, __real_redisvAppendCommand)
