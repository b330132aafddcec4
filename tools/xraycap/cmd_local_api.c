/* cmd_local_api.c — `xraycap local-api`: API Gateway and Lambda on this machine, as a traced
 * request meets them in AWS. On loopback it serves an API Gateway endpoint (every method and
 * path becomes a REST proxy event) and, for each execution environment, a Lambda Runtime API;
 * it runs the function's `bootstrap` as Lambda does (AWS_LAMBDA_RUNTIME_API, _X_AMZN_TRACE_ID
 * by the Runtime API, LAMBDA_TASK_ROOT, a request id, a deadline), and sends to the daemon the
 * segments the two services send: API Gateway's stage segment (origin AWS::ApiGateway::Stage,
 * named api/stage, with its Lambda call), the Lambda service segment (AWS::Lambda) and the
 * function segment (AWS::Lambda::Function) with Lambda's own subsegments: Initialization (an
 * environment's first invocation: from its start to its first request for work), Invocation
 * (the handler: hand-over to response) and Overhead (from the response until the environment
 * asks for work again). The function's own subsegments have the function segment as parent.
 *
 * --concurrency N runs up to N environments at once, as Lambda scales: a request that finds
 * every environment busy starts a new one (with its own cold start) or waits for one.
 * --tracing chooses the seed's three configurations: `api` (API Gateway tracing only: the
 * function is told Sampled=0), `lambda` (and Lambda's active tracing, the function's SDK off),
 * `sdk` (all of it, the default). Nothing leaves loopback unless the function calls out. */
#include "commands.h"
#include "doccheck.h"
#include "stop.h"
#include "hostport.h"
#include "http_request.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define USAGE "xraycap local-api --bootstrap PATH [--http 127.0.0.1:3000] [--udp 127.0.0.1:2000] " \
              "[--stage dev] [--function NAME] [--tracing api|lambda|sdk] [--concurrency N (1-64)]"
#define MAX_ENVIRONMENTS 64
#define MAX_WAITING 256       /* API calls held while every environment is busy */
#define MAX_CONNECTIONS 128   /* requests being read at once, API and Runtime API together */
#define REQUEST_TIME_S 10.0   /* a whole request, from accept: a slower one is answered 408 */
#define OVERHEAD_WAIT_S 2.0   /* an environment that does not ask for work again by then: its
                                 Overhead ends there */


typedef struct invocation {
    int client;                  /* the API caller's connection, answered at the response */
    request call;                /* what the caller sent */
    char id[40], trace_id[40];
    uint64_t stage_id, invoke_id, service_id, function_id;
    double start;                /* when API Gateway got it */
    double handed, responded;    /* Invocation: hand-over to the function's response */
    double init_start, init_end; /* Initialization, on an environment's first invocation */
    bool cold;
    int status;                  /* what the caller was answered */
    char *event;
} invocation;

/* An execution environment: one bootstrap process and its Runtime API. */
typedef enum { ENV_STARTING, ENV_IDLE, ENV_BUSY, ENV_OVERHEAD } env_state;

typedef struct environment {
    pid_t pid;
    int runtime;                 /* its Runtime API listener */
    char address[64];
    env_state state;
    double started, ready;       /* forked; first GET /next (the end of Initialization) */
    bool initialized;            /* its first invocation is done (later ones are warm) */
    int waiting_next;            /* a GET /next held until there is work, or -1 */
    invocation *inv;             /* BUSY or OVERHEAD: its invocation */
} environment;

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static uint64_t random_id(void)
{
    uint64_t id = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&id, sizeof id, 1, f) != 1)
        id = (uint64_t)rand() << 32 ^ (uint64_t)rand() ^ (uint64_t)time(NULL);
    if (f)
        fclose(f);
    return id ? id : 1;
}

static int listen_on(const char *spec, char *addr, size_t len)
{
    char why[600];
    int fd = hostport_bind(spec, SOCK_STREAM, true, addr, len, why, sizeof why);
    if (fd < 0)
        fprintf(stderr, "xraycap local-api: %s\n", why);
    return fd;
}

