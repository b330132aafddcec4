/* test_interop.c — documents as the X-Ray service, the console and the OpenTelemetry Collector
 * read them: the schema's character set and field limits, xraycap's own accounting through
 * truncation, the identification the SDKs send, and the OTLP export read back by the
 * Collector's rules into the same X-Ray fields. */
#include "emit_sink.h"
#include "harness.h"
#include "../../tools/xraycap/doccheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *sget(const cJSON *o, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItem(o, k)); }

/* ---- the X-Ray side ----------------------------------------------------------------------- */

static void test_names_keep_only_the_schemas_characters(void)
{
    test_reset();
    xray_begin_segment("a,b\"c'd[e]f{g}h|i\\j k_l.m:n/o%p&q#r=s+t-u@v\u00e9\u4e2d\u00a0w\u20ac");
    xray_begin_subsegment("\xff\xfe");
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1); /* collect() also has the daemon's check accept it */
    CU_ASSERT_STRING_EQUAL(sget(L.docs[0], "name"), "abcdefghij k_l.m:n/o%p&q#r=s+t-u@v\u00e9\u4e2d\u00a0w");
    CU_ASSERT_STRING_EQUAL(sget(cJSON_GetArrayItem(cJSON_GetObjectItem(L.docs[0], "subsegments"), 0), "name"),
                           "unnamed");
}

static char long_agent[600];

static const char *agent_lookup(void *ctx, const char *name)
{
    (void)ctx;
    return !strcmp(name, "User-Agent") ? long_agent : NULL;
}

static void test_http_fields_and_user_are_cut_to_250_characters(void)
{
    test_reset();
    char url[600] = "https://example.com/", user[600];
    memset(url + 20, 'p', 500);
    url[520] = '\0';
    memset(long_agent, 'a', 599);
    memset(user, 'u', 599);
    user[599] = '\0';
    xray_entity *seg = xray_begin_segment_from_http("cut", "GET", "/", agent_lookup, NULL);
    xray_put_http_request(seg, "GET", url);
    xray_set_user(seg, user);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *rq = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "http"), "request");
    CU_ASSERT_EQUAL(strlen(sget(rq, "url")), 250);
    CU_ASSERT_EQUAL(strlen(sget(rq, "user_agent")), 250);
    CU_ASSERT_EQUAL(strlen(sget(L.docs[0], "user")), 250);
}

/* The accounting of a segment past the subsegment cap survives the loss of its user metadata. */
static void test_dropped_count_survives_metadata_truncation(void)
{
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.max_subsegments = 100;
    xray_recorder_configure(&c);
    size_t n = 200000;
    char *json = malloc(n + 3);
    json[0] = '"';
    memset(json + 1, 'm', n);
    memcpy(json + n + 1, "\"", 2);
    xray_entity *seg = xray_begin_segment("capped");
    CU_ASSERT_EQUAL(xray_put_metadata_json(seg, "blob", json, NULL), XRAY_OK);
    free(json);
    for (int i = 0; i < 1000; i++)
        XRAY_CAPTURE_BLOCK("step") {}
    xray_end_segment();
    collect();
    cJSON *seg_doc = NULL;
    for (size_t i = 0; i < L.ndocs; i++)
        if (!cJSON_GetObjectItem(L.docs[i], "type"))
            seg_doc = L.docs[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg_doc);
    cJSON *own = cJSON_GetObjectItem(cJSON_GetObjectItem(seg_doc, "metadata"), "xraycap");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(own, "truncated")));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(own, "dropped_subsegments")->valueint, 900);
    CU_ASSERT_EQUAL(listener_count(&L, "step"), 100);
}

static void test_segments_say_what_wrote_them(void)
{
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.service_version = "1.4.2";
    xray_recorder_configure(&c);
    xray_begin_segment("identified");
    xray_end_segment();
    c.service_version = "";
    xray_recorder_configure(&c);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *service = cJSON_GetObjectItem(L.docs[0], "service");
    CU_ASSERT_STRING_EQUAL(sget(service, "version"), "1.4.2");
    CU_ASSERT_STRING_EQUAL(sget(service, "runtime"), "C"); /* no C++ unit in this program */
    cJSON *xr = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "aws"), "xray");
    CU_ASSERT_STRING_EQUAL(sget(xr, "sdk"), "X-Ray for C");
    CU_ASSERT_STRING_EQUAL(sget(xr, "package"), "xraycap");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(xr, "sampling_rule_name")); /* no centralized rule */
}

