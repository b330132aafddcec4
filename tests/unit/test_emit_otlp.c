/* test_emit_otlp.c — the OTLP/HTTP emitter: the exported spans carry the trace tree and its
 * attributes. */
#include "emit_sink.h"
#include "harness.h"
#include "emit/otlp.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static cJSON *attribute(cJSON *span, const char *key)
{
    cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(span, "attributes"))
        if (!strcmp(cJSON_GetObjectItem(a, "key")->valuestring, key))
            return cJSON_GetObjectItem(a, "value");
    return NULL;
}

static const char *sval(cJSON *v, const char *kind)
{
    cJSON *x = cJSON_GetObjectItem(v, kind);
    return cJSON_IsString(x) ? x->valuestring : "";
}

/* Spans that arrived in resources whose service.name is `service`. */
static int spans_of_service(const char *service)
{
    int n = 0;
    cJSON *body, *rs, *ss;
    cJSON_ArrayForEach(body, the_sink.bodies) cJSON_ArrayForEach(rs, cJSON_GetObjectItem(body, "resourceSpans")) {
        cJSON *res = cJSON_GetObjectItem(rs, "resource");
        cJSON *name = attribute(res, "service.name");
        if (!name || strcmp(sval(name, "stringValue"), service))
            continue;
        cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans")) n += cJSON_GetArraySize(cJSON_GetObjectItem(ss, "spans"));
    }
    return n;
}

static int hex_of_len(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

static void test_otlp_export_carries_the_span_tree_and_its_attributes(void)
{
    test_reset();
    sink_start(OK);
    char e[100];
    snprintf(e, sizeof e, "otlp:http://%s", H.address); /* no path: /v1/traces is added */
    use_emitters(e, 5000);
    xray_entity *seg = xray_begin_segment_from_http("orders", "POST", "https://shop.example/orders",
                                                    NULL, NULL);
    xray_put_annotation(seg, "customer", "c-42");
    xray_put_annotation(seg, "items", 3);
    xray_put_metadata_json(seg, "cart", "{\"total\":12.5}", NULL);
    xray_put_http_response(seg, 502, 17);
    xray_entity *db = xray_begin_subsegment("DynamoDB");
    xray_set_namespace(db, "aws");
    xray_add_throttle_flag(db);
    xray_begin_subsegment("inner");
    xray_add_exception(xray_current_subsegment(), "TimeoutError", "took too long", false);
    xray_end_subsegment();
    xray_end_subsegment();
    for (int i = 0; i < 40; i++) /* past the threshold: some arrive as streamed documents */
        XRAY_CAPTURE_BLOCK("step") {}
    char trace[256];
    xray_trace_header(seg, trace, sizeof trace);
    xray_end_segment();
    xray_recorder_shutdown();
    sink_stop();
    CU_ASSERT_STRING_EQUAL(the_sink.last_path, "/v1/traces");
    CU_ASSERT_PTR_NOT_NULL(strstr(the_sink.last_headers, "Content-Type: application/json"));
    cJSON *spans = all_spans();
    CU_ASSERT_EQUAL(cJSON_GetArraySize(spans), 43);
    cJSON *root = span_named(spans, "orders"), *dyn = span_named(spans, "DynamoDB");
    cJSON *inner = span_named(spans, "inner");
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dyn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner);
    /* Root=1-xxxxxxxx-yyyy... -> one 32-hex trace id everywhere; parents name real spans. */
    char want[33];
    memcpy(want, trace + 7, 8);
    memcpy(want + 8, trace + 16, 24);
    want[32] = '\0';
    cJSON *s;
    cJSON_ArrayForEach(s, spans) {
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(s, "traceId")->valuestring, want);
        CU_ASSERT_TRUE(hex_of_len(cJSON_GetObjectItem(s, "spanId")->valuestring, 16));
        cJSON *p = cJSON_GetObjectItem(s, "parentSpanId");
        if (s == root) {
            CU_ASSERT_PTR_NULL(p);
            continue;
        }
        int found = 0;
        cJSON *q;
        cJSON_ArrayForEach(q, spans) found |= !strcmp(cJSON_GetObjectItem(q, "spanId")->valuestring, p->valuestring);
        CU_ASSERT_TRUE(found);
        CU_ASSERT_TRUE(strtoull(cJSON_GetObjectItem(s, "endTimeUnixNano")->valuestring, NULL, 10) >=
                       strtoull(cJSON_GetObjectItem(s, "startTimeUnixNano")->valuestring, NULL, 10));
    }
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(dyn, "parentSpanId")->valuestring,
                           cJSON_GetObjectItem(root, "spanId")->valuestring);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(inner, "parentSpanId")->valuestring,
                           cJSON_GetObjectItem(dyn, "spanId")->valuestring);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(root, "kind")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(dyn, "kind")->valueint, 3);
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "customer"), "stringValue"), "c-42");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "items"), "intValue"), "3");
    /* metadata: one attribute per namespace, its JSON, as the Collector's X-Ray receiver has it */
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "aws.xray.metadata.default"), "stringValue"),
                           "{\"cart\":{\"total\":12.5}}");
    CU_ASSERT_PTR_NULL(attribute(root, "aws.xray.metadata.cart"));
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "http.request.method"), "stringValue"), "POST");
    /* a server span: path and scheme, not the full URL */
    CU_ASSERT_PTR_NULL(attribute(root, "url.full"));
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "url.path"), "stringValue"), "/orders");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "url.scheme"), "stringValue"), "https");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "error.type"), "stringValue"), "502");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "http.response.status_code"), "intValue"), "502");
    CU_ASSERT_PTR_NOT_NULL(attribute(root, "aws.xray.annotations"));
    CU_ASSERT_STRING_EQUAL(sval(attribute(dyn, "rpc.system"), "stringValue"), "aws-api");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "status"), "code")->valueint, 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "status"), "message")->valuestring, "fault");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(dyn, "status"), "message")->valuestring, "throttle");
    cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(inner, "events"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ev, "name")->valuestring, "exception");
    CU_ASSERT_STRING_EQUAL(sval(attribute(ev, "exception.type"), "stringValue"), "TimeoutError");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(span_named(spans, "step"), "status"));
    /* one segment, one service: the streamed parts too */
    CU_ASSERT_EQUAL(spans_of_service("orders"), 43);
    cJSON_Delete(spans);
    restore_emitters();
}

