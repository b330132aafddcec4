/* aws_call.h — recognising AWS API calls among HTTP requests, and the `aws` fields the X-Ray
 * console shows for them. */
#ifndef XRC_AWS_CALL_H
#define XRC_AWS_CALL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct xrc_aws_call {
    char service[32];      /* "DynamoDB", "S3", ... */
    char operation[64];    /* "PutItem", "PutObject", ... ("" when unknown) */
    char region[32];
    char table_name[256];
    char bucket[256];
    char key[1024];
} xrc_aws_call;

/* Decides whether a request is an AWS call and fills `out`. `sigv4` is the CURLOPT_AWS_SIGV4
 * value ("aws:amz:REGION:SERVICE") or NULL; `target` the X-Amz-Target header value or NULL;
 * `signed_header` whether an Authorization: AWS4-HMAC-SHA256 header was set; `body` the
 * request body when known. */
bool xrc_aws_recognise(const char *url, const char *method, const char *sigv4, bool signed_header,
                       const char *target, const char *body, size_t body_len, xrc_aws_call *out);

/* See xray_curl_register_aws_endpoint. */
bool xrc_aws_endpoint_service(const char *url, char *service, size_t len);

#endif
