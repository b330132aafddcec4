/* xray_api.c — the xray-api emitter against independent checkers: a PutTraceSegments stand-in
 * that recomputes every SigV4 signature with Debian's botocore (python3-botocore) and checks
 * each batch, and, where the machine has it, moto_server's X-Ray API, read back with
 * BatchGetTraces. Each part is skipped, saying so, when its checker is missing. */
#include "../common/support.h"
#include <CUnit/Basic.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>

#ifndef ROOT
#define ROOT "."
#endif

#define KEY "AKIDXRAYCAPE2E"
#define SECRET "c2lnbmF0dXJlLXNlY3JldA"

typedef struct server {
    pid_t pid;
    FILE *out;
    int port;
} server;

/* Starts argv with stdout on a pipe; the first line must be "PORT n". */
static int start(server *s, char *const argv[])
{
    int fds[2];
    if (pipe(fds))
        return 0;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    s->out = fdopen(fds[0], "r");
    char line[100];
    return fgets(line, sizeof line, s->out) && sscanf(line, "PORT %d", &s->port) == 1;
}

static void stop(server *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
}

/* Reads the verdict lines up to EOF (after stop): counts documents accepted, keeps the
 * first complaint. */
static int verdicts(server *s, char *bad, size_t badlen)
{
    char line[8192];
    int docs = 0, n;
    bad[0] = '\0';
    while (fgets(line, sizeof line, s->out)) {
        if (sscanf(line, "OK docs=%d", &n) == 1)
            docs += n;
        else if (!bad[0])
            snprintf(bad, badlen, "%s", line);
    }
    fclose(s->out);
    return docs;
}

static void use_api(int port, const char *secret, const char *token)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("AWS_ENDPOINT_URL_XRAY", url, 1);
    setenv("AWS_REGION", "eu-central-1", 1);
    setenv("AWS_ACCESS_KEY_ID", KEY, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
    if (token)
        setenv("AWS_SESSION_TOKEN", token, 1);
    else
        unsetenv("AWS_SESSION_TOKEN");
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = "xray-api";
    c.sampling = XRAY_SWITCH_OFF;
    c.sampling_remote = XRAY_SWITCH_OFF;
    c.flush_timeout_ms = 10000;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
}

/* n segments with one subsegment each; the trace id of the last one in `trace`. */
static void send_segments(int n, char trace[36])
{
    for (int i = 0; i < n; i++) {
        xray_entity *seg = xray_begin_segment("signed-service");
        xray_begin_subsegment("work");
        xray_put_annotation(xray_current_subsegment(), "i", i);
        xray_end_subsegment();
        char header[256];
        xray_trace_header(seg, header, sizeof header);
        memcpy(trace, header + 5, 35);
        trace[35] = '\0';
        xray_end_segment();
    }
    xray_recorder_shutdown();
}

static int have_botocore(void)
{
    return system("/usr/bin/python3 -c 'import botocore' 2>/dev/null") == 0;
}

static void checked_run(const char *secret_sent, const char *token_expected,
                        const char *token_sent, int segments, int *docs, char *bad, size_t n)
{
    char *argv[] = {"/usr/bin/python3", ROOT "/tests/e2e/xray_api_server.py", KEY, SECRET,
                    (char *)token_expected, NULL};
    server s;
    CU_ASSERT_TRUE_FATAL(start(&s, argv));
    use_api(s.port, secret_sent, token_sent);
    char trace[36];
    send_segments(segments, trace);
    stop(&s);
    *docs = verdicts(&s, bad, n);
}

static void test_batches_carry_signatures_botocore_recomputes(void)
{
    if (!have_botocore()) {
        printf("\n    skipped: /usr/bin/python3 has no botocore (apt-get install python3-botocore) ");
        return;
    }
    int docs;
    char bad[8192];
    xray_stats before, after;
    xray_recorder_stats(&before);
    checked_run(SECRET, NULL, NULL, 120, &docs, bad, sizeof bad);
    xray_recorder_stats(&after);
    CU_ASSERT_STRING_EQUAL(bad, "");
    CU_ASSERT_EQUAL(docs, 120);
    CU_ASSERT_EQUAL(after.documents_sent - before.documents_sent, 120);
    if (bad[0])
        printf("\n    verifier: %s", bad);
}

