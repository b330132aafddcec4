/* test_emitters.c — where documents go: JSON Lines files, the X-Ray API (batched, signed,
 * retried) and OTLP/HTTP, each checked by a server that reads what arrives; and what happens
 * when the destination is down, refusing, failing or hanging: the program goes on, and every
 * document is either delivered or counted as dropped. */
#include "harness.h"
#include "fake_http.h"
#include "emit/aws_credentials.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a destination that records requests and answers as told ---------------------------- */

typedef enum mode { OK, FAIL_500, FAIL_429, REFUSE_403, HANG, FAIL_TWICE } mode;

typedef struct sink {
    mode mode;
    pthread_mutex_t lock;
    int requests;
    cJSON *bodies;              /* every request body, parsed (NULL entries when unparsable) */
    char last_headers[4096];
    char last_path[512];
} sink;

static sink S;

static void sink_handler(const http_request *req, http_response *resp, void *ctx)
{
    sink *s = ctx;
    pthread_mutex_lock(&s->lock);
    int n = ++s->requests;
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    cJSON_AddItemToArray(s->bodies, body ? body : cJSON_CreateNull());
    snprintf(s->last_headers, sizeof s->last_headers, "%s", req->headers);
    snprintf(s->last_path, sizeof s->last_path, "%s", req->path);
    mode m = s->mode;
    pthread_mutex_unlock(&s->lock);
    switch (m) {
    case OK: snprintf(resp->body, sizeof resp->body, "{}"); break;
    case FAIL_500: resp->status = 500; snprintf(resp->body, sizeof resp->body, "{\"message\":\"boom\"}"); break;
    case FAIL_429: resp->status = 429; snprintf(resp->body, sizeof resp->body, "{\"message\":\"slow down\"}"); break;
    case REFUSE_403: resp->status = 403; snprintf(resp->body, sizeof resp->body, "{\"message\":\"The security token included in the request is invalid.\"}"); break;
    case HANG: resp->delay_ms = 1500; break;
    case FAIL_TWICE: resp->status = n <= 2 ? 503 : 200; snprintf(resp->body, sizeof resp->body, "{}"); break;
    }
}

static fake_http H;

/* Frees what the last destination recorded. */
static void sink_free(void)
{
    cJSON_Delete(S.bodies);
    S.bodies = NULL;
}

static void sink_start(mode m)
{
    sink_free();
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.lock, NULL);
    S.mode = m;
    S.bodies = cJSON_CreateArray();
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&H, sink_handler, &S), 0);
}

/* Stops the server; what it recorded stays readable (its thread is joined). */
static void sink_stop(void)
{
    fake_http_stop(&H);
    pthread_mutex_destroy(&S.lock);
}

/* Read after sink_stop (the server's thread is joined). */
static int requests(void) { return S.requests; }

static void use_emitters(const char *emitters, long flush_ms)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = emitters;
    c.flush_timeout_ms = flush_ms;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_OK);
}

static void restore(void)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = "udp";
    c.flush_timeout_ms = 2000;
    xray_recorder_configure(&c);
    unsetenv("AWS_ENDPOINT_URL_XRAY");
}

static void segments(int n, int subsegments)
{
    for (int i = 0; i < n; i++) {
        xray_begin_segment("emitted");
        for (int j = 0; j < subsegments; j++)
            XRAY_CAPTURE_BLOCK("work") {}
        xray_end_segment();
    }
}

static unsigned long long delta_sent, delta_dropped, delta_errors;
static xray_stats stats_before;

static void stats_mark(void) { xray_recorder_stats(&stats_before); }
static void stats_delta(void)
{
    xray_stats now;
    xray_recorder_stats(&now);
    delta_sent = now.documents_sent - stats_before.documents_sent;
    delta_dropped = now.documents_dropped - stats_before.documents_dropped;
    delta_errors = now.send_errors - stats_before.send_errors;
}

/* ---- the emitter list ------------------------------------------------------------------- */

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
        CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "emitters '"));
    }
    /* The previous set (udp) still works. */
    segments(1, 0);
    CU_ASSERT_EQUAL(collect(), 1);
}

static void test_none_sends_nothing(void)
{
    test_reset();
    use_emitters("none", 0);
    stats_mark();
    segments(3, 2);
    stats_delta();
    CU_ASSERT_EQUAL(collect(), 0);
    CU_ASSERT_EQUAL(delta_sent, 3);
    restore();
}

