/* test_documents.c — the shape of what is sent: the seed example, required fields, ids. */
#include "harness.h"
#include "../../samples/common/seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void register_documents_more(void);

/* The seed's example as the samples run it (samples/common/seed.c). */
static void seed_example(void)
{
    xray_begin_segment("segment_1");
    xray_function_sample1();
    xray_end_segment();
}

static void test_seed_example_arrives_nested_as_written(void)
{
    test_reset();
    seed_example();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *seg = L.docs[0];
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(seg, "name")->valuestring, "segment_1");
    cJSON *s1 = child_named(seg, "subsegment_1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
    cJSON *s2 = child_named(s1, "subsegment_2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
    CU_ASSERT_PTR_NOT_NULL(child_named(s2, "subsegment_3-1"));
    CU_ASSERT_PTR_NOT_NULL(child_named(s2, "subsegment_3-2"));
    CU_ASSERT_EQUAL(count_tree(seg), 5);
    cJSON *ann = cJSON_GetObjectItem(s1, "annotations");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ann, "annotation1")->valuestring, "annotation test");
    cJSON *md = cJSON_GetObjectItem(cJSON_GetObjectItem(s1, "metadata"), "subsegment_1_metadata");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(md, "data"), "key1")->valuestring,
                           "value1");
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

static void test_segment_has_required_fields_and_names_the_sdk(void)
{
    test_reset();
    seed_example();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *seg = L.docs[0];
    CU_ASSERT_TRUE(entity_valid(seg, 1));
    cJSON *xr = cJSON_GetObjectItem(cJSON_GetObjectItem(seg, "aws"), "xray");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(xr, "sdk")->valuestring, "X-Ray for C");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(xr, "sdk_version")->valuestring, XRAY_CAPTURE_VERSION);
    CU_ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(seg, "service"), "runtime")));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(seg, "in_progress"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(seg, "type"));
}

static void check_nested_times(const cJSON *e)
{
    double st = cJSON_GetObjectItem(e, "start_time")->valuedouble;
    double et = cJSON_GetObjectItem(e, "end_time")->valuedouble;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) {
        CU_ASSERT_TRUE(cJSON_GetObjectItem(c, "start_time")->valuedouble >= st - 1e-6);
        CU_ASSERT_TRUE(cJSON_GetObjectItem(c, "end_time")->valuedouble <= et + 1e-6);
        check_nested_times(c);
    }
}

static void test_subsegment_times_lie_within_their_parent(void)
{
    test_reset();
    seed_example();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    check_nested_times(L.docs[0]);
}

static void collect_ids(const cJSON *e, char ids[][17], int *n)
{
    snprintf(ids[(*n)++], 17, "%s", cJSON_GetObjectItem(e, "id")->valuestring);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) collect_ids(c, ids, n);
}

static void test_ids_are_unique_and_trace_ids_differ_per_segment(void)
{
    test_reset();
    seed_example();
    seed_example();
    CU_ASSERT_EQUAL_FATAL(collect(), 2);
    char ids[10][17];
    int n = 0;
    collect_ids(L.docs[0], ids, &n);
    collect_ids(L.docs[1], ids, &n);
    CU_ASSERT_EQUAL_FATAL(n, 10);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            CU_ASSERT_STRING_NOT_EQUAL(ids[i], ids[j]);
    CU_ASSERT_STRING_NOT_EQUAL(cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring,
                               cJSON_GetObjectItem(L.docs[1], "trace_id")->valuestring);
}

static void test_trace_id_carries_the_start_time(void)
{
    test_reset();
    seed_example();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    const char *tid = cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring;
    unsigned long epoch = strtoul(tid + 2, NULL, 16);
    double start = cJSON_GetObjectItem(L.docs[0], "start_time")->valuedouble;
    CU_ASSERT_TRUE(epoch <= (unsigned long)start && (unsigned long)start - epoch <= 1);
}

static void test_null_segment_name_takes_the_service_name(void)
{
    test_reset();
    xray_begin_segment(NULL);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "name")->valuestring, "unit-tests");
}

static void test_forbidden_name_characters_are_removed_with_a_warning(void)
{
    test_reset();
    xray_begin_segment("orders?;*()!$~^<>/v1 é");
    xray_begin_subsegment("");
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "name")->valuestring, "orders/v1 é");
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "characters X-Ray does not accept"));
    CU_ASSERT_PTR_NOT_NULL(child_named(L.docs[0], "unnamed"));
}

static void test_long_names_are_cut_to_200_characters(void)
{
    test_reset();
    char name[600];
    memset(name, 'n', 599);
    name[599] = '\0';
    xray_begin_segment(name);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_EQUAL(strlen(cJSON_GetObjectItem(L.docs[0], "name")->valuestring), 200);
}

static void test_beginning_a_second_segment_ends_the_first(void)
{
    test_reset();
    xray_begin_segment("first");
    xray_begin_subsegment("inner");
    xray_begin_segment("second");
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 2);
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "first"));
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "inner"));
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "second"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "still open"));
}

