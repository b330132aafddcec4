/* samples/users-api — the seed's application in C. Every request is a segment (the
 * libmicrohttpd middleware, xray_capture/microhttpd.h, continues the caller's trace and records
 * the request and the response); POST /users runs sample1 (manual subsegments), sample2 (a captured function) and sample3 (PutItem to
 * DynamoDB and PutObject to S3 through libcurl, signed with SigV4; and, when they are
 * configured, an INSERT into PostgreSQL and a SET in Redis), and answers
 * {"userId": ..., "message": "User created successfully"}.
 *
 * The library calls are plain curl_easy_*, PQexecParams and redisCommand code: the build adds
 * -fplugin-arg-xraycap-patch=curl,pq,redis,mhd, which traces them (and has MHD_queue_response
 * send X-Amzn-Trace-Id back) the way the Python SDK's
 * patch_all() traces boto3. Every path ends what it began (the seed's sample3 forgot to end its
 * subsegment on success).
 *
 * Environment: PORT (8080), AWS_REGION (us-east-1), TABLE_NAME (Users), BUCKET_NAME
 * (users-bucket), DYNAMODB_ENDPOINT and S3_ENDPOINT (default: the AWS endpoints of the region;
 * set them for dynalite/s3rver or any compatible service), AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY; PG_CONNINFO (a libpq connection string) and REDIS_ADDR (HOST:PORT),
 * each optional. */
#define _DEFAULT_SOURCE
#include <netinet/in.h> /* before microhttpd.h, which needs it */
#include <microhttpd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/curl.h>
#include <xray_capture/microhttpd.h>

static struct {
    const char *region, *table, *bucket, *access_key, *secret_key;
    char ddb[256], s3[256];
    PGconn *pg;           /* NULL without PG_CONNINFO */
    redisContext *redis;  /* NULL without REDIS_ADDR */
} cfg;

static const char *env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* ---- AWS calls through libcurl ------------------------------------------------------ */

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
static long aws_request(const char *method, const char *url, const char *service,
                        struct curl_slist *headers, const char *body, reply *out)
{
    char sigv4[128], userpwd[512];
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:%s", cfg.region, service);
    snprintf(userpwd, sizeof userpwd, "%s:%s", cfg.access_key, cfg.secret_key);
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

static long dynamodb(const char *operation, const char *body, reply *out)
{
    char target[128];
    snprintf(target, sizeof target, "X-Amz-Target: DynamoDB_20120810.%s", operation);
    struct curl_slist *h = curl_slist_append(NULL, target);
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.0");
    long status = aws_request("POST", cfg.ddb, "dynamodb", h, body, out);
    curl_slist_free_all(h);
    return status;
}

static long s3_put(const char *key, const char *body, reply *out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/%s%s%s", cfg.s3, cfg.bucket, key ? "/" : "", key ? key : "");
    /* s3rver (like S3) wants the payload hash header on signed requests; curl 7.88 does not
     * add it itself */
    struct curl_slist *h = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    long status = aws_request("PUT", url, "s3", h, body ? body : "", out);
    curl_slist_free_all(h);
    return status;
}

/* ---- the seed's three samples -------------------------------------------------------- */

static void xray_function_sample1(void)
{
    xray_begin_subsegment("subsegment_1");
    xray_entity *sub = xray_current_subsegment();
    xray_put_annotation(sub, "annotation1", "annotation test");
    xray_put_metadata_json(sub, "data", "{\"key1\":\"value1\"}", "subsegment_1_metadata");
    xray_begin_subsegment("subsegment_2");
    xray_begin_subsegment("subsegment_3-1");
    xray_end_subsegment();
    xray_begin_subsegment("subsegment_3-2");
    xray_end_subsegment();
    xray_end_subsegment();
    xray_end_subsegment();
}

XRAY_CAPTURE("xray_function_sample2")
static void xray_function_sample2(void)
{
    XRAY_CAPTURE_BLOCK("subsegment_1") { usleep(10000); }
}

/* Stores the user in DynamoDB and a JSON copy in S3. 0 on success. */
XRAY_CAPTURE("xray_function_sample3")
static int xray_function_sample3(const char *user_id, const char *name)
{
    reply r = {0};
    char item[1024], key[128], doc[512];
    snprintf(item, sizeof item, "{\"TableName\":\"%s\",\"Item\":{\"userId\":{\"S\":\"%s\"},"
             "\"name\":{\"S\":\"%s\"}}}", cfg.table, user_id, name);
    xray_put_annotation(xray_current_subsegment(), "userId", user_id);
    long status = dynamodb("PutItem", item, &r);
    if (status != 200) {
        fprintf(stderr, "users-api: PutItem failed: HTTP %ld %s\n", status, r.body);
        return -1;
    }
    snprintf(key, sizeof key, "users/%s.json", user_id);
    snprintf(doc, sizeof doc, "{\"userId\":\"%s\",\"name\":\"%s\"}", user_id, name);
    memset(&r, 0, sizeof r);
    status = s3_put(key, doc, &r);
    if (status != 200) {
        fprintf(stderr, "users-api: PutObject failed: HTTP %ld %s\n", status, r.body);
        return -1;
    }
    if (cfg.pg) {
        const char *values[2] = {user_id, name};
        PGresult *res = PQexecParams(cfg.pg, "INSERT INTO users (id, name) VALUES ($1, $2)", 2, NULL,
                                     values, NULL, NULL, 0);
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "users-api: INSERT failed: %s", PQresultErrorMessage(res));
        PQclear(res);
        if (!ok)
            return -1;
    }
    if (cfg.redis) {
        redisReply *rep = redisCommand(cfg.redis, "SET user:%s %s", user_id, name);
        int ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (!ok)
            fprintf(stderr, "users-api: SET failed: %s\n", rep ? rep->str : cfg.redis->errstr);
        freeReplyObject(rep);
        if (!ok)
            return -1;
    }
    return 0;
}

