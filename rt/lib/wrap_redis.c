/* wrap_redis.c — the --wrap shims for hiredis (wrap_shim.h), and its two variadic functions'
 * by hand: they pass their arguments on as the va_list forms. */
#include "lib/wrap_shim.h"
#include "xray_capture/redis.h"

XRAY_PATCHED_REDIS(XRC_WRAP_SHIM)

void *__wrap_redisCommand(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    void *reply = __xraycap_lib_inside ? __real_redisvCommand(c, format, ap) : xray_redisvCommand(c, format, ap);
    va_end(ap);
    return reply;
}

int __wrap_redisAppendCommand(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int rc = __xraycap_lib_inside ? __real_redisvAppendCommand(c, format, ap) : xray_redisvAppendCommand(c, format, ap);
    va_end(ap);
    return rc;
}
