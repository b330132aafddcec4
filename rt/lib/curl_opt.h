/* curl_opt.h — curl_easy_setopt's one variadic argument, read with the type its option takes
 * and passed on to another setopt (the --wrap shim's and the interposer's). */
#ifndef XRC_CURL_OPT_H
#define XRC_CURL_OPT_H

#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>

typedef struct xrc_curl_opt_arg {
    enum { XRC_OPT_LONG, XRC_OPT_FUNCTION, XRC_OPT_OFF_T, XRC_OPT_POINTER } kind;
    long l;
    void (*f)(void);
    curl_off_t o;
    void *p;
} xrc_curl_opt_arg;

void xrc_curl_opt_arg_read(CURLoption opt, va_list *ap, xrc_curl_opt_arg *out);
typedef CURLcode (*xrc_setopt_fn)(CURL *, CURLoption, ...);
CURLcode xrc_curl_setopt_with(xrc_setopt_fn setopt, CURL *h, CURLoption opt, const xrc_curl_opt_arg *a);

/* What a curl_easy_setopt shim does with its argument list: outside a wrapper (`inside`
 * false: the library guard as the shim reads it) it goes to the traced xray_curl_easy_setopt,
 * inside one (the wrapper's own call) to `real`, libcurl's (CURLE_FAILED_INIT when that could
 * not be found). */
CURLcode xrc_curl_setopt_route(bool inside, xrc_setopt_fn real, CURL *h, CURLoption opt,
                               va_list *ap);

#endif
