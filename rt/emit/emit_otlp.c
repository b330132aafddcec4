/* emit_otlp.c — OTLP/HTTP JSON export to an OpenTelemetry Collector (or the CloudWatch agent):
 * documents are queued as for the X-Ray API and converted to spans on the emitter's thread. */
#include "base/curl_api.h"
#include "base/config.h"
#include "emit/emit.h"
#include "emit/http_queue.h"
#include "base/log.h"
#include "emit/otlp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 50

typedef struct otlp_ctx {
    char url[1024];
} otlp_ctx;

/* partialSuccess.rejectedSpans of an answer, as documents refused (a fair approximation: a
 * request carries whole documents). */
static size_t rejected(xrc_http_queue *q, size_t n)
{
    cJSON *r = cJSON_Parse(xrc_http_answer(q));
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(r, "partialSuccess");
    const cJSON *rej = cJSON_GetObjectItemCaseSensitive(ps, "rejectedSpans");
    double spans = cJSON_IsNumber(rej) ? rej->valuedouble
                 : cJSON_IsString(rej) ? strtod(rej->valuestring, NULL) : 0;
    if (spans > 0) {
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ps, "errorMessage"));
        xrc_http_fail_log(q, "the collector rejected %.0f span(s): %.200s", spans, msg ? msg : "");
    }
    cJSON_Delete(r);
    return spans > 0 ? (spans < (double)n ? (size_t)spans : n) : 0;
}

static xrc_post_result post(xrc_http_queue *q, CURL *curl, char **docs, const size_t *lens,
                            size_t n, size_t *refused)
{
    otlp_ctx *c = q->ctx;
    if (!c)
        return XRC_POST_REJECTED;
    size_t spans = 0, skipped = 0;
    char *body = xrc_otlp_request(docs, lens, n, &spans, &skipped);
    if (!body) {
        xrc_http_fail_log(q, "out of memory for a request body");
        return XRC_POST_REJECTED;
    }
    if (skipped)
        xrc_log(XRAY_LOG_DEBUG, "otlp emitter: %zu entities in progress or unreadable, not sent",
                skipped);
    struct curl_slist *headers = xrc_curl.slist_append(NULL, "Content-Type: application/json");
    xrc_curl.easy_reset(curl);
    xrc_http_setup(q, curl);
    xrc_curl.easy_setopt(curl, CURLOPT_URL, c->url);
    xrc_curl.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    xrc_curl.easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    xrc_curl.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    long status;
    xrc_post_result r = xrc_http_perform(q, curl, c->url, &status);
    xrc_curl.slist_free_all(headers);
    cJSON_free(body);
    if (r == XRC_POST_OK)
        *refused = rejected(q, n);
    return r;
}

xrc_http_queue xrc_otlp_queue = {.what = "otlp", .batch = BATCH, .post = post,
                          .lock = PTHREAD_MUTEX_INITIALIZER};

void xrc_otlp_set(const char *url)
{
    otlp_ctx *c = NULL;
    if (url[0] && (c = calloc(1, sizeof *c))) {
        snprintf(c->url, sizeof c->url, "%s", url);
    }
    xrc_http_queue_stop(&xrc_otlp_queue, c, free);
}
