/* samples/lambda — the seed's Lambda handler as a C custom runtime: build it as `bootstrap`,
 * zip it, and deploy with the provided.al2023 runtime and active tracing. Each invocation's
 * subsegments appear under the function's segment in the X-Ray console.
 *
 * The three ways of tracing: a manual subsegment with an annotation and metadata, a captured
 * function (with the plugin), and a captured block. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/lambda.h>

static void xray_function_sample1(const char *request_id)
{
    xray_begin_subsegment("subsegment_1");
    xray_entity *sub = xray_current_subsegment();
    xray_put_annotation(sub, "request_id", request_id);
    xray_put_metadata_json(sub, "data", "{\"key1\":\"value1\"}", "subsegment_1_metadata");
    xray_begin_subsegment("subsegment_2");
    xray_begin_subsegment("subsegment_3-1");
    xray_end_subsegment();
    xray_begin_subsegment("subsegment_3-2");
    xray_end_subsegment();
    xray_end_subsegment();
    xray_end_subsegment();
}

XRAY_CAPTURE("xray_function_sample2")
static void xray_function_sample2(void)
{
    XRAY_CAPTURE_BLOCK("subsegment_1") { usleep(10000); }
}

static int handler(const xray_lambda_invocation *inv, char **response, void *ctx)
{
    (void)ctx;
    xray_function_sample1(inv->request_id);
    xray_function_sample2();
    char body[256];
    snprintf(body, sizeof body, "{\"statusCode\":200,\"body\":\"handled %s\"}", inv->request_id);
    *response = strdup(body);
    return 0;
}

int main(void)
{
    if (!getenv("AWS_LAMBDA_RUNTIME_API")) {
        fprintf(stderr, "This is a Lambda custom runtime (bootstrap); run it inside Lambda, or "
                        "against a Runtime API emulator with AWS_LAMBDA_RUNTIME_API=host:port.\n");
        return 2;
    }
    return xray_lambda_run(handler, NULL) == 0 ? 0 : 1;
}
