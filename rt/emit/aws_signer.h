/* aws_signer.h — SigV4 on an emitter's request, the X-Ray API's and OTLP's to X-Ray alike:
 * libcurl signs (CURLOPT_AWS_SIGV4) with credentials from the default chain, kept between
 * requests, fetched again before temporary ones expire and after a 401 or 403. */
#ifndef XRC_AWS_SIGNER_H
#define XRC_AWS_SIGNER_H

#include "emit/aws_credentials.h"
#include "emit/http_queue.h"

#include <curl/curl.h>
#include <stdbool.h>

typedef struct xrc_signer {
    char sigv4[128];                   /* "aws:amz:REGION:SERVICE" */
    bool have;                         /* cred holds credentials */
    xrc_aws_credentials cred;
    char token_header[sizeof((xrc_aws_credentials *)0)->token + 32];
} xrc_signer;

/* Sets curl up to sign with s and appends the session token's header to *headers; false
 * (said through q's failure log) when no credentials can be had. Call after easy_reset. */
bool xrc_signer_apply(xrc_signer *s, xrc_http_queue *q, CURL *curl, struct curl_slist **headers);

/* The answer's status: credentials refused (401, 403) are fetched again for the next request. */
void xrc_signer_answered(xrc_signer *s, long status);

#endif
