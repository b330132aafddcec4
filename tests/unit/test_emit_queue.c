/* test_emit_queue.c — the HTTP emitters' queue when the destination is down, refusing, failing
 * or hanging (the program goes on; every document is delivered or counted as dropped), at
 * process exit, and in a forked child. Also registers the "emitters" suite. */
#include "emit_sink.h"
#include "harness.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The largest number of times one request body was sent, and the smallest. */
static void tries_per_body(int *most, int *least)
{
    int n = cJSON_GetArraySize(the_sink.bodies);
    *most = 0;
    *least = n ? 1 << 30 : 0;
    for (int i = 0; i < n; i++) {
        char *a = cJSON_PrintUnformatted(cJSON_GetArrayItem(the_sink.bodies, i));
        int same = 0;
        for (int j = 0; j < n; j++) {
            char *b = cJSON_PrintUnformatted(cJSON_GetArrayItem(the_sink.bodies, j));
            same += !strcmp(a, b);
            cJSON_free(b);
        }
        cJSON_free(a);
        *most = same > *most ? same : *most;
        *least = same < *least ? same : *least;
    }
}

/* The destination fails in mode m: the program goes on, everything is counted as dropped,
 * and no batch is tried more often than `tries` (the first one exactly that often). */
static void failing_destination(const char *emitters, mode m, int tries)
{
    test_reset();
    sink_start(m);
    xray_api_env();
    char e[200];
    snprintf(e, sizeof e, emitters, H.port);
    use_emitters(e, m == HANG ? 300 : 3000);
    stats_mark();
    send_segments(10, 1);
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 0);
    CU_ASSERT_EQUAL(delta_dropped, 10);
    int most, least;
    tries_per_body(&most, &least);
    CU_ASSERT_TRUE(sink_requests() >= 1);
    CU_ASSERT_EQUAL(most, tries);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, " emitter: "));
    restore_emitters();
}

static void test_xray_api_gives_up_after_five_tries_on_500(void)
{
    failing_destination("xray-api", FAIL_500, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "answered 500"));
}

static void test_xray_api_gives_up_after_five_tries_on_429(void)
{
    failing_destination("xray-api", FAIL_429, 5);
}

static void test_xray_api_does_not_retry_a_refusal(void)
{
    failing_destination("xray-api", REFUSE_403, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "security token"));
}

static void test_otlp_hanging_collector_is_abandoned_at_the_deadline(void)
{
    failing_destination("otlp:http://127.0.0.1:%d", HANG, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "flush deadline (300 ms) passed"));
}

static void test_otlp_collector_down_drops_and_counts(void)
{
    /* A port nobody listens on: connections are refused. */
    test_reset();
    char e[100];
    snprintf(e, sizeof e, "otlp:http://127.0.0.1:%d", fake_http_free_port());
    use_emitters(e, 3000);
    stats_mark();
    send_segments(4, 0);
    xray_recorder_shutdown();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 0);
    CU_ASSERT_EQUAL(delta_dropped, 4);
    CU_ASSERT_TRUE(delta_errors >= 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "Couldn't connect"));
    restore_emitters();
}

static void test_full_queue_drops_and_counts_without_blocking(void)
{
    test_reset();
    sink_start(HANG);
    char e[100];
    snprintf(e, sizeof e, "otlp:http://%s", H.address);
    use_emitters(e, 200);
    stats_mark();
    send_segments(5000, 0); /* more than the queue holds while the collector hangs */
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent + delta_dropped, 5000);
    CU_ASSERT_TRUE(delta_dropped >= 5000 - 4096 - 50);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "queue full"));
    restore_emitters();
}

/* The emission thread held up (here: inside the program's log sink, as a slow sink would hold
 * it): ending segments never waits; past the queue's 1,024 segments they are dropped whole,
 * counted, and the count reaches the next document that goes out. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int held, released; /* the emission thread is in the sink / may leave it */

static void holding_log(xray_log_level level, const char *line, void *ctx)
{
    if (!strstr(line, "does not fit")) {
        capture_log(level, line, ctx); /* the harness's sink */
        return;
    }
    pthread_mutex_lock(&hold_lock);
    held = 1;
    pthread_cond_broadcast(&hold_cond);
    while (!released)
        pthread_cond_wait(&hold_cond, &hold_lock);
    pthread_mutex_unlock(&hold_lock);
}

