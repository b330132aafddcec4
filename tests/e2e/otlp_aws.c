/* otlp_aws.c — OTLP straight to X-Ray's OTLP endpoint, against a loopback stand-in that is not
 * ours (tests/e2e/otlp_endpoint.py: botocore recomputes the SigV4 signature, python3-protobuf
 * decodes the body from a .proto written from the specification): the emitter named by the
 * real endpoint's URL, reached through AWS_ENDPOINT_URL_XRAY, sends protobuf, gzip'd, signed
 * for service xray with a session token; what arrives is, span for span, what the JSON path
 * delivers; a wrong secret is refused; 429 and 503 are retried; no secret reaches a log line. */
#include "../common/support.h"
#include "../unit/fake_http.h"
#include "../../samples/common/seed.h"

#include <CUnit/Basic.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/curl.h>

#define KEY "AKIDOTLPTEST"
#define SECRET "otlp-secret-do-not-log"
#define TOKEN "session-token-do-not-log"
#define URL "https://xray.us-east-1.amazonaws.com/v1/traces"

static char log_text[1 << 16];
static void keep_log(xray_log_level level, const char *message, void *ctx)
{
    (void)level, (void)ctx;
    size_t used = strlen(log_text);
    snprintf(log_text + used, sizeof log_text - used, "%s\n", message);
}

/* The JSON path's sink: every body it receives, kept. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static char *sink_bodies[64];
static int nsink;
static void json_sink(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&sink_lock);
    if (nsink < 64)
        sink_bodies[nsink++] = strndup(req->body, req->body_len);
    pthread_mutex_unlock(&sink_lock);
    resp->status = 200;
    snprintf(resp->body, sizeof resp->body, "{}");
}

static fake_http ddb; /* the DynamoDB the AWS call goes to */

/* The seed tree, a streamed segment and an AWS call. */
static void workload(void)
{
    xray_begin_segment("segment_1");
    xray_function_sample1();
    xray_end_segment();
    xray_config c = XRAY_CONFIG_INIT;
    c.streaming_threshold = 10;
    xray_recorder_configure(&c);
    xray_begin_segment("streamed");
    for (int i = 0; i < 30; i++) {
        xray_begin_subsegment("step");
        xray_end_subsegment();
    }
    CU_ASSERT_EQUAL(fake_aws_put_item(ddb.address, "Users"), CURLE_OK);
    xray_end_segment();
    c.streaming_threshold = -1;
    xray_recorder_configure(&c);
}

/* Points the recorder's OTLP emitter at `emitter` with the variables set by the caller, then
 * runs the workload and waits until everything is sent (shutdown flushes the queue). */
static void send_workload(const char *emitter)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = emitter;
    c.sampling = XRAY_SWITCH_OFF;
    c.sampling_remote = XRAY_SWITCH_OFF;
    c.fold_after = -1;
    c.flush_timeout_ms = 10000;
    c.log_fn = keep_log;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
    workload();
    xray_recorder_shutdown();
}

/* Each span as one comparable line: name, kind, parent's name, attributes, status, events
 * (ids and times differ from run to run and are left out). Sorted, joined by newlines. */
