/* test_threads.c — every thread has its own context: 8 threads × 1000 subsegments arrive
 * exactly once, each in its own thread's segment. Run under TSan by `make check`. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 8
#define PER_THREAD 1000

static void *worker(void *arg)
{
    int n = (int)(long)arg;
    char name[32];
    snprintf(name, sizeof name, "thread_%d", n);
    xray_begin_segment(name);
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(name, sizeof name, "t%d_work", n);
        xray_begin_subsegment(name);
        if (i % 100 == 0)
            xray_put_annotation(xray_current_subsegment(), "i", i);
        XRAY_CAPTURE_BLOCK("inner") {}
        xray_end_subsegment();
    }
    xray_end_segment();
    return NULL;
}

static void test_eight_threads_keep_their_subsegments_apart(void)
{
    test_reset();
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    collect();
    CU_ASSERT_EQUAL(L.bad, 0);
    for (int n = 0; n < THREADS; n++) {
        char seg[32], work[32];
        snprintf(seg, sizeof seg, "thread_%d", n);
        snprintf(work, sizeof work, "t%d_work", n);
        CU_ASSERT_EQUAL(listener_count(&L, seg), 1);
        CU_ASSERT_EQUAL(listener_count(&L, work), PER_THREAD);
        /* Every document holding this thread's work belongs to this thread's trace. */
        const char *trace = cJSON_GetObjectItem(listener_find(&L, seg), "trace_id")->valuestring;
        for (size_t d = 0; d < L.ndocs; d++)
            if (find_entity(L.docs[d], work))
                CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[d], "trace_id")->valuestring, trace);
    }
    CU_ASSERT_EQUAL(listener_count(&L, "inner"), THREADS * PER_THREAD);
}

static void *leave_open(void *arg)
{
    (void)arg;
    xray_begin_segment("abandoned");
    xray_begin_subsegment("unfinished");
    return NULL;
}

static void test_thread_exit_sends_the_segment_it_left_open(void)
{
    test_reset();
    pthread_t t;
    pthread_create(&t, NULL, leave_open, NULL);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *sub = listener_find(&L, "unfinished");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(sub, "end_time"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "thread exited with segment 'abandoned' open"));
}

void register_threads(void)
{
    CU_pSuite s = CU_add_suite("threads", NULL, NULL);
    ADD(s, test_eight_threads_keep_their_subsegments_apart);
    ADD(s, test_thread_exit_sends_the_segment_it_left_open);
}
