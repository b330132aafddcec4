/* wrap_curl.c — the --wrap shims for libcurl (wrap_shim.h), and the one variadic function's
 * by hand: curl_easy_setopt passes its argument on with the type the option takes. */
#define CURL_DISABLE_TYPECHECK
#include "lib/wrap_shim.h"
#include "xray_capture/curl.h"

#include <stdarg.h>

XRAY_PATCHED_CURL(XRC_WRAP_SHIM)

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