/* ---- file ------------------------------------------------------------------------------- */

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
    segments(5, 40); /* 40 > threshold: streamed subsegment documents too */
    size_t bad, entities;
    size_t lines = file_lines(path, &bad, &entities); /* written at each segment's end */
    CU_ASSERT_TRUE(lines > 5);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(entities, 5 * 41);
    CU_ASSERT_EQUAL(collect(), lines); /* the daemon got the same documents */
    restore();
    unlink(path);
}

static void test_unwritable_file_is_reported_and_counted(void)
{
    test_reset();
    use_emitters("file:/nonexistent-dir/x.jsonl", 0);
    stats_mark();
    segments(2, 0);
    stats_delta();
    CU_ASSERT_EQUAL(delta_dropped, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "cannot open /nonexistent-dir/x.jsonl"));
    restore();
}

static void test_failed_writes_count_every_line_lost(void)
{
    test_reset();
    use_emitters("none", 0); /* how many documents the workload makes */
    stats_mark();
    segments(3, 40);
    stats_delta();
    unsigned long long documents = delta_sent;
    CU_ASSERT_TRUE(documents > 3); /* streamed pieces too */
    use_emitters("file:/dev/full", 0); /* opens, then every write fails with ENOSPC */
    stats_mark();
    segments(3, 40);
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 0);
    CU_ASSERT_EQUAL(delta_dropped, documents);
    CU_ASSERT_TRUE(delta_errors >= 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "writing /dev/full failed"));
    restore();
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
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "AWS_XRAY_EMITTER=carrier-pigeon: 'carrier-pigeon' is not "
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

/* ---- X-Ray API -------------------------------------------------------------------------- */

static void xray_api_env(void)
{
    char url[100];
    snprintf(url, sizeof url, "http://%s", H.address);
    setenv("AWS_ENDPOINT_URL_XRAY", url, 1);
    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDXRAYCAPTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "c2VjcmV0LXRlc3Qta2V5", 1);
    unsetenv("AWS_SESSION_TOKEN");
}

static size_t count_occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strcasestr(p, needle)); p++)
        n++;
    return n;
}

static void test_xray_api_batches_signed_documents(void)
{
    test_reset();
    sink_start(OK);
    xray_api_env();
    use_emitters("xray-api", 5000);
    stats_mark();
    segments(120, 1);
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 120);
    CU_ASSERT_EQUAL(delta_dropped, 0);
    CU_ASSERT_TRUE(requests() >= 3);
    CU_ASSERT_STRING_EQUAL(S.last_path, "/TraceSegments");
    size_t docs = 0;
    cJSON *body;
    cJSON_ArrayForEach(body, S.bodies) {
        cJSON *list = cJSON_GetObjectItem(body, "TraceSegmentDocuments"), *d;
        CU_ASSERT_TRUE(cJSON_IsArray(list));
        CU_ASSERT_TRUE(cJSON_GetArraySize(list) <= 50);
        cJSON_ArrayForEach(d, list) {
            CU_ASSERT_TRUE_FATAL(cJSON_IsString(d));
            cJSON *doc = cJSON_Parse(d->valuestring);
            CU_ASSERT_TRUE(doc && entity_valid(doc, 1));
            CU_ASSERT_PTR_NOT_NULL(find_entity(doc, "work"));
            cJSON_Delete(doc);
            docs++;
        }
    }
    CU_ASSERT_EQUAL(docs, 120);
    const char *h = S.last_headers;
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDXRAYCAPTEST/"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "/eu-west-3/xray/aws4_request"));
    CU_ASSERT_EQUAL(count_occurrences(h, "X-Amz-Date:"), 1);
    CU_ASSERT_PTR_NULL(strstr(h, "c2VjcmV0LXRlc3Qta2V5")); /* the secret never travels */
    restore();
}

static void test_xray_api_retries_server_errors_then_delivers(void)
{
    test_reset();
    sink_start(FAIL_TWICE);
    xray_api_env();
    use_emitters("xray-api", 5000);
    stats_mark();
    segments(3, 0);
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 3);
    CU_ASSERT_EQUAL(delta_dropped, 0);
    CU_ASSERT_TRUE(requests() >= 3);
    CU_ASSERT_EQUAL(delta_errors, 2);
    restore();
}


