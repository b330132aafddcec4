/* emit_sink.c — what the emitter tests share: a destination that records requests and answers
 * as told, switching emitters, sending segments, and counting what the recorder reports. */
#include "emit_sink.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sink the_sink;

static void sink_handler(const http_request *req, http_response *resp, void *ctx)
{
    sink *s = ctx;
    pthread_mutex_lock(&s->lock);
    int n = ++s->requests;
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    cJSON_AddItemToArray(s->bodies, body ? body : cJSON_CreateNull());
    snprintf(s->last_headers, sizeof s->last_headers, "%s", req->headers);
    snprintf(s->last_path, sizeof s->last_path, "%s", req->path);
    mode m = s->mode;
    pthread_mutex_unlock(&s->lock);
    switch (m) {
    case OK: snprintf(resp->body, sizeof resp->body, "{}"); break;
    case FAIL_500: resp->status = 500; snprintf(resp->body, sizeof resp->body, "{\"message\":\"boom\"}"); break;
    case FAIL_429: resp->status = 429; snprintf(resp->body, sizeof resp->body, "{\"message\":\"slow down\"}"); break;
    case REFUSE_403: resp->status = 403; snprintf(resp->body, sizeof resp->body, "{\"message\":\"The security token included in the request is invalid.\"}"); break;
    case HANG: resp->delay_ms = 1500; break;
    case FAIL_TWICE: resp->status = n <= 2 ? 503 : 200; snprintf(resp->body, sizeof resp->body, "{}"); break;
    }
}

fake_http H;                  /* the destination's server */

/* Frees what the last destination recorded. */
void sink_free(void)
{
    cJSON_Delete(the_sink.bodies);
    the_sink.bodies = NULL;
}

void sink_start(mode m)
{
    sink_free();
    memset(&the_sink, 0, sizeof the_sink);
    pthread_mutex_init(&the_sink.lock, NULL);
    the_sink.mode = m;
    the_sink.bodies = cJSON_CreateArray();
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&H, sink_handler, &the_sink), 0);
}

/* Stops the server; what it recorded stays readable (its thread is joined). */
void sink_stop(void)
{
    fake_http_stop(&H);
    pthread_mutex_destroy(&the_sink.lock);
}

/* Read after sink_stop (the server's thread is joined). */
int sink_requests(void) { return the_sink.requests; }

void use_emitters(const char *emitters, long flush_ms)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = emitters;
    c.flush_timeout_ms = flush_ms;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
}

void use_otlp_sink(const char *first)
{
    char e[200];
    sink_start(OK);
    snprintf(e, sizeof e, "%sotlp:http://%s", first, H.address);
    use_emitters(e, 5000);
}

void restore_emitters(void)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = "udp";
    c.flush_timeout_ms = 2000;
    xray_recorder_configure(&c);
    unsetenv("AWS_ENDPOINT_URL_XRAY");
}

void send_segments(int n, int subsegments)
{
    for (int i = 0; i < n; i++) {
        xray_begin_segment("emitted");
        for (int j = 0; j < subsegments; j++)
            XRAY_CAPTURE_BLOCK("work") {}
        xray_end_segment();
    }
}

unsigned long long delta_sent, delta_dropped, delta_errors;
static xray_stats stats_before; /* stats_mark's snapshot */

void stats_mark(void) { xray_recorder_stats(&stats_before); }
void stats_delta(void)
{
    xray_stats now;
    xray_recorder_stats(&now);
    delta_sent = now.documents_sent - stats_before.documents_sent;
    delta_dropped = now.documents_dropped - stats_before.documents_dropped;
    delta_errors = now.send_errors - stats_before.send_errors;
}

void xray_api_env(void)
{
    char url[100];
    snprintf(url, sizeof url, "http://%s", H.address);
    setenv("AWS_ENDPOINT_URL_XRAY", url, 1);
    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDXRAYCAPTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "c2VjcmV0LXRlc3Qta2V5", 1);
    unsetenv("AWS_SESSION_TOKEN");
}

cJSON *all_spans(void)
{
    cJSON *spans = cJSON_CreateArray(), *body;
    cJSON_ArrayForEach(body, the_sink.bodies) {
        cJSON *rs, *ss, *sp;
        cJSON_ArrayForEach(rs, cJSON_GetObjectItem(body, "resourceSpans"))
            cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans"))
                cJSON_ArrayForEach(sp, cJSON_GetObjectItem(ss, "spans"))
                    cJSON_AddItemToArray(spans, cJSON_Duplicate(sp, 1));
    }
    return spans;
}

cJSON *span_named(cJSON *spans, const char *name)
{
    cJSON *s;
    cJSON_ArrayForEach(s, spans) if (!strcmp(cJSON_GetObjectItem(s, "name")->valuestring, name)) return s;
    return NULL;
}