static char *span_lines(cJSON *const *requests, int n)
{
    char *lines[512];
    int count = 0;
    for (int r = 0; r < n; r++) {
        cJSON *rs, *ss, *sp, *names = cJSON_CreateObject();
        cJSON_ArrayForEach(rs, cJSON_GetObjectItem(requests[r], "resourceSpans"))
            cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans"))
                cJSON_ArrayForEach(sp, cJSON_GetObjectItem(ss, "spans"))
                    cJSON_AddStringToObject(names, cJSON_GetStringValue(cJSON_GetObjectItem(sp, "spanId")),
                                            cJSON_GetStringValue(cJSON_GetObjectItem(sp, "name")));
        cJSON_ArrayForEach(rs, cJSON_GetObjectItem(requests[r], "resourceSpans"))
            cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans"))
                cJSON_ArrayForEach(sp, cJSON_GetObjectItem(ss, "spans")) {
                    if (count == 512)
                        break;
                    const char *parent = cJSON_GetStringValue(cJSON_GetObjectItem(sp, "parentSpanId"));
                    const char *pname = parent ? cJSON_GetStringValue(cJSON_GetObjectItem(names, parent)) : NULL;
                    cJSON *attrs = cJSON_GetObjectItem(sp, "attributes");
                    char *a = attrs ? cJSON_PrintUnformatted(attrs) : strdup("[]");
                    cJSON *st = cJSON_GetObjectItem(sp, "status"), *ev = cJSON_GetObjectItem(sp, "events");
                    char *s = st ? cJSON_PrintUnformatted(st) : strdup("{}");
                    size_t len = strlen(a) + strlen(s) + 512;
                    lines[count] = malloc(len);
                    snprintf(lines[count], len, "%s|%d|%s|%s|%s|%d",
                             cJSON_GetStringValue(cJSON_GetObjectItem(sp, "name")),
                             (int)cJSON_GetNumberValue(cJSON_GetObjectItem(sp, "kind")),
                             pname ? pname : (parent ? "(sent before)" : "-"), a, s, cJSON_GetArraySize(ev));
                    count++;
                    free(a);
                    free(s);
                }
        cJSON_Delete(names);
    }
    for (int i = 1; i < count; i++) /* insertion sort */
        for (int j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    size_t total = 1;
    for (int i = 0; i < count; i++)
        total += strlen(lines[i]) + 1;
    char *out = malloc(total);
    out[0] = '\0';
    for (int i = 0; i < count; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    return out;
}

/* When the endpoint refused a request with a status of the ANSWERS list. */
static double refused_at[8];
static int refused_at_count;

/* The endpoint's record: each accepted request's line, parsed (refusals into refused_at). */
static int read_endpoint(const char *path, cJSON **lines, int max)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f && n < max && getline(&line, &cap, f) > 0) {
        cJSON *l = cJSON_Parse(line);
        if (l && cJSON_GetObjectItem(l, "request"))
            lines[n++] = l;
        else {
            if (l && cJSON_GetObjectItem(l, "refused") && refused_at_count < 8)
                refused_at[refused_at_count++] = cJSON_GetNumberValue(cJSON_GetObjectItem(l, "at"));
            cJSON_Delete(l);
        }
    }
    free(line);
    if (f)
        fclose(f);
    return n;
}

static int endpoint_port;
static int endpoint_pid;
static char endpoint_out[128];

static int start_endpoint(const char *answers)
{
    char cmd[1024];
    endpoint_port = fake_http_free_port();
    snprintf(endpoint_out, sizeof endpoint_out, "/tmp/xraycap-otlp-%d.jsonl", (int)getpid());
    unlink(endpoint_out);
    snprintf(cmd, sizeof cmd, "exec /usr/bin/python3 " ROOT "/tests/e2e/otlp_endpoint.py %d us-east-1 " KEY
             " " SECRET " %s %s 2>" ROOT "/build/e2e/otlp-endpoint.log", endpoint_port, endpoint_out, answers);
    endpoint_pid = support_spawn(cmd);
    char env[128];
    snprintf(env, sizeof env, "http://127.0.0.1:%d", endpoint_port);
    setenv("AWS_ENDPOINT_URL_XRAY", env, 1);
    return support_wait_port(endpoint_port);
}