/* The largest number of times one request body was sent, and the smallest. */
static void tries_per_body(int *most, int *least)
{
    int n = cJSON_GetArraySize(S.bodies);
    *most = 0;
    *least = n ? 1 << 30 : 0;
    for (int i = 0; i < n; i++) {
        char *a = cJSON_PrintUnformatted(cJSON_GetArrayItem(S.bodies, i));
        int same = 0;
        for (int j = 0; j < n; j++) {
            char *b = cJSON_PrintUnformatted(cJSON_GetArrayItem(S.bodies, j));
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
    segments(10, 1);
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 0);
    CU_ASSERT_EQUAL(delta_dropped, 10);
    int most, least;
    tries_per_body(&most, &least);
    CU_ASSERT_TRUE(requests() >= 1);
    CU_ASSERT_EQUAL(most, tries);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, " emitter: "));
    restore();
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
    segments(4, 0);
    xray_recorder_shutdown();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent, 0);
    CU_ASSERT_EQUAL(delta_dropped, 4);
    CU_ASSERT_TRUE(delta_errors >= 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "Couldn't connect"));
    restore();
}

static void test_full_queue_drops_and_counts_without_blocking(void)
{
    test_reset();
    sink_start(HANG);
    char e[100];
    snprintf(e, sizeof e, "otlp:http://%s", H.address);
    use_emitters(e, 200);
    stats_mark();
    segments(5000, 0); /* more than the queue holds while the collector hangs */
    xray_recorder_shutdown();
    sink_stop();
    stats_delta();
    CU_ASSERT_EQUAL(delta_sent + delta_dropped, 5000);
    CU_ASSERT_TRUE(delta_dropped >= 5000 - 4096 - 50);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "queue full"));
    restore();
}

static void test_xray_api_without_region_or_credentials_says_why(void)
{
    test_reset();
    sink_start(OK);
    xray_api_env();
    unsetenv("AWS_REGION");
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    use_emitters("xray-api", 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "no valid region"));
    stats_mark();
    segments(2, 0);
    xray_recorder_shutdown();
    stats_delta();
    CU_ASSERT_EQUAL(delta_dropped, 2);
    CU_ASSERT_EQUAL(requests(), 0);

    setenv("AWS_REGION", "us-east-1", 1);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    log_reset();
    use_emitters("xray-api", 1000);
    segments(1, 0);
    xray_recorder_shutdown();
    sink_stop();
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "no AWS credentials"));
    CU_ASSERT_EQUAL(requests(), 0);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    restore();
}

/* ---- credentials ------------------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_credentials_come_from_the_environment_then_the_shared_file(void)
{
    char path[] = "/tmp/xraycap-creds-XXXXXX", why[600];
    close(mkstemp(path));
    write_file(path, "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
                     "aws_secret_access_key=secretdefault\n\n[ci]\n"
                     "aws_access_key_id=AKIDCI\naws_secret_access_key = secretci\n"
                     "aws_session_token = tokenci\n[broken]\naws_access_key_id=AKIDX\n"
                     "[spaced]\naws_access_key_id=AKID SPACE\naws_secret_access_key=s\n");
    xrc_aws_credentials c;
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDENV");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "AWS_SECRET_ACCESS_KEY is not"));
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_PROFILE");
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDDEFAULT");
    CU_ASSERT_STRING_EQUAL(c.secret, "secretdefault");
    CU_ASSERT_STRING_EQUAL(c.token, "");
    setenv("AWS_PROFILE", "ci", 1);
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDCI");
    CU_ASSERT_STRING_EQUAL(c.token, "tokenci");
    setenv("AWS_PROFILE", "broken", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "lacks aws_access_key_id or aws_secret_access_key"));
    setenv("AWS_PROFILE", "spaced", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "spaces or control characters"));
    setenv("AWS_PROFILE", "absent", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no such profile"));
    unsetenv("AWS_PROFILE");
    /* A header-injection attempt through the environment is refused. */
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    setenv("AWS_SESSION_TOKEN", "tok\r\nX-Evil: 1", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unlink(path);
}