/* ---- HTTP server --------------------------------------------------------------------- */

typedef struct request {
    char body[4096];
    size_t len;
} request;

/* A crude reading of {"name": "..."}; enough for the sample. */
static void json_name(const char *body, char *out, size_t len)
{
    const char *p = strstr(body, "\"name\"");
    snprintf(out, len, "anonymous");
    if (p && (p = strchr(p + 6, '"'))) {
        size_t n = strcspn(p + 1, "\"\\");
        snprintf(out, len, "%.*s", (int)(n < len - 1 ? n : len - 1), p + 1);
    }
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    (void)cls;
    (void)version;
    request *req = *state;
    if (!req) { /* first call: headers only */
        *state = req = calloc(1, sizeof *req);
        return req ? MHD_YES : MHD_NO;
    }
    if (*size) { /* body arriving */
        size_t room = sizeof req->body - 1 - req->len, n = *size < room ? *size : room;
        memcpy(req->body + req->len, data, n);
        req->len += n;
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/users") || strcmp(method, "POST"))
        return respond(c, 404, "{\"message\":\"POST /users only\"}");

    char user_id[40], name[128], answer[256];
    snprintf(user_id, sizeof user_id, "%08lx-%04x", (unsigned long)time(NULL), (unsigned)rand() & 0xffff);
    json_name(req->body, name, sizeof name);
    xray_function_sample1();
    xray_function_sample2();
    unsigned status = 201;
    if (xray_function_sample3(user_id, name) == 0) {
        snprintf(answer, sizeof answer, "{\"userId\":\"%s\",\"message\":\"User created successfully\"}", user_id);
    } else {
        status = 502;
        snprintf(answer, sizeof answer, "{\"message\":\"could not store the user\"}");
    }
    return respond(c, status, answer);
}

static void done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    free(*state);
    *state = NULL;
}

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Creates the table and the bucket if they are missing (outside any segment: not traced). */
static void prepare_storage(void)
{
    reply r = {0};
    char create[512];
    snprintf(create, sizeof create, "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":"
             "\"userId\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"userId\","
             "\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}", cfg.table);
    long s = dynamodb("CreateTable", create, &r);
    if (s != 200 && !strstr(r.body, "ResourceInUse"))
        fprintf(stderr, "users-api: CreateTable: HTTP %ld %s\n", s, r.body);
    memset(&r, 0, sizeof r);
    s = s3_put(NULL, NULL, &r);
    if (s != 200 && !strstr(r.body, "BucketAlready"))
        fprintf(stderr, "users-api: CreateBucket: HTTP %ld %s\n", s, r.body);
    const char *conninfo = env("PG_CONNINFO", NULL);
    if (conninfo) {
        cfg.pg = PQconnectdb(conninfo);
        PGresult *res = PQstatus(cfg.pg) == CONNECTION_OK
                            ? PQexec(cfg.pg, "CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY, name text)")
                            : NULL;
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "users-api: PostgreSQL: %s", PQerrorMessage(cfg.pg));
            PQfinish(cfg.pg);
            cfg.pg = NULL;
        }
        PQclear(res);
    }
    const char *redis = env("REDIS_ADDR", NULL);
    if (redis && strchr(redis, ':')) {
        char host[128];
        snprintf(host, sizeof host, "%.*s", (int)(strrchr(redis, ':') - redis), redis);
        cfg.redis = redisConnect(host, atoi(strrchr(redis, ':') + 1));
        if (!cfg.redis || cfg.redis->err) {
            fprintf(stderr, "users-api: Redis: %s\n", cfg.redis ? cfg.redis->errstr : "out of memory");
            redisFree(cfg.redis);
            cfg.redis = NULL;
        }
    }
}

