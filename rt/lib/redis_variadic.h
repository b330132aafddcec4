/* redis_variadic.h — hiredis's two variadic calls, redisCommand and redisAppendCommand, for the
 * --wrap shims (wrap_redis.c) and the interposition library (interpose.c): each passes its
 * arguments on as the va_list form, to the library's own (`lib_command_v`, `lib_append_v`)
 * when `inside` (a wrapper is calling: the library guard), else to the traced one. A macro,
 * since C cannot forward "..." through a function. */
#ifndef XRC_REDIS_VARIADIC_H
#define XRC_REDIS_VARIADIC_H

#include "xray_capture/redis.h"

#include <stdarg.h>

#define XRC_REDIS_VARIADIC(command, append, inside, lib_command_v, lib_append_v)               \
    void *command(redisContext *c, const char *format, ...)                                   \
    {                                                                                         \
        va_list ap;                                                                           \
        va_start(ap, format);                                                                 \
        void *reply = (inside) ? lib_command_v(c, format, ap) : xray_redisvCommand(c, format, ap); \
        va_end(ap);                                                                           \
        return reply;                                                                         \
    }                                                                                         \
    int append(redisContext *c, const char *format, ...)                                      \
    {                                                                                         \
        va_list ap;                                                                           \
        va_start(ap, format);                                                                 \
        int rc = (inside) ? lib_append_v(c, format, ap) : xray_redisvAppendCommand(c, format, ap); \
        va_end(ap);                                                                           \
        return rc;                                                                            \
    }

#endif
