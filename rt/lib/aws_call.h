/* aws_call.h — recognising AWS API calls among HTTP requests, and the `aws` fields the X-Ray
 * console shows for them. */
#ifndef XRC_AWS_CALL_H
#define XRC_AWS_CALL_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* What the request itself says, as the program set it up. */
typedef struct xrc_aws_request {
    const char *url, *method;
    const char *sigv4;           /* CURLOPT_AWS_SIGV4 ("aws:amz:REGION:SERVICE"), or NULL */
    const char *authorization;   /* an Authorization header the program set, or NULL */
    const char *target;          /* X-Amz-Target, or NULL */
    const char *invocation_type; /* X-Amz-Invocation-Type (Lambda), or NULL */
    const char *body;            /* the request body when known (not NUL-terminated) */
    size_t body_len;
} xrc_aws_request;

typedef struct xrc_aws_call {
    char service[32];      /* "DynamoDB", "S3", ... */
    char operation[64];    /* "PutItem", "PutObject", ... ("" when unknown) */
    char region[32];
    struct cJSON *fields;  /* table_name, queue_url, bucket_name, ...: the request fields the
                              SDKs record for the operation (docs/libraries.md); the caller
                              owns it (NULL when none) */
} xrc_aws_call;

/* Whether a request is an AWS call and which: the service is what the request signs for (the
 * SigV4 credential scope, from CURLOPT_AWS_SIGV4, the Authorization header or a presigned
 * URL's X-Amz-Credential), else X-Amz-Target's prefix; an unsigned request without a target is
 * named by xray_curl_register_aws_endpoint, then AWS_ENDPOINT_URL_<SERVICE>, then the host
 * (SERVICE.REGION.amazonaws.com). Fills `out` when it is one. */
bool xrc_aws_recognise(const xrc_aws_request *req, xrc_aws_call *out);

/* See xray_curl_register_aws_endpoint. */
bool xrc_aws_endpoint_service(const char *url, char *service, size_t len);

#endif