static void test_protobuf_gzip_signed_arrives_as_the_json_path_delivers(void)
{
    CU_ASSERT_FATAL(start_endpoint(""));
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
    setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
    send_workload("otlp:" URL);
    cJSON *got[64];
    int n = read_endpoint(endpoint_out, got, 64);
    CU_ASSERT_TRUE_FATAL(n > 0);
    cJSON *requests[64];
    for (int i = 0; i < n; i++) {
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(got[i], "content_type")),
                               "application/x-protobuf");
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(got[i], "encoding")), "gzip");
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(got[i], "token")), TOKEN);
        requests[i] = cJSON_GetObjectItem(got[i], "request");
    }
    char *protobuf = span_lines(requests, n);

    /* the same work through the JSON path, as it is delivered today */
    fake_http sink;
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&sink, json_sink, NULL), 0);
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
    unsetenv("OTEL_EXPORTER_OTLP_COMPRESSION");
    char emitter[128];
    snprintf(emitter, sizeof emitter, "otlp:http://%s/v1/traces", sink.address);
    send_workload(emitter);
    fake_http_stop(&sink);
    cJSON *bodies[64];
    int nb = 0;
    for (int i = 0; i < nsink; i++)
        if ((bodies[nb] = cJSON_Parse(sink_bodies[i])))
            nb++;
    char *json = span_lines(bodies, nb);
    CU_ASSERT_STRING_EQUAL(protobuf, json);
    if (strcmp(protobuf, json))
        fprintf(stderr, "\n  protobuf path:\n%s\n  JSON path:\n%s\n", protobuf, json);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "DynamoDB|3|streamed|")); /* the AWS call, a client span */
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "subsegment_3-2|"));
    CU_ASSERT_PTR_NULL(strstr(log_text, SECRET));
    CU_ASSERT_PTR_NULL(strstr(log_text, TOKEN));
    free(protobuf);
    free(json);
    for (int i = 0; i < n; i++)
        cJSON_Delete(got[i]);
    for (int i = 0; i < nb; i++)
        cJSON_Delete(bodies[i]);
    support_stop(endpoint_pid);
}

/* A wrong secret is refused by the endpoint (403): nothing is stored, the documents are counted
 * as dropped, and the secret appears in no log line. 429 and 503 are retried until accepted. */
static void test_bad_signatures_are_refused_and_busy_answers_retried(void)
{
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
    CU_ASSERT_FATAL(start_endpoint(""));
    setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
    xray_stats before, after;
    xray_recorder_stats(&before);
    send_workload("otlp:" URL);
    xray_recorder_stats(&after);
    cJSON *got[8];
    CU_ASSERT_EQUAL(read_endpoint(endpoint_out, got, 8), 0);
    CU_ASSERT_TRUE(after.documents_dropped > before.documents_dropped);
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "403"));
    CU_ASSERT_PTR_NULL(strstr(log_text, "not-the-secret"));
    support_stop(endpoint_pid);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);

    CU_ASSERT_FATAL(start_endpoint("429,503"));
    send_workload("otlp:xray"); /* the shortcut: X-Ray's endpoint in AWS_REGION */
    refused_at_count = 0;
    int n = read_endpoint(endpoint_out, got, 8);
    CU_ASSERT_TRUE(n > 0);
    /* the retry after the 429 waited for its Retry-After: 1 (a lower bound: never sooner) */
    CU_ASSERT_EQUAL_FATAL(refused_at_count, 2);
    CU_ASSERT_TRUE(refused_at[1] - refused_at[0] >= 0.95);
    for (int i = 0; i < n; i++)
        cJSON_Delete(got[i]);
    support_stop(endpoint_pid);

    /* accepted, with some spans rejected (protobuf partialSuccess): counted and said */
    CU_ASSERT_FATAL(start_endpoint("partial"));
    xray_recorder_stats(&before);
    send_workload("otlp:" URL);
    xray_recorder_stats(&after);
    CU_ASSERT_TRUE(after.documents_dropped > before.documents_dropped);
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "rejected 2 span(s): 2 spans too old"));
    support_stop(endpoint_pid);
}

int main(void)
{
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* never a real instance metadata service */
    if (system("/usr/bin/python3 -c 'import botocore, google.protobuf' 2>/dev/null") != 0) {
        printf("python3-botocore or python3-protobuf is missing (make deps installs them): skipped\n");
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    setenv("AWS_ACCESS_KEY_ID", KEY, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    if (fake_http_start(&ddb, fake_aws_answer, NULL) != 0)
        return 1;
    static const support_test tests[] = {
        SUPPORT_TEST(test_protobuf_gzip_signed_arrives_as_the_json_path_delivers),
        SUPPORT_TEST(test_bad_signatures_are_refused_and_busy_answers_retried),
        {NULL, NULL},
    };
    int failed = support_run_suite("otlp-aws", tests);
    fake_http_stop(&ddb);
    return failed;
}
