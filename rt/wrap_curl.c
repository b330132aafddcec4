/* wrap_curl.c — link-time patching: with -Wl,--wrap=curl_easy_perform (and the other names in
 * `pkg-config --variable=patch_ldflags xraycap`) calls to libcurl in code that was not
 * recompiled land here. Calls the wrappers make themselves (xrc_lib_inside set) go to the real
 * functions. Only in libxraycap.a: __real_* exist only in a --wrap link. */
#define CURL_DISABLE_TYPECHECK
#include "lib_guard.h"
#include "xray_capture/curl.h"

#include <stdarg.h>

CURLcode __real_curl_easy_perform(CURL *h);
CURLcode __real_curl_easy_setopt(CURL *h, CURLoption opt, ...);
void __real_curl_easy_cleanup(CURL *h);
void __real_curl_easy_reset(CURL *h);
CURL *__real_curl_easy_duphandle(CURL *h);
CURLMcode __real_curl_multi_add_handle(CURLM *m, CURL *h);
CURLMcode __real_curl_multi_remove_handle(CURLM *m, CURL *h);
CURLMsg *__real_curl_multi_info_read(CURLM *m, int *left);

CURLcode __wrap_curl_easy_perform(CURL *h)
{
    return xrc_lib_inside ? __real_curl_easy_perform(h) : xray_curl_easy_perform(h);
}

/* The one variadic function: pass the argument on with its own type. */
CURLcode __wrap_curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    va_list ap;
    va_start(ap, opt);
    CURLcode rc;
    if (opt < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = xrc_lib_inside ? __real_curl_easy_setopt(h, opt, v) : xray_curl_easy_setopt(h, opt, v);
    } else if (opt >= CURLOPTTYPE_FUNCTIONPOINT && opt < CURLOPTTYPE_OFF_T) {
        void (*v)(void) = va_arg(ap, void (*)(void));
        rc = xrc_lib_inside ? __real_curl_easy_setopt(h, opt, v) : xray_curl_easy_setopt(h, opt, v);
    } else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = xrc_lib_inside ? __real_curl_easy_setopt(h, opt, v) : xray_curl_easy_setopt(h, opt, v);
    } else {
        void *v = va_arg(ap, void *);
        rc = xrc_lib_inside ? __real_curl_easy_setopt(h, opt, v) : xray_curl_easy_setopt(h, opt, v);
    }
    va_end(ap);
    return rc;
}

void __wrap_curl_easy_cleanup(CURL *h)
{
    if (xrc_lib_inside)
        __real_curl_easy_cleanup(h);
    else
        xray_curl_easy_cleanup(h);
}

void __wrap_curl_easy_reset(CURL *h)
{
    if (xrc_lib_inside)
        __real_curl_easy_reset(h);
    else
        xray_curl_easy_reset(h);
}

CURL *__wrap_curl_easy_duphandle(CURL *h)
{
    return xrc_lib_inside ? __real_curl_easy_duphandle(h) : xray_curl_easy_duphandle(h);
}

CURLMcode __wrap_curl_multi_add_handle(CURLM *m, CURL *h)
{
    return xrc_lib_inside ? __real_curl_multi_add_handle(m, h) : xray_curl_multi_add_handle(m, h);
}

CURLMcode __wrap_curl_multi_remove_handle(CURLM *m, CURL *h)
{
    return xrc_lib_inside ? __real_curl_multi_remove_handle(m, h) : xray_curl_multi_remove_handle(m, h);
}

CURLMsg *__wrap_curl_multi_info_read(CURLM *m, int *left)
{
    return xrc_lib_inside ? __real_curl_multi_info_read(m, left) : xray_curl_multi_info_read(m, left);
}
