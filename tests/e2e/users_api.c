/* users_api.c — end to end: samples/users-api against local DynamoDB and S3 stand-ins (npm's
 * dynalite and s3rver, installed into build/npm by `make`), one POST /users carrying a trace
 * header, and the documents the daemon would receive. Skipped, saying so, when the stand-ins
 * could not be installed (no npm registry). */
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

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static int wait_port(int port)
{
    for (int i = 0; i < 300; i++) {
        if (port_open(port))
            return 1;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Starts `cmd` through the shell in a process group of its own. */
static pid_t spawn(const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

typedef struct body {
    char text[1024];
    size_t len;
} body;

static size_t keep(char *d, size_t s, size_t n, void *arg)
{
    body *b = arg;
    size_t add = s * n, room = sizeof b->text - 1 - b->len;
    memcpy(b->text + b->len, d, add < room ? add : room);
    b->len += add < room ? add : room;
    b->text[b->len] = '\0';
    return add;
}

static cJSON *aws_child(cJSON *e, const char *name)
{
    cJSON *found = find_entity(e, name);
    return found && cJSON_GetObjectItem(found, "aws") ? found : NULL;
}

static void test_post_users_traces_the_seed_flow_into_dynamodb_and_s3(void)
{
    int ddb = fake_http_free_port(), s3 = fake_http_free_port(), s3ids = fake_http_free_port(),
        api = fake_http_free_port();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec " BIN "dynalite --host 127.0.0.1 --port %d --createTableMs 0 >/dev/null 2>&1", ddb);
    pid_t p_ddb = spawn(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf " ROOT "/build/e2e/s3 && mkdir -p " ROOT "/build/e2e/s3 && exec " BIN
             "s3rver -d " ROOT "/build/e2e/s3 -p %d -a 127.0.0.1 --silent >/dev/null 2>&1", s3);
    pid_t p_s3 = spawn(cmd);
    snprintf(cmd, sizeof cmd, "exec node " ROOT "/tests/e2e/request_id_proxy.js %d %d", s3ids, s3);
    pid_t p_ids = spawn(cmd);
    CU_ASSERT_FATAL(wait_port(ddb) && wait_port(s3) && wait_port(s3ids));
    snprintf(cmd, sizeof cmd, "PORT=%d DYNAMODB_ENDPOINT=http://127.0.0.1:%d S3_ENDPOINT=http://127.0.0.1:%d "
             "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_XRAY_DAEMON_ADDRESS=%s "
             "XRAYCAP_SAMPLING_REMOTE=false exec " ROOT "/build/samples/users-api >/dev/null 2>&1",
             api, ddb, s3ids, L.address);
    pid_t p_api = spawn(cmd);
    CU_ASSERT_FATAL(wait_port(api));

    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/users", api);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "X-Amzn-Trace-Id: Root=" TRACE_ROOT ";Parent=" CALLER ";Sampled=1");
    body b = {0}, headers = {0};
    long status = 0, missing = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"name\":\"alice\"}");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &headers);
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    /* a request the service refuses: a segment of its own, with the 404 */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/nowhere", api);
    h = curl_easy_init();
    body ignored = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ignored);
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &missing);
    curl_easy_cleanup(h);
    listener_collect(&L, 500);
    stop(p_api);
    stop(p_ids);
    stop(p_s3);
    stop(p_ddb);

    CU_ASSERT_EQUAL(status, 201);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.text, "\"message\":\"User created successfully\""));
    /* the middleware sends the trace back, as the SDKs' middleware does */
    CU_ASSERT_PTR_NOT_NULL(strstr(headers.text, "X-Amzn-Trace-Id: Root=" TRACE_ROOT ";Sampled=1"));
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

int main(void)
{
    if (access(BIN "dynalite", X_OK) || access(BIN "s3rver", X_OK)) {
        printf("SKIPPED users-api end-to-end test: dynalite/s3rver are not installed in build/npm "
               "(npm registry unreachable?)\n");
        return 0;
    }
    listener_open(&L);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("e2e", NULL, NULL);
    CU_add_test(s, "test_post_users_traces_the_seed_flow_into_dynamodb_and_s3",
                test_post_users_traces_the_seed_flow_into_dynamodb_and_s3);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    listener_close(&L);
    return failed ? 1 : 0;
}
