/* test_misuse.c — the context-missing strategy: misuse is logged (rate-limited), ignored, or
 * aborts on request, and never breaks what is being traced correctly. */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void set_strategy(xray_context_missing cm)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.context_missing = cm;
    xray_recorder_configure(&c);
}

static void test_ending_without_a_segment_logs_and_goes_on(void)
{
    test_reset();
    xray_end_segment();
    CU_ASSERT_EQUAL(test_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "no segment is open"));
    CU_ASSERT_EQUAL(collect(), 0);
}

static void test_subsegment_without_segment_returns_null(void)
{
    test_reset();
    CU_ASSERT_PTR_NULL(xray_begin_subsegment("orphan"));
    xray_end_subsegment();
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_begin_subsegment('orphan'): no segment"));
    CU_ASSERT_EQUAL(collect(), 0);
}

static void test_null_entity_is_refused_with_no_context(void)
{
    test_reset();
    set_strategy(XRAY_CONTEXT_MISSING_IGNORE_ERROR);
    CU_ASSERT_EQUAL(xray_put_annotation(NULL, "k", "v"), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(xray_put_metadata(NULL, "k", cJSON_CreateTrue(), NULL), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(xray_put_metadata_json(NULL, "k", "1", NULL), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(xray_add_fault_flag(NULL), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(xray_put_http_request(NULL, "GET", "/"), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(xray_add_exception(NULL, "E", "m", false), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(xray_set_user(NULL, "u"), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

/* xray_put_annotation(xray_current_subsegment(), ...) with no subsegment open is the common
 * case: the message says what this thread does have open. */
static void test_null_entity_message_says_what_this_thread_has_open(void)
{
    test_reset();
    CU_ASSERT_EQUAL(xray_put_annotation(xray_current_subsegment(), "k", "v"), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_put_annotation: the entity is NULL, and no "
                                            "segment is open on this thread"));
    set_strategy(XRAY_CONTEXT_MISSING_LOG_ERROR); /* a fresh rate-limit window */
    log_reset();
    xray_begin_segment("orders");
    CU_ASSERT_EQUAL(xray_put_annotation(xray_current_subsegment(), "k", "v"), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "no subsegment is open on this thread (segment "
                                            "'orders' is; xray_current_segment() returns it)"));
    set_strategy(XRAY_CONTEXT_MISSING_LOG_ERROR);
    log_reset();
    xray_begin_subsegment("lookup");
    CU_ASSERT_EQUAL(xray_put_metadata_json(NULL, "k", "1", NULL), XRAY_ERR_NO_CONTEXT);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_put_metadata_json: the entity is NULL (on this "
                                            "thread 'lookup' is open"));
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 1);
}

static void test_extra_end_subsegment_leaves_the_segment_intact(void)
{
    test_reset();
    xray_begin_segment("seg");
    xray_begin_subsegment("a");
    xray_end_subsegment();
    xray_end_subsegment(); /* one too many */
    xray_begin_subsegment("b");
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_PTR_NOT_NULL(child_named(L.docs[0], "a"));
    CU_ASSERT_PTR_NOT_NULL(child_named(L.docs[0], "b"));
}

static void test_log_error_is_rate_limited(void)
{
    test_reset();
    for (int i = 0; i < 10000; i++)
        xray_end_segment();
    CU_ASSERT_TRUE(test_log_lines >= 1 && test_log_lines <= 2);
}

static void test_ignore_error_is_silent(void)
{
    test_reset();
    set_strategy(XRAY_CONTEXT_MISSING_IGNORE_ERROR);
    xray_end_segment();
    xray_begin_subsegment("x");
    xray_end_subsegment();
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

static void test_runtime_error_aborts_on_misuse(void)
{
    test_reset();
    pid_t pid = fork();
    if (pid == 0) {
        set_strategy(XRAY_CONTEXT_MISSING_RUNTIME_ERROR);
        xray_end_segment();
        _exit(0); /* not reached when the strategy works */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_runtime_error_does_not_abort_correct_use(void)
{
    test_reset();
    pid_t pid = fork();
    if (pid == 0) {
        set_strategy(XRAY_CONTEXT_MISSING_RUNTIME_ERROR);
        xray_begin_segment("fine");
        xray_begin_subsegment("sub");
        xray_end_subsegment();
        xray_end_segment();
        xray_recorder_flush(); /* _exit runs no exit handler */
        _exit(7);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    CU_ASSERT_EQUAL(collect(), 1);
}

static void test_manual_end_does_not_close_a_captured_block(void)
{
    test_reset();
    xray_begin_segment("seg");
    XRAY_CAPTURE_BLOCK("block") {
        xray_end_subsegment(); /* misuse: the block is not a manual subsegment */
        CU_ASSERT_STRING_EQUAL(xray_current_subsegment() ? "open" : "closed", "open");
    }
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_PTR_NOT_NULL(child_named(L.docs[0], "block"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "belongs to a captured function or block"));
}

void register_misuse(void)
{
    CU_pSuite s = CU_add_suite("misuse", NULL, NULL);
    ADD(s, test_ending_without_a_segment_logs_and_goes_on);
    ADD(s, test_subsegment_without_segment_returns_null);
    ADD(s, test_null_entity_is_refused_with_no_context);
    ADD(s, test_null_entity_message_says_what_this_thread_has_open);
    ADD(s, test_extra_end_subsegment_leaves_the_segment_intact);
    ADD(s, test_log_error_is_rate_limited);
    ADD(s, test_ignore_error_is_silent);
    ADD(s, test_runtime_error_aborts_on_misuse);
    ADD(s, test_runtime_error_does_not_abort_correct_use);
    ADD(s, test_manual_end_does_not_close_a_captured_block);
}