static void test_session_token_travels_with_the_signature(void)
{
    if (!have_botocore())
        return;
    int docs;
    char bad[8192];
    checked_run(SECRET, "FQoGZXIvYXdzEXAMPLETOKEN", "FQoGZXIvYXdzEXAMPLETOKEN", 3, &docs, bad,
                sizeof bad);
    CU_ASSERT_STRING_EQUAL(bad, "");
    CU_ASSERT_EQUAL(docs, 3);
}

static void test_the_verifier_catches_a_wrong_secret(void)
{
    if (!have_botocore())
        return;
    int docs;
    char bad[8192];
    xray_stats before, after;
    xray_recorder_stats(&before);
    checked_run("not-the-secret", NULL, NULL, 2, &docs, bad, sizeof bad);
    xray_recorder_stats(&after);
    CU_ASSERT_EQUAL(docs, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "signature mismatch"));
    CU_ASSERT_EQUAL(after.documents_dropped - before.documents_dropped, 2);
}

static size_t keep(char *d, size_t s, size_t n, void *arg)
{
    char *buf = arg;
    size_t len = strlen(buf), add = s * n;
    if (len + add < 1 << 20) {
        memcpy(buf + len, d, add);
        buf[len + add] = '\0';
    }
    return s * n;
}

static void test_moto_stores_the_segments_put(void)
{
    if (system("command -v moto_server >/dev/null 2>&1") != 0) {
        printf("\n    skipped: no moto_server on PATH ");
        return;
    }
    char *argv[] = {"/bin/sh", "-c",
                    "port=$(python3 -c 'import socket;s=socket.socket();s.bind((\"127.0.0.1\",0));"
                    "print(s.getsockname()[1])'); echo PORT $port; "
                    "exec moto_server -H 127.0.0.1 -p $port >/dev/null 2>&1", NULL};
    server s;
    CU_ASSERT_TRUE_FATAL(start(&s, argv));
    for (int i = 0; i < 300; i++) { /* moto takes a few seconds to listen */
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
        CURL *probe = curl_easy_init();
        curl_easy_setopt(probe, CURLOPT_URL, url);
        curl_easy_setopt(probe, CURLOPT_NOBODY, 1L);
        CURLcode up = curl_easy_perform(probe);
        curl_easy_cleanup(probe);
        if (up == CURLE_OK)
            break;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    use_api(s.port, SECRET, NULL);
    char trace[36];
    send_segments(5, trace);
    /* Read the last trace back, signed the same way. */
    CURL *c = curl_easy_init();
    char url[100], body[200];
    static char answer[1 << 20];
    answer[0] = '\0';
    snprintf(url, sizeof url, "http://127.0.0.1:%d/Traces", s.port);
    snprintf(body, sizeof body, "{\"TraceIds\":[\"%s\"]}", trace);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:eu-central-1:xray");
    curl_easy_setopt(c, CURLOPT_USERPWD, KEY ":" SECRET);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    CU_ASSERT_EQUAL(curl_easy_perform(c), CURLE_OK);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    stop(&s);
    fclose(s.out);
    cJSON *r = cJSON_Parse(answer);
    cJSON *traces = cJSON_GetObjectItem(r, "Traces");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(traces), 1);
    cJSON *segs = cJSON_GetObjectItem(cJSON_GetArrayItem(traces, 0), "Segments");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(segs), 1);
    cJSON *doc = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(segs, 0),
                                                                       "Document")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "trace_id")), trace);
    cJSON_Delete(doc);
    cJSON_Delete(r);
}

int main(void)
{
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* never a real instance metadata service */
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("xray-api", NULL, NULL);
    CU_add_test(s, "test_batches_carry_signatures_botocore_recomputes",
                test_batches_carry_signatures_botocore_recomputes);
    CU_add_test(s, "test_session_token_travels_with_the_signature",
                test_session_token_travels_with_the_signature);
    CU_add_test(s, "test_the_verifier_catches_a_wrong_secret", test_the_verifier_catches_a_wrong_secret);
    CU_add_test(s, "test_moto_stores_the_segments_put", test_moto_stores_the_segments_put);
    int failed = support_run_tests();
    return failed ? 1 : 0;
}
