/* test_data.c — annotations, metadata, flags, HTTP, exceptions, users: what the document
 * carries, and how bad values are refused without losing the rest. */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Runs `fill` on a subsegment "sub" of a segment "seg" and returns the received subsegment. */
static cJSON *sub_after(void (*fill)(xray_entity *))
{
    test_reset();
    xray_begin_segment("seg");
    fill(xray_begin_subsegment("sub"));
    xray_end_subsegment();
    xray_end_segment();
    if (collect() != 1)
        return NULL;
    return listener_find(&L, "sub");
}

static void fill_annotations(xray_entity *e)
{
    bool yes = true;
    CU_ASSERT_EQUAL(xray_put_annotation(e, "text", "value"), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "count", 42), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "ratio", 0.25), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "ok", yes), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_annotation_bool(e, "off", false), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "text", "second"), XRAY_OK);
}

static void test_annotations_keep_their_json_types(void)
{
    cJSON *ann = cJSON_GetObjectItem(sub_after(fill_annotations), "annotations");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ann);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ann, "text")->valuestring, "second");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(ann, "count")->valuedouble, 42);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(ann, "ratio")->valuedouble, 0.25);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(ann, "ok")));
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(ann, "off")));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(ann), 5);
}

/* Numbers are written in the shortest form that reads back as the same double. */
static const double numbers[] = {0.1, 1.0 / 3, -2.5e-300, 1.7976931348623157e308, 9007199254740993.0,
                                 -0.0, 123456789012345.0, 5e-324, 100};

static void fill_numbers(xray_entity *e)
{
    char key[8];
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        snprintf(key, sizeof key, "n%zu", i);
        CU_ASSERT_EQUAL(xray_put_annotation_number(e, key, numbers[i]), XRAY_OK);
    }
}

static void test_annotation_numbers_read_back_exactly(void)
{
    cJSON *ann = cJSON_GetObjectItem(sub_after(fill_numbers), "annotations");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ann);
    char key[8];
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        snprintf(key, sizeof key, "n%zu", i);
        cJSON *n = cJSON_GetObjectItem(ann, key);
        CU_ASSERT_TRUE_FATAL(cJSON_IsNumber(n));
        CU_ASSERT_EQUAL(n->valuedouble, numbers[i]);
    }
}

/* The annotations object the serializer writes equals, value for value, what cJSON (which
 * stored and printed annotations before they were typed) makes of the same values. */
static const char *const texts[] = {"plain", "quote \" and backslash \\", "tab\tnew\nline\x01",
                                    "caf\xc3\xa9 \xe2\x82\xac", "bad \xff byte", "", "</script>"};
static const double values[] = {0, -1, 42, 0.5, 1e21, -3.25e-7, 2.5e15, 4294967296.0};

static void fill_every_kind(xray_entity *e)
{
    char key[16];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(key, sizeof key, "s%zu", i);
        xray_put_annotation_string(e, key, texts[i]);
    }
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "n%zu", i);
        xray_put_annotation_number(e, key, values[i]);
    }
    xray_put_annotation_bool(e, "t", true);
    xray_put_annotation_bool(e, "f", false);
    char long_text[1500];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    xray_put_annotation_string(e, "long", long_text);
}

static void test_annotations_read_as_cjson_wrote_them(void)
{
    cJSON *got = cJSON_GetObjectItem(sub_after(fill_every_kind), "annotations");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    cJSON *want = cJSON_CreateObject();
    char key[16], long_text[1001];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(key, sizeof key, "s%zu", i);
        /* invalid UTF-8 is replaced by U+FFFD, as it always was */
        cJSON_AddStringToObject(want, key, i == 4 ? "bad \xef\xbf\xbd byte" : texts[i]);
    }
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "n%zu", i);
        cJSON_AddNumberToObject(want, key, values[i]);
    }
    cJSON_AddTrueToObject(want, "t");
    cJSON_AddFalseToObject(want, "f");
    memset(long_text, 'x', 1000); /* cut to 1000 characters */
    long_text[1000] = '\0';
    cJSON_AddStringToObject(want, "long", long_text);
    /* through cJSON's printer and parser, as the documents went before */
    char *printed = cJSON_PrintUnformatted(want);
    cJSON *old = cJSON_Parse(printed);
    CU_ASSERT_TRUE(cJSON_Compare(got, old, true));
    cJSON_free(printed);
    cJSON_Delete(old);
    cJSON_Delete(want);
}

