/* test_credentials.c — the AWS default credential chain against loopback stand-ins: STS for web
 * identity (EKS IRSA), the container credentials endpoint (ECS, EKS Pod Identity), the EC2
 * instance metadata service (IMDSv2 only). Each source in the SDKs' order, expiry, and no
 * secret in a message. */
#include "emit_sink.h"
#include "fake_http.h"
#include "harness.h"
#include "emit/aws_credentials.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What the stand-ins saw and how they answer. */
static struct {
    pthread_mutex_t lock;
    char last_body[2048], last_auth[256], last_token_header[256];
    int requests;
    bool imds_v1_only;     /* refuse the token PUT, as an IMDSv1-only host */
    char expiration[64];   /* of the credentials handed out */
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *header(const http_request *req, const char *name, char *out, size_t n)
{
    const char *h = strcasestr(req->headers, name);
    snprintf(out, n, "%.*s", h ? (int)strcspn(h + strlen(name), "\r\n") : 0, h ? h + strlen(name) : "");
    return out;
}

static void sts(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&seen.lock);
    seen.requests++;
    snprintf(seen.last_body, sizeof seen.last_body, "%.*s", (int)req->body_len, req->body);
    pthread_mutex_unlock(&seen.lock);
    resp->status = strstr(req->body, "WebIdentityToken=good-token") ? 200 : 400;
    snprintf(resp->body, sizeof resp->body,
             "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
             "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>"
             "<SessionToken>web-session</SessionToken><Expiration>%s</Expiration></Credentials>"
             "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
             seen.expiration);
}

static void container(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&seen.lock);
    seen.requests++;
    header(req, "Authorization: ", seen.last_auth, sizeof seen.last_auth);
    pthread_mutex_unlock(&seen.lock);
    resp->status = !strcmp(seen.last_auth, "container-auth") ? 200 : 401;
    snprintf(resp->body, sizeof resp->body,
             "{\"AccessKeyId\":\"ASIATASK\",\"SecretAccessKey\":\"task-secret\",\"Token\":\"task-token\","
             "\"Expiration\":\"%s\"}", seen.expiration);
}

static void imds(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    char token[256];
    pthread_mutex_lock(&seen.lock);
    seen.requests++;
    header(req, "X-aws-ec2-metadata-token: ", seen.last_token_header, sizeof seen.last_token_header);
    snprintf(token, sizeof token, "%s", seen.last_token_header);
    pthread_mutex_unlock(&seen.lock);
    if (!strcmp(req->method, "PUT") && !strcmp(req->path, "/latest/api/token")) {
        resp->status = seen.imds_v1_only ? 403 : 200;
        snprintf(resp->body, sizeof resp->body, "imds-session-token");
    } else if (strcmp(token, "imds-session-token")) {
        resp->status = 401; /* IMDSv2: nothing without the token */
    } else if (!strcmp(req->path, "/latest/meta-data/iam/security-credentials/")) {
        resp->status = 200;
        snprintf(resp->body, sizeof resp->body, "web-server-role\n");
    } else if (!strcmp(req->path, "/latest/meta-data/iam/security-credentials/web-server-role")) {
        resp->status = 200;
        snprintf(resp->body, sizeof resp->body,
                 "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAEC2\",\"SecretAccessKey\":\"ec2-secret\","
                 "\"Token\":\"ec2-token\",\"Expiration\":\"%s\"}", seen.expiration);
    } else {
        resp->status = 404;
    }
}

static const char *const chain_variables[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN", "AWS_ENDPOINT_URL_STS", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
};

/* A clean slate: no source set up, no shared file, and no real metadata service. */
static void no_sources(void)
{
    for (size_t i = 0; i < sizeof chain_variables / sizeof chain_variables[0]; i++)
        unsetenv(chain_variables[i]);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    seen.imds_v1_only = false;
    seen.requests = 0;
    time_t later = time(NULL) + 3600;
    strftime(seen.expiration, sizeof seen.expiration, "%Y-%m-%dT%H:%M:%SZ", gmtime(&later));
}

/* Starts a stand-in with `handler`, points `variable` at it (url_format holding its address)
 * and runs the chain; false too when the stand-in did not start. */
static bool load_with(fake_http *s, http_handler handler, const char *variable,
                      const char *url_format, xrc_aws_credentials *c, char *why, size_t n)
{
    char url[160];
    if (fake_http_start(s, handler, NULL) != 0)
        return false;
    snprintf(url, sizeof url, url_format, s->address);
    setenv(variable, url, 1);
    return xrc_aws_credentials_load(c, why, n);
}

/* The key id and session token found are these. */
static void expect_keys(const xrc_aws_credentials *c, const char *key_id, const char *token)
{
    CU_ASSERT_STRING_EQUAL(c->key_id, key_id);
    CU_ASSERT_STRING_EQUAL(c->token, token);
}

