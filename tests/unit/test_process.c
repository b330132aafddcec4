/* test_process.c — fork(): the child starts without the parent's open segment, with fresh ids
 * and a working emitter; the parent's segment is sent once, by the parent; a child forked while
 * another thread symbolizes does not wait for that thread's lock. */
#include "emit/symbolize.h"
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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

static _Atomic bool symbolizing;

/* Symbolizes without pause, so that a fork often finds this thread inside the symbolizer. */
static void *symbolize_all_along(void *arg)
{
    (void)arg;
    while (symbolizing) {
        xrc_frame f;
        xrc_symbolize((const void *)symbolize_all_along, false, &f);
    }
    return NULL;
}

/* Hundreds of children forked while another thread symbolizes: each can symbolize in turn and
 * exits; none waits for the parent's lock (a child that hangs is ended by its alarm). */
static void test_children_forked_while_symbolizing_never_hang(void)
{
#ifdef __SANITIZE_THREAD__
    printf("skipped under ThreadSanitizer ");
    return;
#endif
    test_reset();
    xray_begin_segment("parent"); /* the recorder and its atfork handler set up */
    xray_end_segment();
    xrc_frame first;
    xrc_symbolize((const void *)symbolize_all_along, false, &first);
    symbolizing = true;
    pthread_t t;
    pthread_create(&t, NULL, symbolize_all_along, NULL);
    int exited = 0, forks = 300;
    for (int i = 0; i < forks && i - exited < 3; i++) { /* three hung: failed, no need to go on */
        pid_t pid = fork();
        if (pid == 0) {
            alarm(5); /* a child takes milliseconds; one waiting for the lock, for ever */
            xrc_frame f;
            xrc_symbolize((const void *)symbolize_all_along, false, &f);
            _exit(strcmp(f.label, first.label) ? 4 : 0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        exited += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    symbolizing = false;
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(exited, forks);
    collect();
}

void register_process(void)
{
    CU_pSuite s = CU_add_suite("process", NULL, NULL);
    ADD(s, test_forked_child_starts_without_the_parents_segment);
    ADD(s, test_children_forked_while_symbolizing_never_hang);
}