static void test_full_emission_queue_drops_whole_segments_and_reports_them(void)
{
    test_reset();
    char path[] = "/tmp/xraycap-fullq-XXXXXX", emitters[64];
    int fd = mkstemp(path);
    close(fd);
    snprintf(emitters, sizeof emitters, "file:%s", path); /* a file: a UDP socket's buffer
                                                              would not hold a queue's worth */
    xray_config c = XRAY_CONFIG_INIT;
    c.log_fn = holding_log;
    c.emitters = emitters;
    xray_recorder_configure(&c);
    xray_stats before, after;
    xray_recorder_stats(&before);
    held = released = 0;
    /* A subsegment whose own fields cannot fit one document: its drop is logged on the
     * emission thread, which the sink then holds. */
    xray_begin_segment("blocker");
    xray_entity *big = xray_begin_subsegment("big");
    char key[501], value[1001];
    memset(value, 'v', 1000);
    value[1000] = '\0';
    for (int i = 0; i < 50; i++) {
        memset(key, 'k', 500);
        key[500] = '\0';
        key[0] = (char)('a' + i / 10); /* 50 different keys of 500 characters */
        key[1] = (char)('0' + i % 10);
        CU_ASSERT_EQUAL(xray_put_annotation(big, key, value), XRAY_OK);
    }
    xray_end_subsegment();
    xray_end_segment();
    pthread_mutex_lock(&hold_lock);
    while (!held)
        pthread_cond_wait(&hold_cond, &hold_lock);
    pthread_mutex_unlock(&hold_lock);

    for (int i = 0; i < 1024 + 10; i++) {
        xray_begin_segment("queued");
        xray_end_segment(); /* never waits */
    }
    pthread_mutex_lock(&hold_lock);
    released = 1;
    pthread_cond_broadcast(&hold_cond);
    pthread_mutex_unlock(&hold_lock);
    xray_recorder_stats(&after); /* (waits for the emission thread) */
    /* 10 segments past the queue, and the big subsegment's document */
    CU_ASSERT_EQUAL(after.documents_dropped - before.documents_dropped, 11);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char *line = NULL;
    size_t cap = 0, lines = 0;
    long reported = 0;
    while (getline(&line, &cap, f) > 0) {
        lines++;
        cJSON *d = cJSON_Parse(line);
        cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "metadata"), "xraycap");
        cJSON *n = cJSON_GetObjectItem(x, "dropped_segments");
        reported += n ? (long)n->valuedouble : 0;
        cJSON_Delete(d);
    }
    free(line);
    fclose(f);
    unlink(path);
    CU_ASSERT_EQUAL(lines, 1024 + 1); /* the queued segments, and the blocker */
    CU_ASSERT_EQUAL(reported, 10);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "emission queue full"));
    test_reset();
}

static void test_process_exit_flushes_the_http_queue(void)
{
    sink_start(OK);
    char cmd[400], out[4096];
    snprintf(cmd, sizeof cmd, "env AWS_XRAY_EMITTER=otlp:http://%s/v1/traces %s - 2>&1",
             H.address, PROBE);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    sink_stop();
    cJSON *spans = all_spans();
    CU_ASSERT_EQUAL(cJSON_GetArraySize(spans), 2);
    CU_ASSERT_PTR_NOT_NULL(span_named(spans, "probe_sub"));
    cJSON_Delete(spans);
}

static void test_forked_child_sends_its_own_documents(void)
{
#ifdef __SANITIZE_THREAD__
    /* ThreadSanitizer cannot start threads in the child of a multi-threaded fork. */
    printf("skipped under ThreadSanitizer ");
    return;
#endif
    test_reset();
    sink_start(OK);
    char e[100];
    snprintf(e, sizeof e, "otlp:http://%s", H.address);
    use_emitters(e, 5000);
    xray_begin_segment("before-fork");
    xray_end_segment(); /* the emitter thread is running now */
    pid_t pid = fork();
    if (pid == 0) {
        xray_begin_segment("in-child");
        xray_end_segment();
        exit(0); /* the child's exit flushes the child's queue */
    }
    int status;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    xray_begin_segment("after-fork");
    xray_end_segment();
    xray_recorder_shutdown();
    sink_stop();
    cJSON *spans = all_spans();
    CU_ASSERT_EQUAL(cJSON_GetArraySize(spans), 3);
    CU_ASSERT_PTR_NOT_NULL(span_named(spans, "before-fork"));
    CU_ASSERT_PTR_NOT_NULL(span_named(spans, "in-child"));
    CU_ASSERT_PTR_NOT_NULL(span_named(spans, "after-fork"));
    cJSON_Delete(spans);
    restore_emitters();
}

static void test_bad_endpoint_and_numbers_in_the_environment_are_reported(void)
{
    test_reset();
    setenv("AWS_ENDPOINT_URL_XRAY", "ftp://example.com", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    use_emitters("xray-api", 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "endpoint 'ftp://example.com' is not an http(s) URL"));
    restore_emitters();
    xray_config c = XRAY_CONFIG_INIT;
    c.flush_timeout_ms = 700000;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_config.flush_timeout_ms=700000 is not a whole number from 0 to 600000"));
    char cmd[400], out[4096];
    snprintf(cmd, sizeof cmd, "env XRAYCAP_STREAMING_THRESHOLD=lots XRAYCAP_MAX_SUBSEGMENTS=0 "
                              "XRAYCAP_FLUSH_TIMEOUT_MS=-1 %s - 2>&1", PROBE);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "XRAYCAP_STREAMING_THRESHOLD=lots is not a whole number"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "XRAYCAP_MAX_SUBSEGMENTS=0 is not a whole number from 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "XRAYCAP_FLUSH_TIMEOUT_MS=-1 is not a whole number"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "enabled")); /* and the program ran as usual */
}

void add_emit_queue_tests(CU_pSuite s)
{
    ADD(s, test_xray_api_gives_up_after_five_tries_on_500);
    ADD(s, test_xray_api_gives_up_after_five_tries_on_429);
    ADD(s, test_xray_api_does_not_retry_a_refusal);
    ADD(s, test_otlp_hanging_collector_is_abandoned_at_the_deadline);
    ADD(s, test_otlp_collector_down_drops_and_counts);
    ADD(s, test_full_queue_drops_and_counts_without_blocking);
    ADD(s, test_full_emission_queue_drops_whole_segments_and_reports_them);
    ADD(s, test_process_exit_flushes_the_http_queue);
    ADD(s, test_forked_child_sends_its_own_documents);
    ADD(s, test_bad_endpoint_and_numbers_in_the_environment_are_reported);
}

void register_emitters(void)
{
    CU_pSuite s = CU_add_suite("emitters", NULL, NULL);
    add_emit_file_tests(s);
    add_emit_xray_api_tests(s);
    add_emit_otlp_tests(s);
    add_emit_queue_tests(s);
    ADD(s, sink_free);
}
