/* aws_call.c — which HTTP requests are AWS API calls, named by what they sign for (the SigV4
 * credential scope), else by X-Amz-Target, the endpoint registry, AWS_ENDPOINT_URL_<SERVICE>
 * or the host; and their operation, region and the request fields the SDKs record. */
#include "lib/aws_call.h"
#include "base/log.h"
#include "model/attrs.h"
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

/* The services xraycap names: SigV4 signing name, the name the console and the SDKs use,
 * X-Amz-Target's prefix (before any _VERSION) for JSON-protocol services, and the suffix of
 * their AWS_ENDPOINT_URL_ variable, as the AWS SDKs spell it. */
static const struct service {
    const char *code, *name, *target, *env;
} services[] = {
    {"dynamodb", "DynamoDB", "DynamoDB", "DYNAMODB"},
    {"s3", "S3", NULL, "S3"},
    {"sqs", "SQS", "AmazonSQS", "SQS"},
    {"sns", "SNS", NULL, "SNS"},
    {"lambda", "Lambda", NULL, "LAMBDA"},
    {"kinesis", "Kinesis", "Kinesis", "KINESIS"},
    {"firehose", "Firehose", "Firehose", "FIREHOSE"},
    {"sts", "STS", NULL, "STS"},
    {"ssm", "SSM", "AmazonSSM", "SSM"},
    {"secretsmanager", "SecretsManager", "secretsmanager", "SECRETS_MANAGER"},
    {"kms", "KMS", "TrentService", "KMS"},
    {"events", "EventBridge", "AWSEvents", "EVENTBRIDGE"},
    {"states", "SFN", "AWSStepFunctions", "SFN"},
    {"xray", "XRay", NULL, "XRAY"},
    {"logs", "CloudWatchLogs", "Logs", "CLOUDWATCH_LOGS"},
    {"monitoring", "CloudWatch", "GraniteServiceVersion20100801", "CLOUDWATCH"},
};
#define NSERVICES (sizeof services / sizeof services[0])

/* The console's name for a signing name; an unknown one capitalized. */
static void service_name(const char *code, char *out, size_t len)
{
    for (size_t i = 0; i < NSERVICES; i++)
        if (!strcasecmp(code, services[i].code)) {
            snprintf(out, len, "%s", services[i].name);
            return;
        }
    snprintf(out, len, "%.31s", code);
    if (*out)
        out[0] = (char)toupper((unsigned char)out[0]);
}

/* The service an X-Amz-Target names ("DynamoDB_20120810.PutItem"), or NULL. */
static const struct service *target_service(const char *target)
{
    size_t n = strcspn(target, "._");
    for (size_t i = 0; i < NSERVICES; i++)
        if (services[i].target && strlen(services[i].target) == n &&
            !strncmp(target, services[i].target, n))
            return &services[i];
    return NULL;
}

/* %XX and '+' decoded, into out. */
static void url_decode(const char *s, size_t n, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
}

/* The value of `name` in a k=v&k=v text (a query, a form body), decoded; false when absent. */
static bool form_value(const char *text, size_t n, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = text, *end = text + n; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            url_decode(p + nl + 1, (size_t)(stop - p - nl - 1), out, len);
            return true;
        }
        p = stop + 1;
    }
    return false;
}

/* REGION and SERVICE of a credential scope "AKID/DATE/REGION/SERVICE/aws4_request". */
static bool scope_parts(const char *scope, char *region, size_t rl, char *code, size_t cl)
{
    const char *p[5];
    p[0] = scope;
    for (int i = 1; i < 5; i++) {
        p[i] = strchr(p[i - 1], '/');
        if (!p[i]++)
            return false;
    }
    snprintf(region, rl, "%.*s", (int)(p[3] - p[2] - 1), p[2]);
    snprintf(code, cl, "%.*s", (int)(p[4] - p[3] - 1), p[3]);
    return *code != '\0';
}

/* What the request signs for: CURLOPT_AWS_SIGV4's "aws:amz:REGION:SERVICE", the
 * Authorization header's Credential=, or a presigned URL's X-Amz-Credential. */
static void signed_for(const xrc_aws_request *r, const char *query, char *region, size_t rl,
                       char *code, size_t cl)
{
    if (r->sigv4) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", r->sigv4);
        char *save = NULL, *parts[4] = {0};
        int n = 0;
        for (char *p = strtok_r(copy, ":", &save); p && n < 4; p = strtok_r(NULL, ":", &save))
            parts[n++] = p;
        if (n >= 3)
            snprintf(region, rl, "%s", parts[2]);
        if (n >= 4)
            snprintf(code, cl, "%s", parts[3]);
        if (*code)
            return;
    }
    const char *cred = r->authorization ? strstr(r->authorization, "Credential=") : NULL;
    if (cred) {
        char scope[256];
        snprintf(scope, sizeof scope, "%.*s", (int)strcspn(cred + 11, ", "), cred + 11);
        if (scope_parts(scope, region, rl, code, cl))
            return;
    }
    char scope[256];
    if (form_value(query, strcspn(query, "#"), "X-Amz-Credential", scope, sizeof scope))
        scope_parts(scope, region, rl, code, cl);
}

