/* test_limits.c — sizes: documents stay within one datagram, nothing arrives cut, and what
 * cannot be kept is counted where the user sees it. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count_all_named(const char *name) { return listener_count(&L, name); }

/* True when every subsegment document's parent_id names an entity that arrived. */
static int parents_known(void)
{
    for (size_t i = 0; i < L.ndocs; i++) {
        cJSON *type = cJSON_GetObjectItem(L.docs[i], "type");
        if (!cJSON_IsString(type))
            continue;
        const char *pid = cJSON_GetObjectItem(L.docs[i], "parent_id")->valuestring;
        int found = 0;
        for (size_t j = 0; j < L.ndocs && !found; j++) {
            cJSON *stack[600];
            int n = 0;
            stack[n++] = L.docs[j];
            while (n && !found) {
                cJSON *e = stack[--n], *c;
                found = !strcmp(cJSON_GetObjectItem(e, "id")->valuestring, pid);
                cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) if (n < 600) stack[n++] = c;
            }
        }
        if (!found)
            return 0;
    }
    return 1;
}

static void test_large_segment_is_split_into_whole_documents(void)
{
    test_reset();
    xray_begin_segment("big");
    for (int i = 0; i < 3000; i++) {
        xray_begin_subsegment("parent");
        xray_put_annotation(xray_current_subsegment(), "index", i);
        xray_begin_subsegment("child");
        xray_end_subsegment();
        xray_end_subsegment();
    }
    xray_end_segment();
    collect();
    CU_ASSERT_TRUE(L.ndocs > 1);
    CU_ASSERT_EQUAL(L.bad, 0);
    CU_ASSERT_TRUE(L.largest <= 64000);
    CU_ASSERT_EQUAL(count_all_named("big"), 1);
    CU_ASSERT_EQUAL(count_all_named("parent"), 3000);
    CU_ASSERT_EQUAL(count_all_named("child"), 3000);
    for (size_t i = 0; i < L.ndocs; i++) {
        CU_ASSERT_TRUE(entity_valid(L.docs[i], 1));
        cJSON *type = cJSON_GetObjectItem(L.docs[i], "type");
        if (cJSON_IsString(type)) {
            CU_ASSERT_STRING_EQUAL(type->valuestring, "subsegment");
            CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[i], "trace_id")->valuestring,
                                   cJSON_GetObjectItem(listener_find(&L, "big"), "trace_id")->valuestring);
        }
    }
    CU_ASSERT_TRUE(parents_known());
}

static void test_oversized_metadata_is_replaced_by_a_note_not_cut(void)
{
    test_reset();
    size_t n = 100000;
    char *json = malloc(n + 3);
    json[0] = '"';
    memset(json + 1, 'm', n);
    json[n + 1] = '"';
    json[n + 2] = '\0';
    xray_entity *seg = xray_begin_segment("heavy");
    CU_ASSERT_EQUAL(xray_put_metadata_json(seg, "blob", json, NULL), XRAY_OK);
    xray_put_annotation(seg, "kept", "yes");
    free(json);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_EQUAL(L.bad, 0);
    cJSON *note = cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "metadata"), "xraycap");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(note, "truncated")));
    CU_ASSERT_TRUE(cJSON_GetObjectItem(note, "omitted_bytes")->valuedouble > 100000);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(L.docs[0], "annotations"), "kept")->valuestring,
                           "yes");
}

static void test_nesting_past_256_is_counted_not_lost_silently(void)
{
    test_reset();
    xray_stats before, after;
    xray_recorder_stats(&before);
    xray_begin_segment("deep");
    for (int i = 0; i < 300; i++)
        xray_begin_subsegment("level");
    for (int i = 0; i < 300; i++)
        xray_end_subsegment();
    xray_begin_subsegment("after");
    xray_end_subsegment();
    xray_end_segment();
    collect();
    xray_recorder_stats(&after);
    CU_ASSERT_EQUAL(count_all_named("level"), 256);
    CU_ASSERT_EQUAL(count_all_named("after"), 1);
    cJSON *seg = listener_find(&L, "deep");
    cJSON *note = cJSON_GetObjectItem(cJSON_GetObjectItem(seg, "metadata"), "xraycap");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(note, "dropped_subsegments")->valueint, 44);
    CU_ASSERT_EQUAL(after.subsegments_dropped - before.subsegments_dropped, 44);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "not recorded"));
}

static void test_no_daemon_listening_is_not_an_error(void)
{
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.daemon_address = "127.0.0.1:9"; /* discard port: nobody listens */
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_PTR_NOT_NULL(xray_begin_segment("nobody_listens"));
        xray_end_segment();
    }
    CU_ASSERT_EQUAL(test_log_lines, 0);
    test_reset();
}

void register_limits(void)
{
    CU_pSuite s = CU_add_suite("limits", NULL, NULL);
    ADD(s, test_large_segment_is_split_into_whole_documents);
    ADD(s, test_oversized_metadata_is_replaced_by_a_note_not_cut);
    ADD(s, test_nesting_past_256_is_counted_not_lost_silently);
    ADD(s, test_no_daemon_listening_is_not_an_error);
}
