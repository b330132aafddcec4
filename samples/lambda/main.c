/* samples/lambda — the seed's Lambda handler as a C custom runtime (`bootstrap`; see README.md
 * beside this file for packaging and deploying). For each invocation (an API Gateway proxy
 * event, POST /users with {"name": ...}):
 *   sample1: the seed's begin_segment, which Lambda discards ("Cannot create segments inside
 *            Lambda function. Discarded."), then manual subsegments with an annotation and
 *            metadata, under the function segment Lambda makes;
 *   sample2: a captured function with a captured block;
 *   sample3: the user stored with DynamoDB PutItem and S3 PutObject through libcurl, signed with
 *            the function's credentials (session token included), TABLE_NAME and BUCKET_NAME,
 *            endpoints from AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 when set
 *            (samples/common/aws_store.c; traced by -fplugin-arg-xraycap-patch=curl);
 * and answers as the seed does: {"statusCode": 200, "body": "{\"userId\": ..., \"message\": ...}"}. */
#define _DEFAULT_SOURCE
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/lambda.h>

#include "../common/aws_store.h"
#include "../common/seed.h"

static aws_store store;

static void sample1_as_the_seed_wrote_it(void)
{
    xray_begin_segment("segment_1"); /* as the seed does: Lambda owns the segment, so discarded */
    xray_function_sample1();         /* samples/common/seed.c */
    xray_end_segment();              /* (ignored, with a warning, for the same reason) */
}

XRAY_CAPTURE("xray_function_sample3")
static int xray_function_sample3(const char *user_id, const char *name)
{
    xray_put_annotation(xray_current_subsegment(), "userId", user_id);
    return aws_store_put_user(&store, user_id, name);
}

/* The "name" of the request body (an API Gateway proxy event carries it as a JSON string). */
static void user_name(const char *event, char *out, size_t len)
{
    snprintf(out, len, "anonymous");
    cJSON *e = cJSON_Parse(event);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, "body");
    cJSON *b = cJSON_IsString(body) ? cJSON_Parse(body->valuestring) : NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
    if (cJSON_IsString(name) && *name->valuestring && !strpbrk(name->valuestring, "\"\\"))
        snprintf(out, len, "%s", name->valuestring);
    cJSON_Delete(b);
    cJSON_Delete(e);
}

static int handler(const xray_lambda_invocation *inv, char **response, void *ctx)
{
    (void)ctx;
    char user_id[40], name[128], answer[512];
    snprintf(user_id, sizeof user_id, "%08lx-%04x", (unsigned long)time(NULL), (unsigned)rand() & 0xffff);
    user_name(inv->event, name, sizeof name);
    sample1_as_the_seed_wrote_it();
    xray_function_sample2();
    if (xray_function_sample3(user_id, name) == 0)
        snprintf(answer, sizeof answer, "{\"statusCode\":200,\"body\":\"{\\\"userId\\\":\\\"%s\\\","
                 "\\\"message\\\":\\\"User created successfully\\\"}\"}", user_id);
    else
        snprintf(answer, sizeof answer, "{\"statusCode\":502,\"body\":\"{\\\"message\\\":"
                 "\\\"could not store the user\\\"}\"}");
    *response = strdup(answer);
    return 0;
}

int main(void)
{
    if (!getenv("AWS_LAMBDA_RUNTIME_API")) {
        fprintf(stderr, "This is a Lambda custom runtime (bootstrap); run it inside Lambda, or "
                        "against a Runtime API emulator with AWS_LAMBDA_RUNTIME_API=host:port.\n");
        return 2;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    aws_store_init(&store, NULL, NULL);
    return xray_lambda_run(handler, NULL) == 0 ? 0 : 1;
}
