/* curl_opt.c — see curl_opt.h. libcurl reads the argument as a long, a function pointer, a
 * curl_off_t or an object pointer, by the option's number range. */
#define CURL_DISABLE_TYPECHECK
#include "lib/curl_opt.h"
#include "xray_capture/curl.h"

void xrc_curl_opt_arg_read(CURLoption opt, va_list *ap, xrc_curl_opt_arg *out)
{
    if (opt < CURLOPTTYPE_OBJECTPOINT) {
        out->kind = XRC_OPT_LONG;
        out->l = va_arg(*ap, long);
    } else if (opt >= CURLOPTTYPE_FUNCTIONPOINT && opt < CURLOPTTYPE_OFF_T) {
        out->kind = XRC_OPT_FUNCTION;
        out->f = va_arg(*ap, void (*)(void));
    } else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) {
        out->kind = XRC_OPT_OFF_T;
        out->o = va_arg(*ap, curl_off_t);
    } else {
        out->kind = XRC_OPT_POINTER;
        out->p = va_arg(*ap, void *);
    }
}

CURLcode xrc_curl_setopt_with(xrc_setopt_fn setopt, CURL *h, CURLoption opt, const xrc_curl_opt_arg *a)
{
    switch (a->kind) {
    case XRC_OPT_LONG: return setopt(h, opt, a->l);
    case XRC_OPT_FUNCTION: return setopt(h, opt, a->f);
    case XRC_OPT_OFF_T: return setopt(h, opt, a->o);
    default: return setopt(h, opt, a->p);
    }
}

CURLcode xrc_curl_setopt_route(bool inside, xrc_setopt_fn real, CURL *h, CURLoption opt,
                               va_list *ap)
{
    xrc_curl_opt_arg arg;
    xrc_curl_opt_arg_read(opt, ap, &arg);
    if (!inside)
        return xrc_curl_setopt_with(xray_curl_easy_setopt, h, opt, &arg);
    return real ? xrc_curl_setopt_with(real, h, opt, &arg) : CURLE_FAILED_INIT;
}