/* The one service whose AWS_ENDPOINT_URL_<SERVICE> the URL is under, as the AWS SDKs read the
 * variables; NULL when none is, or when several services share the endpoint (LocalStack) and
 * the request itself does not say which. */
static const struct service *endpoint_variable_service(const char *url)
{
    const struct service *found = NULL;
    for (size_t i = 0; i < NSERVICES; i++) {
        char var[64];
        snprintf(var, sizeof var, "AWS_ENDPOINT_URL_%s", services[i].env);
        const char *v = getenv(var);
        size_t n = v ? strlen(v) : 0;
        while (n && v[n - 1] == '/')
            n--;
        if (!n || strncmp(url, v, n) || (url[n] && !strchr("/?#", url[n])))
            continue;
        if (found)
            return NULL;
        found = &services[i];
    }
    return found;
}

/* ---- the request fields the SDKs record ------------------------------------------------ */

/* The parameters of a request: its JSON body, or its form body and query (query protocol). */
typedef struct params {
    cJSON *json;
    const char *form, *query;
    size_t form_len;
} params;

static void add_string(cJSON *fields, const char *key, const char *value)
{
    if (value && *value && !cJSON_HasObjectItem(fields, key))
        cJSON_AddItemToObject(fields, key, xrc_json_string(value, 1024));
}

/* Parameter `name` as text, from the JSON body or the form body or query. */
static bool param_text(const params *p, const char *name, char *out, size_t len)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->json, name));
    if (v) {
        snprintf(out, len, "%s", v);
        return true;
    }
    return (p->form && form_value(p->form, p->form_len, name, out, len)) ||
           form_value(p->query, strcspn(p->query, "#"), name, out, len);
}

/* Copies parameter `name` into fields[field] when the request has it. */
static void record_param(cJSON *fields, const params *p, const char *name, const char *field)
{
    char v[1024];
    if (param_text(p, name, v, sizeof v))
        add_string(fields, field, v);
}

