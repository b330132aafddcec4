/* aws_credentials.h — the standard AWS credential and region sources, for the X-Ray API
 * emitter: environment variables first, then the shared files, as the AWS SDKs look. */
#ifndef XRC_AWS_CREDENTIALS_H
#define XRC_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct xrc_aws_credentials {
    char key_id[128];
    char secret[256];
    char token[4096];       /* session token, "" for none */
    char source[320];       /* where they came from, for messages */
} xrc_aws_credentials;

/* AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the profile
 * AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials).
 * False with the reason in `why` when none are found or they are malformed. */
bool xrc_aws_credentials_load(xrc_aws_credentials *c, char *why, size_t whylen);

/* AWS_REGION, AWS_DEFAULT_REGION, else `region` of the profile in AWS_CONFIG_FILE (default
 * ~/.aws/config). False when none is set or it is not a region name. */
bool xrc_aws_region(char *out, size_t n);

#endif
