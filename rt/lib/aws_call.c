/* aws_call.c — which HTTP requests are AWS API calls, and their operation, region, table,
 * bucket and key, read from the URL, the signing parameters, X-Amz-Target and the body. */
#include "lib/aws_call.h"
#include "base/log.h"
#include "xray_capture/curl.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ENDPOINTS 64

static pthread_mutex_t endpoints_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the two below */
/* URL prefixes registered by xray_curl_register_aws_endpoint, and their service */
static struct { char prefix[256]; char service[32]; } endpoints[MAX_ENDPOINTS];
static int nendpoints;     /* entries used in endpoints */

xray_status xray_curl_register_aws_endpoint(const char *url_prefix, const char *service)
{
    if (!url_prefix || !*url_prefix || !service || !*service || strlen(url_prefix) >= 256 ||
        strlen(service) >= 32) {
        xrc_log(XRAY_LOG_WARN, "xray_curl_register_aws_endpoint: need a URL prefix (< 256) and a "
                               "service name (< 32)");
        return XRAY_ERR_INVALID;
    }
    pthread_mutex_lock(&endpoints_lock);
    xray_status st = XRAY_OK;
    int i;
    for (i = 0; i < nendpoints && strcmp(endpoints[i].prefix, url_prefix); i++)
        ;
    if (i == MAX_ENDPOINTS) {
        st = XRAY_ERR_LIMIT;
    } else {
        snprintf(endpoints[i].prefix, sizeof endpoints[i].prefix, "%s", url_prefix);
        snprintf(endpoints[i].service, sizeof endpoints[i].service, "%s", service);
        if (i == nendpoints)
            nendpoints++;
    }
    pthread_mutex_unlock(&endpoints_lock);
    return st;
}

bool xrc_aws_endpoint_service(const char *url, char *service, size_t len)
{
    bool found = false;
    pthread_mutex_lock(&endpoints_lock);
    for (int i = 0; i < nendpoints && !found; i++)
        if (!strncmp(url, endpoints[i].prefix, strlen(endpoints[i].prefix))) {
            snprintf(service, len, "%s", endpoints[i].service);
            found = true;
        }
    pthread_mutex_unlock(&endpoints_lock);
    return found;
}