static void respond_bytes(int fd, int status, const char *headers, const char *body, size_t len)
{
    char head[2048];
    const char *reason = status < 300   ? "OK"
                         : status == 400 ? "Bad Request"
                         : status == 408 ? "Request Timeout"
                         : status == 413 ? "Content Too Large"
                         : status == 414 ? "URI Too Long"
                         : status == 431 ? "Request Header Fields Too Large"
                         : status == 501 ? "Not Implemented"
                         : status == 503 ? "Service Unavailable"
                                         : "Error";
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     status, reason, len, headers ? headers : "");
    send(fd, head, (size_t)n, MSG_NOSIGNAL);
    send(fd, body, len, MSG_NOSIGNAL);
}

static void respond(int fd, int status, const char *headers, const char *body)
{
    respond_bytes(fd, status, headers, body, strlen(body));
}

static void send_document(int udp, const struct sockaddr_storage *daemon, socklen_t dlen, const char *doc)
{
    char datagram[65536];
    int n = snprintf(datagram, sizeof datagram, "{\"format\":\"json\",\"version\":1}\n%s", doc);
    if (n > 0 && (size_t)n < sizeof datagram)
        sendto(udp, datagram, (size_t)n, 0, (const struct sockaddr *)daemon, dlen);
}

typedef struct settings {
    const char *stage, *function, *tracing, *api_name;
} settings;

/* A client's text as it may stand in a document: printable ASCII, the rest '?' (a method or a
 * URL path is ASCII; anything else is a forgery or a mistake, never worth an invalid document). */
static cJSON *ascii(const char *text, size_t n)
{
    char out[1100];
    size_t i = 0;
    for (; i < n && i < sizeof out - 1 && text[i]; i++)
        out[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
    out[i] = '\0';
    return cJSON_CreateString(out);
}

static const char BASE64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Bytes as base64 (malloc'd), as API Gateway hands a binary body to a function. */
static char *base64(const char *in, size_t n)
{
    const char *abc = BASE64;
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? (unsigned char)in[i + 2] : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? abc[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* base64 text back to bytes (malloc'd, *len of them); characters outside the alphabet are
 * skipped, as decoders do with line breaks. */
static char *unbase64(const char *in, size_t *len)
{
    char *out = malloc(strlen(in) / 4 * 3 + 3);
    if (!out)
        return NULL;
    unsigned v = 0;
    int bits = 0;
    size_t n = 0;
    for (; *in && *in != '='; in++) {
        const char *at = strchr(BASE64, *in);
        if (!at)
            continue;
        v = v << 6 | (unsigned)(at - BASE64);
        if ((bits += 6) >= 8) {
            bits -= 8;
            out[n++] = (char)(v >> bits & 0xff);
        }
    }
    *len = n;
    return out;
}

/* The REST proxy event API Gateway hands the function, made by the JSON library: a body that
 * is not text (invalid UTF-8 or a NUL byte) goes base64-encoded, as API Gateway sends binary. */
static char *proxy_event(const request *r, const char *stage)
{
    cJSON *ev = cJSON_CreateObject();
    char path[sizeof r->path];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(r->path, "?"), r->path);
    cJSON_AddStringToObject(ev, "resource", "/{proxy+}");
    cJSON_AddItemToObject(ev, "path", valid_utf8(path, strlen(path)) ? cJSON_CreateString(path)
                                                                     : ascii(path, strlen(path)));
    cJSON_AddItemToObject(ev, "httpMethod", ascii(r->method, strlen(r->method)));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "requestContext"), "stage", stage);
    const char *body = r->body ? r->body : "";
    bool text = valid_utf8(body, r->body_len) && !memchr(body, '\0', r->body_len);
    char *encoded = text ? NULL : base64(body, r->body_len);
    cJSON_AddBoolToObject(ev, "isBase64Encoded", !text);
    cJSON_AddStringToObject(ev, "body", text ? body : encoded ? encoded : "");
    free(encoded);
    char *out = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return out;
}

static void add_id(cJSON *o, const char *key, uint64_t id)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, id);
    cJSON_AddStringToObject(o, key, hex);
}

