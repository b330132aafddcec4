/* test_curl.c — libcurl transfers as subsegments, against a local HTTP server that records
 * what it received. */
#include "fake_http.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture/curl.h>

typedef struct seen {
    pthread_mutex_t lock;
    char trace_headers[8][512];  /* X-Amzn-Trace-Id values received, in order */
    int n;
    char all_headers[4096];      /* headers of the last request */
    char path[512];
    int status;                  /* what to answer */
    const char *extra_headers;
} seen;

static void recorder(const http_request *req, http_response *resp, void *ctx)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    snprintf(s->all_headers, sizeof s->all_headers, "%s", req->headers);
    snprintf(s->path, sizeof s->path, "%s", req->path);
    const char *h = strcasestr(req->headers, "X-Amzn-Trace-Id: ");
    if (h && s->n < 8)
        snprintf(s->trace_headers[s->n++], 512, "%.*s", (int)strcspn(h + 17, "\r\n"), h + 17);
    resp->status = s->status ? s->status : 200;
    if (s->extra_headers)
        snprintf(resp->headers, sizeof resp->headers, "%s", s->extra_headers);
    snprintf(resp->body, sizeof resp->body, "{\"ok\":true}");
    pthread_mutex_unlock(&s->lock);
}

static fake_http server;
static seen got;

static void start(int status, const char *extra_headers)
{
    test_reset();
    memset(&got, 0, sizeof got);
    pthread_mutex_init(&got.lock, NULL);
    got.status = status;
    got.extra_headers = extra_headers;
    fake_http_start(&server, recorder, &got);
}

static CURLcode get(const char *path, struct curl_slist *headers, CURL **keep)
{
    char url[256];
    snprintf(url, sizeof url, "http://%s%s", server.address, path);
    CURL *h = curl_easy_init();
    xray_curl_easy_setopt(h, CURLOPT_URL, url);
    if (headers)
        xray_curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = xray_curl_easy_perform(h);
    if (keep)
        *keep = h;
    else
        xray_curl_easy_cleanup(h);
    return rc;
}

static void test_transfer_is_a_remote_subsegment_and_carries_the_trace_header(void)
{
    start(200, NULL);
    struct curl_slist *mine = curl_slist_append(NULL, "X-User: kept");
    xray_begin_segment("client");
    CU_ASSERT_EQUAL(get("/users/7?full=1", mine, NULL), CURLE_OK);
    xray_end_segment();
    fake_http_stop(&server);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *sub = child_named(L.docs[0], "127.0.0.1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sub, "namespace")->valuestring, "remote");
    cJSON *req = cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "http"), "request");
    cJSON *resp = cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "http"), "response");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(req, "method")->valuestring, "GET");
    /* scheme, host and path only; `traced` only when the user says the callee is traced */
    const char *url = cJSON_GetObjectItem(req, "url")->valuestring;
    CU_ASSERT_PTR_NOT_NULL(strstr(url, "/users/7"));
    CU_ASSERT_PTR_NULL(strchr(url, '?'));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(req, "traced"));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(resp, "status")->valueint, 200);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(resp, "content_length")->valueint, 11);
    char expect[256];
    snprintf(expect, sizeof expect, "Root=%s;Parent=%s;Sampled=1",
             cJSON_GetObjectItem(L.docs[0], "trace_id")->valuestring, cJSON_GetObjectItem(sub, "id")->valuestring);
    CU_ASSERT_EQUAL_FATAL(got.n, 1);
    CU_ASSERT_STRING_EQUAL(got.trace_headers[0], expect);
    CU_ASSERT_PTR_NOT_NULL(strstr(got.all_headers, "X-User: kept"));
    /* the user's list is as it was */
    CU_ASSERT_STRING_EQUAL(mine->data, "X-User: kept");
    CU_ASSERT_PTR_NULL(mine->next);
    curl_slist_free_all(mine);
}

/* The two opt-ins: the query string kept, and `traced` for callees known to be traced. */
static void test_query_and_traced_are_recorded_only_when_asked(void)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.keep_url_query = XRAY_SWITCH_ON;
    c.downstream_traced = XRAY_SWITCH_ON;
    xray_recorder_configure(&c);
    start(200, NULL);
    xray_begin_segment("client");
    CU_ASSERT_EQUAL(get("/users/7?full=1#top", NULL, NULL), CURLE_OK);
    xray_end_segment();
    fake_http_stop(&server);
    c.keep_url_query = XRAY_SWITCH_OFF;
    c.downstream_traced = XRAY_SWITCH_OFF;
    xray_recorder_configure(&c);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *req = cJSON_GetObjectItem(cJSON_GetObjectItem(child_named(L.docs[0], "127.0.0.1"), "http"), "request");
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(req, "url")->valuestring, "/users/7?full=1"));
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(req, "traced")));
}

static cJSON *call_with_status(int status)
{
    start(status, NULL);
    xray_begin_segment("client");
    get("/", NULL, NULL);
    xray_end_segment();
    fake_http_stop(&server);
    collect();
    return L.ndocs ? child_named(L.docs[0], "127.0.0.1") : NULL;
}