/* X-Ray's OTLP endpoint refuses spans that start more than 14 days back or 2 hours ahead:
 * they are taken out of the request (and counted by the emitter) before it is sent. */
static void test_spans_outside_the_endpoints_window_are_taken_out(void)
{
    char entries[3][400];
    size_t lens[3];
    char *ptrs[3];
    double now = (double)time(NULL), starts[3] = {now, now - 20 * 86400.0, now + 3 * 3600.0};
    const char *names[3] = {"now", "weeks_ago", "hours_ahead"};
    for (int i = 0; i < 3; i++) {
        int n = snprintf(entries[i], sizeof entries[i], "svc%c%c{\"name\":\"%s\",\"id\":\"%016x\","
                         "\"trace_id\":\"1-5759e988-bd862e3fe1be46a994272793\",\"start_time\":%.6f,"
                         "\"end_time\":%.6f}", 0, 0, names[i], i + 1, starts[i], starts[i] + 1);
        lens[i] = (size_t)n;
        ptrs[i] = entries[i];
    }
    size_t spans = 0, skipped = 0;
    cJSON *tree = xrc_otlp_build(ptrs, lens, 3, &spans, &skipped);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tree);
    CU_ASSERT_EQUAL(spans, 3);
    long long ns = (long long)now * 1000000000LL;
    CU_ASSERT_EQUAL(xrc_otlp_drop_outside(tree, ns - 14LL * 86400 * 1000000000, ns + 7200LL * 1000000000), 2);
    char *text = cJSON_PrintUnformatted(tree);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"now\""));
    CU_ASSERT_PTR_NULL(strstr(text, "weeks_ago"));
    CU_ASSERT_PTR_NULL(strstr(text, "hours_ahead"));
    cJSON_free(text);
    cJSON_Delete(tree);
}

/* OTEL_EXPORTER_OTLP_HEADERS adds its headers to each request (values URL-decoded, spaces
 * around names and the '=' left out); a malformed list sends none, and the log line that says
 * so never quotes a value. */
static void test_otlp_headers_from_the_environment(void)
{
    static const struct { const char *value, *sent, *said; } cases[] = {
        {"api-key=s%3D3cret,x-team = blue ", "api-key: s=3cret\r\nx-team: blue\r\n", NULL},
        {"x-team=blue,Bearer s3cret-token", NULL, "entry 2 is not name=value"},
        {"bad name=s3cret", NULL, "'bad name' is not a header name"},
        {"api-key=s3cret%0Aevil: 1", NULL, "the value of 'api-key' holds a control character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        test_reset();
        setenv("OTEL_EXPORTER_OTLP_HEADERS", cases[i].value, 1);
        sink_start(OK);
        char e[100];
        snprintf(e, sizeof e, "otlp:http://%s", H.address);
        use_emitters(e, 5000);
        xray_begin_segment("headers");
        xray_end_segment();
        xray_recorder_shutdown();
        sink_stop();
        CU_ASSERT_EQUAL(sink_requests(), 1); /* sent either way */
        if (cases[i].sent)
            CU_ASSERT_PTR_NOT_NULL(strstr(the_sink.last_headers, cases[i].sent));
        if (cases[i].said) {
            CU_ASSERT_PTR_NOT_NULL(strstr(test_log, cases[i].said));
            CU_ASSERT_PTR_NULL(strstr(the_sink.last_headers, "x-team"));
            CU_ASSERT_PTR_NULL(strstr(the_sink.last_headers, "api-key"));
        }
        CU_ASSERT_PTR_NULL(strstr(test_log, "s3cret"));
        unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
        restore_emitters();
    }
}

void add_emit_otlp_tests(CU_pSuite s)
{
    ADD(s, test_otlp_export_carries_the_span_tree_and_its_attributes);
    ADD(s, test_spans_outside_the_endpoints_window_are_taken_out);
    ADD(s, test_otlp_headers_from_the_environment);
}
