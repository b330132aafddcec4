/* lambda_loop.c — the AWS Lambda Runtime API loop for C custom runtimes. Blocking HTTP is
 * right here: this is the runtime's own thread, waiting for work, not a traced call. It uses
 * nothing of the recorder, so a build with tracing compiled out links this file alone. */
#include "base/curl_api.h"
#include "lambda/lambda_loop.h"
#include "model/thread.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* What Lambda sends as a request id (a UUID; local runtimes use similar words): 1 to 127 of
 * letters, digits, '-', '_' and '.' — it goes into the answer's URL path, so nothing else. */
static bool request_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > 127 || strstr(id, ".."))
        return false;
    for (const char *c = id; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return false;
    return true;
}

/* Copies a header's value (trimmed) when its name matches. */
static void take_header(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    snprintf(out, outlen, "%.*s", (int)vl, v);
}

void xrc_lambda_next_header(xrc_lambda_next *h, const char *line, size_t len)
{
    char deadline[32] = "";
    take_header(line, len, "Lambda-Runtime-Aws-Request-Id", h->request_id, sizeof h->request_id);
    take_header(line, len, "Lambda-Runtime-Trace-Id", h->trace, sizeof h->trace);
    take_header(line, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
    if (deadline[0])
        h->deadline_ms = strtoll(deadline, NULL, 10);
}

bool xrc_lambda_answer_url(const char *api, const char *request_id, const char *kind, char *out, size_t len)
{
    if (!request_id_valid(request_id))
        return false;
    int n = snprintf(out, len, "http://%s/2018-06-01/runtime/invocation/%s/%s", api, request_id, kind);
    if (n < 0 || (size_t)n >= len) {
        out[0] = '\0';
        return false;
    }
    return true;
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    xrc_lambda_next_header(arg, line, size * n);
    return size * n;
}

/* POSTs `payload` to url; returns the HTTP status, or -1 when the request failed. */
/* The runtime's own request, on the handler's thread: under the library guard, so that it is
 * never traced, whatever stands in front of libcurl. */
static CURLcode perform(CURL *c)
{
    xrc_tls.lib_inside++;
    CURLcode rc = xrc_curl.easy_perform(c);
    xrc_tls.lib_inside--;
    return rc;
}

static long post(const xrc_lambda_hooks *hooks, CURL *c, const char *url, const char *payload)
{
    xrc_curl_body ignored = {0};
    xrc_curl.easy_reset(c);
    xrc_curl.easy_setopt(c, CURLOPT_URL, url);
    xrc_curl.easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    xrc_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, xrc_curl_collect);
    xrc_curl.easy_setopt(c, CURLOPT_WRITEDATA, &ignored);
    xrc_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = perform(c);
    long status = -1;
    if (rc == CURLE_OK)
        xrc_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        hooks->log("lambda runtime: POST %s failed: %s", url, xrc_curl.easy_strerror(rc));
    free(ignored.p);
    return status;
}

int xrc_lambda_loop(xray_lambda_handler handler, void *ctx, const xrc_lambda_hooks *hooks)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api || strlen(api) > 200) {
        hooks->log("lambda runtime: AWS_LAMBDA_RUNTIME_API is not set (or too long); not "
                   "running inside Lambda?");
        return -1;
    }
    if (!handler) {
        hooks->log("lambda runtime: no handler given");
        return -1;
    }
    if (!xrc_curl_load()) {
        hooks->log("lambda runtime: libcurl cannot be loaded; the Runtime API cannot be reached");
        return -1;
    }
    CURL *c = xrc_curl.easy_init();
    if (!c)
        return -1;
    char next_url[300], url[600];
    snprintf(next_url, sizeof next_url, "http://%s/2018-06-01/runtime/invocation/next", api);
    int result = -1;
    for (;;) {
        xrc_curl_body event = {0};
        xrc_lambda_next h = {0};
        xrc_curl.easy_reset(c);
        xrc_curl.easy_setopt(c, CURLOPT_URL, next_url);
        xrc_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, xrc_curl_collect);
        xrc_curl.easy_setopt(c, CURLOPT_WRITEDATA, &event);
        xrc_curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        xrc_curl.easy_setopt(c, CURLOPT_HEADERDATA, &h);
        xrc_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        CURLcode rc = perform(c);
        long status = 0;
        xrc_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || !h.request_id[0]) {
            hooks->log("lambda runtime: next invocation: %s (HTTP %ld)%s",
                    rc == CURLE_OK ? "unexpected answer" : xrc_curl.easy_strerror(rc), status,
                    rc == CURLE_OK && !h.request_id[0] ? ", no request id" : "");
            free(event.p);
            break;
        }
        if (!xrc_lambda_answer_url(api, h.request_id, "response", url, sizeof url)) {
            hooks->log("lambda runtime: next invocation: the request id '%.60s%s' is not one Lambda "
                       "sends (1 to 127 letters, digits, '-', '_', '.'); not answered",
                       h.request_id, strlen(h.request_id) > 60 ? "..." : "");
            free(event.p);
            continue;
        }
        xray_lambda_invocation inv = {h.request_id, h.trace, h.deadline_ms,
                                      event.p ? event.p : "", event.len};
        if (hooks->begin)
            hooks->begin(h.trace[0] ? h.trace : NULL);
        else if (h.trace[0])
            setenv("_X_AMZN_TRACE_ID", h.trace, 1);
        char *response = NULL;
        int failed = handler(&inv, &response, ctx);
        if (hooks->end)
            hooks->end();
        if (!failed) {
            post(hooks, c, url, response ? response : "null");
        } else {
            cJSON *err = cJSON_CreateObject();
            cJSON_AddStringToObject(err, "errorMessage", response ? response : "handler failed");
            cJSON_AddStringToObject(err, "errorType", "HandlerError");
            char *text = cJSON_PrintUnformatted(err);
            xrc_lambda_answer_url(api, h.request_id, "error", url, sizeof url);
            post(hooks, c, url, text ? text : "{}");
            cJSON_free(text);
            cJSON_Delete(err);
        }
        free(response);
        free(event.p);
    }
    xrc_curl.easy_cleanup(c);
    return result;
}
