/* lambda_package.c — build/lambda/function.zip (make lambda-package) runs as Lambda runs it:
 * unzipped into a directory of its own, `bootstrap` started in an empty environment (env -i)
 * with only Lambda's variables, against a Runtime API (tests/unit/fake_http.c) that serves one
 * invocation (DynamoDB and S3 pointed at a closed loopback port: nothing leaves the machine). It must answer the invocation, send the function's subsegments, and load every
 * library from the package (LD_DEBUG=libs shows where each came from): nothing from this
 * machine's libraries. */
#include "../common/support.h"
#include "../unit/fake_http.h"
#include "../unit/listener.h"

#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define TRACE_ROOT "1-5759e988-bd862e3fe1be46a994272796"

static listener L;
static char answered[512];
static int served;

static void runtime_api(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    if (!strcmp(req->method, "GET") && strstr(req->path, "/runtime/invocation/next")) {
        if (served++) {
            resp->status = 500; /* one invocation, then the loop ends */
            return;
        }
        snprintf(resp->headers, sizeof resp->headers,
                 "Lambda-Runtime-Aws-Request-Id: pkg-1\r\nLambda-Runtime-Trace-Id: Root=" TRACE_ROOT
                 ";Parent=1111111111111111;Sampled=1\r\nLambda-Runtime-Deadline-Ms: 1893456000000\r\n");
        snprintf(resp->body, sizeof resp->body, "{\"body\":\"{\\\"name\\\":\\\"alice\\\"}\"}");
        return;
    }
    if (strstr(req->path, "/runtime/invocation/pkg-1/response")) {
        snprintf(answered, sizeof answered, "%.500s", req->body);
        resp->status = 202;
        return;
    }
    resp->status = 404;
}

static void test_packaged_function_runs_with_only_its_own_libraries(void)
{
    char dir[64], cmd[2048], log[96];
    snprintf(dir, sizeof dir, "/tmp/xraycap-lambda-%d", (int)getpid());
    snprintf(log, sizeof log, "%s.libs", dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cd %s && unzip -q " ROOT "/build/lambda/function.zip", dir, dir, dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    fake_http api;
    CU_ASSERT_EQUAL_FATAL(fake_http_start(&api, runtime_api, NULL), 0);
    served = 0;
    answered[0] = '\0';
    snprintf(cmd, sizeof cmd, "cd / && env -i LD_DEBUG=libs AWS_LAMBDA_RUNTIME_API=%s LAMBDA_TASK_ROOT=%s "
             "AWS_LAMBDA_FUNCTION_NAME=users AWS_XRAY_DAEMON_ADDRESS=%s _HANDLER=bootstrap "
             "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9 AWS_ENDPOINT_URL_S3=http://127.0.0.1:9 "
             "%s/bootstrap >/dev/null 2>%s", api.address, dir, L.address, dir, log);
    int rc = system(cmd);
    fake_http_stop(&api);
    (void)rc; /* the loop ends with an error when the Runtime API does: that is expected here */
    CU_ASSERT_PTR_NOT_NULL(strstr(answered, "statusCode"));
    listener_collect(&L, 300);
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "subsegment_1"));
    CU_ASSERT_PTR_NOT_NULL(listener_find(&L, "xray_function_sample2"));
    /* every library the loader initialized for the program came from the package (the lines
     * before the first "transferring control" are /bin/sh's, which runs bootstrap and is the
     * function's system's in Lambda) */
    FILE *f = fopen(log, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[1024];
    int inits = 0, foreign = 0;
    bool shell_done = false;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "transferring control: ")) {
            shell_done = true;
            continue;
        }
        const char *p = strstr(line, "calling init: ");
        if (!p || !shell_done)
            continue;
        inits++;
        if (strncmp(p + 14, dir, strlen(dir))) {
            foreign++;
            fprintf(stderr, "\n  not from the package: %s", p + 14);
        }
    }
    fclose(f);
    CU_ASSERT_TRUE(inits > 5);
    CU_ASSERT_EQUAL(foreign, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, log);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

int main(void)
{
    if (access(ROOT "/build/lambda/function.zip", R_OK)) {
        fprintf(stderr, "build/lambda/function.zip is missing: make lambda-package\n");
        return 1;
    }
    listener_open(&L);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("lambda-package", NULL, NULL);
    CU_add_test(s, "test_packaged_function_runs_with_only_its_own_libraries", test_packaged_function_runs_with_only_its_own_libraries);
    int failed = support_run_tests();
    listener_close(&L);
    return failed ? 1 : 0;
}