static int flag(cJSON *e, const char *k) { return cJSON_IsTrue(cJSON_GetObjectItem(e, k)); }

static void test_status_codes_set_the_flags(void)
{
    cJSON *e = call_with_status(500);
    CU_ASSERT_TRUE(flag(e, "fault") && !flag(e, "error"));
    e = call_with_status(429);
    CU_ASSERT_TRUE(flag(e, "throttle") && flag(e, "error") && !flag(e, "fault"));
    e = call_with_status(404);
    CU_ASSERT_TRUE(flag(e, "error") && !flag(e, "throttle"));
}

static void test_transport_error_is_a_fault_naming_the_curlcode(void)
{
    test_reset();
    xray_begin_segment("client");
    CURL *h = curl_easy_init();
    xray_curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/nothing");
    CU_ASSERT_EQUAL(xray_curl_easy_perform(h), CURLE_COULDNT_CONNECT);
    xray_curl_easy_cleanup(h);
    xray_end_segment();
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *sub = child_named(L.docs[0], "127.0.0.1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_TRUE(flag(sub, "fault"));
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "cause"), "exceptions"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "type")->valuestring, "CURLcode 7");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "message")->valuestring, "Couldn't connect to server");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(x, "remote")));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "http"), "response"));
}

static void test_unsampled_segment_still_propagates_sampled_zero(void)
{
    start(200, NULL);
    xray_segment_options o = {.sampling = XRAY_SAMPLING_NOT_SAMPLED};
    xray_begin_segment_ex("quiet", &o);
    get("/", NULL, NULL);
    xray_end_segment();
    get("/", NULL, NULL); /* no segment at all: no header, no log */
    fake_http_stop(&server);
    CU_ASSERT_EQUAL(collect(), 0);
    CU_ASSERT_EQUAL_FATAL(got.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(got.trace_headers[0], ";Sampled=0"));
    CU_ASSERT_EQUAL(test_log_lines, 0);
}

static void test_multi_transfers_are_subsegments_ended_when_they_complete(void)
{
    start(200, NULL);
    xray_begin_segment("fan");
    CURLM *m = curl_multi_init();
    CURL *h[3];
    for (int i = 0; i < 3; i++) {
        char url[256];
        snprintf(url, sizeof url, "http://%s/item/%d", server.address, i);
        h[i] = curl_easy_init();
        xray_curl_easy_setopt(h[i], CURLOPT_URL, url);
        CU_ASSERT_EQUAL(xray_curl_multi_add_handle(m, h[i]), CURLM_OK);
    }
    int running = 1, done = 0;
    while (running || done < 3) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = xray_curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE)
                done++;
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < 3; i++) {
        xray_curl_multi_remove_handle(m, h[i]);
        xray_curl_easy_cleanup(h[i]);
    }
    curl_multi_cleanup(m);
    xray_end_segment();
    fake_http_stop(&server);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    CU_ASSERT_EQUAL(listener_count(&L, "127.0.0.1"), 3);
    CU_ASSERT_EQUAL_FATAL(got.n, 3);
    /* each request's Parent is the id of a subsegment that arrived */
    for (int i = 0; i < 3; i++) {
        const char *parent = strstr(got.trace_headers[i], "Parent=") + 7;
        int found = 0;
        cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(L.docs[0], "subsegments"))
            found += !strncmp(cJSON_GetObjectItem(c, "id")->valuestring, parent, 16);
        CU_ASSERT_EQUAL(found, 1);
    }
    CU_ASSERT_TRUE(entity_valid(L.docs[0], 1));
}

static void test_multi_transfer_removed_without_info_read_is_not_a_fault(void)
{
    start(200, NULL);
    xray_begin_segment("fan");
    CURLM *m = curl_multi_init();
    CURL *h = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "http://%s/done", server.address);
    xray_curl_easy_setopt(h, CURLOPT_URL, url);
    xray_curl_multi_add_handle(m, h);
    int running = 1;
    while (running) { /* never asks curl_multi_info_read */
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    xray_curl_multi_remove_handle(m, h);
    xray_curl_easy_cleanup(h);
    curl_multi_cleanup(m);
    xray_end_segment();
    fake_http_stop(&server);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *sub = child_named(L.docs[0], "127.0.0.1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_FALSE(flag(sub, "fault"));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "http"), "response"), "status")->valueint, 200);
}

static void test_aws_calls_are_named_after_the_service_with_their_fields(void)
{
    start(200, "x-amzn-RequestId: REQ-DDB-1\r\n"); /* named by its signature: no registration */
    xray_begin_segment("client");
    CU_ASSERT_EQUAL(fake_aws_put_item(server.address, "Users"), CURLE_OK);
    xray_end_segment();
    fake_http_stop(&server);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *ddb = child_named(L.docs[0], "DynamoDB");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ddb);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ddb, "namespace")->valuestring, "aws");
    cJSON *aws = cJSON_GetObjectItem(ddb, "aws");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "operation")->valuestring, "PutItem");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "region")->valuestring, "us-east-1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "table_name")->valuestring, "Users");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "request_id")->valuestring, "REQ-DDB-1");
    CU_ASSERT_PTR_NOT_NULL(strcasestr(got.all_headers, "Authorization: AWS4-HMAC-SHA256"));
    char *text = cJSON_PrintUnformatted(L.docs[0]);
    CU_ASSERT_PTR_NULL(strstr(text, "SECRETKEY"));
    CU_ASSERT_PTR_NULL(strstr(text, "AKIDEXAMPLE"));
    CU_ASSERT_PTR_NULL(strcasestr(text, "Authorization"));
    cJSON_free(text);
}

