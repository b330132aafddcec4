/* test_fold.c — a captured function or block called again and again under one parent: after
 * fold_after calls the rest are folded into one summary subsegment, and every call is
 * accounted for (recorded + folded + dropped = made). Boundaries, nesting, two parents, errors
 * inside folded calls, threads, the time filter and a million calls at the defaults. */
#include "harness.h"
#include "../../tools/xraycap/doccheck.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fold_after(long k, long min_us)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.fold_after = k;
    c.min_duration_us = min_us;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
}

static void defaults(void)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.fold_after = 64;
    c.min_duration_us = -1; /* off */
    c.streaming_threshold = -1; /* by size, the default */
    xray_recorder_configure(&c);
}

static const cJSON *xraycap_meta(const cJSON *e)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(e, "metadata"), "xraycap");
}

static bool is_summary(const cJSON *e) { return cJSON_GetObjectItem(xraycap_meta(e), "calls") != NULL; }

/* Calls of `name` in a tree: recorded ones count 1, summaries their `calls`. */
typedef struct tally { long recorded, folded, summaries; } tally;

static void count_in(const cJSON *e, const char *name, tally *t)
{
    const cJSON *n = cJSON_GetObjectItem(e, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) {
        if (is_summary(e)) {
            t->folded += (long)cJSON_GetObjectItem(xraycap_meta(e), "calls")->valuedouble;
            t->summaries++;
        } else {
            t->recorded++;
        }
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) count_in(c, name, t);
}

static tally count_all(const char *name)
{
    tally t = {0};
    for (size_t i = 0; i < L.ndocs; i++)
        count_in(L.docs[i], name, &t);
    return t;
}

static void calls(int n)
{
    for (int i = 0; i < n; i++)
        XRAY_CAPTURE_BLOCK("hot") {}
}

static void test_the_kth_call_is_the_last_recorded_one(void)
{
    for (int n = 3; n <= 5; n++) {
        test_reset();
        fold_after(4, 0);
        xray_begin_segment("boundary");
        calls(n);
        xray_end_segment();
        CU_ASSERT_EQUAL_FATAL(collect(), 1);
        tally t = count_all("hot");
        CU_ASSERT_EQUAL(t.recorded, n < 4 ? n : 4);
        CU_ASSERT_EQUAL(t.folded, n - (n < 4 ? n : 4));
        CU_ASSERT_EQUAL(t.summaries, n > 4);
    }
    defaults();
}

static void test_a_summary_spans_its_folded_calls_with_their_durations(void)
{
    test_reset();
    fold_after(2, 0);
    xray_begin_segment("spans");
    for (int i = 0; i < 5; i++)
        XRAY_CAPTURE_BLOCK("hot") { usleep(i == 4 ? 3000 : 1000); }
    xray_end_segment();
    defaults();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    const cJSON *subs = cJSON_GetObjectItem(L.docs[0], "subsegments"), *sum = NULL, *e;
    const cJSON *second = cJSON_GetArrayItem(subs, 1);
    cJSON_ArrayForEach(e, subs) if (is_summary(e)) sum = e;
    CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
    const cJSON *m = xraycap_meta(sum);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(m, "calls")->valueint, 3);
    double total = cJSON_GetObjectItem(m, "total_ms")->valuedouble;
    double min = cJSON_GetObjectItem(m, "min_ms")->valuedouble, max = cJSON_GetObjectItem(m, "max_ms")->valuedouble;
    CU_ASSERT_TRUE(min >= 1.0 && min < 3.0);
    CU_ASSERT_TRUE(max >= 3.0);
    CU_ASSERT_TRUE(total >= min + max + 1.0);
    /* from the first folded call's start to the last one's end, after the recorded ones */
    double start = cJSON_GetObjectItem(sum, "start_time")->valuedouble;
    double end = cJSON_GetObjectItem(sum, "end_time")->valuedouble;
    CU_ASSERT_TRUE(start >= cJSON_GetObjectItem(second, "end_time")->valuedouble);
    CU_ASSERT_TRUE((end - start) * 1000 >= total - 0.01);
}

static void test_calls_inside_a_folded_call_fold_under_it(void)
{
    test_reset();
    fold_after(4, 0);
    xray_begin_segment("nested");
    for (int i = 0; i < 10; i++)
        XRAY_CAPTURE_BLOCK("outer") {
            for (int j = 0; j < 3; j++)
                XRAY_CAPTURE_BLOCK("inner") {}
        }
    xray_end_segment();
    defaults();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    tally outer = count_all("outer"), inner = count_all("inner");
    CU_ASSERT_EQUAL(outer.recorded, 4);
    CU_ASSERT_EQUAL(outer.folded, 6);
    CU_ASSERT_EQUAL(inner.recorded, 12);   /* 3 under each recorded outer */
    CU_ASSERT_EQUAL(inner.folded, 18);     /* the folded outers' inner calls ... */
    CU_ASSERT_EQUAL(inner.summaries, 1);
    const cJSON *sum = NULL, *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(L.docs[0], "subsegments")) if (is_summary(e)) sum = e;
    CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
    const cJSON *under = cJSON_GetArrayItem(cJSON_GetObjectItem(sum, "subsegments"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(under, "name")->valuestring, "inner"); /* ... under its summary */
    CU_ASSERT_TRUE(is_summary(under));
}

