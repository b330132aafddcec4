/* aws_store.c — see aws_store.h. */
#define _DEFAULT_SOURCE
#include "aws_store.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture.h>
#include <xray_capture/curl.h>

static void copy_env(char *out, size_t len, const char *name, const char *fallback)
{
    const char *v = name ? getenv(name) : NULL;
    snprintf(out, len, "%s", v && *v ? v : fallback);
}

typedef struct reply {
    char body[4096];
    size_t len;
} reply;

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    reply *r = arg;
    size_t add = size * n, room = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, data, add < room ? add : room);
    r->len += add < room ? add : room;
    r->body[r->len] = '\0';
    return add;
}

/* A SigV4-signed request; returns the HTTP status (0 when the transfer failed). */
static long aws_request(const aws_store *s, const char *method, const char *url, const char *service,
                        struct curl_slist *headers, const char *body, reply *out)
{
    char sigv4[128], userpwd[600], token[4200];
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:%s", s->region, service);
    snprintf(userpwd, sizeof userpwd, "%s:%s", s->access_key, s->secret_key);
    if (s->session_token[0]) { /* temporary credentials (Lambda's): signed with the request */
        snprintf(token, sizeof token, "X-Amz-Security-Token: %s", s->session_token);
        headers = curl_slist_append(headers, token); /* (the caller's list: freed with it) */
    }
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

static long dynamodb(const aws_store *s, const char *operation, const char *body, reply *out)
{
    char target[128];
    snprintf(target, sizeof target, "X-Amz-Target: DynamoDB_20120810.%s", operation);
    struct curl_slist *h = curl_slist_append(NULL, target);
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.0");
    long status = aws_request(s, "POST", s->ddb, "dynamodb", h, body, out);
    curl_slist_free_all(h);
    return status;
}

static long s3_put(const aws_store *s, const char *key, const char *body, reply *out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/%s%s%s", s->s3, s->bucket, key ? "/" : "", key ? key : "");
    /* s3rver (like S3) wants the payload hash header on signed requests; curl 7.88 does not
     * add it itself */
    struct curl_slist *h = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    long status = aws_request(s, "PUT", url, "s3", h, body ? body : "", out);
    curl_slist_free_all(h);
    return status;
}

void aws_store_init(aws_store *s, const char *ddb_env, const char *s3_env)
{
    memset(s, 0, sizeof *s);
    copy_env(s->region, sizeof s->region, "AWS_REGION", "us-east-1");
    copy_env(s->table, sizeof s->table, "TABLE_NAME", "Users");
    copy_env(s->bucket, sizeof s->bucket, "BUCKET_NAME", "users-bucket");
    copy_env(s->access_key, sizeof s->access_key, "AWS_ACCESS_KEY_ID", "");
    copy_env(s->secret_key, sizeof s->secret_key, "AWS_SECRET_ACCESS_KEY", "");
    copy_env(s->session_token, sizeof s->session_token, "AWS_SESSION_TOKEN", "");
    copy_env(s->ddb, sizeof s->ddb, ddb_env, "");
    if (!s->ddb[0])
        copy_env(s->ddb, sizeof s->ddb, "AWS_ENDPOINT_URL_DYNAMODB", "");
    copy_env(s->s3, sizeof s->s3, s3_env, "");
    if (!s->s3[0])
        copy_env(s->s3, sizeof s->s3, "AWS_ENDPOINT_URL_S3", "");
    /* A stand-in needs no registration: each request is named by what it signs for. */
    if (!s->ddb[0])
        snprintf(s->ddb, sizeof s->ddb, "https://dynamodb.%s.amazonaws.com", s->region);
    if (!s->s3[0])
        snprintf(s->s3, sizeof s->s3, "https://s3.%s.amazonaws.com", s->region);
}

void aws_store_prepare(const aws_store *s)
{
    reply r = {0};
    char create[512];
    snprintf(create, sizeof create, "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":"
             "\"userId\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"userId\","
             "\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}", s->table);
    long st = dynamodb(s, "CreateTable", create, &r);
    if (st != 200 && !strstr(r.body, "ResourceInUse"))
        fprintf(stderr, "aws_store: CreateTable: HTTP %ld %s\n", st, r.body);
    memset(&r, 0, sizeof r);
    st = s3_put(s, NULL, NULL, &r);
    if (st != 200 && !strstr(r.body, "BucketAlready"))
        fprintf(stderr, "aws_store: CreateBucket: HTTP %ld %s\n", st, r.body);
}

int aws_store_put_user(const aws_store *s, const char *user_id, const char *name)
{
    reply r = {0};
    char item[1024], key[128], doc[512];
    snprintf(item, sizeof item, "{\"TableName\":\"%s\",\"Item\":{\"userId\":{\"S\":\"%s\"},"
             "\"name\":{\"S\":\"%s\"}}}", s->table, user_id, name);
    long status = dynamodb(s, "PutItem", item, &r);
    if (status != 200) {
        fprintf(stderr, "aws_store: PutItem failed: HTTP %ld %s\n", status, r.body);
        return -1;
    }
    snprintf(key, sizeof key, "users/%s.json", user_id);
    snprintf(doc, sizeof doc, "{\"userId\":\"%s\",\"name\":\"%s\"}", user_id, name);
    memset(&r, 0, sizeof r);
    status = s3_put(s, key, doc, &r);
    if (status != 200) {
        fprintf(stderr, "aws_store: PutObject failed: HTTP %ld %s\n", status, r.body);
        return -1;
    }
    return 0;
}