/* The service name the console shows for a SigV4 service code. */
static void service_name(const char *code, char *out, size_t len)
{
    static const char *known[][2] = {
        {"dynamodb", "DynamoDB"}, {"s3", "S3"}, {"sqs", "SQS"}, {"sns", "SNS"},
        {"lambda", "Lambda"}, {"kinesis", "Kinesis"}, {"sts", "STS"}, {"ssm", "SSM"},
        {"secretsmanager", "SecretsManager"}, {"events", "EventBridge"}, {"states", "SFN"},
        {"xray", "XRay"}, {"logs", "CloudWatchLogs"}, {"monitoring", "CloudWatch"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(code, known[i][0])) {
            snprintf(out, len, "%s", known[i][1]);
            return;
        }
    snprintf(out, len, "%.31s", code);
    if (*out)
        out[0] = (char)toupper((unsigned char)out[0]);
}

/* host and path (without query) of a URL; port dropped from the host. */
static void split(const char *url, char *host, size_t hl, char *path, size_t pl, const char **query)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = strchr(p, '@'), *slash = strpbrk(p, "/?#");
    if (at && (!slash || at < slash))
        p = at + 1;
    size_t n = strcspn(p, "/?#:");
    snprintf(host, hl, "%.*s", (int)n, p);
    p += strcspn(p, "/?#");
    size_t m = strcspn(p, "?#");
    snprintf(path, pl, "%.*s", (int)m, m ? p : "/");
    *query = p[m] == '?' ? p + m + 1 : "";
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

/* S3's REST operation from method, bucket/key and query. */
static void s3_operation(const char *method, bool has_key, const char *query, char *out, size_t len)
{
    const char *op = "";
    if (has_key) {
        if (!strcmp(method, "PUT")) op = strstr(query, "uploadId") ? "UploadPart" : "PutObject";
        else if (!strcmp(method, "GET")) op = "GetObject";
        else if (!strcmp(method, "HEAD")) op = "HeadObject";
        else if (!strcmp(method, "DELETE")) op = "DeleteObject";
        else if (!strcmp(method, "POST")) op = strstr(query, "uploads") ? "CreateMultipartUpload" : "CompleteMultipartUpload";
    } else {
        if (!strcmp(method, "PUT")) op = "CreateBucket";
        else if (!strcmp(method, "GET")) op = strstr(query, "list-type=2") ? "ListObjectsV2" : "ListObjects";
        else if (!strcmp(method, "HEAD")) op = "HeadBucket";
        else if (!strcmp(method, "DELETE")) op = "DeleteBucket";
        else if (!strcmp(method, "POST")) op = strstr(query, "delete") ? "DeleteObjects" : "";
    }
    snprintf(out, len, "%s", op);
}

/* Action=Name from a form body or query (the query protocol: SQS, SNS, STS). */
static void query_action(const char *text, char *out, size_t len)
{
    const char *a = text ? strstr(text, "Action=") : NULL;
    if (a && (a == text || a[-1] == '&' || a[-1] == '?')) {
        a += 7;
        snprintf(out, len, "%.*s", (int)strcspn(a, "&"), a);
    }
}

bool xrc_aws_recognise(const char *url, const char *method, const char *sigv4, bool signed_header,
                       const char *target, const char *body, size_t body_len, xrc_aws_call *out)
{
    memset(out, 0, sizeof *out);
    if (!url || (!sigv4 && !signed_header))
        return false;
    char host[256], path[2048], code[64] = "";
    const char *query;
    split(url, host, sizeof host, path, sizeof path, &query);
    bool registered = xrc_aws_endpoint_service(url, out->service, sizeof out->service);
    if (!registered && !ends_with(host, ".amazonaws.com") && !ends_with(host, ".amazonaws.com.cn"))
        return false;
    /* "aws:amz:REGION:SERVICE" names both, when libcurl signs */
    if (sigv4) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", sigv4);
        char *save = NULL, *parts[4] = {0};
        int n = 0;
        for (char *p = strtok_r(copy, ":", &save); p && n < 4; p = strtok_r(NULL, ":", &save))
            parts[n++] = p;
        if (n >= 3)
            snprintf(out->region, sizeof out->region, "%s", parts[2]);
        if (n >= 4)
            snprintf(code, sizeof code, "%s", parts[3]);
    }
    if (!registered) {
        /* service.region.amazonaws.com, bucket.s3.region.amazonaws.com, s3.amazonaws.com */
        char labels[8][64];
        int nl = 0;
        char copy[256];
        snprintf(copy, sizeof copy, "%s", host);
        char *save = NULL;
        for (char *p = strtok_r(copy, ".", &save); p && nl < 8; p = strtok_r(NULL, ".", &save))
            snprintf(labels[nl++], sizeof labels[0], "%s", p);
        int s3 = -1;
        for (int i = 0; i < nl; i++)
            if (!strcasecmp(labels[i], "s3") || !strncasecmp(labels[i], "s3-", 3))
                s3 = i;
        if (s3 >= 0) {
            snprintf(code, sizeof code, "s3");
            if (s3 > 0)
                snprintf(out->bucket, sizeof out->bucket, "%.63s", labels[s3 - 1]); /* virtual host */
            if (!out->region[0] && s3 + 1 < nl - 2)
                snprintf(out->region, sizeof out->region, "%.31s", labels[s3 + 1]);
        } else if (nl >= 3) {
            if (!code[0])
                snprintf(code, sizeof code, "%s", labels[0]);
            if (!out->region[0] && nl >= 4)
                snprintf(out->region, sizeof out->region, "%.31s", labels[1]);
        }
        service_name(code[0] ? code : "aws", out->service, sizeof out->service);
    }
    if (target && *target) {
        const char *dot = strrchr(target, '.');
        snprintf(out->operation, sizeof out->operation, "%s", dot ? dot + 1 : target);
    }
    if (!strcmp(out->service, "S3")) {
        const char *p = path[0] == '/' ? path + 1 : path;
        if (!out->bucket[0]) { /* path style: /bucket/key */
            size_t n = strcspn(p, "/");
            snprintf(out->bucket, sizeof out->bucket, "%.*s", (int)n, p);
            p += n;
            if (*p == '/')
                p++;
        }
        snprintf(out->key, sizeof out->key, "%.1023s", p);
        if (!out->operation[0])
            s3_operation(method ? method : "GET", out->key[0] != '\0', query, out->operation,
                         sizeof out->operation);
    }
    if (!out->operation[0]) {
        query_action(query, out->operation, sizeof out->operation);
        if (!out->operation[0] && body && body_len && body_len < 65536) {
            /* the body is the caller's bytes (CURLOPT_POSTFIELDSIZE): not NUL-terminated */
            char *copy = strndup(body, body_len);
            if (copy)
                query_action(copy, out->operation, sizeof out->operation);
            free(copy);
        }
    }
    if (!strcmp(out->service, "DynamoDB") && body && body_len && body_len < 65536) {
        cJSON *json = cJSON_ParseWithLength(body, body_len);
        cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "TableName");
        if (cJSON_IsString(t))
            snprintf(out->table_name, sizeof out->table_name, "%s", t->valuestring);
        cJSON_Delete(json);
    }
    return true;
}
