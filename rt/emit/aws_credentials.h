/* aws_credentials.h — AWS credentials and the region, found as the AWS SDKs' default chain
 * finds them, for the emitters that sign (the X-Ray API's, OTLP to X-Ray's endpoint). */
#ifndef XRC_AWS_CREDENTIALS_H
#define XRC_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct xrc_aws_credentials {
    char key_id[128];
    char secret[256];
    char token[4096];       /* session token, "" for none */
    char source[320];       /* where they came from, for messages */
    long long expires;      /* Unix time they expire at; 0: they do not */
} xrc_aws_credentials;

/* The first source that has credentials, in the SDKs' order:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME),
 *      exchanged with STS AssumeRoleWithWebIdentity (EKS IRSA; AWS_ENDPOINT_URL_STS is read);
 *   3. the profile AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE (default
 *      ~/.aws/credentials) holding keys (source_profile and role_arn are not followed);
 *   4. container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI (ECS, EKS
 *      Pod Identity), with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN;
 *   5. the EC2 instance profile over IMDSv2 (a token first; IMDSv1 is never used), at
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254) unless
 *      AWS_EC2_METADATA_DISABLED=true; one second at most for each call.
 * A source that is set up but fails (a key without its secret, STS refusing the token) ends the
 * search, as in the SDKs. Network sources are asked with the runtime's libcurl: call it from
 * an emitter's thread, never the caller's. False with, in `why`, each source tried and why it
 * gave nothing (no secret). */
bool xrc_aws_credentials_load(xrc_aws_credentials *c, char *why, size_t whylen);

/* False once temporary credentials are within five minutes of expiring: load them again. */
bool xrc_aws_credentials_fresh(const xrc_aws_credentials *c);

/* AWS_REGION, AWS_DEFAULT_REGION, else `region` of the profile in AWS_CONFIG_FILE (default
 * ~/.aws/config). False when none is set or it is not a region name. */
bool xrc_aws_region(char *out, size_t n);

#endif
