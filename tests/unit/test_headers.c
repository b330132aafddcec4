/* test_headers.c — trace headers in and out, and segments for incoming HTTP requests. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROOT_ID "1-5759e988-bd862e3fe1be46a994272793"

static void test_header_continues_the_callers_trace_and_round_trips(void)
{
    test_reset();
    xray_entity *seg = xray_begin_segment_from_header("callee", "Root=" ROOT_ID ";Parent=53995c3f42cd8ad8;Sampled=1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
    xray_entity *call = xray_begin_subsegment("downstream");
    char out[XRAY_TRACE_HEADER_MAX], again[XRAY_TRACE_HEADER_MAX];
    CU_ASSERT_EQUAL(xray_trace_header(call, out, sizeof out), XRAY_OK);
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *doc = L.docs[0];
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(doc, "trace_id")->valuestring, ROOT_ID);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(doc, "parent_id")->valuestring, "53995c3f42cd8ad8");
    char expect[200];
    snprintf(expect, sizeof expect, "Root=" ROOT_ID ";Parent=%s;Sampled=1",
             cJSON_GetObjectItem(listener_find(&L, "downstream"), "id")->valuestring);
    CU_ASSERT_STRING_EQUAL(out, expect);
    /* the header we wrote is one the next service accepts */
    test_reset();
    xray_begin_segment_from_header("next", out);
    CU_ASSERT_EQUAL(xray_trace_header(xray_current_segment(), again, sizeof again), XRAY_OK);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring, ROOT_ID);
    CU_ASSERT_EQUAL(strncmp(again, "Root=" ROOT_ID ";Parent=", 46), 0);
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

static void test_sampled_zero_is_obeyed_and_passed_on(void)
{
    test_reset();
    xray_entity *seg = xray_begin_segment_from_header("quiet", "Root=" ROOT_ID ";Parent=53995c3f42cd8ad8;Sampled=0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
    CU_ASSERT_FALSE(xray_is_sampled());
    char out[XRAY_TRACE_HEADER_MAX];
    xray_entity *call = xray_begin_subsegment("call");
    CU_ASSERT_EQUAL(xray_trace_header(call, out, sizeof out), XRAY_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Root=" ROOT_ID));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, ";Sampled=0"));
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 0);
}

static void test_other_keys_are_kept_and_self_is_dropped(void)
{
    test_reset();
    xray_begin_segment_from_header("kept", " Root=" ROOT_ID " ; Self=1-67891234-12456789abcdef012345678 ;Lineage=a87bd80c:0 ;Sampled=1");
    char out[XRAY_TRACE_HEADER_MAX];
    xray_trace_header(xray_current_segment(), out, sizeof out);
    xray_end_segment();
    CU_ASSERT_PTR_NOT_NULL(strstr(out, ";Lineage=a87bd80c:0"));
    CU_ASSERT_PTR_NULL(strstr(out, "Self="));
    CU_ASSERT_EQUAL(collect(), 1);
}

/* A W3C trace id whose first 8 digits read as a recent time (an X-Ray-compatible generator
 * made it) maps to the X-Ray id bit for bit, both ways. */
static void test_w3c_traceparent_maps_to_xray_ids_and_back(void)
{
    test_reset();
    char w3c[33], header[80], root[40];
    snprintf(w3c, sizeof w3c, "%08llxbd862e3fe1be46a994272793", (unsigned long long)time(NULL) - 3600);
    snprintf(header, sizeof header, "00-%s-53995c3f42cd8ad8-01", w3c);
    snprintf(root, sizeof root, "1-%.8s-%s", w3c, w3c + 8);
    xray_begin_segment_from_header("w3c", header);
    char out[100];
    CU_ASSERT_EQUAL(xray_traceparent(xray_current_segment(), out, sizeof out), XRAY_OK);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring, root);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "parent_id")->valuestring, "53995c3f42cd8ad8");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[0], "metadata"));
    char expect[100];
    snprintf(expect, sizeof expect, "00-%s-%s-01", w3c, cJSON_GetObjectItem(L.docs[0], "id")->valuestring);
    CU_ASSERT_STRING_EQUAL(out, expect);
    test_reset();
    xray_begin_segment_from_header("w3c_unsampled", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00");
    CU_ASSERT_FALSE(xray_is_sampled());
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 0);
}

