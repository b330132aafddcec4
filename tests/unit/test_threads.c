/* test_threads.c — every thread has its own context: 8 threads × 1000 subsegments arrive
 * exactly once, each in its own thread's segment. Run under TSan by `make check`. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define THREADS 8

void register_threads_handoff(void);
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

/* Ended segments are written, sent and freed by the emission thread; their memory goes back
 * to the thread that made them, which may have exited by then. */
static void *short_lived(void *arg)
{
    (void)arg;
    for (int k = 0; k < 50; k++) {
        xray_begin_segment("handed_over");
        for (int i = 0; i < 20; i++) {
            xray_put_annotation(xray_begin_subsegment("piece"), "i", i);
            xray_end_subsegment();
        }
        xray_end_segment();
    }
    return NULL; /* exits with segments of its own still waiting to be sent */
}

static void test_segments_ended_on_exiting_threads_arrive_whole(void)
{
    test_reset();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, short_lived, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    xray_recorder_flush();
    CU_ASSERT_EQUAL(collect(), 200);
    CU_ASSERT_EQUAL(listener_count(&L, "handed_over"), 200);
    CU_ASSERT_EQUAL(listener_count(&L, "piece"), 200 * 20);
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
    ADD(s, test_segments_ended_on_exiting_threads_arrive_whole);
    register_threads_handoff();
}

/* ---- contexts handed to worker threads ---- */

static xray_entity *handed;

static void *adopt_and_work(void *arg)
{
    long n = (long)arg;
    xray_context_set(handed);
    for (int i = 0; i < PER_THREAD; i++) {
        if (i & 1) {
            XRAY_CAPTURE_BLOCK("worker_block") {}
        } else {
            xray_begin_subsegment("worker_manual");
            if (i == 0)
                xray_put_annotation(xray_current_subsegment(), "worker", (double)n);
            xray_end_subsegment();
        }
    }
    xray_context_set(NULL);
    return NULL;
}

static void test_context_handed_to_eight_threads_nests_their_work(void)
{
    test_reset();
    xray_begin_segment("fan_out");
    xray_begin_subsegment("dispatch");
    handed = xray_context_get();
    CU_ASSERT_PTR_EQUAL(handed, xray_current_subsegment());
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, adopt_and_work, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    xray_end_subsegment();
    xray_end_segment();
    collect();
    CU_ASSERT_EQUAL(L.bad, 0);
    CU_ASSERT_EQUAL(listener_count(&L, "worker_block"), THREADS * PER_THREAD / 2);
    CU_ASSERT_EQUAL(listener_count(&L, "worker_manual"), THREADS * PER_THREAD / 2);
    CU_ASSERT_EQUAL(listener_count(&L, "fan_out"), 1);
    /* every worker subsegment is a child of "dispatch": nested in it, or sent with its id */
    const char *dispatch_id = cJSON_GetObjectItem(listener_find(&L, "dispatch"), "id")->valuestring;
    const char *trace = cJSON_GetObjectItem(listener_find(&L, "fan_out"), "trace_id")->valuestring;
    size_t under = cJSON_GetArraySize(cJSON_GetObjectItem(listener_find(&L, "dispatch"), "subsegments"));
    for (size_t d = 0; d < L.ndocs; d++) {
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(L.docs[d], "trace_id")->valuestring, trace);
        cJSON *pid = cJSON_GetObjectItem(L.docs[d], "parent_id");
        if (cJSON_IsString(pid) && cJSON_GetObjectItem(L.docs[d], "type")) {
            CU_ASSERT_STRING_EQUAL(pid->valuestring, dispatch_id);
            under++;
        }
    }
    CU_ASSERT_EQUAL(under, THREADS * PER_THREAD);
}

static pthread_barrier_t adopted, segment_ended;

static void *late_worker(void *arg)
{
    (void)arg;
    xray_context_set(handed);
    xray_begin_subsegment("late");
    pthread_barrier_wait(&adopted);
    pthread_barrier_wait(&segment_ended);
    xray_end_subsegment();
    xray_context_set(NULL);
    return NULL;
}

static void test_segment_waits_for_threads_still_working_in_it(void)
{
    test_reset();
    xray_begin_segment("waits");
    handed = xray_context_get();
    pthread_barrier_init(&adopted, NULL, 2);
    pthread_barrier_init(&segment_ended, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, late_worker, NULL);
    pthread_barrier_wait(&adopted);
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 0); /* the worker is still inside */
    pthread_barrier_wait(&segment_ended);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&adopted);
    pthread_barrier_destroy(&segment_ended);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_PTR_NOT_NULL(child_named(listener_find(&L, "waits"), "late"));
}

static void *misuse_worker(void *arg)
{
    (void)arg;
    xray_context_set(handed);
    xray_end_segment(); /* not this thread's segment */
    xray_context_set(NULL);
    return NULL;
}

static void test_worker_cannot_end_a_handed_segment(void)
{
    test_reset();
    xray_begin_segment("owned");
    handed = xray_context_get();
    pthread_t t;
    pthread_create(&t, NULL, misuse_worker, NULL);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(collect(), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "the thread that began the segment ends it"));
    xray_end_segment();
    CU_ASSERT_EQUAL(collect(), 1);
}

void register_threads_handoff(void)
{
    CU_pSuite s = CU_add_suite("threads_handoff", NULL, NULL);
    ADD(s, test_context_handed_to_eight_threads_nests_their_work);
    ADD(s, test_segment_waits_for_threads_still_working_in_it);
    ADD(s, test_worker_cannot_end_a_handed_segment);
}