/* Streaming sends finished subsegments ahead and reuses their memory; what the open ones and
 * the segment carry, annotations included, stays intact. */
static void test_annotations_of_open_entities_survive_streaming(void)
{
    test_reset(); /* streams past 30 subsegments */
    xray_entity *seg = xray_begin_segment("streamed");
    char text[64];
    for (int i = 0; i < 1000; i++) { /* fills the first chunks, so what follows is in later ones */
        xray_begin_subsegment("before");
        xray_end_subsegment();
    }
    xray_put_annotation(seg, "on_segment", "segment value");
    xray_entity *outer = xray_begin_subsegment("outer");
    xray_put_annotation(outer, "on_outer", "outer value");
    xray_put_annotation(outer, "count", 7);
    for (int i = 0; i < 4000; i++) {
        xray_entity *sub = xray_begin_subsegment("inner");
        snprintf(text, sizeof text, "inner value %d, long enough to fill chunks", i);
        xray_put_annotation(sub, "text", text);
        xray_end_subsegment();
        if (i == 2000) /* in a chunk of its own by now, among subsegments streamed later */
            xray_put_annotation(outer, "mid", "put while the outer one was open");
    }
    xray_put_annotation_bool(outer, "late", true);
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_TRUE(collect() > 1);
    cJSON *s = listener_find(&L, "streamed"), *o = listener_find(&L, "outer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    cJSON *sa = cJSON_GetObjectItem(s, "annotations"), *oa = cJSON_GetObjectItem(o, "annotations");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sa, "on_segment")->valuestring, "segment value");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(oa, "on_outer")->valuestring, "outer value");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(oa, "count")->valuedouble, 7);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(oa, "late")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(oa, "mid")->valuestring,
                           "put while the outer one was open");
    CU_ASSERT_EQUAL(listener_count(&L, "inner"), 4000);
}

static void fill_bad_annotations(xray_entity *e)
{
    CU_ASSERT_EQUAL(xray_put_annotation(e, "has space", "x"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "dash-key", "x"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "", "x"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation_string(e, NULL, "x"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation_string(e, "nullvalue", NULL), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation_number(e, "nan", NAN), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation_number(e, "inf", INFINITY), XRAY_ERR_INVALID);
    char key[502];
    memset(key, 'k', 501);
    key[501] = '\0';
    CU_ASSERT_EQUAL(xray_put_annotation(e, key, "x"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "good_key", "kept"), XRAY_OK);
}

static void test_bad_annotation_keys_and_values_are_rejected_with_a_warning(void)
{
    cJSON *sub = sub_after(fill_bad_annotations);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    cJSON *ann = cJSON_GetObjectItem(sub, "annotations");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(ann), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ann, "good_key")->valuestring, "kept");
    CU_ASSERT_TRUE(test_log_lines >= 8);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "'has space' rejected"));
}

static void fill_many_annotations(xray_entity *e)
{
    char key[16];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CU_ASSERT_EQUAL(xray_put_annotation(e, key, i), XRAY_OK);
    }
    CU_ASSERT_EQUAL(xray_put_annotation(e, "one_too_many", 1), XRAY_ERR_LIMIT);
    CU_ASSERT_EQUAL(xray_put_annotation(e, "k0", 100), XRAY_OK); /* replacing is fine */
}