/* A random W3C trace id (here one from 2016, older than the 30 days the X-Ray service takes):
 * the X-Ray id gets today's time and keeps the 24 random digits, the document names the W3C id,
 * and W3C peers downstream keep seeing the id they sent. */
static void test_random_w3c_trace_id_gets_a_time_and_is_remembered(void)
{
    test_reset();
    long long now = (long long)time(NULL);
    xray_begin_segment_from_header("w3c_random", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
    char out[100];
    CU_ASSERT_EQUAL(xray_traceparent(xray_current_segment(), out, sizeof out), XRAY_OK);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    const char *trace = cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring;
    CU_ASSERT_STRING_EQUAL(trace + 10, "-bd862e3fe1be46a994272793");
    long long t = strtoll(trace + 2, NULL, 16);
    CU_ASSERT_TRUE(t >= now - 5 && t <= now + 5);
    cJSON *meta = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "metadata"), "xraycap");
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "w3c_trace_id")),
                           "5759e988bd862e3fe1be46a994272793");
    CU_ASSERT_EQUAL(strncmp(out, "00-5759e988bd862e3fe1be46a994272793-", 36), 0);
}

static void test_malformed_headers_start_a_new_trace_and_say_why(void)
{
    char overlong[3000];
    memset(overlong, 'a', sizeof overlong - 1);
    memcpy(overlong, "Root=" ROOT_ID ";Lineage=", 49);
    overlong[sizeof overlong - 1] = '\0';
    const char *bad[] = {
        "garbage",                                                     /* no '=' */
        "Root",                                                        /* no '=' */
        "=value",                                                      /* empty key */
        "Root=1-5759e988-bd862e3fe1be46a99427279",                     /* short */
        "Root=1-5759e988-bd862e3fe1be46a99427279g",                    /* bad hex */
        "Root=1-5759E988-bd862e3fe1be46a994272793",                    /* upper case */
        "Root=2-5759e988-bd862e3fe1be46a994272793",                    /* version */
        "Root=" ROOT_ID ";Root=1-5759e988-bd862e3fe1be46a994272794",   /* duplicate */
        "Root=" ROOT_ID ";Parent=53995c3f42cd8ad",                     /* short parent */
        "Root=" ROOT_ID ";Parent=zz995c3f42cd8ad8",                    /* bad parent */
        "Root=" ROOT_ID ";Sampled=yes",                                /* bad sampled */
        "Root=" ROOT_ID ";Sampled=1;Sampled=0",                        /* duplicate */
        "Root=" ROOT_ID ";Bad Key=1",                                  /* space in key */
        "Root=" ROOT_ID ";Key=\x01",                                   /* control char */
        ";;;",                                                         /* empty */
        "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8",        /* short traceparent */
        "00-00000000000000000000000000000000-53995c3f42cd8ad8-01",     /* zero trace id */
        "00-5759e988bd862e3fe1be46a994272793-0000000000000000-01",     /* zero span id */
        "ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",     /* invalid version */
        "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01-x",   /* trailing data */
        "00-5759e988BD862e3fe1be46a994272793-53995c3f42cd8ad8-01",     /* upper case */
        overlong,
    };
    size_t n = sizeof bad / sizeof bad[0];
    test_reset();
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_PTR_NOT_NULL(xray_begin_segment_from_header("fresh", bad[i]));
        xray_end_segment();
    }
    CU_ASSERT_EQUAL_FATAL(collect(), n);
    for (size_t i = 0; i < L.ndocs; i++) {
        CU_ASSERT_TRUE(entity_valid(L.docs[i], 1));
        CU_ASSERT_STRING_NOT_EQUAL(cJSON_GetObjectItem(L.docs[i], "trace_id")->valuestring, ROOT_ID);
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[i], "parent_id"));
    }
    CU_ASSERT_EQUAL(test_log_lines, (int)n);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "is malformed: Root is given twice"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "is malformed: it is longer than 2048 characters"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "is malformed: a part has no Key=Value form"));
}

