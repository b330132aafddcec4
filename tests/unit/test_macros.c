/* test_macros.c — XRAY_CAPTURE_BLOCK and XRAY_CAPTURE_SCOPE close on every way out, and leave
 * control flow and errno exactly as they would be without tracing. */
#include "harness.h"

#include <errno.h>
#include <string.h>

static int block_with_return(int early)
{
    XRAY_CAPTURE_BLOCK("returns") {
        if (early)
            return 1;
    }
    return 2;
}

static int block_with_goto(void)
{
    int r = 0;
    XRAY_CAPTURE_BLOCK("jumps") {
        XRAY_CAPTURE_BLOCK("inner") {
            goto out;
        }
        r = 99; /* skipped */
    }
out:
    return r;
}

static void test_block_closes_on_fall_through_and_return(void)
{
    test_reset();
    xray_begin_segment("seg");
    CU_ASSERT_EQUAL(block_with_return(0), 2);
    CU_ASSERT_EQUAL(block_with_return(1), 1);
    CU_ASSERT_PTR_NULL(xray_current_subsegment());
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_EQUAL(listener_count(&L, "returns"), 2);
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(L.docs[0], "subsegments"))
        CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(c, "end_time"));
}

static void test_goto_out_of_nested_blocks_closes_both(void)
{
    test_reset();
    xray_begin_segment("seg");
    CU_ASSERT_EQUAL(block_with_goto(), 0);
    CU_ASSERT_PTR_NULL(xray_current_subsegment());
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *outer = child_named(L.docs[0], "jumps");
    CU_ASSERT_PTR_NOT_NULL_FATAL(outer);
    CU_ASSERT_PTR_NOT_NULL(child_named(outer, "inner"));
}

static void test_break_and_continue_leave_only_the_block(void)
{
    test_reset();
    xray_begin_segment("seg");
    int iterations = 0, after_break = 0;
    for (int i = 0; i < 3; i++) {
        iterations++;
        XRAY_CAPTURE_BLOCK("body") {
            if (i == 0)
                continue; /* leaves the block, not the loop */
            break;        /* leaves the block, not the loop */
        }
        after_break++;
    }
    CU_ASSERT_EQUAL(iterations, 3);
    CU_ASSERT_EQUAL(after_break, 3);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_EQUAL(listener_count(&L, "body"), 3);
}

static void test_scope_traces_to_the_end_of_the_enclosing_scope(void)
{
    test_reset();
    xray_begin_segment("seg");
    int seen = 0;
    for (int i = 0; i < 4; i++) {
        XRAY_CAPTURE_SCOPE("iteration");
        if (i == 1)
            continue; /* ends this iteration's subsegment, goes on with the loop */
        if (i == 3)
            break;
        seen++;
        xray_begin_subsegment("inside");
        xray_end_subsegment();
    }
    CU_ASSERT_EQUAL(seen, 2);
    CU_ASSERT_PTR_NULL(xray_current_subsegment());
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_EQUAL(listener_count(&L, "iteration"), 4);
    cJSON *c;
    int with_child = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(L.docs[0], "subsegments"))
        with_child += child_named(c, "inside") != NULL;
    CU_ASSERT_EQUAL(with_child, 2);
}

static void test_blocks_without_a_segment_run_normally(void)
{
    test_reset();
    xray_config c = XRAY_CONFIG_INIT;
    c.context_missing = XRAY_CONTEXT_MISSING_IGNORE_ERROR;
    xray_recorder_configure(&c);
    int ran = 0;
    XRAY_CAPTURE_BLOCK("no_segment") { ran++; }
    { XRAY_CAPTURE_SCOPE("no_segment_scope"); ran++; }
    CU_ASSERT_EQUAL(ran, 2);
    CU_ASSERT_EQUAL(collect(), 0);
}

static void test_errno_is_unchanged_by_every_call(void)
{
    test_reset();
    errno = EILSEQ;
    xray_entity *seg = xray_begin_segment("seg");
    CU_ASSERT_EQUAL(errno, EILSEQ);
    XRAY_CAPTURE_BLOCK("b") {
        errno = ENOENT;
    }
    CU_ASSERT_EQUAL(errno, ENOENT);
    errno = EILSEQ;
    xray_put_annotation(seg, "bad key", "x");
    xray_put_metadata_json(seg, "k", "{", NULL);
    xray_add_exception(seg, "E", "m", true);
    xray_begin_subsegment("s");
    xray_end_subsegment();
    CU_ASSERT_EQUAL(errno, EILSEQ);
    xray_end_segment();
    xray_end_segment(); /* misuse, logged */
    CU_ASSERT_EQUAL(errno, EILSEQ);
    collect();
}

void register_macros(void)
{
    CU_pSuite s = CU_add_suite("macros", NULL, NULL);
    ADD(s, test_block_closes_on_fall_through_and_return);
    ADD(s, test_goto_out_of_nested_blocks_closes_both);
    ADD(s, test_break_and_continue_leave_only_the_block);
    ADD(s, test_scope_traces_to_the_end_of_the_enclosing_scope);
    ADD(s, test_blocks_without_a_segment_run_normally);
    ADD(s, test_errno_is_unchanged_by_every_call);
}