static void test_fifty_annotations_per_entity_at_most(void)
{
    cJSON *ann = cJSON_GetObjectItem(sub_after(fill_many_annotations), "annotations");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(ann), 50);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(ann, "k0")->valuedouble, 100);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(ann, "one_too_many"));
}

static void fill_long_and_broken_strings(xray_entity *e)
{
    char big[3000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    xray_put_annotation(e, "long", big);
    xray_put_annotation(e, "broken", "ok\xff\xfe\xc3(bad\x01");
    xray_put_metadata_json(e, "quote", "\"a\\\"b\\u0000c\"", NULL);
}

static void test_annotation_strings_are_cut_and_made_valid_utf8(void)
{
    cJSON *sub = sub_after(fill_long_and_broken_strings);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    cJSON *ann = cJSON_GetObjectItem(sub, "annotations");
    CU_ASSERT_EQUAL(strlen(cJSON_GetObjectItem(ann, "long")->valuestring), 1000);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ann, "broken")->valuestring,
                           "ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(bad\x01");
    CU_ASSERT_EQUAL(L.bad, 0);
}

static void fill_metadata(xray_entity *e)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "n", 7);
    CU_ASSERT_EQUAL(xray_put_metadata(e, "object", obj, NULL), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_metadata_json(e, "list", "[1,2,3]", "app"), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_metadata_json(e, "list", "[4]", "app"), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_metadata_json(e, "text", "\"plain\"", "app"), XRAY_OK);
    CU_ASSERT_EQUAL(xray_put_metadata_json(e, "broken", "{\"a\":", "app"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata_json(e, "broken", "not json", "app"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata_json(e, "broken", NULL, "app"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata(e, "reserved", cJSON_CreateTrue(), "AWS.internal"),
                    XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata(e, "", cJSON_CreateTrue(), NULL), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_metadata(e, "null", NULL, NULL), XRAY_ERR_INVALID);
}

static void test_metadata_goes_under_its_namespace_and_bad_json_is_refused(void)
{
    cJSON *md = cJSON_GetObjectItem(sub_after(fill_metadata), "metadata");
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(md), 2);
    cJSON *def = cJSON_GetObjectItem(md, "default"), *app = cJSON_GetObjectItem(md, "app");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(def, "object"), "n")->valuedouble, 7);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(app, "list")), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(app, "text")->valuestring, "plain");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(app, "broken"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "not JSON"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "reserved for AWS"));
}

static void fill_flags(xray_entity *e)
{
    xray_add_error_flag(e);
    xray_add_throttle_flag(e);
}

static void test_flags_appear_as_booleans(void)
{
    cJSON *sub = sub_after(fill_flags);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(sub, "error")));
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(sub, "throttle")));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(sub, "fault"));
}

static cJSON *response_with(int status)
{
    test_reset();
    xray_begin_segment("seg");
    xray_entity *e = xray_begin_subsegment("call");
    xray_put_http_request(e, "GET", "http://example.com/x?q=1");
    xray_put_http_response(e, status, status == 204 ? -1 : 12);
    xray_end_subsegment();
    xray_end_segment();
    collect();
    return listener_find(&L, "call");
}

static int flag(cJSON *e, const char *name) { return cJSON_IsTrue(cJSON_GetObjectItem(e, name)); }

static void test_http_status_sets_error_throttle_and_fault_like_the_sdks(void)
{
    cJSON *e = response_with(200);
    CU_ASSERT_FALSE(flag(e, "error") || flag(e, "fault") || flag(e, "throttle"));
    cJSON *http = cJSON_GetObjectItem(e, "http");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(http, "request"), "method")->valuestring, "GET");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(http, "request"), "url")->valuestring,
                           "http://example.com/x"); /* the query is cut, as the SDKs do */
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(http, "response"), "status")->valueint, 200);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(http, "response"), "content_length")->valueint, 12);
    e = response_with(404);
    CU_ASSERT_TRUE(flag(e, "error") && !flag(e, "fault") && !flag(e, "throttle"));
    e = response_with(429);
    CU_ASSERT_TRUE(flag(e, "error") && flag(e, "throttle") && !flag(e, "fault"));
    e = response_with(503);
    CU_ASSERT_TRUE(flag(e, "fault") && !flag(e, "error"));
    e = response_with(204);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "http"), "response"),
                                           "content_length"));
}

