/* test_lambda.c — the custom-runtime loop against a fake Runtime API, and what a Lambda
 * invocation sends: subsegments under the facade, never the facade. */
#include "fake_http.h"
#include "harness.h"

#include <stdio.h>
#include <string.h>

#ifndef LAMBDA_PROBE
#define LAMBDA_PROBE "build/tests/lambda_probe"
#endif

#define ROOT1 "1-5759e988-bd862e3fe1be46a994272793"
#define ROOT2 "1-5759e988-bd862e3fe1be46a994272794"
#define ROOT3 "1-5759e988-bd862e3fe1be46a994272795"

typedef struct runtime_api {
    int served;
    char responses[4][128];   /* body posted for invocation i */
    char kinds[4][16];        /* "response" or "error" */
} runtime_api;

static void runtime_handler(const http_request *req, http_response *resp, void *ctx)
{
    runtime_api *api = ctx;
    static const char *traces[] = {
        "Root=" ROOT1 ";Parent=1111111111111111;Sampled=1;Lineage=a87bd80c:0",
        "Root=" ROOT2 ";Parent=2222222222222222;Sampled=0",
        "Root=" ROOT3 ";Parent=3333333333333333;Sampled=1",
    };
    static const char *events[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3,\"fail\":true}"};
    if (!strcmp(req->method, "GET") && strstr(req->path, "/2018-06-01/runtime/invocation/next")) {
        if (api->served == 3) {
            resp->status = 500; /* ends the loop */
            return;
        }
        int i = api->served++;
        snprintf(resp->headers, sizeof resp->headers,
                 "Lambda-Runtime-Aws-Request-Id: req-%d\r\nLambda-Runtime-Trace-Id: %s\r\n"
                 "Lambda-Runtime-Deadline-Ms: 1893456000000\r\n", i, traces[i]);
        snprintf(resp->body, sizeof resp->body, "%s", events[i]);
        return;
    }
    int i = -1;
    char kind[16] = "";
    if (sscanf(req->path, "/2018-06-01/runtime/invocation/req-%d/%15s", &i, kind) == 2 && i >= 0 && i < 4) {
        snprintf(api->kinds[i], sizeof api->kinds[i], "%s", kind);
        snprintf(api->responses[i], sizeof api->responses[i], "%.120s", req->body);
        resp->status = 202;
        return;
    }
    resp->status = 404;
}

/* Runs the probe function as Lambda would, against `server` as its Runtime API (NULL: none
 * set); its output (stdout and stderr) in out, its exit status returned. */
static int run_function(const fake_http *server, char *out, size_t len)
{
    char cmd[512], api[100] = "-u AWS_LAMBDA_RUNTIME_API";
    if (server)
        snprintf(api, sizeof api, "AWS_LAMBDA_RUNTIME_API=%s", server->address);
    snprintf(cmd, sizeof cmd, "env %s LAMBDA_TASK_ROOT=/var/task AWS_XRAY_DAEMON_ADDRESS=%s %s 2>&1",
             api, L.address, LAMBDA_PROBE); /* (env's -u before any assignment) */
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, len - 1, p) : 0;
    out[n] = '\0';
    return p ? pclose(p) : -1;
}

static cJSON *doc_with_trace(const char *root, const char *name)
{
    for (size_t i = 0; i < L.ndocs; i++) {
        cJSON *t = cJSON_GetObjectItem(L.docs[i], "trace_id"), *n = cJSON_GetObjectItem(L.docs[i], "name");
        if (!strcmp(t->valuestring, root) && !strcmp(n->valuestring, name))
            return L.docs[i];
    }
    return NULL;
}