static void test_region_comes_from_the_environment_then_the_config_file(void)
{
    char path[] = "/tmp/xraycap-config-XXXXXX", region[64];
    close(mkstemp(path));
    write_file(path, "[default]\nregion = ap-south-1\n[profile ci]\nregion=eu-north-1\n");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_CONFIG_FILE", path, 1);
    CU_ASSERT_TRUE(xrc_aws_region(region, sizeof region));
    CU_ASSERT_STRING_EQUAL(region, "ap-south-1");
    setenv("AWS_PROFILE", "ci", 1);
    CU_ASSERT_TRUE(xrc_aws_region(region, sizeof region));
    CU_ASSERT_STRING_EQUAL(region, "eu-north-1");
    unsetenv("AWS_PROFILE");
    setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
    CU_ASSERT_TRUE(xrc_aws_region(region, sizeof region));
    CU_ASSERT_STRING_EQUAL(region, "us-west-1");
    setenv("AWS_REGION", "../../etc", 1);
    CU_ASSERT_FALSE(xrc_aws_region(region, sizeof region));
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_CONFIG_FILE");
    unlink(path);
}

/* ---- OTLP ------------------------------------------------------------------------------- */

static cJSON *all_spans(void)
{
    cJSON *spans = cJSON_CreateArray(), *body;
    cJSON_ArrayForEach(body, S.bodies) {
        cJSON *rs, *ss, *sp;
        cJSON_ArrayForEach(rs, cJSON_GetObjectItem(body, "resourceSpans"))
            cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans"))
                cJSON_ArrayForEach(sp, cJSON_GetObjectItem(ss, "spans"))
                    cJSON_AddItemToArray(spans, cJSON_Duplicate(sp, 1));
    }
    return spans;
}

static cJSON *span_named(cJSON *spans, const char *name)
{
    cJSON *s;
    cJSON_ArrayForEach(s, spans) if (!strcmp(cJSON_GetObjectItem(s, "name")->valuestring, name)) return s;
    return NULL;
}

static cJSON *attribute(cJSON *span, const char *key)
{
    cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(span, "attributes"))
        if (!strcmp(cJSON_GetObjectItem(a, "key")->valuestring, key))
            return cJSON_GetObjectItem(a, "value");
    return NULL;
}

static const char *sval(cJSON *v, const char *kind)
{
    cJSON *x = cJSON_GetObjectItem(v, kind);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static int hex_of_len(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

static void test_otlp_export_carries_the_span_tree_and_its_attributes(void)
{
    test_reset();
    sink_start(OK);
    char e[100];
    snprintf(e, sizeof e, "otlp:http://%s", H.address); /* no path: /v1/traces is added */
    use_emitters(e, 5000);
    xray_entity *seg = xray_begin_segment_from_http("orders", "POST", "https://shop.example/orders",
                                                    NULL, NULL);
    xray_put_annotation(seg, "customer", "c-42");
    xray_put_annotation(seg, "items", 3);
    xray_put_metadata_json(seg, "cart", "{\"total\":12.5}", NULL);
    xray_put_http_response(seg, 502, 17);
    xray_entity *db = xray_begin_subsegment("DynamoDB");
    xray_set_namespace(db, "aws");
    xray_add_throttle_flag(db);
    xray_begin_subsegment("inner");
    xray_add_exception(xray_current_subsegment(), "TimeoutError", "took too long", false);
    xray_end_subsegment();
    xray_end_subsegment();
    for (int i = 0; i < 40; i++) /* past the threshold: some arrive as streamed documents */
        XRAY_CAPTURE_BLOCK("step") {}
    char trace[256];
    xray_trace_header(seg, trace, sizeof trace);
    xray_end_segment();
    xray_recorder_shutdown();
    sink_stop();
    CU_ASSERT_STRING_EQUAL(S.last_path, "/v1/traces");
    CU_ASSERT_PTR_NOT_NULL(strstr(S.last_headers, "Content-Type: application/json"));
    cJSON *spans = all_spans();
    CU_ASSERT_EQUAL(cJSON_GetArraySize(spans), 43);
    cJSON *root = span_named(spans, "orders"), *dyn = span_named(spans, "DynamoDB");
    cJSON *inner = span_named(spans, "inner");
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dyn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner);
    /* Root=1-xxxxxxxx-yyyy... -> one 32-hex trace id everywhere; parents name real spans. */
    char want[33];
    memcpy(want, trace + 7, 8);
    memcpy(want + 8, trace + 16, 24);
    want[32] = '\0';
    cJSON *s;
    cJSON_ArrayForEach(s, spans) {
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(s, "traceId")->valuestring, want);
        CU_ASSERT_TRUE(hex_of_len(cJSON_GetObjectItem(s, "spanId")->valuestring, 16));
        cJSON *p = cJSON_GetObjectItem(s, "parentSpanId");
        if (s == root) {
            CU_ASSERT_PTR_NULL(p);
            continue;
        }
        int found = 0;
        cJSON *q;
        cJSON_ArrayForEach(q, spans) found |= !strcmp(cJSON_GetObjectItem(q, "spanId")->valuestring, p->valuestring);
        CU_ASSERT_TRUE(found);
        CU_ASSERT_TRUE(strtoull(cJSON_GetObjectItem(s, "endTimeUnixNano")->valuestring, NULL, 10) >=
                       strtoull(cJSON_GetObjectItem(s, "startTimeUnixNano")->valuestring, NULL, 10));
    }
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(dyn, "parentSpanId")->valuestring,
                           cJSON_GetObjectItem(root, "spanId")->valuestring);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(inner, "parentSpanId")->valuestring,
                           cJSON_GetObjectItem(dyn, "spanId")->valuestring);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(root, "kind")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(dyn, "kind")->valueint, 3);
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "customer"), "stringValue"), "c-42");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "items"), "intValue"), "3");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "aws.xray.metadata.cart"), "stringValue"), "{\"total\":12.5}");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "http.request.method"), "stringValue"), "POST");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "url.full"), "stringValue"), "https://shop.example/orders");
    CU_ASSERT_STRING_EQUAL(sval(attribute(root, "http.response.status_code"), "intValue"), "502");
    CU_ASSERT_PTR_NOT_NULL(attribute(root, "aws.xray.annotations"));
    CU_ASSERT_STRING_EQUAL(sval(attribute(dyn, "rpc.system"), "stringValue"), "aws-api");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "status"), "code")->valueint, 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "status"), "message")->valuestring, "fault");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(dyn, "status"), "message")->valuestring, "throttle");
    cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(inner, "events"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ev, "name")->valuestring, "exception");
    CU_ASSERT_STRING_EQUAL(sval(attribute(ev, "exception.type"), "stringValue"), "TimeoutError");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(span_named(spans, "step"), "status"));
    cJSON_Delete(spans);
    restore();
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
    restore();
}

