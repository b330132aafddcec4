/* users_api.c — end to end against local DynamoDB and S3 stand-ins (npm's dynalite and s3rver,
 * installed into build/npm by `make`): samples/users-api given one POST /users carrying a trace
 * header, then samples/lambda given the same request as an API Gateway event through a local
 * Runtime API; the documents the daemon would receive are checked. Skipped, saying so, when
 * the stand-ins could not be installed (no npm registry). */
#include "../common/support.h"
#include "../unit/fake_http.h"
#include "../unit/listener.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define BIN ROOT "/build/npm/node_modules/.bin/"

#define TRACE_ROOT "1-5759e988-bd862e3fe1be46a994272793"
#define CALLER "53995c3f42cd8ad8"

static listener L;

static cJSON *aws_child(cJSON *e, const char *name)
{
    cJSON *found = find_entity(e, name);
    return found && cJSON_GetObjectItem(found, "aws") ? found : NULL;
}

/* The stand-ins, started once for both tests (users-api's creates the table and the bucket). */
static struct {
    int ddb, s3, s3ids;
    pid_t p_ddb, p_s3, p_ids;
} aws;

static int start_standins(void)
{
    char cmd[1024];
    aws.ddb = fake_http_free_port(), aws.s3 = fake_http_free_port(), aws.s3ids = fake_http_free_port();
    snprintf(cmd, sizeof cmd, "exec " BIN "dynalite --host 127.0.0.1 --port %d --createTableMs 0 >/dev/null 2>&1", aws.ddb);
    aws.p_ddb = support_spawn(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf " ROOT "/build/e2e/s3 && mkdir -p " ROOT "/build/e2e/s3 && exec " BIN
             "s3rver -d " ROOT "/build/e2e/s3 -p %d -a 127.0.0.1 --silent >/dev/null 2>&1", aws.s3);
    aws.p_s3 = support_spawn(cmd);
    snprintf(cmd, sizeof cmd, "exec node " ROOT "/tests/e2e/request_id_proxy.js %d %d", aws.s3ids, aws.s3);
    aws.p_ids = support_spawn(cmd);
    return support_wait_port(aws.ddb) && support_wait_port(aws.s3) && support_wait_port(aws.s3ids);
}

static void stop_standins(void)
{
    support_stop(aws.p_ids);
    support_stop(aws.p_s3);
    support_stop(aws.p_ddb);
}

static void test_post_users_traces_the_seed_flow_into_dynamodb_and_s3(void)
{
    int api = fake_http_free_port();
    int ddb = aws.ddb, s3ids = aws.s3ids;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "PORT=%d DYNAMODB_ENDPOINT=http://127.0.0.1:%d S3_ENDPOINT=http://127.0.0.1:%d "
             "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_XRAY_DAEMON_ADDRESS=%s "
             "XRAYCAP_SAMPLING_REMOTE=false exec " ROOT "/build/samples/users-api >/dev/null 2>&1",
             api, ddb, s3ids, L.address);
    pid_t p_api = support_spawn(cmd);
    CU_ASSERT_FATAL(support_wait_port(api));

    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/users", api);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "X-Amzn-Trace-Id: Root=" TRACE_ROOT ";Parent=" CALLER ";Sampled=1");
    http_text b = {0}, headers = {0};
    long status = 0, missing = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"name\":\"alice\"}");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_text_keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_text_keep);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &headers);
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    /* a request the service refuses: a segment of its own, with the 404 */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/nowhere", api);
    h = curl_easy_init();
    http_text ignored = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_text_keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ignored);
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &missing);
    curl_easy_cleanup(h);
    listener_collect(&L, 500);
    support_stop(p_api);

    CU_ASSERT_EQUAL(status, 201);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "\"message\":\"User created successfully\""));
    /* the middleware sends the trace back, as the SDKs' middleware does */
    CU_ASSERT_PTR_NOT_NULL(strstr(headers.s, "X-Amzn-Trace-Id: Root=" TRACE_ROOT ";Sampled=1"));
    CU_ASSERT_EQUAL(missing, 404);
    CU_ASSERT_EQUAL_FATAL(L.ndocs, 2);
    cJSON *refused = L.docs[1];
    CU_ASSERT_TRUE(entity_valid(refused, 1));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(refused, "http"), "response"),
                                        "status")->valueint, 404);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(refused, "error")));
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(refused, "http"),
                                                                          "request"), "url")->valuestring, "/nowhere"));
    cJSON *seg = L.docs[0];
    CU_ASSERT_TRUE(entity_valid(seg, 1));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(seg, "name")->valuestring, "users-api");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(seg, "trace_id")->valuestring, TRACE_ROOT);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(seg, "parent_id")->valuestring, CALLER);
    cJSON *http = cJSON_GetObjectItem(seg, "http");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(http, "response"), "status")->valueint, 201);
    CU_ASSERT_PTR_NOT_NULL(find_entity(seg, "subsegment_3-2"));
    CU_ASSERT_PTR_NOT_NULL(find_entity(seg, "xray_function_sample2"));
    cJSON *sample3 = find_entity(seg, "xray_function_sample3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sample3);
    cJSON *d = aws_child(sample3, "DynamoDB"), *s = aws_child(sample3, "S3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    cJSON *da = cJSON_GetObjectItem(d, "aws"), *sa = cJSON_GetObjectItem(s, "aws");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(da, "operation")->valuestring, "PutItem");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(da, "table_name")->valuestring, "Users");
    CU_ASSERT_TRUE(strlen(cJSON_GetObjectItem(da, "request_id")->valuestring) > 10);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sa, "operation")->valuestring, "PutObject");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sa, "bucket_name")->valuestring, "users-bucket");
    CU_ASSERT_EQUAL(strncmp(cJSON_GetObjectItem(sa, "key")->valuestring, "users/", 6), 0);
    CU_ASSERT_TRUE(strlen(cJSON_GetObjectItem(sa, "request_id")->valuestring) > 10);
    char *text = cJSON_PrintUnformatted(seg);
    CU_ASSERT_PTR_NULL(strstr(text, "S3RVER")); /* the credentials */
    cJSON_free(text);
}