int main(void)
{
    cfg.region = env("AWS_REGION", "us-east-1");
    cfg.table = env("TABLE_NAME", "Users");
    cfg.bucket = env("BUCKET_NAME", "users-bucket");
    cfg.access_key = env("AWS_ACCESS_KEY_ID", "");
    cfg.secret_key = env("AWS_SECRET_ACCESS_KEY", "");
    snprintf(cfg.ddb, sizeof cfg.ddb, "%s", env("DYNAMODB_ENDPOINT", ""));
    snprintf(cfg.s3, sizeof cfg.s3, "%s", env("S3_ENDPOINT", ""));
    if (!cfg.ddb[0])
        snprintf(cfg.ddb, sizeof cfg.ddb, "https://dynamodb.%s.amazonaws.com", cfg.region);
    else
        xray_curl_register_aws_endpoint(cfg.ddb, "DynamoDB"); /* a stand-in: say what it is */
    if (!cfg.s3[0])
        snprintf(cfg.s3, sizeof cfg.s3, "https://s3.%s.amazonaws.com", cfg.region);
    else
        xray_curl_register_aws_endpoint(cfg.s3, "S3");
    int port = atoi(env("PORT", "8080"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    prepare_storage();

    xray_mhd *traced = xray_mhd_middleware("users-api", handle, NULL, done, NULL);
    struct MHD_Daemon *d = traced ? MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                                     xray_mhd_handler, traced, MHD_OPTION_NOTIFY_COMPLETED,
                                                     xray_mhd_completed, traced, MHD_OPTION_END)
                                  : NULL;
    if (!d) {
        fprintf(stderr, "users-api: cannot listen on port %d\n", port);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("users-api listening on http://127.0.0.1:%d/users\n", port);
    fflush(stdout);
    while (!stopping)
        pause();
    MHD_stop_daemon(d);
    xray_mhd_free(traced);
    if (cfg.pg)
        PQfinish(cfg.pg);
    if (cfg.redis)
        redisFree(cfg.redis);
    xray_recorder_shutdown();
    curl_global_cleanup();
    return 0;
}