static void test_bad_endpoint_and_numbers_in_the_environment_are_reported(void)
{
    test_reset();
    setenv("AWS_ENDPOINT_URL_XRAY", "ftp://example.com", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    use_emitters("xray-api", 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "endpoint 'ftp://example.com' is not an http(s) URL"));
    restore();
    xray_config c = XRAY_CONFIG_INIT;
    c.flush_timeout_ms = 700000;
    CU_ASSERT_EQUAL(xray_recorder_configure(&c), XRAY_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_log, "flush_timeout_ms 700000 is over 600000"));
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

void register_emitters(void)
{
    CU_pSuite s = CU_add_suite("emitters", NULL, NULL);
    ADD(s, test_bad_emitter_lists_are_refused_with_the_reason);
    ADD(s, test_none_sends_nothing);
    ADD(s, test_file_emitter_writes_one_document_per_line_alongside_udp);
    ADD(s, test_unwritable_file_is_reported_and_counted);
    ADD(s, test_failed_writes_count_every_line_lost);
    ADD(s, test_environment_chooses_the_emitter);
    ADD(s, test_xray_api_batches_signed_documents);
    ADD(s, test_xray_api_retries_server_errors_then_delivers);
    ADD(s, test_xray_api_gives_up_after_five_tries_on_500);
    ADD(s, test_xray_api_gives_up_after_five_tries_on_429);
    ADD(s, test_xray_api_does_not_retry_a_refusal);
    ADD(s, test_otlp_hanging_collector_is_abandoned_at_the_deadline);
    ADD(s, test_otlp_collector_down_drops_and_counts);
    ADD(s, test_full_queue_drops_and_counts_without_blocking);
    ADD(s, test_xray_api_without_region_or_credentials_says_why);
    ADD(s, test_credentials_come_from_the_environment_then_the_shared_file);
    ADD(s, test_region_comes_from_the_environment_then_the_config_file);
    ADD(s, test_otlp_export_carries_the_span_tree_and_its_attributes);
    ADD(s, test_process_exit_flushes_the_http_queue);
    ADD(s, test_forked_child_sends_its_own_documents);
    ADD(s, test_bad_endpoint_and_numbers_in_the_environment_are_reported);
    ADD(s, sink_free);
}