/* A Runtime API serving one API Gateway proxy event (POST /users), then ending the loop. */
#define LAMBDA_ROOT "1-5759e988-bd862e3fe1be46a994272797"
#define FUNCTION_SEGMENT "1111111111111111"
static char lambda_answer[1024];
static int lambda_served;

static void runtime_api(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    if (!strcmp(req->method, "GET") && strstr(req->path, "/runtime/invocation/next")) {
        if (lambda_served++) {
            resp->status = 500;
            return;
        }
        snprintf(resp->headers, sizeof resp->headers,
                 "Lambda-Runtime-Aws-Request-Id: inv-1\r\nLambda-Runtime-Trace-Id: Root=" LAMBDA_ROOT
                 ";Parent=" FUNCTION_SEGMENT ";Sampled=1\r\nLambda-Runtime-Deadline-Ms: 1893456000000\r\n");
        snprintf(resp->body, sizeof resp->body, "{\"httpMethod\":\"POST\",\"path\":\"/users\","
                 "\"body\":\"{\\\"name\\\":\\\"alice\\\"}\"}");
        return;
    }
    if (strstr(req->path, "/runtime/invocation/inv-1/response")) {
        snprintf(lambda_answer, sizeof lambda_answer, "%.1000s", req->body);
        resp->status = 202;
        return;
    }
    resp->status = 404;
}

/* The top-level subsegment document named `name` (Lambda: each is sent on its own). */
static cJSON *lambda_doc(const char *name)
{
    for (size_t i = 0; i < L.ndocs; i++)
        if (!strcmp(cJSON_GetObjectItem(L.docs[i], "name")->valuestring, name))
            return L.docs[i];
    return NULL;
}

