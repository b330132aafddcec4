/* interpose.c — libxraycap-patch.so: the traced library functions under their own names, for
 * calls that neither the plugin nor --wrap reach (made inside other shared libraries, or by a
 * program that is not rebuilt). Placed before the real libraries — linked before them
 * (-lxraycap-patch) or preloaded (LD_PRELOAD) — it is where the dynamic linker binds every
 * call of PQexec, curl_easy_perform, ...; each forwards to the traced twin (xray_PQexec, in
 * libxraycap.so), whose own call of the real function comes back here while the thread is
 * inside a wrapper (the library guard, read through __xraycap_lib_busy) and goes on to the next definition, the library's
 * (dlsym(RTLD_NEXT)). A call already traced by the plugin or --wrap arrives inside a wrapper
 * too, so nothing is traced twice. Generated from the one list (xray_capture/patched.h). */
#define CURL_DISABLE_TYPECHECK
#include "lib/curl_opt.h"
#include "lib/lib_span.h"
#include "lib/redis_variadic.h"
#include "xray_capture/civetweb.h"
#include "xray_capture/curl.h"
#include "xray_capture/microhttpd.h"
#include "xray_capture/mysql.h"
#include "xray_capture/pq.h"
#include "xray_capture/redis.h"
#include "xray_capture/sqlite3.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The library's definition of `name`, looked up once. NULL only if no later object defines it,
 * which a program that called it cannot be. */
static void *real(const char *name, _Atomic(void *) *cache)
{
    void *fn = atomic_load_explicit(cache, memory_order_acquire);
    if (!fn) {
        fn = dlsym(RTLD_NEXT, name);
        if (!fn) {
            static const char msg[] = "xraycap-patch: a library function has no definition after "
                                      "this library; the call returns zero\n";
            (void)!write(2, msg, sizeof msg - 1);
        }
        atomic_store_explicit(cache, fn, memory_order_release);
    }
    return fn;
}

#define XRC_INTERPOSE(lib, shape, ret, name, params, args) XRC_INTERPOSE_##shape(ret, name, params, args)

#define XRC_INTERPOSE_CALL(ret, name, params, args)                                           \
    static _Atomic(void *) real_##name;                                                       \
    ret name params                                                                           \
    {                                                                                         \
        if (!__xraycap_lib_busy())                                                                  \
            return xray_##name args;                                                          \
        __typeof__(&name) fn = (__typeof__(&name))real(#name, &real_##name);                  \
        if (fn)                                                                               \
            return fn args;                                                                   \
        ret zero;                                                                             \
        memset(&zero, 0, sizeof zero);                                                        \
        return zero;                                                                          \
    }

#define XRC_INTERPOSE_VOID(ret, name, params, args)                                           \
    static _Atomic(void *) real_##name;                                                       \
    void name params                                                                          \
    {                                                                                         \
        if (!__xraycap_lib_busy()) {                                                                \
            xray_##name args;                                                                 \
            return;                                                                           \
        }                                                                                     \
        __typeof__(&name) fn = (__typeof__(&name))real(#name, &real_##name);                  \
        if (fn)                                                                               \
            fn args;                                                                          \
    }

/* Variadic: written by hand below. */
#define XRC_INTERPOSE_OWN(ret, name, params, args)

XRAY_PATCHED_ALL(XRC_INTERPOSE)

static _Atomic(void *) real_curl_easy_setopt;

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    bool inside = __xraycap_lib_busy();
    xrc_setopt_fn fn = inside ? (xrc_setopt_fn)real("curl_easy_setopt", &real_curl_easy_setopt)
                              : NULL;
    va_list ap;
    va_start(ap, opt);
    CURLcode rc = xrc_curl_setopt_route(inside, fn, h, opt, &ap);
    va_end(ap);
    return rc;
}

XRC_REDIS_VARIADIC(redisCommand, redisAppendCommand, __xraycap_lib_busy(), redisvCommand,
                   redisvAppendCommand)
