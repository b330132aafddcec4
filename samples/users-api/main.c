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
 * (users-bucket), DYNAMODB_ENDPOINT and S3_ENDPOINT (else AWS_ENDPOINT_URL_DYNAMODB and
 * AWS_ENDPOINT_URL_S3, else the AWS endpoints of the region; set them for dynalite/s3rver or any
 * compatible service), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN
 * (samples/common/aws_store.c); PG_CONNINFO (a libpq connection string) and REDIS_ADDR (HOST:PORT),
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

#include "../common/aws_store.h"
#include "../common/seed.h"

static struct {
    aws_store aws;
    PGconn *pg;           /* NULL without PG_CONNINFO */
    redisContext *redis;  /* NULL without REDIS_ADDR */
} cfg;

static const char *env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* ---- the seed's three samples -------------------------------------------------------- */

/* Stores the user in DynamoDB and a JSON copy in S3. 0 on success. */
XRAY_CAPTURE("xray_function_sample3")
static int xray_function_sample3(const char *user_id, const char *name)
{
    xray_put_annotation(xray_current_subsegment(), "userId", user_id);
    if (aws_store_put_user(&cfg.aws, user_id, name) != 0)
        return -1;
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

/* Creates the table, the bucket and the users table when they are missing, and connects to
 * PostgreSQL and Redis when they are configured (outside any segment: not traced). */
static void prepare_storage(void)
{
    aws_store_prepare(&cfg.aws);
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
    aws_store_init(&cfg.aws, "DYNAMODB_ENDPOINT", "S3_ENDPOINT");
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