/* A document of the services', with the fields every one has. */
static cJSON *document(const char *name, uint64_t id, const char *trace_id, uint64_t parent,
                       double start, double end, const char *origin)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", name);
    add_id(d, "id", id);
    cJSON_AddStringToObject(d, "trace_id", trace_id);
    if (parent)
        add_id(d, "parent_id", parent);
    cJSON_AddNumberToObject(d, "start_time", start);
    cJSON_AddNumberToObject(d, "end_time", end);
    if (origin)
        cJSON_AddStringToObject(d, "origin", origin);
    return d;
}

static void add_subsegment(cJSON *d, const char *name, double start, double end)
{
    cJSON *subs = cJSON_GetObjectItem(d, "subsegments");
    if (!subs)
        subs = cJSON_AddArrayToObject(d, "subsegments");
    cJSON *s = document(name, random_id(), "", 0, start, end, NULL);
    cJSON_DeleteItemFromObject(s, "trace_id");
    cJSON_AddItemToArray(subs, s);
}

static void send_json(int udp, const struct sockaddr_storage *daemon, socklen_t dlen, cJSON *d)
{
    char *text = cJSON_PrintUnformatted(d);
    if (text)
        send_document(udp, daemon, dlen, text);
    cJSON_free(text);
    cJSON_Delete(d);
}

/* The segments API Gateway and Lambda send for an invocation, once its Overhead ended at
 * `end`: the stage's, and with Lambda's tracing the service's and the function's, the last
 * with Initialization (cold start), Invocation and Overhead. Built as JSON objects: nothing the
 * client sent can reach a document but as a string value. */
static void send_service_segments(const settings *o, const invocation *inv, double end, int udp,
                                  const struct sockaddr_storage *daemon, socklen_t dlen)
{
    char name[300], arn[300];
    snprintf(name, sizeof name, "%s/%s", o->api_name, o->stage);
    cJSON *stage = document(name, inv->stage_id, inv->trace_id, 0, inv->start, inv->responded,
                            "AWS::ApiGateway::Stage");
    cJSON *http = cJSON_AddObjectToObject(stage, "http"), *rq = cJSON_AddObjectToObject(http, "request");
    cJSON_AddItemToObject(rq, "method", ascii(inv->call.method, strlen(inv->call.method)));
    char url[1100];
    /* the path without its query, as API Gateway records it: queries carry tokens */
    snprintf(url, sizeof url, "http://localhost%.*s", (int)strcspn(inv->call.path, "?#"), inv->call.path);
    cJSON_AddItemToObject(rq, "url", ascii(url, strlen(url)));
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(http, "response"), "status", inv->status);
    cJSON *aws = cJSON_AddObjectToObject(stage, "aws");
    cJSON_AddStringToObject(aws, "api_id", "local");
    cJSON_AddStringToObject(aws, "stage", o->stage);
    if (inv->status >= 500)
        cJSON_AddTrueToObject(stage, "fault");
    else if (inv->status >= 400)
        cJSON_AddTrueToObject(stage, "error");
    cJSON *call = document("Lambda", inv->invoke_id, "", 0, inv->start, inv->responded, NULL);
    cJSON_DeleteItemFromObject(call, "trace_id");
    cJSON_AddStringToObject(call, "namespace", "aws");
    cJSON *call_aws = cJSON_AddObjectToObject(call, "aws");
    cJSON_AddStringToObject(call_aws, "operation", "Invoke");
    cJSON_AddStringToObject(call_aws, "function_name", o->function);
    cJSON_AddStringToObject(call_aws, "request_id", inv->id);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(stage, "subsegments"), call);
    send_json(udp, daemon, dlen, stage);
    if (!strcmp(o->tracing, "api"))
        return;
    cJSON *service = document(o->function, inv->service_id, inv->trace_id, inv->invoke_id, inv->start,
                              inv->responded, "AWS::Lambda");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(service, "aws"), "request_id", inv->id);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(service, "http"), "response"),
                            "status", 200);
    send_json(udp, daemon, dlen, service);
    cJSON *function = document(o->function, inv->function_id, inv->trace_id, inv->service_id,
                               inv->cold ? inv->init_start : inv->handed, end, "AWS::Lambda::Function");
    snprintf(arn, sizeof arn, "arn:aws:lambda:local:000000000000:function:%s", o->function);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(function, "aws"), "function_arn", arn);
    if (inv->status >= 500)
        cJSON_AddTrueToObject(function, "fault");
    if (inv->cold)
        add_subsegment(function, "Initialization", inv->init_start, inv->init_end);
    add_subsegment(function, "Invocation", inv->handed, inv->responded);
    add_subsegment(function, "Overhead", inv->responded, end);
    send_json(udp, daemon, dlen, function);
}

