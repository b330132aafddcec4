/* curl_api.c — see curl_api.h. */
#include "base/curl_api.h"
#include "base/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

xrc_curl_api xrc_curl; /* written once, under load_once, before any reader is told it is there */

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;    /* the answer of the one load, read after pthread_once */

static void load(void)
{
    /* A program linked with libcurl has it loaded already: dlopen hands back that copy. */
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        xrc_log(XRAY_LOG_ERROR, "libcurl cannot be loaded (%s): the X-Ray API and OTLP emitters, "
                                "centralized sampling and the Lambda loop need it (Debian: "
                                "apt-get install libcurl4)", dlerror());
        return;
    }
    static const char *const names[] = {
        "curl_global_init", "curl_easy_init", "curl_easy_cleanup", "curl_easy_reset",
        "curl_easy_setopt", "curl_easy_perform", "curl_easy_getinfo", "curl_easy_strerror",
        "curl_slist_append", "curl_slist_free_all"};
    _Static_assert(sizeof names / sizeof *names == sizeof(xrc_curl_api) / sizeof(void (*)(void)),
                   "one name per function of xrc_curl_api");
    void (**slot)(void) = (void (**)(void))&xrc_curl;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        void *fn = dlsym(h, names[i]);
        if (!fn) {
            xrc_log(XRAY_LOG_ERROR, "libcurl has no %s: too old for xraycap", names[i]);
            return;
        }
        *(void **)&slot[i] = fn;
    }
    xrc_curl.global_init(CURL_GLOBAL_DEFAULT);
    loaded = true;
}

bool xrc_curl_load(void)
{
    pthread_once(&load_once, load);
    return loaded;
}

size_t xrc_curl_collect(char *data, size_t size, size_t n, void *body)
{
    xrc_curl_body *b = body;
    size_t add = size * n;
    if (b->max && b->len + add > b->max)
        return 0;
    char *p = realloc(b->p, b->len + add + 1);
    if (!p)
        return 0;
    memcpy(p + b->len, data, add);
    b->p = p;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

/* One HTTP request with the runtime's libcurl, within `timeout_ms`: the status (0 when there
 * was no answer, with the reason in *error), the body in *out (the caller frees out->p). */
long xrc_curl_request(const char *method, const char *url, struct curl_slist *headers,
                      const char *body, long timeout_ms, xrc_curl_body *out, const char **error)
{
    *out = (xrc_curl_body){.max = 64 * 1024};
    *error = "libcurl cannot be loaded";
    CURL *h = xrc_curl_load() ? xrc_curl.easy_init() : NULL;
    if (!h)
        return 0;
    xrc_curl.easy_setopt(h, CURLOPT_URL, url);
    xrc_curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        xrc_curl.easy_setopt(h, CURLOPT_POSTFIELDS, body);
    else if (!strcmp(method, "PUT"))
        xrc_curl.easy_setopt(h, CURLOPT_POSTFIELDS, "");
    xrc_curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    xrc_curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    xrc_curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    xrc_curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    xrc_curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, xrc_curl_collect);
    xrc_curl.easy_setopt(h, CURLOPT_WRITEDATA, out);
    long status = 0;
    CURLcode rc = xrc_curl.easy_perform(h);
    if (rc == CURLE_OK)
        xrc_curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        *error = xrc_curl.easy_strerror(rc);
    xrc_curl.easy_cleanup(h);
    return status;
}