static void test_impossible_http_status_is_rejected(void)
{
    test_reset();
    xray_entity *seg = xray_begin_segment("seg");
    CU_ASSERT_EQUAL(xray_put_http_response(seg, 99, 0), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_put_http_response(seg, 600, 0), XRAY_ERR_INVALID);
    xray_end_segment();
    collect();
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[0], "http"));
}

static void __attribute__((noinline)) failing_function(xray_entity *e)
{
    xray_add_exception(e, "IOError", "disk full", false);
}

static void test_exception_fills_cause_with_a_stack_and_sets_fault(void)
{
    test_reset();
    xray_begin_segment("seg");
    failing_function(xray_begin_subsegment("io"));
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *io = listener_find(&L, "io");
    CU_ASSERT_TRUE(flag(io, "fault"));
    cJSON *cause = cJSON_GetObjectItem(io, "cause");
    CU_ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(cause, "working_directory")));
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cause, "exceptions"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "type")->valuestring, "IOError");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "message")->valuestring, "disk full");
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(x, "remote")));
    CU_ASSERT_EQUAL(strlen(cJSON_GetObjectItem(x, "id")->valuestring), 16);
    cJSON *stack = cJSON_GetObjectItem(x, "stack");
    CU_ASSERT_TRUE(cJSON_GetArraySize(stack) >= 2);
    cJSON *top = cJSON_GetArrayItem(stack, 0);
    CU_ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(top, "label")));
    CU_ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(top, "path")));
    /* the stack starts where the program called, not inside the runtime */
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(top, "label")->valuestring, "failing_function"));
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(top, "path")->valuestring, "test_data.c"));
}

static void test_user_belongs_to_segments_and_namespace_to_subsegments(void)
{
    test_reset();
    xray_entity *seg = xray_begin_segment("seg");
    xray_entity *sub = xray_begin_subsegment("ddb");
    CU_ASSERT_EQUAL(xray_set_user(seg, "alice"), XRAY_OK);
    CU_ASSERT_EQUAL(xray_set_user(sub, "bob"), XRAY_ERR_WRONG_KIND);
    CU_ASSERT_EQUAL(xray_set_namespace(sub, "aws"), XRAY_OK);
    CU_ASSERT_EQUAL(xray_set_namespace(sub, "local"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_set_namespace(seg, "aws"), XRAY_ERR_WRONG_KIND);
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "user")->valuestring, "alice");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(listener_find(&L, "ddb"), "namespace")->valuestring, "aws");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[0], "namespace"));
}

void register_data(void)
{
    CU_pSuite s = CU_add_suite("data", NULL, NULL);
    ADD(s, test_annotations_keep_their_json_types);
    ADD(s, test_annotation_numbers_read_back_exactly);
    ADD(s, test_annotations_read_as_cjson_wrote_them);
    ADD(s, test_annotations_of_open_entities_survive_streaming);
    ADD(s, test_bad_annotation_keys_and_values_are_rejected_with_a_warning);
    ADD(s, test_fifty_annotations_per_entity_at_most);
    ADD(s, test_annotation_strings_are_cut_and_made_valid_utf8);
    ADD(s, test_metadata_goes_under_its_namespace_and_bad_json_is_refused);
    ADD(s, test_flags_appear_as_booleans);
    ADD(s, test_http_status_sets_error_throttle_and_fault_like_the_sdks);
    ADD(s, test_impossible_http_status_is_rejected);
    ADD(s, test_exception_fills_cause_with_a_stack_and_sets_fault);
    ADD(s, test_user_belongs_to_segments_and_namespace_to_subsegments);
}
