/* wrap_curl.c — the --wrap shims for libcurl (wrap_shim.h), and the one variadic function's
 * by hand: curl_easy_setopt passes its argument on with the type the option takes. */
#define CURL_DISABLE_TYPECHECK
#include "lib/curl_opt.h"
#include "lib/wrap_shim.h"
#include "xray_capture/curl.h"

XRAY_PATCHED_CURL(XRC_WRAP_SHIM)

CURLcode __wrap_curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    va_list ap;
    va_start(ap, opt);
    CURLcode rc = xrc_curl_setopt_route(xrc_tls.lib_inside, __real_curl_easy_setopt, h, opt, &ap);
    va_end(ap);
    return rc;
}