static void test_each_parent_has_its_own_count(void)
{
    test_reset();
    fold_after(4, 0);
    xray_begin_segment("parents");
    XRAY_CAPTURE_BLOCK("a") { calls(6); }
    XRAY_CAPTURE_BLOCK("b") { calls(3); }
    xray_end_segment();
    defaults();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    const cJSON *a = find_entity(L.docs[0], "a"), *b = find_entity(L.docs[0], "b");
    tally ta = {0}, tb = {0};
    count_in(a, "hot", &ta);
    count_in(b, "hot", &tb);
    CU_ASSERT_EQUAL(ta.recorded, 4);
    CU_ASSERT_EQUAL(ta.folded, 2);
    CU_ASSERT_EQUAL(tb.recorded, 3);
    CU_ASSERT_EQUAL(tb.folded, 0);
}

/* An error inside a folded call: that call is recorded on its own, with its flag; the summary
 * counts the others. */
static void test_a_fault_in_a_folded_call_is_recorded_not_folded(void)
{
    test_reset();
    fold_after(4, 0);
    xray_begin_segment("faulty");
    for (int i = 0; i < 10; i++)
        XRAY_CAPTURE_BLOCK("hot") {
            if (i == 7) {
                xray_add_fault_flag(xray_current_subsegment());
                xray_put_annotation(xray_current_subsegment(), "attempt", i);
            }
        }
    xray_end_segment();
    defaults();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    tally t = count_all("hot");
    CU_ASSERT_EQUAL(t.recorded, 5);
    CU_ASSERT_EQUAL(t.folded, 5);
    int faults = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(L.docs[0], "subsegments"))
        if (cJSON_IsTrue(cJSON_GetObjectItem(e, "fault"))) {
            faults++;
            CU_ASSERT_FALSE(is_summary(e));
            CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "annotations"), "attempt")->valueint, 7);
        }
    CU_ASSERT_EQUAL(faults, 1);
}

/* Manual subsegments and library calls are never folded. */
static void test_manual_subsegments_are_never_folded(void)
{
    test_reset();
    fold_after(2, 0);
    xray_begin_segment("manual");
    for (int i = 0; i < 10; i++) {
        xray_begin_subsegment("by_hand");
        xray_end_subsegment();
    }
    xray_end_segment();
    defaults();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    tally t = count_all("by_hand");
    CU_ASSERT_EQUAL(t.recorded, 10);
    CU_ASSERT_EQUAL(t.summaries, 0);
}

static void *handed(void *ctx)
{
    xray_context_set(ctx);
    calls(100);
    xray_context_set(NULL);
    return NULL;
}

/* The owner folds; threads it hands the segment to record (and everything adds up). */
static void test_threads_in_a_handed_segment_account_for_every_call(void)
{
    test_reset();
    defaults();
    xray_begin_segment("handed");
    xray_entity *ctx = xray_context_get();
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, handed, ctx);
    calls(1000);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    xray_end_segment();
    collect();
    tally t = count_all("hot");
    CU_ASSERT_EQUAL(t.recorded + t.folded, 1300);
    CU_ASSERT_EQUAL(t.recorded, 64 + 300);
}

static void test_short_calls_are_folded_by_the_time_filter(void)
{
    test_reset();
    fold_after(64, 1000); /* 1 ms */
    xray_begin_segment("filtered");
    for (int i = 0; i < 20; i++)
        XRAY_CAPTURE_BLOCK("hot") {
            if (i % 5 == 0)
                usleep(2000);
        }
    xray_end_segment();
    defaults();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    tally t = count_all("hot");
    CU_ASSERT_EQUAL(t.recorded, 4);  /* the slow ones */
    CU_ASSERT_EQUAL(t.folded, 16);
}

static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* A million calls of one captured block in one segment, every setting at its default. */
static void test_a_million_calls_at_the_defaults_make_one_readable_document(void)
{
    test_reset();
    defaults();
    FILE *r = fopen("/proc/self/clear_refs", "w"); /* a fresh peak window */
    if (r) {
        fputs("5", r);
        fclose(r);
    }
    long before = vm_hwm_kib();
    xray_begin_segment("million");
    calls(1000000);
    xray_end_segment();
    long grew = vm_hwm_kib() - before;
    collect();
    CU_ASSERT_TRUE(L.ndocs >= 1 && L.ndocs <= 100);
    CU_ASSERT_TRUE(L.largest <= 64000);
    tally t = count_all("hot");
    CU_ASSERT_EQUAL(t.recorded + t.folded, 1000000);
    CU_ASSERT_EQUAL(t.recorded, 64);
    CU_ASSERT_TRUE(grew <= 32 * 1024);
    for (size_t i = 0; i < L.ndocs; i++)
        CU_ASSERT_PTR_NULL(doc_problem(L.docs[i]));
}

void register_fold(void)
{
    CU_pSuite s = CU_add_suite("fold", NULL, NULL);
    ADD(s, test_the_kth_call_is_the_last_recorded_one);
    ADD(s, test_a_summary_spans_its_folded_calls_with_their_durations);
    ADD(s, test_calls_inside_a_folded_call_fold_under_it);
    ADD(s, test_each_parent_has_its_own_count);
    ADD(s, test_a_fault_in_a_folded_call_is_recorded_not_folded);
    ADD(s, test_manual_subsegments_are_never_folded);
    ADD(s, test_threads_in_a_handed_segment_account_for_every_call);
    ADD(s, test_short_calls_are_folded_by_the_time_filter);
    ADD(s, test_a_million_calls_at_the_defaults_make_one_readable_document);
}
