/* test_process.c — fork(): the child starts without the parent's open segment, with fresh ids
 * and a working emitter; the parent's segment is sent once, by the parent. */
#include "harness.h"

#include <stdio.h>

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_forked_child_starts_without_the_parents_segment(void)
{
#ifdef __SANITIZE_THREAD__
    /* The child starts its own emission thread, which ThreadSanitizer cannot follow after a
     * multi-threaded fork; the plain and ASan builds run it. */
    printf("skipped under ThreadSanitizer ");
    return;
#endif
    test_reset();
    xray_begin_segment("parent");
    xray_begin_subsegment("before_fork");
    pid_t pid = fork();
    if (pid == 0) {
        int ok = xray_current_segment() == NULL && xray_current_subsegment() == NULL;
        xray_begin_segment("child");
        xray_begin_subsegment("child_work");
        xray_end_subsegment();
        xray_end_segment();
        xray_recorder_flush(); /* _exit runs no exit handler */
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    xray_end_subsegment();
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 2);
    cJSON *parent = listener_find(&L, "parent"), *child = listener_find(&L, "child");
    CU_ASSERT_PTR_NOT_NULL_FATAL(parent);
    CU_ASSERT_PTR_NOT_NULL_FATAL(child);
    CU_ASSERT_EQUAL(listener_count(&L, "before_fork"), 1);
    CU_ASSERT_STRING_NOT_EQUAL(cJSON_GetObjectItem(parent, "trace_id")->valuestring,
                               cJSON_GetObjectItem(child, "trace_id")->valuestring);
    CU_ASSERT_STRING_NOT_EQUAL(cJSON_GetObjectItem(parent, "id")->valuestring,
                               cJSON_GetObjectItem(child, "id")->valuestring);
}

void register_process(void)
{
    CU_pSuite s = CU_add_suite("process", NULL, NULL);
    ADD(s, test_forked_child_starts_without_the_parents_segment);
}