/* A trace id, continued from the caller's X-Amzn-Trace-Id Root when that is one: "1-", 8 and
 * 24 lower-case hex digits (anything else, a forgery included, starts a new trace). */
static void trace_id_for(const request *r, char *out, size_t len)
{
    const char *root = strstr(r->trace_header, "Root=");
    bool ok = root && strcspn(root + 5, "; ") == 35 && root[5] == '1' && root[6] == '-' && root[15] == '-';
    for (int i = 7; ok && i < 40; i++)
        ok = i == 15 || strchr("0123456789abcdef", root[i]) != NULL;
    if (ok) {
        snprintf(out, len, "%.35s", root + 5);
        return;
    }
    uint64_t a = random_id(), b = random_id();
    snprintf(out, len, "1-%08x-%08x%016" PRIx64, (unsigned)time(NULL), (unsigned)(a >> 32), b);
}

static pid_t start_function(const char *bootstrap, const char *runtime_api, const char *daemon,
                            const settings *o)
{
    pid_t pid = fork();
    if (pid == 0) {
        char root[1024];
        snprintf(root, sizeof root, "%s", bootstrap);
        char *slash = strrchr(root, '/');
        if (slash)
            *slash = '\0';
        setenv("AWS_LAMBDA_RUNTIME_API", runtime_api, 1);
        setenv("LAMBDA_TASK_ROOT", slash ? root : ".", 1);
        setenv("AWS_LAMBDA_FUNCTION_NAME", o->function, 1);
        setenv("_HANDLER", "bootstrap", 1);
        setenv("AWS_XRAY_DAEMON_ADDRESS", daemon, 1);
        if (!getenv("AWS_REGION"))
            setenv("AWS_REGION", "us-east-1", 1);
        if (!strcmp(o->tracing, "lambda"))
            setenv("AWS_XRAY_SDK_ENABLED", "false", 1); /* Lambda's tracing, no SDK in the code */
        execl(bootstrap, bootstrap, (char *)NULL);
        fprintf(stderr, "xraycap local-api: cannot run %s: %s\n", bootstrap, strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Answers the API client from the function's result, read as API Gateway reads a proxy
 * response: statusCode (200 when absent), body (base64-decoded when isBase64Encoded) and
 * headers' Content-Type; a result that is not such an object is answered 502. */
static int answer_client(int client, const char *result)
{
    cJSON *r = cJSON_Parse(result);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(r, "statusCode");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(r, "body");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "headers"), "Content-Type");
    int status = cJSON_IsNumber(sc) ? sc->valueint : 200;
    if (!cJSON_IsObject(r) || (sc && !cJSON_IsNumber(sc)) || (body && !cJSON_IsString(body)) || status < 100 ||
        status > 599) {
        cJSON_Delete(r);
        respond(client, 502, NULL, "{\"message\":\"Internal server error\"}");
        close(client);
        return 502;
    }
    char headers[300] = "Content-Type: application/json\r\n";
    if (cJSON_IsString(type) && strlen(type->valuestring) < 200 && !strpbrk(type->valuestring, "\r\n"))
        snprintf(headers, sizeof headers, "Content-Type: %s\r\n", type->valuestring);
    const char *text = cJSON_IsString(body) ? body->valuestring : "";
    size_t len = strlen(text);
    char *bytes = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "isBase64Encoded")) ? unbase64(text, &len) : NULL;
    respond_bytes(client, status, headers, bytes ? bytes : text, len);
    free(bytes);
    cJSON_Delete(r);
    close(client);
    return status;
}

