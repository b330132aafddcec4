/* test_emit_file.c — the emitter list and the JSON Lines file emitter: one document per line,
 * beside UDP, chosen from the environment; unwritable files and failed writes are counted. */
#include "emit_sink.h"
#include "harness.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_bad_emitter_lists_are_refused_with_the_reason(void)
{
    test_reset();
    const char *bad[] = {"bogus", "file:", "otlp:ftp://collector", "none,udp", "", " , ",
                         "udp,file:/a,file:/b", "otlp:http://a:4318,otlp:http://b:4318",
                         "xray"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        log_reset();
        xray_config c = XRAY_CONFIG_INIT;
        c.emitters = bad[i];
        CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "xray_config.emitters="));
    }
    /* The previous set (udp) still works. */
    send_segments(1, 0);
    CU_ASSERT_EQUAL(collect(), 1);
}

static void test_none_sends_nothing(void)
{
    test_reset();
    use_emitters("none", 0);
    stats_mark();
    send_segments(3, 2);
    stats_delta();
    CU_ASSERT_EQUAL(collect(), 0);
    CU_ASSERT_EQUAL(delta_sent, 3);
    restore_emitters();
}

static size_t file_lines(const char *path, size_t *bad, size_t *entities)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    *bad = *entities = 0;
    if (!f)
        return 0;
    static char line[70000];
    while (fgets(line, sizeof line, f)) {
        n++;
        cJSON *d = cJSON_Parse(line);
        if (!d || line[strlen(line) - 1] != '\n' || !entity_valid(d, 1))
            (*bad)++;
        else
            *entities += count_tree(d);
        cJSON_Delete(d);
    }
    fclose(f);
    return n;
}

static void test_file_emitter_writes_one_document_per_line_alongside_udp(void)
{
    test_reset();
    char path[] = "/tmp/xraycap-lines-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char emitters[100];
    snprintf(emitters, sizeof emitters, "udp, file:%s", path);
    use_emitters(emitters, 0);
    send_segments(5, 40); /* 40 > threshold: streamed subsegment documents too */
    xray_recorder_flush();
    size_t bad, entities;
    size_t lines = file_lines(path, &bad, &entities); /* written at each segment's end */
    CU_ASSERT_TRUE(lines > 5);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(entities, 5 * 41);
    CU_ASSERT_EQUAL(collect(), lines); /* the daemon got the same documents */
    restore_emitters();
    unlink(path);
}

static void test_unwritable_file_is_reported_and_counted(void)
{
    test_reset();
    use_emitters("file:/nonexistent-dir/x.jsonl", 0);
    stats_mark();
    send_segments(2, 0);
    stats_delta();
    CU_ASSERT_EQUAL(delta_dropped, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "cannot open /nonexistent-dir/x.jsonl"));
    restore_emitters();
}

static void test_failed_writes_count_every_line_lost(void)
{
    test_reset();
    char path[] = "/tmp/xraycap-count-XXXXXX"; /* how many documents the workload makes */
    int fd = mkstemp(path);
    close(fd);
    char emitters[100];
    snprintf(emitters, sizeof emitters, "file:%s", path);
    use_emitters(emitters, 0);
    stats_mark();
    send_segments(3, 40);
    stats_delta();
    size_t bad, entities;
    unsigned long long documents = file_lines(path, &bad, &entities);
    unlink(path);
    CU_ASSERT_EQUAL(delta_sent, documents);
    CU_ASSERT_TRUE(documents > 3); /* streamed pieces too */
    use_emitters("file:/dev/full", 0); /* opens, then every write fails with ENOSPC */
    stats_mark();
    send_segments(3, 40);
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 0);
    CU_ASSERT_EQUAL(delta_dropped, documents);
    CU_ASSERT_TRUE(delta_errors >= 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "writing /dev/full failed"));
    restore_emitters();
}

static void test_environment_chooses_the_emitter(void)
{
    char path[] = "/tmp/xraycap-env-XXXXXX", cmd[400], out[4096];
    int fd = mkstemp(path);
    close(fd);
    snprintf(cmd, sizeof cmd, "env AWS_XRAY_EMITTER=file:%s %s - 2>&1", path, PROBE);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    size_t bad, entities;
    CU_ASSERT_EQUAL(file_lines(path, &bad, &entities), 1);
    CU_ASSERT_EQUAL(entities, 2);
    unlink(path);
    snprintf(cmd, sizeof cmd, "env AWS_XRAY_EMITTER=carrier-pigeon %s - 2>&1", PROBE);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "AWS_XRAY_EMITTER=carrier-pigeon is refused: 'carrier-pigeon' is not "
                                       "an emitter"));
    /* A bare "otlp" takes the OpenTelemetry variables, checked the same way. */
    snprintf(cmd, sizeof cmd, "env -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT AWS_XRAY_EMITTER=otlp "
                              "OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318 %s - 2>&1", PROBE);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "'collector:4318/v1/traces', is not an http"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "enabled"));
}

void add_emit_file_tests(CU_pSuite s)
{
    ADD(s, test_bad_emitter_lists_are_refused_with_the_reason);
    ADD(s, test_none_sends_nothing);
    ADD(s, test_file_emitter_writes_one_document_per_line_alongside_udp);
    ADD(s, test_unwritable_file_is_reported_and_counted);
    ADD(s, test_failed_writes_count_every_line_lost);
    ADD(s, test_environment_chooses_the_emitter);
}