/* The fields of one service's request (the Python SDK's list, for what C programs send). */
static void record_fields(const char *service, const xrc_aws_request *r, const params *p,
                          const char *path, xrc_aws_call *out)
{
    cJSON *f = out->fields;
    if (!strcmp(service, "DynamoDB")) {
        record_param(f, p, "TableName", "table_name");
        cJSON *items = cJSON_GetObjectItemCaseSensitive(p->json, "RequestItems"), *t;
        if (cJSON_IsObject(items)) { /* BatchGetItem, BatchWriteItem */
            cJSON *names = cJSON_AddArrayToObject(f, "table_names");
            cJSON_ArrayForEach(t, items)
                cJSON_AddItemToArray(names, xrc_json_string(t->string, 1024));
        }
    } else if (!strcmp(service, "SQS")) {
        record_param(f, p, "QueueUrl", "queue_url");
        record_param(f, p, "QueueName", "queue_name");
        cJSON *entries = cJSON_GetObjectItemCaseSensitive(p->json, "Entries");
        if (cJSON_IsArray(entries)) /* SendMessageBatch, DeleteMessageBatch, ... */
            cJSON_AddNumberToObject(f, "message_count", cJSON_GetArraySize(entries));
    } else if (!strcmp(service, "SNS")) {
        record_param(f, p, "TopicArn", "topic_arn");
    } else if (!strcmp(service, "Kinesis") || !strcmp(service, "Firehose")) {
        record_param(f, p, "StreamName", "stream_name");
        record_param(f, p, "DeliveryStreamName", "stream_name");
    } else if (!strcmp(service, "Lambda")) {
        /* REST: /2015-03-31/functions/NAME/invocations, /2014-11-13/functions/NAME/invoke-async/ */
        const char *fn = strstr(path, "/functions/");
        if (fn) {
            fn += 11;
            char name[512];
            url_decode(fn, strcspn(fn, "/"), name, sizeof name);
            add_string(f, "function_name", name);
            const char *rest = fn + strcspn(fn, "/");
            if (!out->operation[0] && !strcmp(rest, "/invocations"))
                snprintf(out->operation, sizeof out->operation, "Invoke");
            else if (!out->operation[0] && !strncmp(rest, "/invoke-async", 13))
                snprintf(out->operation, sizeof out->operation, "InvokeAsync");
        }
        add_string(f, "invocation_type", r->invocation_type);
    }
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

/* S3's bucket and key: virtual host (bucket.s3.REGION.amazonaws.com) or path (/bucket/key). */
static void s3_fields(const char *host, const char *path, const xrc_aws_request *r,
                      const char *query, xrc_aws_call *out)
{
    char bucket[256] = "", key[1024];
    const char *s3 = strcasestr(host, ".s3.");
    if (!s3 && (s3 = strcasestr(host, ".s3-")) == NULL && (s3 = strcasestr(host, ".s3")) &&
        strcmp(s3, ".s3.amazonaws.com"))
        s3 = NULL;
    if (s3)
        snprintf(bucket, sizeof bucket, "%.*s", (int)(s3 - host), host);
    const char *p = path[0] == '/' ? path + 1 : path;
    if (!bucket[0]) {
        size_t n = strcspn(p, "/");
        url_decode(p, n, bucket, sizeof bucket);
        p += n;
        if (*p == '/')
            p++;
    }
    url_decode(p, strlen(p), key, sizeof key);
    add_string(out->fields, "bucket_name", bucket);
    add_string(out->fields, "key", key);
    if (!out->operation[0])
        s3_operation(r->method ? r->method : "GET", key[0] != '\0', query, out->operation,
                     sizeof out->operation);
}

/* The service and region a host names: SERVICE.REGION.amazonaws.com, bucket.s3..., s3... */
static bool host_service(const char *host, char *code, size_t cl, char *region, size_t rl)
{
    if (!ends_with(host, ".amazonaws.com") && !ends_with(host, ".amazonaws.com.cn"))
        return false;
    char labels[8][64], copy[256];
    int nl = 0;
    snprintf(copy, sizeof copy, "%s", host);
    char *save = NULL;
    for (char *p = strtok_r(copy, ".", &save); p && nl < 8; p = strtok_r(NULL, ".", &save))
        snprintf(labels[nl++], sizeof labels[0], "%s", p);
    int s3 = -1;
    for (int i = 0; i < nl; i++)
        if (!strcasecmp(labels[i], "s3") || !strncasecmp(labels[i], "s3-", 3))
            s3 = i;
    if (s3 >= 0) {
        snprintf(code, cl, "s3");
        if (!*region && s3 + 1 < nl - 2)
            snprintf(region, rl, "%.31s", labels[s3 + 1]);
    } else if (nl >= 3) {
        snprintf(code, cl, "%s", labels[0]);
        if (!*region && nl >= 4)
            snprintf(region, rl, "%.31s", labels[1]);
    }
    return *code != '\0';
}

bool xrc_aws_recognise(const xrc_aws_request *r, xrc_aws_call *out)
{
    memset(out, 0, sizeof *out);
    if (!r->url)
        return false;
    char host[256], path[2048], code[64] = "";
    const char *query;
    split(r->url, host, sizeof host, path, sizeof path, &query);
    signed_for(r, query, out->region, sizeof out->region, code, sizeof code);
    const struct service *by_target = r->target && *r->target ? target_service(r->target) : NULL;
    const struct service *by_variable = NULL;
    if (code[0])
        service_name(code, out->service, sizeof out->service);
    else if (by_target)
        snprintf(out->service, sizeof out->service, "%s", by_target->name);
    else if (xrc_aws_endpoint_service(r->url, out->service, sizeof out->service))
        ;
    else if ((by_variable = endpoint_variable_service(r->url)))
        snprintf(out->service, sizeof out->service, "%s", by_variable->name);
    else if (host_service(host, code, sizeof code, out->region, sizeof out->region))
        service_name(code, out->service, sizeof out->service);
    else
        return false;
    char host_code[64] = ""; /* a signed request's host may still name the region */
    host_service(host, host_code, sizeof host_code, out->region, sizeof out->region);
    if (!out->region[0]) {
        const char *reg = getenv("AWS_REGION");
        if (!reg || !*reg)
            reg = getenv("AWS_DEFAULT_REGION");
        snprintf(out->region, sizeof out->region, "%s", reg ? reg : "");
    }
    if (r->target && *r->target) {
        const char *dot = strrchr(r->target, '.');
        snprintf(out->operation, sizeof out->operation, "%s", dot ? dot + 1 : r->target);
    }
    params p = {.query = query};
    bool json_body = false;
    if (r->body && r->body_len && r->body_len < 65536) {
        size_t i = 0;
        while (i < r->body_len && isspace((unsigned char)r->body[i]))
            i++;
        json_body = i < r->body_len && r->body[i] == '{';
        if (json_body)
            p.json = cJSON_ParseWithLength(r->body, r->body_len);
        else
            p.form = r->body, p.form_len = r->body_len;
    }
    if (!out->operation[0]) { /* the query protocol: Action= in the query or the form body */
        char action[64];
        if (param_text(&p, "Action", action, sizeof action) && !p.json)
            snprintf(out->operation, sizeof out->operation, "%s", action);
    }
    out->fields = cJSON_CreateObject();
    if (out->fields && !strcmp(out->service, "S3"))
        s3_fields(host, path, r, query, out);
    else if (out->fields)
        record_fields(out->service, r, &p, path, out);
    cJSON_Delete(p.json);
    return true;
}