/* A connection whose request is still arriving: to the API (env -1) or to an environment's
 * Runtime API. Read without blocking, so a slow client holds only its own connection. */
typedef struct connection {
    int fd, env;
    char *buf;
    size_t n, cap;
    double deadline;
    bool continued; /* "100 Continue" sent */
} connection;

/* The loop's state: the environments, the API calls waiting for one, the requests arriving. */
typedef struct local_api {
    connection conn[MAX_CONNECTIONS];
    int nconn;
    settings o;
    const char *bootstrap, *udp_spec;
    int concurrency;
    environment env[MAX_ENVIRONMENTS];
    int nenv;
    invocation *waiting[MAX_WAITING];
    int nwaiting;
    int udp;
    struct sockaddr_storage daemon;
    socklen_t dlen;
    unsigned counter;
} local_api;

/* A new execution environment: its Runtime API, and the bootstrap started on it. */
static bool start_environment(local_api *l)
{
    environment *e = &l->env[l->nenv];
    memset(e, 0, sizeof *e);
    e->waiting_next = -1;
    e->runtime = listen_on("127.0.0.1:0", e->address, sizeof e->address);
    if (e->runtime < 0)
        return false;
    e->started = now();
    e->state = ENV_STARTING;
    e->pid = start_function(l->bootstrap, e->address, l->udp_spec, &l->o);
    l->nenv++;
    return true;
}

/* Answers the environment's GET /next with inv: the invocation is the environment's now. */
static void hand_over(local_api *l, environment *e, invocation *inv)
{
    const settings *o = &l->o;
    char headers[1024];
    snprintf(headers, sizeof headers,
             "Content-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: %s\r\n"
             "Lambda-Runtime-Deadline-Ms: %lld\r\nLambda-Runtime-Invoked-Function-Arn: "
             "arn:aws:lambda:local:000000000000:function:%s\r\n"
             "Lambda-Runtime-Trace-Id: Root=%s;Parent=%016" PRIx64 ";Sampled=%d\r\n",
             inv->id, (long long)((now() + 30) * 1000), o->function, inv->trace_id,
             strcmp(o->tracing, "api") ? inv->function_id : inv->invoke_id, strcmp(o->tracing, "api") ? 1 : 0);
    inv->cold = !e->initialized;
    inv->init_start = e->started;
    inv->init_end = e->ready;
    e->initialized = true;
    inv->handed = now();
    respond(e->waiting_next, 200, headers, inv->event ? inv->event : "{}");
    close(e->waiting_next);
    e->waiting_next = -1;
    e->inv = inv;
    e->state = ENV_BUSY;
}

/* Work for every environment that asks for it; new environments, up to the concurrency, for
 * calls that no environment can take. */
static void dispatch(local_api *l)
{
    for (int i = 0; i < l->nenv && l->nwaiting; i++) {
        environment *e = &l->env[i];
        if (e->state == ENV_IDLE && e->waiting_next >= 0) {
            invocation *inv = l->waiting[0];
            memmove(l->waiting, l->waiting + 1, (size_t)--l->nwaiting * sizeof l->waiting[0]);
            hand_over(l, e, inv);
        }
    }
    int starting = 0;
    for (int i = 0; i < l->nenv; i++)
        starting += l->env[i].state == ENV_STARTING;
    while (starting < l->nwaiting && l->nenv < l->concurrency && start_environment(l))
        starting++;
}

static void free_invocation(invocation *inv)
{
    free(inv->call.body);
    free(inv->event);
    free(inv);
}