static void test_s3_operations_buckets_and_keys_come_from_method_and_path(void)
{
    start(200, "x-amz-request-id: S3REQ9\r\n");
    char url[256];
    xray_begin_segment("client");
    CURL *h = curl_easy_init();
    snprintf(url, sizeof url, "http://%s/photos/2026/cat.jpg?X-Amz-Signature=abc", server.address);
    xray_curl_easy_setopt(h, CURLOPT_URL, url);
    xray_curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    xray_curl_easy_setopt(h, CURLOPT_POSTFIELDS, "meow");
    xray_curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:eu-west-1:s3");
    xray_curl_easy_setopt(h, CURLOPT_USERPWD, "S3RVER:S3RVER");
    CU_ASSERT_EQUAL(xray_curl_easy_perform(h), CURLE_OK);
    xray_curl_easy_cleanup(h);
    xray_end_segment();
    fake_http_stop(&server);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *s3 = child_named(L.docs[0], "S3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s3);
    cJSON *aws = cJSON_GetObjectItem(s3, "aws");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "operation")->valuestring, "PutObject");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "bucket_name")->valuestring, "photos");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "key")->valuestring, "2026/cat.jpg");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(aws, "request_id")->valuestring, "S3REQ9");
    const char *recorded = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s3, "http"), "request"), "url")->valuestring;
    CU_ASSERT_PTR_NULL(strstr(recorded, "Signature"));
    CU_ASSERT_PTR_NULL(strstr(recorded, "S3RVER"));
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data, (void)ctx;
    return size * n;
}

/* A password holding '@', '/', '?' or '#' makes a URL libcurl refuses; the call is still
 * recorded, and no part of the password reaches its name or its URL. */
static void test_no_part_of_a_password_reaches_the_name_or_url(void)
{
    start(200, NULL);
    const char *forms[] = {"http://user:pw1@x@%s/a", "http://user:pw2/y@%s/a", "http://user:pw3#z@%s/a",
                           "http://user:pw4?q@%s/a", "http://user:pw5@%s/a?k=v", "http://user:pw6/x"};
    size_t n = sizeof forms / sizeof *forms;
    xray_begin_segment("client");
    for (size_t i = 0; i < n; i++) {
        char url[256];
        snprintf(url, sizeof url, forms[i], server.address);
        CURL *h = curl_easy_init();
        xray_curl_easy_setopt(h, CURLOPT_URL, url);
        xray_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        xray_curl_easy_perform(h);
        xray_curl_easy_cleanup(h);
    }
    xray_end_segment();
    fake_http_stop(&server);
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    cJSON *subs = cJSON_GetObjectItem(L.docs[0], "subsegments");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(subs), (int)n);
    char *text = cJSON_PrintUnformatted(L.docs[0]);
    CU_ASSERT_PTR_NULL(strstr(text, "pw"));
    CU_ASSERT_PTR_NULL(strstr(test_log, "pw")); /* nor in a log line */
    free(text);
    /* the host after the last '@' names the call where there is one */
    cJSON *sub;
    int named = 0;
    cJSON_ArrayForEach(sub, subs)
        named += !strcmp(cJSON_GetObjectItem(sub, "name")->valuestring, "127.0.0.1");
    CU_ASSERT_EQUAL(named, (int)n - 1);
}

static void test_bad_endpoint_registrations_are_refused(void)
{
    CU_ASSERT_EQUAL(xray_curl_register_aws_endpoint("", "S3"), XRAY_ERR_INVALID);
    CU_ASSERT_EQUAL(xray_curl_register_aws_endpoint("http://x", NULL), XRAY_ERR_INVALID);
}

void register_curl(void)
{
    CU_pSuite s = CU_add_suite("curl", NULL, NULL);
    ADD(s, test_transfer_is_a_remote_subsegment_and_carries_the_trace_header);
    ADD(s, test_query_and_traced_are_recorded_only_when_asked);
    ADD(s, test_status_codes_set_the_flags);
    ADD(s, test_transport_error_is_a_fault_naming_the_curlcode);
    ADD(s, test_unsampled_segment_still_propagates_sampled_zero);
    ADD(s, test_multi_transfers_are_subsegments_ended_when_they_complete);
    ADD(s, test_multi_transfer_removed_without_info_read_is_not_a_fault);
    ADD(s, test_aws_calls_are_named_after_the_service_with_their_fields);
    ADD(s, test_s3_operations_buckets_and_keys_come_from_method_and_path);
    ADD(s, test_bad_endpoint_registrations_are_refused);
    ADD(s, test_no_part_of_a_password_reaches_the_name_or_url);
}