static void test_lambda_function_traces_the_seed_flow_under_the_function_segment(void)
{
    fake_http api;
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&api, runtime_api, NULL), 0);
    listener_clear(&L);
    lambda_served = 0;
    char cmd[2048], errlog[] = ROOT "/build/e2e/lambda.stderr";
    snprintf(cmd, sizeof cmd, "AWS_LAMBDA_RUNTIME_API=%s AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:%d "
             "AWS_ENDPOINT_URL_S3=http://127.0.0.1:%d TABLE_NAME=Users BUCKET_NAME=users-bucket "
             "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=session-token "
             "AWS_LAMBDA_FUNCTION_NAME=users LAMBDA_TASK_ROOT=" ROOT "/build/samples AWS_XRAY_DAEMON_ADDRESS=%s " ROOT "/build/samples/lambda "
             ">/dev/null 2>%s", api.address, aws.ddb, aws.s3ids, L.address, errlog);
    int rc = system(cmd); /* the loop ends with an error when the Runtime API does */
    (void)rc;
    fake_http_stop(&api);
    listener_collect(&L, 500);
    /* the seed's answer */
    CU_ASSERT_PTR_NOT_NULL(strstr(lambda_answer, "\"statusCode\":200"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lambda_answer, "User created successfully"));
    /* sample1's begin_segment, discarded with the SDKs' words */
    char err[8192] = "";
    FILE *f = fopen(errlog, "r");
    if (f) {
        err[fread(err, 1, sizeof err - 1, f)] = '\0';
        fclose(f);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "Cannot create segments inside Lambda function. Discarded."));
    /* every top-level subsegment under the function segment Lambda made */
    const char *tops[] = {"subsegment_1", "xray_function_sample2", "xray_function_sample3"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *d = lambda_doc(tops[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "type")->valuestring, "subsegment");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "trace_id")->valuestring, LAMBDA_ROOT);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "parent_id")->valuestring, FUNCTION_SEGMENT);
        CU_ASSERT_TRUE(entity_valid(d, 1));
    }
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(lambda_doc("subsegment_1"), "annotations"),
                                               "annotation1")->valuestring, "annotation test");
    CU_ASSERT_PTR_NULL(lambda_doc("segment_1"));
    cJSON *sample3 = lambda_doc("xray_function_sample3");
    cJSON *d = aws_child(sample3, "DynamoDB"), *s = aws_child(sample3, "S3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "aws"), "operation")->valuestring, "PutItem");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "aws"), "operation")->valuestring, "PutObject");
    CU_ASSERT_TRUE(strlen(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "aws"), "request_id")->valuestring) > 10);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(d, "fault"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(s, "fault"));
    for (size_t i = 0; i < L.ndocs; i++) {
        char *text = cJSON_PrintUnformatted(L.docs[i]);
        CU_ASSERT_PTR_NULL(strstr(text, "session-token")); /* the credentials */
        CU_ASSERT_PTR_NULL(strstr(text, "S3RVER"));
        cJSON_free(text);
    }
}

/* The document with this origin, or NULL. */
static cJSON *by_origin(const char *origin)
{
    for (size_t i = 0; i < L.ndocs; i++) {
        cJSON *o = cJSON_GetObjectItem(L.docs[i], "origin");
        if (cJSON_IsString(o) && !strcmp(o->valuestring, origin))
            return L.docs[i];
    }
    return NULL;
}

static size_t subsegment_documents(void)
{
    size_t n = 0;
    for (size_t i = 0; i < L.ndocs; i++)
        n += cJSON_GetObjectItem(L.docs[i], "type") != NULL;
    return n;
}

/* POST /users through `xraycap local-api --tracing MODE` into the packaged function; returns
 * the status, with the documents collected. */
static long through_local_api(const char *mode)
{
    int port = fake_http_free_port();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:%d AWS_ENDPOINT_URL_S3=http://127.0.0.1:%d "
             "TABLE_NAME=Users BUCKET_NAME=users-bucket AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
             "exec " ROOT "/build/xraycap local-api --bootstrap " ROOT "/build/lambda/stage/bootstrap "
             "--http 127.0.0.1:%d --udp %s --tracing %s >/dev/null 2>" ROOT "/build/e2e/local-api.log",
             aws.ddb, aws.s3ids, port, L.address, mode);
    listener_clear(&L);
    pid_t p = support_spawn(cmd);
    long status = 0;
    if (support_wait_port(port)) {
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/users", port);
        CURL *h = curl_easy_init();
        http_text b = {0};
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"name\": \"alice\"}");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_text_keep);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
        CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "User created successfully"));
    }
    listener_collect(&L, 500);
    support_stop(p);
    return status;
}