/* The environment's invocation is over: its Overhead ends now, and its segments go out. */
static void finish(local_api *l, environment *e)
{
    send_service_segments(&l->o, e->inv, now(), l->udp, &l->daemon, l->dlen);
    free_invocation(e->inv);
    e->inv = NULL;
    e->state = ENV_IDLE;
}

/* A new API call, waiting for an environment; the invocation owns r's body. */
static void take_call(local_api *l, int c, request *r)
{
    invocation *inv = calloc(1, sizeof *inv);
    if (!inv || l->nwaiting >= MAX_WAITING) {
        respond(c, 503, NULL, "{\"message\":\"too many requests waiting\"}");
        close(c);
        free(r->body);
        free(inv);
        return;
    }
    inv->call = *r;
    inv->client = c;
    snprintf(inv->id, sizeof inv->id, "local-%08x-%u", (unsigned)time(NULL), ++l->counter);
    trace_id_for(&inv->call, inv->trace_id, sizeof inv->trace_id);
    inv->stage_id = random_id(), inv->invoke_id = random_id(), inv->service_id = random_id(),
    inv->function_id = random_id();
    inv->start = now();
    inv->event = proxy_event(&inv->call, l->o.stage);
    l->waiting[l->nwaiting++] = inv;
    dispatch(l);
}

/* One request of environment e's bootstrap to its Runtime API. */
static void runtime_request(local_api *l, environment *e, int c, request r)
{
    char done_path[128] = "", error_path[128] = "";
    if (e->inv) {
        snprintf(done_path, sizeof done_path, "/2018-06-01/runtime/invocation/%s/response", e->inv->id);
        snprintf(error_path, sizeof error_path, "/2018-06-01/runtime/invocation/%s/error", e->inv->id);
    }
    if (!strcmp(r.method, "GET") && strstr(r.path, "/runtime/invocation/next")) {
        if (e->state == ENV_STARTING)
            e->ready = now(); /* the end of its Initialization */
        else if (e->state == ENV_OVERHEAD)
            finish(l, e);
        if (e->waiting_next >= 0)
            close(e->waiting_next);
        e->waiting_next = c; /* answered when there is work */
        if (e->state != ENV_BUSY)
            e->state = ENV_IDLE;
        dispatch(l);
    } else if (e->state == ENV_BUSY && (!strcmp(r.path, done_path) || !strcmp(r.path, error_path))) {
        respond(c, 202, NULL, "{\"status\":\"OK\"}");
        close(c);
        invocation *inv = e->inv;
        inv->responded = now();
        if (!strcmp(r.path, done_path)) {
            inv->status = answer_client(inv->client, r.body);
        } else {
            inv->status = 502;
            respond(inv->client, 502, NULL, "{\"message\":\"Internal server error\"}");
            close(inv->client);
        }
        inv->client = -1;
        e->state = ENV_OVERHEAD;
    } else {
        respond(c, 404, NULL, "{\"message\":\"unknown\"}");
        close(c);
    }
    free(r.body);
}

/* A bootstrap that exited: as Lambda, its caller gets a 502; local-api stops (status 1). */
static bool environment_exited(local_api *l)
{
    for (int i = 0; i < l->nenv; i++) {
        environment *e = &l->env[i];
        int st;
        if (e->pid <= 0 || waitpid(e->pid, &st, WNOHANG) != e->pid)
            continue;
        fprintf(stderr, "xraycap local-api: the function exited (%s %d)%s\n",
                WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
                e->state == ENV_BUSY ? " during an invocation" : "");
        if (e->state == ENV_BUSY) {
            respond(e->inv->client, 502, NULL, "{\"message\":\"Internal server error\"}");
            close(e->inv->client);
        }
        e->pid = -1;
        return true;
    }
    return false;
}

/* A new connection, read as its bytes come; refused with 503 when too many are being read. */
static void accept_connection(local_api *l, int listener, int env)
{
    int c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (l->nconn == MAX_CONNECTIONS) {
        respond(c, 503, NULL, "{\"message\":\"too many connections\"}");
        close(c);
        return;
    }
    l->conn[l->nconn++] = (connection){.fd = c, .env = env, .deadline = now() + REQUEST_TIME_S};
}

