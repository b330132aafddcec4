/*
 * xray_capture/redis.h — Redis commands through hiredis as X-Ray subsegments.
 *
 * One subsegment per command: redisCommand, redisvCommand and redisCommandArgv while they
 * run; a pipelined command (redisAppendCommand, redisvAppendCommand, redisAppendCommandArgv)
 * from its append to the redisGetReply that returns its reply. It is named `redis@host:port`
 * (`redis@/path/to/socket` for a Unix socket), in namespace "remote", with the command's name
 * in metadata ("redis": {"command": "SET", "url": "redis://host:port"}): never its arguments,
 * which may be secrets. An error reply sets `error`, with Redis's message in `cause`; a
 * connection or protocol failure (no reply) sets `fault`, with hiredis's message.
 *
 * Turn it on with -fplugin-arg-xraycap-patch=redis (or =all), with the link flags of
 * `pkg-config --variable=patch_ldflags xraycap`, or by calling these functions.
 */
#ifndef XRAY_CAPTURE_REDIS_H
#define XRAY_CAPTURE_REDIS_H

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <xray_capture.h>
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
/* xray_redisCommand, xray_redisGetReply, ...: traced twins, with the same signatures and
 * results, of the hiredis functions in XRAY_PATCHED_REDIS (xray_capture/patched.h). */
XRAY_PATCHED_REDIS(XRAY_PATCHED_DECLARE)
#else
XRAY_PATCHED_REDIS(XRAY_PATCHED_FORWARD)
/* The variadic two, compiled out: the library's own va_list forms. */
static inline void *xray_redisCommand(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    void *reply = redisvCommand(c, format, ap);
    va_end(ap);
    return reply;
}
static inline int xray_redisAppendCommand(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int rc = redisvAppendCommand(c, format, ap);
    va_end(ap);
    return rc;
}
#endif

#ifdef __cplusplus
}
#endif

#endif