static void test_local_api_gives_the_consoles_picture_in_the_seeds_three_configurations(void)
{
    /* API Gateway, Lambda and the SDK: the stage, the Lambda service and the function segment,
     * the function's subsegments under the function segment */
    CU_ASSERT_EQUAL(through_local_api("sdk"), 200);
    cJSON *stage = by_origin("AWS::ApiGateway::Stage"), *service = by_origin("AWS::Lambda"),
          *function = by_origin("AWS::Lambda::Function");
    CU_ASSERT_PTR_NOT_NULL_FATAL(stage);
    CU_ASSERT_PTR_NOT_NULL_FATAL(service);
    CU_ASSERT_PTR_NOT_NULL_FATAL(function);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(stage, "name")->valuestring, "users-api/dev");
    cJSON *invoke = cJSON_GetArrayItem(cJSON_GetObjectItem(stage, "subsegments"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(invoke);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(service, "parent_id")->valuestring,
                           cJSON_GetObjectItem(invoke, "id")->valuestring);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(function, "parent_id")->valuestring,
                           cJSON_GetObjectItem(service, "id")->valuestring);
    const char *function_id = cJSON_GetObjectItem(function, "id")->valuestring;
    const char *tops[] = {"subsegment_1", "xray_function_sample2", "xray_function_sample3"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *d = lambda_doc(tops[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "parent_id")->valuestring, function_id);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "trace_id")->valuestring,
                               cJSON_GetObjectItem(stage, "trace_id")->valuestring);
    }
    cJSON *sample1 = lambda_doc("subsegment_1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(sample1, "annotations"), "annotation1")->valuestring,
                           "annotation test");
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(sample1, "metadata"), "subsegment_1_metadata"));
    CU_ASSERT_PTR_NOT_NULL(find_entity(sample1, "subsegment_3-2"));
    CU_ASSERT_PTR_NOT_NULL(find_entity(lambda_doc("xray_function_sample2"), "subsegment_1"));
    const char *calls[] = {"DynamoDB", "S3"};
    for (size_t i = 0; i < 2; i++) {
        cJSON *c = aws_child(lambda_doc("xray_function_sample3"), calls[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "aws"), "operation")->valuestring,
                               i ? "PutObject" : "PutItem");
        CU_ASSERT_TRUE(strlen(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "aws"), "request_id")->valuestring) > 10);
    }
    for (size_t i = 0; i < L.ndocs; i++)
        CU_ASSERT_TRUE(entity_valid(L.docs[i], 1));
    /* the function's log (its stderr, through local-api's) has the seed's discarded segment */
    char log[8192] = "";
    FILE *f = fopen(ROOT "/build/e2e/local-api.log", "r");
    if (f) {
        log[fread(log, 1, sizeof log - 1, f)] = '\0';
        fclose(f);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "Cannot create segments inside Lambda function. Discarded."));
    /* API Gateway and Lambda tracing, no SDK in the function: the services only */
    CU_ASSERT_EQUAL(through_local_api("lambda"), 200);
    CU_ASSERT_PTR_NOT_NULL(by_origin("AWS::ApiGateway::Stage"));
    CU_ASSERT_PTR_NOT_NULL(by_origin("AWS::Lambda"));
    CU_ASSERT_PTR_NOT_NULL(by_origin("AWS::Lambda::Function"));
    CU_ASSERT_EQUAL(subsegment_documents(), 0);
    /* API Gateway tracing only */
    CU_ASSERT_EQUAL(through_local_api("api"), 200);
    CU_ASSERT_PTR_NOT_NULL(by_origin("AWS::ApiGateway::Stage"));
    CU_ASSERT_EQUAL(L.ndocs, 1);
}

int main(void)
{
    if (access(BIN "dynalite", X_OK) || access(BIN "s3rver", X_OK)) {
        printf("SKIPPED users-api end-to-end test: dynalite/s3rver are not installed in build/npm "
               "(npm registry unreachable?)\n");
        return 0;
    }
    listener_open(&L);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!start_standins()) {
        fprintf(stderr, "dynalite or s3rver did not start\n");
        stop_standins();
        return 1;
    }
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("e2e", NULL, NULL);
    /* (in this order: users-api's run creates the table and the bucket) */
    CU_add_test(s, "test_post_users_traces_the_seed_flow_into_dynamodb_and_s3",
                test_post_users_traces_the_seed_flow_into_dynamodb_and_s3);
    CU_add_test(s, "test_lambda_function_traces_the_seed_flow_under_the_function_segment",
                test_lambda_function_traces_the_seed_flow_under_the_function_segment);
    CU_add_test(s, "test_local_api_gives_the_consoles_picture_in_the_seeds_three_configurations",
                test_local_api_gives_the_consoles_picture_in_the_seeds_three_configurations);
    int failed = support_run_tests();
    stop_standins();
    listener_close(&L);
    return failed ? 1 : 0;
}