/* The checker itself refuses what the service would refuse. */
static void test_the_daemons_check_enforces_the_schema(void)
{
    const char *bad[] = {
        "{\"name\":\"a|b\",\"id\":\"0123456789abcdef\",\"trace_id\":\"1-5759e988-bd862e3fe1be46a994272793\",\"start_time\":1,\"end_time\":2}",
        "{\"name\":\"a\",\"id\":\"0123456789abcdef\",\"trace_id\":\"1-5759e988-bd862e3fe1be46a994272793\",\"start_time\":1,\"end_time\":2,\"parent_id\":\"12\"}",
        "{\"name\":\"a\",\"id\":\"0123456789abcdef\",\"trace_id\":\"1-5759e988-bd862e3fe1be46a994272793\",\"start_time\":1,\"end_time\":2,\"annotations\":{\"bad key\":1}}",
        "{\"name\":\"a\",\"id\":\"0123456789abcdef\",\"trace_id\":\"1-5759e988-bd862e3fe1be46a994272793\",\"start_time\":1,\"end_time\":2,\"cause\":\"short\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *d = cJSON_Parse(bad[i]);
        CU_ASSERT_PTR_NOT_NULL(doc_problem(d));
        cJSON_Delete(d);
    }
    char long_user[400];
    snprintf(long_user, sizeof long_user, "{\"name\":\"a\",\"id\":\"0123456789abcdef\",\"trace_id\":"
             "\"1-5759e988-bd862e3fe1be46a994272793\",\"start_time\":1,\"end_time\":2,\"user\":\"%0251d\"}", 0);
    cJSON *d = cJSON_Parse(long_user);
    CU_ASSERT_PTR_NOT_NULL(doc_problem(d));
    cJSON_Delete(d);
}

/* ---- the OpenTelemetry side --------------------------------------------------------------- */

static cJSON *attr_value(const cJSON *span, const char *key)
{
    cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(span, "attributes"))
        if (!strcmp(sget(a, "key"), key))
            return cJSON_GetObjectItem(a, "value");
    return NULL;
}

/* An OTLP attribute value as the X-Ray JSON value the Collector's exporter writes. */
static cJSON *as_json(const cJSON *v)
{
    if (cJSON_GetObjectItem(v, "stringValue"))
        return cJSON_CreateString(sget(v, "stringValue"));
    if (cJSON_GetObjectItem(v, "boolValue"))
        return cJSON_CreateBool(cJSON_IsTrue(cJSON_GetObjectItem(v, "boolValue")));
    if (cJSON_GetObjectItem(v, "intValue"))
        return cJSON_CreateNumber(strtod(sget(v, "intValue"), NULL));
    return cJSON_CreateNumber(cJSON_GetObjectItem(v, "doubleValue")->valuedouble);
}

/* One span read back by the Collector's X-Ray rules into the fields compared below. */
static cJSON *xray_from_span(const cJSON *span)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", sget(span, "name"));
    cJSON_AddStringToObject(e, "id", sget(span, "spanId"));
    cJSON *ann = cJSON_AddObjectToObject(e, "annotations"), *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItem(cJSON_GetObjectItem(attr_value(span, "aws.xray.annotations"), "arrayValue"), "values"))
        cJSON_AddItemToObject(ann, sget(k, "stringValue"), as_json(attr_value(span, sget(k, "stringValue"))));
    cJSON *meta = cJSON_AddObjectToObject(e, "metadata"), *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(span, "attributes")) {
        const char *key = sget(a, "key");
        if (!strncmp(key, "aws.xray.metadata.", 18))
            cJSON_AddItemToObject(meta, key + 18, cJSON_Parse(sget(cJSON_GetObjectItem(a, "value"), "stringValue")));
    }
    cJSON *http = cJSON_AddObjectToObject(e, "http");
    cJSON *rq = cJSON_AddObjectToObject(http, "request"), *rs = cJSON_AddObjectToObject(http, "response");
    const cJSON *v;
    if ((v = attr_value(span, "http.request.method")))
        cJSON_AddItemToObject(rq, "method", as_json(v));
    if ((v = attr_value(span, "url.full")))
        cJSON_AddItemToObject(rq, "url", as_json(v));
    else if ((v = attr_value(span, "url.path"))) { /* a server: scheme://host/path */
        char url[600];
        snprintf(url, sizeof url, "%s://%s%s", sget(attr_value(span, "url.scheme"), "stringValue"),
                 sget(attr_value(span, "server.address"), "stringValue"), sget(v, "stringValue"));
        cJSON_AddStringToObject(rq, "url", url);
    }
    if ((v = attr_value(span, "http.response.status_code")))
        cJSON_AddItemToObject(rs, "status", as_json(v));
    cJSON *aws = cJSON_AddObjectToObject(e, "aws");
    if ((v = attr_value(span, "rpc.method")))
        cJSON_AddItemToObject(aws, "operation", as_json(v));
    if ((v = attr_value(span, "aws.request_id")))
        cJSON_AddItemToObject(aws, "request_id", as_json(v));
    cJSON *cause = cJSON_AddArrayToObject(e, "exceptions"), *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(span, "events")) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddItemToObject(x, "type", as_json(attr_value(ev, "exception.type")));
        cJSON_AddItemToObject(x, "message", as_json(attr_value(ev, "exception.message")));
        cJSON_AddItemToArray(cause, x);
    }
    return e;
}

