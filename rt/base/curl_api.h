/* curl_api.h — libcurl for the runtime's own HTTP (the X-Ray API and OTLP emitters,
 * centralized sampling, the Lambda Runtime API loop). libxraycap does not link libcurl: a
 * program that sends to the daemon over UDP never loads it. The first of these to need it
 * loads it (the program's own copy when it has one) and calls it through this table, which
 * also keeps the runtime's own requests away from the tracing wrappers: neither -Wl,--wrap
 * nor libxraycap-patch.so sees a call made through a pointer. */
#ifndef XRC_CURL_API_H
#define XRC_CURL_API_H

#include <curl/curl.h>
#include <stdbool.h>

typedef struct xrc_curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *h);
    void (*easy_reset)(CURL *h);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
} xrc_curl_api;

/* A response body gathered by libcurl's write callback xrc_curl_collect (CURLOPT_WRITEDATA):
 * NUL-terminated, at most `max` bytes (0: no limit) — a longer one stops the transfer. The
 * caller frees p. */
typedef struct xrc_curl_body {
    char *p;
    size_t len, max;
} xrc_curl_body;

size_t xrc_curl_collect(char *data, size_t size, size_t n, void *body);

/* One request (GET, PUT with an empty body, POST `body`) within `timeout_ms`, for the
 * runtime's own small calls (credentials, metadata services): the HTTP status, 0 when there
 * was no answer (the reason in *error); the body, up to 64 KiB, in *out (free out->p). */
long xrc_curl_request(const char *method, const char *url, struct curl_slist *headers,
                      const char *body, long timeout_ms, xrc_curl_body *out, const char **error);

/* Filled by xrc_curl_load; use it only after a true answer. */
extern xrc_curl_api xrc_curl;

/* Loads libcurl.so.4 once, looks up the functions and runs curl_global_init. False when it
 * cannot be had, said once in the log (with what to install). Thread-safe. */
bool xrc_curl_load(void);

#endif
