/* emit_xray_api.c — sends documents straight to the X-Ray API (PutTraceSegments), without a
 * daemon: batches of up to 50, signed with SigV4 by libcurl. The body goes in with
 * CURLOPT_POSTFIELDS because libcurl 7.88 signs a body given through a read callback as if it
 * were empty, and X-Amz-Date is left to libcurl, which would otherwise send it twice. */
#include "base/curl_api.h"
#include "emit/aws_signer.h"
#include "emit/emit.h"
#include "emit/http_queue.h"
#include "emit/jsonbuf.h"
#include "base/log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 50 /* PutTraceSegments takes at most 50 documents */

typedef struct api_ctx {
    char url[1200];
    xrc_signer signer;         /* "aws:amz:REGION:xray" and the credentials */
} api_ctx;

/* Counts refused documents in a PutTraceSegments answer and logs the first reason. */
static size_t unprocessed(xrc_http_queue *q)
{
    cJSON *r = cJSON_Parse(xrc_http_answer(q));
    cJSON *list = cJSON_GetObjectItemCaseSensitive(r, "UnprocessedTraceSegments");
    size_t n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
    if (n) {
        cJSON *first = cJSON_GetArrayItem(list, 0);
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "ErrorCode"));
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "Message"));
        xrc_http_fail_log(q, "X-Ray refused %zu document(s): %.60s %.200s", n, code ? code : "",
                          msg ? msg : "");
    }
    cJSON_Delete(r);
    return n;
}

static xrc_post_result post(xrc_http_queue *q, CURL *curl, char **docs, const size_t *lens,
                            size_t n, size_t *refused)
{
    api_ctx *c = q->ctx;
    if (!c) {
        xrc_http_fail_log(q, "not set up (see the error above); documents dropped");
        return XRC_POST_REJECTED;
    }
    size_t total = 40;
    for (size_t i = 0; i < n; i++)
        total += lens[i] * 2 + 8;
    xrc_buf b;
    xrc_buf_init(&b, total + 64);
    xrc_buf_puts(&b, "{\"TraceSegmentDocuments\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            xrc_buf_putc(&b, ',');
        xrc_buf_str(&b, docs[i]);
    }
    xrc_buf_puts(&b, "]}");
    if (b.over) {
        xrc_buf_free(&b);
        xrc_http_fail_log(q, "out of memory for a request body");
        return XRC_POST_REJECTED;
    }
    struct curl_slist *headers = xrc_curl.slist_append(NULL, "Content-Type: application/json");
    xrc_curl.easy_reset(curl);
    xrc_http_setup(q, curl);
    if (!xrc_signer_apply(&c->signer, q, curl, &headers)) {
        xrc_curl.slist_free_all(headers);
        xrc_buf_free(&b);
        return XRC_POST_REJECTED;
    }
    xrc_curl.easy_setopt(curl, CURLOPT_URL, c->url);
    xrc_curl.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    xrc_curl.easy_setopt(curl, CURLOPT_POSTFIELDS, b.p);
    xrc_curl.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.len);
    long status;
    xrc_post_result r = xrc_http_perform(q, curl, c->url, &status);
    xrc_curl.slist_free_all(headers);
    xrc_buf_free(&b);
    if (r == XRC_POST_OK)
        *refused = unprocessed(q);
    xrc_signer_answered(&c->signer, status);
    return r;
}

xrc_http_queue xrc_xray_api_queue = {.what = "xray-api", .batch = BATCH, .post = post,
                          .lock = PTHREAD_MUTEX_INITIALIZER};

/* The endpoint: AWS_ENDPOINT_URL_XRAY, AWS_ENDPOINT_URL, else the region's. */
static api_ctx *make_ctx(void)
{
    char region[64];
    if (!xrc_aws_region(region, sizeof region)) {
        xrc_log(XRAY_LOG_ERROR, "xray-api emitter: no valid region in AWS_REGION, "
                                "AWS_DEFAULT_REGION or the shared config file; documents are "
                                "dropped (and counted)");
        return NULL;
    }
    api_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const char *ep = getenv("AWS_ENDPOINT_URL_XRAY");
    if (!ep || !*ep)
        ep = getenv("AWS_ENDPOINT_URL");
    if (ep && *ep) {
        size_t l = strlen(ep);
        if ((strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)) || l > 1000 ||
            strpbrk(ep, " \r\n\t")) {
            xrc_log(XRAY_LOG_ERROR, "xray-api emitter: endpoint '%.200s' is not an http(s) URL; "
                                    "documents are dropped (and counted)", ep);
            free(c);
            return NULL;
        }
        snprintf(c->url, sizeof c->url, "%.*s/TraceSegments",
                 (int)(ep[l - 1] == '/' ? l - 1 : l), ep);
    } else {
        snprintf(c->url, sizeof c->url, "https://xray.%s.amazonaws.com/TraceSegments", region);
    }
    snprintf(c->signer.sigv4, sizeof c->signer.sigv4, "aws:amz:%s:xray", region);
    return c;
}

void xrc_xray_api_set(bool on)
{
    api_ctx *c = on ? make_ctx() : NULL;
    /* Without settings the queue still takes documents, and drops them counted. */
    xrc_http_queue_stop(&xrc_xray_api_queue, c, free);
}