static void drop_connection(local_api *l, int i)
{
    free(l->conn[i].buf);
    l->conn[i] = l->conn[--l->nconn];
}

/* Ends connection i with an error answer. */
static void refuse(local_api *l, int i, int status)
{
    char body[80];
    snprintf(body, sizeof body, "{\"message\":\"%s\"}",
             status == 408 ? "request not received in time" : status == 413 ? "body too large"
             : status == 414 ? "path too long" : status == 431 ? "header fields too large"
             : status == 501 ? "transfer coding not supported" : "bad request");
    respond(l->conn[i].fd, status, NULL, body);
    /* what the client has sent and nobody read would make close() reset the connection, and
     * the client could lose the answer: read it first, within reason */
    shutdown(l->conn[i].fd, SHUT_WR);
    char scratch[16384];
    for (int k = 0; k < 64 && recv(l->conn[i].fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0; k++)
        ;
    close(l->conn[i].fd);
    drop_connection(l, i);
}

/* Reads what connection i has sent; a whole request goes to the API or the environment.
 * False when connection i is gone (so the caller does not move past the one now at i). */
static bool read_connection(local_api *l, int i)
{
    connection *k = &l->conn[i];
    size_t limit = HTTP_MAX_HEADER + 2 * (size_t)HTTP_MAX_BODY; /* chunk framing included */
    if (k->cap - k->n < 4096) {
        size_t cap = k->cap ? k->cap * 2 : 16384;
        char *more = k->n < limit ? realloc(k->buf, (cap < limit ? cap : limit) + 1) : NULL;
        if (!more) {
            refuse(l, i, 413);
            return false;
        }
        k->buf = more, k->cap = cap < limit ? cap : limit;
    }
    ssize_t got = recv(k->fd, k->buf + k->n, k->cap - k->n, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (got <= 0) {
        close(k->fd);
        drop_connection(l, i);
        return false;
    }
    k->n += (size_t)got;
    k->buf[k->n] = '\0';
    request r;
    size_t used;
    int st = http_request_parse(k->buf, k->n, HTTP_MAX_BODY, &r, &used);
    if (st == 0) {
        char *head = strstr(k->buf, "\r\n\r\n");
        if (head && !k->continued) { /* clients that wait for it before a large body */
            *head = '\0';
            if (strcasestr(k->buf, "\r\nExpect: 100-continue"))
                send(k->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
            *head = '\r';
            k->continued = true;
        }
        return true;
    }
    if (st != 1) {
        refuse(l, i, st);
        return false;
    }
    int fd = k->fd, env = k->env;
    k->fd = -1;
    drop_connection(l, i);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {5, 0}; /* an answer a client does not read holds the loop no longer */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (env < 0)
        take_call(l, fd, &r);
    else
        runtime_request(l, &l->env[env], fd, r);
    return false;
}

/* Requests not whole by their deadline: 408. */
static void expire_connections(local_api *l)
{
    double t = now();
    for (int i = 0; i < l->nconn;)
        if (t > l->conn[i].deadline)
            refuse(l, i, 408);
        else
            i++;
}

static void shut_down(local_api *l)
{
    while (l->nconn) {
        close(l->conn[0].fd);
        drop_connection(l, 0);
    }
    for (int i = 0; i < l->nenv; i++) {
        environment *e = &l->env[i];
        if (e->state == ENV_OVERHEAD)
            finish(l, e);
        if (e->inv) {
            if (e->inv->client >= 0)
                close(e->inv->client);
            free_invocation(e->inv);
        }
        if (e->pid > 0) { /* first: a function whose request for work is cut would say so */
            kill(e->pid, SIGTERM);
            waitpid(e->pid, NULL, 0);
        }
        if (e->waiting_next >= 0)
            close(e->waiting_next);
        close(e->runtime);
    }
    for (int i = 0; i < l->nwaiting; i++) {
        respond(l->waiting[i]->client, 503, NULL, "{\"message\":\"local-api stopped\"}");
        close(l->waiting[i]->client);
        free_invocation(l->waiting[i]);
    }
}

int cmd_local_api(int argc, char **argv)
{
    static local_api l; /* large: its environments */
    const char *http = "127.0.0.1:3000";
    l.o = (settings){"dev", "users", "sdk", "users-api"};
    l.udp_spec = "127.0.0.1:2000";
    l.concurrency = 1;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (i + 1 < argc && !strcmp(argv[i], "--bootstrap"))
            l.bootstrap = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--http"))
            http = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--udp"))
            l.udp_spec = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--stage"))
            l.o.stage = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--function"))
            l.o.function = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--api"))
            l.o.api_name = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--tracing") &&
                 (!strcmp(argv[i + 1], "api") || !strcmp(argv[i + 1], "lambda") || !strcmp(argv[i + 1], "sdk")))
            l.o.tracing = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--concurrency") &&
                 (l.concurrency = (int)strtol(argv[i + 1], &end, 10)) >= 1 &&
                 l.concurrency <= MAX_ENVIRONMENTS && !*end && isdigit((unsigned char)argv[++i][0]))
            ;
        else {
            fprintf(stderr, "xraycap local-api: unexpected argument '%s'\nusage: %s\n", argv[i], USAGE);
            return 2;
        }
    }
    if (!l.bootstrap || access(l.bootstrap, X_OK)) {
        fprintf(stderr, "xraycap local-api: %s\nusage: %s\n",
                l.bootstrap ? "the bootstrap is not an executable file" : "--bootstrap is required", USAGE);
        return 2;
    }
    char why[600];
    if (!hostport_resolve(l.udp_spec, SOCK_DGRAM, false, &l.daemon, &l.dlen, why, sizeof why)) {
        fprintf(stderr, "xraycap local-api: --udp %s\n", why);
        return 2;
    }
    char api_addr[64];
    int api = listen_on(http, api_addr, sizeof api_addr);
    l.udp = socket(l.daemon.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (api < 0 || l.udp < 0 || !start_environment(&l)) /* the first, at once: as warm as Lambda's first */
        return 1;
    stop_on_signals();
    fprintf(stderr, "xraycap local-api: http://%s/ (stage %s, function %s, tracing %s, concurrency %d)\n",
            api_addr, l.o.stage, l.o.function, l.o.tracing, l.concurrency);
    int rc = 0;
    while (!stop_asked) {
        if (environment_exited(&l)) {
            rc = 1;
            break;
        }
        struct pollfd p[1 + MAX_ENVIRONMENTS + MAX_CONNECTIONS];
        int np = 0;
        p[np++] = (struct pollfd){.fd = api, .events = POLLIN};
        for (int i = 0; i < l.nenv; i++)
            p[np++] = (struct pollfd){.fd = l.env[i].runtime, .events = POLLIN};
        /* what was polled: requests read below may start environments, accepting adds connections */
        int nenv = l.nenv, nconn = l.nconn;
        for (int i = 0; i < nconn; i++)
            p[np++] = (struct pollfd){.fd = l.conn[i].fd, .events = POLLIN};
        int ready = poll(p, (nfds_t)np, 200);
        for (int i = 0; i < l.nenv; i++) /* an environment that never asks for work again */
            if (l.env[i].state == ENV_OVERHEAD && now() - l.env[i].inv->responded > OVERHEAD_WAIT_S)
                finish(&l, &l.env[i]);
        if (ready > 0) {
            /* reading first, from the last: a connection dropped moves the last one into its place */
            for (int i = nconn - 1; i >= 0; i--)
                if (p[1 + nenv + i].revents)
                    read_connection(&l, i);
            if (p[0].revents & POLLIN)
                accept_connection(&l, api, -1);
            for (int i = 0; i < nenv; i++)
                if (p[i + 1].revents & POLLIN)
                    accept_connection(&l, l.env[i].runtime, i);
        }
        expire_connections(&l);
    }
    shut_down(&l);
    close(api);
    close(l.udp);
    return rc;
}