static void test_open_subsegments_close_with_their_segment(void)
{
    test_reset();
    xray_begin_segment("seg");
    xray_begin_subsegment("left_open");
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *sub = listener_find(&L, "left_open");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(sub, "end_time")));
    CU_ASSERT_PTR_NULL(xray_current_segment());
}

static void test_current_entity_accessors_follow_the_stack(void)
{
    test_reset();
    CU_ASSERT_PTR_NULL(xray_current_segment());
    xray_entity *seg = xray_begin_segment("seg");
    CU_ASSERT_PTR_EQUAL(xray_current_segment(), seg);
    CU_ASSERT_PTR_NULL(xray_current_subsegment());
    CU_ASSERT_TRUE(xray_is_sampled());
    xray_entity *a = xray_begin_subsegment("a");
    CU_ASSERT_PTR_EQUAL(xray_current_subsegment(), a);
    xray_entity *b = xray_begin_subsegment("b");
    CU_ASSERT_PTR_EQUAL(xray_current_subsegment(), b);
    xray_end_subsegment();
    CU_ASSERT_PTR_EQUAL(xray_current_subsegment(), a);
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_PTR_NULL(xray_current_segment());
    CU_ASSERT_FALSE(xray_is_sampled());
    collect();
}

void register_documents(void)
{
    CU_pSuite s = CU_add_suite("documents", NULL, NULL);
    ADD(s, test_seed_example_arrives_nested_as_written);
    ADD(s, test_segment_has_required_fields_and_names_the_sdk);
    ADD(s, test_subsegment_times_lie_within_their_parent);
    ADD(s, test_ids_are_unique_and_trace_ids_differ_per_segment);
    ADD(s, test_trace_id_carries_the_start_time);
    ADD(s, test_null_segment_name_takes_the_service_name);
    ADD(s, test_forbidden_name_characters_are_removed_with_a_warning);
    ADD(s, test_long_names_are_cut_to_200_characters);
    ADD(s, test_beginning_a_second_segment_ends_the_first);
    ADD(s, test_open_subsegments_close_with_their_segment);
    ADD(s, test_current_entity_accessors_follow_the_stack);
    register_documents_more();
}

static void test_segment_continues_a_given_trace_and_parent(void)
{
    test_reset();
    xray_segment_options o = {.trace_id = "1-5759e988-bd862e3fe1be46a994272793",
                              .parent_id = "53995c3f42cd8ad8", .sampling = XRAY_SAMPLING_SAMPLED};
    xray_begin_segment_ex("callee", &o);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring, o.trace_id);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[0], "parent_id")->valuestring, o.parent_id);
}

static void test_malformed_trace_and_parent_ids_start_a_new_trace(void)
{
    static const char *bad_traces[] = {"", "1-5759e988", "2-5759e988-bd862e3fe1be46a994272793",
                                       "1-5759E988-bd862e3fe1be46a994272793", "1-5759e988-bd862e3fe1be46a99427279g",
                                       "1-5759e988-bd862e3fe1be46a9942727931", "1_5759e988-bd862e3fe1be46a994272793"};
    static const char *bad_parents[] = {"", "53995c3f42cd8ad", "53995c3f42cd8ad8a", "53995C3F42CD8AD8", "zz995c3f42cd8ad8"};
    test_reset();
    for (size_t i = 0; i < sizeof bad_traces / sizeof *bad_traces; i++) {
        xray_segment_options o = {.trace_id = bad_traces[i], .parent_id = bad_parents[i % 5]};
        CU_ASSERT_PTR_NOT_NULL(xray_begin_segment_ex("fresh", &o));
        xray_end_segment();
    }
    CU_ASSERT_EQUAL_FATAL(collect(), 7);
    for (size_t i = 0; i < L.ndocs; i++) {
        CU_ASSERT_TRUE(entity_valid(L.docs[i], 1));
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[i], "parent_id"));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "starting a new trace"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "is not 16 lower-case hex digits"));
}

static void test_unsampled_segment_sends_nothing_and_its_calls_do_nothing(void)
{
    test_reset();
    xray_segment_options o = {.sampling = XRAY_SAMPLING_NOT_SAMPLED};
    xray_entity *seg = xray_begin_segment_ex("unsampled", &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
    CU_ASSERT_FALSE(xray_is_sampled());
    xray_entity *sub = xray_begin_subsegment("ghost");
    CU_ASSERT_PTR_NOT_NULL(sub); /* a stand-in */
    CU_ASSERT_EQUAL(xray_put_annotation(sub, "k", "v"), XRAY_OK);
    XRAY_CAPTURE_BLOCK("ghost_block") { CU_ASSERT_PTR_EQUAL(xray_current_subsegment(), sub); }
    xray_end_subsegment();
    CU_ASSERT_PTR_NULL(xray_current_subsegment());
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 0);
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

void register_documents_more(void)
{
    CU_pSuite s = CU_add_suite("documents_options", NULL, NULL);
    ADD(s, test_segment_continues_a_given_trace_and_parent);
    ADD(s, test_malformed_trace_and_parent_ids_start_a_new_trace);
    ADD(s, test_unsampled_segment_sends_nothing_and_its_calls_do_nothing);
}