/* The same fields from the X-Ray document. */
static cJSON *xray_from_doc(const cJSON *d)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", sget(d, "name"));
    cJSON_AddStringToObject(e, "id", sget(d, "id"));
    const cJSON *ann = cJSON_GetObjectItem(d, "annotations"), *meta = cJSON_GetObjectItem(d, "metadata");
    cJSON_AddItemToObject(e, "annotations", ann ? cJSON_Duplicate(ann, 1) : cJSON_CreateObject());
    cJSON_AddItemToObject(e, "metadata", meta ? cJSON_Duplicate(meta, 1) : cJSON_CreateObject());
    cJSON *http = cJSON_AddObjectToObject(e, "http");
    cJSON *rq = cJSON_AddObjectToObject(http, "request"), *rs = cJSON_AddObjectToObject(http, "response");
    const cJSON *h = cJSON_GetObjectItem(d, "http");
    const cJSON *hq = cJSON_GetObjectItem(h, "request"), *hs = cJSON_GetObjectItem(h, "response");
    if (sget(hq, "method"))
        cJSON_AddStringToObject(rq, "method", sget(hq, "method"));
    if (sget(hq, "url"))
        cJSON_AddStringToObject(rq, "url", sget(hq, "url"));
    if (cJSON_GetObjectItem(hs, "status"))
        cJSON_AddNumberToObject(rs, "status", cJSON_GetObjectItem(hs, "status")->valuedouble);
    cJSON *aws = cJSON_AddObjectToObject(e, "aws");
    const cJSON *da = cJSON_GetObjectItem(d, "aws");
    if (sget(da, "operation"))
        cJSON_AddStringToObject(aws, "operation", sget(da, "operation"));
    if (sget(da, "request_id"))
        cJSON_AddStringToObject(aws, "request_id", sget(da, "request_id"));
    cJSON *cause = cJSON_AddArrayToObject(e, "exceptions"), *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(d, "cause"), "exceptions")) {
        cJSON *y = cJSON_CreateObject();
        cJSON_AddStringToObject(y, "type", sget(x, "type"));
        cJSON_AddStringToObject(y, "message", sget(x, "message"));
        cJSON_AddItemToArray(cause, y);
    }
    return e;
}

static void add_entities(cJSON *out, const cJSON *d)
{
    cJSON_AddItemToArray(out, xray_from_doc(d));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(d, "subsegments")) add_entities(out, c);
}

/* The seed's tree, sent to the daemon and to a collector at once; every entity read back from
 * OTLP by the Collector's rules equals the one in the X-Ray document. */