static void test_runtime_loop_traces_each_invocation_under_its_facade(void)
{
    test_reset();
    runtime_api api = {0};
    fake_http server;
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&server, runtime_handler, &api), 0);
    char out[8192] = "";
    CU_ASSERT_EQUAL(run_function(&server, out, sizeof out), 0);
    fake_http_stop(&server);
    collect();

    CU_ASSERT_EQUAL(api.served, 3);
    CU_ASSERT_STRING_EQUAL(api.kinds[0], "response");
    CU_ASSERT_STRING_EQUAL(api.responses[0], "{\"got\":1}");
    CU_ASSERT_STRING_EQUAL(api.kinds[1], "response");
    CU_ASSERT_STRING_EQUAL(api.kinds[2], "error");
    CU_ASSERT_PTR_NOT_NULL(strstr(api.responses[2], "\"errorMessage\":\"boom\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Cannot create segments inside Lambda function. Discarded."));

    /* invocation 1 (sampled): its subsegments, each a document of its own under the facade */
    cJSON *h1 = doc_with_trace(ROOT1, "handle");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(h1, "type")->valuestring, "subsegment");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(h1, "parent_id")->valuestring, "1111111111111111");
    cJSON *inner = child_named(h1, "inner");
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(inner, "annotations"), "n")->valueint, 1);
    cJSON *open1 = doc_with_trace(ROOT1, "left_open");
    CU_ASSERT_PTR_NOT_NULL(open1);
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(open1, "end_time"));
    /* invocation 2 (Sampled=0): nothing; invocation 3: traced though it failed */
    CU_ASSERT_PTR_NULL(doc_with_trace(ROOT2, "handle"));
    CU_ASSERT_PTR_NOT_NULL(doc_with_trace(ROOT3, "handle"));
    CU_ASSERT_EQUAL(listener_count(&L, "facade"), 0);
    /* a thread handed the facade's context: its work is sent too, under the facade */
    cJSON *w1 = doc_with_trace(ROOT1, "worker");
    CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(w1, "parent_id")->valuestring, "1111111111111111");
    CU_ASSERT_PTR_NOT_NULL(doc_with_trace(ROOT3, "worker"));
    CU_ASSERT_EQUAL(L.ndocs, 6);
    for (size_t i = 0; i < L.ndocs; i++)
        CU_ASSERT_TRUE(entity_valid(L.docs[i], 1));
}

static void test_runtime_loop_reports_a_missing_runtime_api(void)
{
    char out[2048] = "";
    CU_ASSERT_EQUAL(run_function(NULL, out, sizeof out), 0); /* the loop returned -1: the probe says 0 */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "AWS_LAMBDA_RUNTIME_API is not set"));
}

/* Request ids that Lambda never sends — one that would walk the answer's URL elsewhere, one
 * longer than 127 characters — are not answered (nor cut and answered under another id); the
 * invocation after them is served as usual. */
static int hostile_served;
static char hostile_posts[4][600];
static int hostile_nposts;
static void hostile_ids(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    if (!strcmp(req->method, "GET")) {
        char long_id[201];
        memset(long_id, 'a', 200);
        long_id[200] = '\0';
        const char *ids[] = {"../../../x?y=1#z", long_id, "req-ok"};
        if (hostile_served == 3) {
            resp->status = 500;
            return;
        }
        snprintf(resp->headers, sizeof resp->headers,
                 "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: 1893456000000\r\n",
                 ids[hostile_served++]);
        snprintf(resp->body, sizeof resp->body, "{\"n\":1}");
        return;
    }
    if (hostile_nposts < 4)
        snprintf(hostile_posts[hostile_nposts++], sizeof hostile_posts[0], "%s", req->path);
    resp->status = 202;
}

static void test_runtime_loop_refuses_request_ids_lambda_never_sends(void)
{
    test_reset();
    fake_http server;
    hostile_served = hostile_nposts = 0;
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&server, hostile_ids, NULL), 0);
    char out[8192] = "";
    run_function(&server, out, sizeof out);
    fake_http_stop(&server);
    collect();
    CU_ASSERT_EQUAL(hostile_served, 3);
    CU_ASSERT_EQUAL(hostile_nposts, 1); /* only the good one was answered */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "is not one Lambda sends"));
    CU_ASSERT_STRING_EQUAL(hostile_posts[0], "/2018-06-01/runtime/invocation/req-ok/response");
}

void register_lambda(void)
{
    CU_pSuite s = CU_add_suite("lambda", NULL, NULL);
    ADD(s, test_runtime_loop_traces_each_invocation_under_its_facade);
    ADD(s, test_runtime_loop_reports_a_missing_runtime_api);
    ADD(s, test_runtime_loop_refuses_request_ids_lambda_never_sends);
}