static void test_missing_header_and_root_start_a_new_trace_quietly(void)
{
    test_reset();
    xray_begin_segment_from_header("none", NULL);
    xray_end_segment();
    xray_begin_segment_from_header("empty", "");
    xray_end_segment();
    xray_begin_segment_from_header("no_root", "Parent=53995c3f42cd8ad8;Sampled=1");
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 3);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(listener_find(&L, "no_root"), "parent_id"));
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

static void test_small_buffers_get_an_empty_string_not_a_cut_header(void)
{
    test_reset();
    xray_entity *seg = xray_begin_segment("s");
    char small[20] = "untouched";
    CU_ASSERT_EQUAL(xray_trace_header(seg, small, sizeof small), XRAY_ERR_LIMIT);
    CU_ASSERT_STRING_EQUAL(small, "");
    CU_ASSERT_EQUAL(xray_traceparent(seg, small, sizeof small), XRAY_ERR_LIMIT);
    CU_ASSERT_EQUAL(xray_trace_header(NULL, small, sizeof small), XRAY_ERR_NO_CONTEXT);
    xray_end_segment();
    collect();
}

struct request {
    const char *names[8], *values[8];
};

static const char *lookup(void *ctx, const char *name)
{
    struct request *r = ctx;
    for (int i = 0; i < 8 && r->names[i]; i++)
        if (!strcasecmp(r->names[i], name))
            return r->values[i];
    return NULL;
}

static void test_http_helper_records_the_request_like_the_middleware(void)
{
    test_reset();
    struct request r = {{"x-amzn-trace-id", "User-Agent", "X-Forwarded-For", "Host"},
                        {"Root=" ROOT_ID ";Parent=53995c3f42cd8ad8;Sampled=1", "curl/7.88.1",
                         " 203.0.113.9 , 10.0.0.1", "api.example.com"}};
    xray_entity *seg = xray_begin_segment_from_http("users-api", "POST", "http://api.example.com/users?x=1", lookup, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
    xray_put_http_response(seg, 201, 57);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *req = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "http"), "request");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "method")->valuestring, "POST");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "url")->valuestring, "http://api.example.com/users");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "user_agent")->valuestring, "curl/7.88.1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "client_ip")->valuestring, "203.0.113.9");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(req, "x_forwarded_for")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring, ROOT_ID);

    test_reset();
    struct request peer = {{"traceparent", ":remote_addr", "User-Agent"},
                           {"00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", "192.0.2.7", "bad\xff"}};
    xray_begin_segment_from_http("users-api", "GET", "/health", lookup, &peer);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    req = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "http"), "request");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "client_ip")->valuestring, "192.0.2.7");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(req, "x_forwarded_for"));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "user_agent")->valuestring, "bad\xef\xbf\xbd");
    /* an old W3C id: the same 24 random digits, today's time (see the test above) */
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring + 10,
                           "-bd862e3fe1be46a994272793");
}

void register_headers(void)
{
    CU_pSuite s = CU_add_suite("headers", NULL, NULL);
    ADD(s, test_header_continues_the_callers_trace_and_round_trips);
    ADD(s, test_sampled_zero_is_obeyed_and_passed_on);
    ADD(s, test_other_keys_are_kept_and_self_is_dropped);
    ADD(s, test_w3c_traceparent_maps_to_xray_ids_and_back);
    ADD(s, test_random_w3c_trace_id_gets_a_time_and_is_remembered);
    ADD(s, test_malformed_headers_start_a_new_trace_and_say_why);
    ADD(s, test_missing_header_and_root_start_a_new_trace_quietly);
    ADD(s, test_small_buffers_get_an_empty_string_not_a_cut_header);
    ADD(s, test_http_helper_records_the_request_like_the_middleware);
}