static void test_otlp_export_maps_back_to_the_same_xray_fields(void)
{
    test_reset();
    use_otlp_sink("udp,");
    xray_entity *seg = xray_begin_segment_from_http("seed", "POST", "https://api.example/users",
                                                    NULL, NULL);
    xray_begin_subsegment("subsegment_1");
    xray_entity *sub = xray_current_subsegment();
    xray_put_annotation(sub, "annotation1", "annotation test");
    xray_put_annotation(sub, "count", 3);
    xray_put_metadata_json(sub, "data", "{\"key1\":\"value1\"}", "subsegment_1_metadata");
    xray_put_metadata_json(sub, "plain", "[1,2]", NULL);
    xray_begin_subsegment("subsegment_2");
    xray_add_exception(xray_current_subsegment(), "ValueError", "bad value", false);
    xray_end_subsegment();
    xray_end_subsegment();
    xray_put_http_response(seg, 201, 10);
    xray_end_segment();
    xray_recorder_shutdown();
    sink_stop();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *want = cJSON_CreateArray(), *spans = all_spans(), *w;
    add_entities(want, L.docs[0]);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(spans), cJSON_GetArraySize(want));
    cJSON_ArrayForEach(w, want) {
        cJSON *span = NULL, *s;
        cJSON_ArrayForEach(s, spans) if (!strcmp(sget(s, "spanId"), sget(w, "id"))) span = s;
        CU_ASSERT_PTR_NOT_NULL_FATAL(span);
        cJSON *got = xray_from_span(span);
        if (!cJSON_Compare(got, w, 1)) {
            char *a = cJSON_PrintUnformatted(got), *b = cJSON_PrintUnformatted(w);
            fprintf(stderr, "\n  OTLP read back: %s\n  X-Ray document: %s\n", a, b);
            cJSON_free(a);
            cJSON_free(b);
            CU_FAIL("an entity does not read back the same");
        }
        cJSON_Delete(got);
    }
    cJSON_Delete(want);
    cJSON_Delete(spans);
    restore_emitters();
}

/* Client spans name the server they called and why they failed; a server span's 4xx is the
 * client's error, not the server's: its status stays unset. */
static void test_otlp_http_spans_follow_the_stable_conventions(void)
{
    test_reset();
    use_otlp_sink("");
    xray_entity *seg = xray_begin_segment_from_http("api", "GET", "http://api.example:8080/items/7",
                                                    NULL, NULL);
    xray_entity *call = xray_begin_subsegment("inventory");
    xray_set_namespace(call, "remote");
    xray_put_http_request(call, "GET", "https://inventory.example/stock/7");
    xray_put_http_response(call, 503, -1);
    xray_end_subsegment();
    xray_put_http_response(seg, 404, 0);
    xray_end_segment();
    xray_recorder_shutdown();
    sink_stop();
    cJSON *spans = all_spans();
    cJSON *server = span_named(spans, "api"), *client = span_named(spans, "inventory");
    CU_ASSERT_PTR_NOT_NULL_FATAL(server);
    CU_ASSERT_PTR_NOT_NULL_FATAL(client);
    CU_ASSERT_STRING_EQUAL(sget(attr_value(client, "url.full"), "stringValue"), "https://inventory.example/stock/7");
    CU_ASSERT_STRING_EQUAL(sget(attr_value(client, "server.address"), "stringValue"), "inventory.example");
    CU_ASSERT_STRING_EQUAL(sget(attr_value(client, "server.port"), "intValue"), "443");
    CU_ASSERT_STRING_EQUAL(sget(attr_value(client, "error.type"), "stringValue"), "503");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(client, "status"), "code")->valueint, 2);
    CU_ASSERT_STRING_EQUAL(sget(attr_value(server, "url.path"), "stringValue"), "/items/7");
    CU_ASSERT_STRING_EQUAL(sget(attr_value(server, "url.scheme"), "stringValue"), "http");
    CU_ASSERT_STRING_EQUAL(sget(attr_value(server, "server.port"), "intValue"), "8080");
    CU_ASSERT_STRING_EQUAL(sget(attr_value(server, "error.type"), "stringValue"), "404");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(server, "status"));
    cJSON_Delete(spans);
    restore_emitters();
}

void register_interop(void)
{
    CU_pSuite s = CU_add_suite("interop", NULL, NULL);
    ADD(s, test_names_keep_only_the_schemas_characters);
    ADD(s, test_http_fields_and_user_are_cut_to_250_characters);
    ADD(s, test_dropped_count_survives_metadata_truncation);
    ADD(s, test_segments_say_what_wrote_them);
    ADD(s, test_the_daemons_check_enforces_the_schema);
    ADD(s, test_otlp_export_maps_back_to_the_same_xray_fields);
    ADD(s, test_otlp_http_spans_follow_the_stable_conventions);
}