static void test_web_identity_is_exchanged_with_sts(void)
{
    fake_http s;
    char path[] = "/tmp/xraycap-token-XXXXXX", why[1024];
    int fd = mkstemp(path);
    CU_ASSERT_TRUE_FATAL(fd >= 0 && write(fd, "good-token\n", 11) == 11);
    close(fd);
    no_sources();
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/orders", 1);
    xrc_aws_credentials c;
    CU_ASSERT_TRUE(load_with(&s, sts, "AWS_ENDPOINT_URL_STS", "http://%s/", &c, why, sizeof why));
    expect_keys(&c, "ASIAWEB", "web-session");
    CU_ASSERT_TRUE(c.expires > time(NULL) && xrc_aws_credentials_fresh(&c));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.last_body, "Action=AssumeRoleWithWebIdentity"));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.last_body, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Forders"));
    /* the environment comes first */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    CU_ASSERT_TRUE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(c.key_id, "AKIDENV");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    /* a token STS refuses: the search ends there, with the reason */
    fd = open(path, O_WRONLY | O_TRUNC);
    CU_ASSERT_TRUE(fd >= 0 && write(fd, "bad-token", 9) == 9);
    close(fd);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "web identity"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "answered 400"));
    CU_ASSERT_PTR_NULL(strstr(why, "bad-token"));
    fake_http_stop(&s);
    unlink(path);
    no_sources();
}

static void test_container_credentials_carry_the_authorization_token(void)
{
    fake_http s;
    char why[1024];
    no_sources();
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth", 1);
    xrc_aws_credentials c;
    CU_ASSERT_TRUE(load_with(&s, container, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                             "http://%s/v2/credentials/task", &c, why, sizeof why));
    expect_keys(&c, "ASIATASK", "task-token");
    CU_ASSERT_STRING_EQUAL(seen.last_auth, "container-auth");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong", 1);
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "answered 401"));
    CU_ASSERT_PTR_NULL(strstr(why, "wrong"));
    fake_http_stop(&s);
    no_sources();
}

static void test_instance_profile_over_imdsv2_and_never_v1(void)
{
    fake_http s;
    char url[96], why[1024];
    no_sources();
    unsetenv("AWS_EC2_METADATA_DISABLED");
    xrc_aws_credentials c;
    CU_ASSERT_TRUE(load_with(&s, imds, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://%s", &c, why,
                             sizeof why));
    expect_keys(&c, "ASIAEC2", "ec2-token");
    CU_ASSERT_STRING_EQUAL(seen.last_token_header, "imds-session-token");
    /* soon to expire: not fresh, so the emitter fetches them again */
    c.expires = time(NULL) + 60;
    CU_ASSERT_FALSE(xrc_aws_credentials_fresh(&c));
    /* an IMDSv1-only host: refused, and nothing is asked without a token */
    seen.imds_v1_only = true;
    seen.requests = 0;
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_EQUAL(seen.requests, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "IMDSv1 is not used"));
    /* disabled: not asked at all; every source is named in the reason */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    seen.requests = 0;
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_EQUAL(seen.requests, 0);
    const char *sources[] = {"environment:", "web identity:", "shared credentials file:", "container:",
                             "EC2 instance profile:"};
    for (size_t i = 0; i < 5; i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(why, sources[i]));
    /* no metadata service at all (nothing listens): not found, quickly, no error */
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake_http_free_port());
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    CU_ASSERT_FALSE(xrc_aws_credentials_load(&c, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no session token"));
    fake_http_stop(&s);
    no_sources();
}

/* Temporary credentials close to expiry are fetched again by the emitter, on its thread, before
 * each request: here the instance profile's expire in two minutes, so every batch asks IMDS. */
static void test_expiring_credentials_are_fetched_again_by_the_emitter(void)
{
    fake_http md;
    char url[100];
    xrc_aws_credentials c;
    test_reset();
    no_sources();
    unsetenv("AWS_EC2_METADATA_DISABLED");
    time_t soon = time(NULL) + 120;
    strftime(seen.expiration, sizeof seen.expiration, "%Y-%m-%dT%H:%M:%SZ", gmtime(&soon));
    CU_ASSERT_TRUE_FATAL(load_with(&md, imds, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://%s", &c,
                                   url, sizeof url));
    CU_ASSERT_FALSE(xrc_aws_credentials_fresh(&c));
    sink_start(OK);
    snprintf(url, sizeof url, "http://%s", H.address);
    setenv("AWS_ENDPOINT_URL_XRAY", url, 1);
    setenv("AWS_REGION", "eu-west-3", 1);
    use_emitters("xray-api", 5000);
    seen.requests = 0;
    send_segments(120, 1);
    xray_recorder_shutdown();
    sink_stop();
    int batches = sink_requests();
    CU_ASSERT_TRUE(batches >= 3);
    CU_ASSERT_TRUE(seen.requests >= 3 * batches); /* token, role, credentials: for each */
    CU_ASSERT_PTR_NOT_NULL(strstr(the_sink.last_headers, "X-Amz-Security-Token: ec2-token"));
    sink_free();
    fake_http_stop(&md);
    unsetenv("AWS_ENDPOINT_URL_XRAY");
    no_sources();
    restore_emitters();
    test_reset();
}

void register_credentials(void)
{
    CU_pSuite s = CU_add_suite("credentials", NULL, NULL);
    ADD(s, test_web_identity_is_exchanged_with_sts);
    ADD(s, test_container_credentials_carry_the_authorization_token);
    ADD(s, test_instance_profile_over_imdsv2_and_never_v1);
    ADD(s, test_expiring_credentials_are_fetched_again_by_the_emitter);
}
