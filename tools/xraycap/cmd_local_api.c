/* cmd_local_api.c — `xraycap local-api`: API Gateway and Lambda on this machine, as a traced
 * request meets them in AWS. On loopback it serves an API Gateway endpoint (every method and
 * path becomes a REST proxy event) and a Lambda Runtime API, runs the function's `bootstrap`
 * as Lambda does (AWS_LAMBDA_RUNTIME_API, _X_AMZN_TRACE_ID by the Runtime API, LAMBDA_TASK_ROOT,
 * a request id, a deadline), and sends to the daemon the segments the two services send: API
 * Gateway's stage segment (origin AWS::ApiGateway::Stage, named api/stage, with its Lambda
 * call), the Lambda service segment (AWS::Lambda) and the function segment
 * (AWS::Lambda::Function), whose id is the parent the function's own subsegments get.
 *
 * --tracing chooses the seed's three configurations: `api` (API Gateway tracing only: the
 * function is told Sampled=0), `lambda` (and Lambda's active tracing, the function's SDK off),
 * `sdk` (all of it, the default). One invocation at a time; nothing leaves loopback unless the
 * function itself calls out. */
#include "commands.h"
#include "stop.h"
#include "hostport.h"

#include <errno.h>
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
              "[--stage dev] [--function NAME] [--tracing api|lambda|sdk]"

typedef struct request {
    char method[16], path[1024], trace_header[600];
    char *body;
    size_t body_len;
} request;

typedef struct invocation {
    int client;                  /* the API caller's connection, answered at the end */
    char id[40], trace_id[40];
    uint64_t stage_id, invoke_id, service_id, function_id;
    double start, invoked;       /* when API Gateway got it, when Lambda handed it over */
    char *event;
    bool handed;                 /* the function has it (GET /next answered) */
} invocation;


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

/* Reads one HTTP request (headers, then Content-Length bytes of body); false on a bad one. */
static bool read_request(int fd, request *r)
{
    static char buf[1 << 20];
    size_t n = 0;
    char *end = NULL;
    memset(r, 0, sizeof *r);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (!end && n < sizeof buf - 1) {
        ssize_t got = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (got <= 0)
            return false;
        n += (size_t)got;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end || sscanf(buf, "%15s %1023s", r->method, r->path) != 2)
        return false;
    size_t length = 0;
    for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        if (!strncasecmp(line + 2, "Content-Length:", 15))
            length = strtoul(line + 17, NULL, 10);
        else if (!strncasecmp(line + 2, "X-Amzn-Trace-Id:", 16))
            snprintf(r->trace_header, sizeof r->trace_header, "%.*s", (int)strcspn(line + 18, "\r\n"), line + 18);
    }
    if (length > sizeof buf / 2)
        return false;
    size_t have = n - (size_t)(end + 4 - buf);
    r->body = malloc(length + 1);
    if (!r->body)
        return false;
    memcpy(r->body, end + 4, have < length ? have : length);
    while (have < length) {
        ssize_t got = recv(fd, r->body + have, length - have, 0);
        if (got <= 0)
            return false;
        have += (size_t)got;
    }
    r->body[length] = '\0';
    r->body_len = length;
    return true;
}

static void respond(int fd, int status, const char *headers, const char *body)
{
    char head[2048];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     status, status < 300 ? "OK" : "Error", strlen(body), headers ? headers : "");
    send(fd, head, (size_t)n, MSG_NOSIGNAL);
    send(fd, body, strlen(body), MSG_NOSIGNAL);
}

/* A string as JSON (quotes, backslashes and control characters escaped). */
static void json_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* The REST proxy event API Gateway hands the function. */
static char *proxy_event(const request *r, const char *stage)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    fputs("{\"resource\":\"/{proxy+}\",\"path\":", out);
    json_string(out, r->path, strcspn(r->path, "?"));
    fputs(",\"httpMethod\":", out);
    json_string(out, r->method, strlen(r->method));
    fprintf(out, ",\"requestContext\":{\"stage\":\"%s\"},\"isBase64Encoded\":false,\"body\":", stage);
    json_string(out, r->body ? r->body : "", r->body_len);
    fputs("}", out);
    fclose(out);
    return text;
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

/* The segments API Gateway and Lambda send for an invocation that answered `status`. */
static void send_service_segments(const settings *o, const invocation *inv, const request *req, int status,
                                  int udp, const struct sockaddr_storage *daemon, socklen_t dlen)
{
    double end = now();
    char doc[8192];
    const char *fault = status >= 500 ? ",\"fault\":true" : status >= 400 ? ",\"error\":true" : "";
    snprintf(doc, sizeof doc,
             "{\"name\":\"%s/%s\",\"id\":\"%016" PRIx64 "\",\"trace_id\":\"%s\",\"start_time\":%.6f,"
             "\"end_time\":%.6f,\"origin\":\"AWS::ApiGateway::Stage\",\"http\":{\"request\":{\"method\":\"%s\","
             "\"url\":\"http://localhost%.500s\"},\"response\":{\"status\":%d}},\"aws\":{\"api_id\":\"local\","
             "\"stage\":\"%s\"}%s,\"subsegments\":[{\"name\":\"Lambda\",\"id\":\"%016" PRIx64 "\",\"namespace\":\"aws\","
             "\"start_time\":%.6f,\"end_time\":%.6f,\"aws\":{\"operation\":\"Invoke\",\"function_name\":\"%s\","
             "\"request_id\":\"%s\"}}]}",
             o->api_name, o->stage, inv->stage_id, inv->trace_id, inv->start, end, req->method, req->path,
             status, o->stage, fault, inv->invoke_id, inv->invoked, end, o->function, inv->id);
    send_document(udp, daemon, dlen, doc);
    if (!strcmp(o->tracing, "api"))
        return;
    snprintf(doc, sizeof doc,
             "{\"name\":\"%s\",\"id\":\"%016" PRIx64 "\",\"trace_id\":\"%s\",\"parent_id\":\"%016" PRIx64 "\","
             "\"start_time\":%.6f,\"end_time\":%.6f,\"origin\":\"AWS::Lambda\",\"aws\":{\"request_id\":\"%s\"},"
             "\"http\":{\"response\":{\"status\":200}}}",
             o->function, inv->service_id, inv->trace_id, inv->invoke_id, inv->invoked, end, inv->id);
    send_document(udp, daemon, dlen, doc);
    snprintf(doc, sizeof doc,
             "{\"name\":\"%s\",\"id\":\"%016" PRIx64 "\",\"trace_id\":\"%s\",\"parent_id\":\"%016" PRIx64 "\","
             "\"start_time\":%.6f,\"end_time\":%.6f,\"origin\":\"AWS::Lambda::Function\","
             "\"aws\":{\"function_arn\":\"arn:aws:lambda:local:000000000000:function:%s\"}}",
             o->function, inv->function_id, inv->trace_id, inv->service_id, inv->invoked, end, o->function);
    send_document(udp, daemon, dlen, doc);
}

/* A trace id, continued from the caller's X-Amzn-Trace-Id Root when there is one. */
static void trace_id_for(const request *r, char *out, size_t len)
{
    const char *root = strstr(r->trace_header, "Root=");
    if (root && strcspn(root + 5, ";") == 35) {
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

/* Answers GET /next with the pending invocation. */
static void hand_over(int fd, invocation *inv, const settings *o)
{
    char headers[1024];
    snprintf(headers, sizeof headers,
             "Content-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: %s\r\n"
             "Lambda-Runtime-Deadline-Ms: %lld\r\nLambda-Runtime-Invoked-Function-Arn: "
             "arn:aws:lambda:local:000000000000:function:%s\r\n"
             "Lambda-Runtime-Trace-Id: Root=%s;Parent=%016" PRIx64 ";Sampled=%d\r\n",
             inv->id, (long long)((now() + 30) * 1000), o->function, inv->trace_id,
             strcmp(o->tracing, "api") ? inv->function_id : inv->invoke_id, strcmp(o->tracing, "api") ? 1 : 0);
    inv->invoked = now();
    respond(fd, 200, headers, inv->event);
    close(fd);
    inv->handed = true;
}

/* The function's answer to the API caller: the proxy result's statusCode and body. */
static int answer_client(int client, const char *result)
{
    int status = 200;
    const char *sc = strstr(result, "\"statusCode\"");
    if (sc && (sc = strchr(sc, ':')))
        status = atoi(sc + 1);
    if (status < 100 || status > 599)
        status = 502;
    char body[65536] = "";
    const char *b = strstr(result, "\"body\"");
    if (b && (b = strchr(b + 6, '"'))) { /* a JSON string: unescape \" and \\ */
        size_t o = 0;
        for (b++; *b && *b != '"' && o + 1 < sizeof body; b++) {
            if (*b == '\\' && b[1])
                b++;
            body[o++] = *b;
        }
        body[o] = '\0';
    }
    respond(client, status, "Content-Type: application/json\r\n", body);
    close(client);
    return status;
}

int cmd_local_api(int argc, char **argv)
{
    const char *http = "127.0.0.1:3000", *udp_spec = "127.0.0.1:2000", *bootstrap = NULL;
    settings o = {"dev", "users", "sdk", "users-api"};
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--bootstrap"))
            bootstrap = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--http"))
            http = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--udp"))
            udp_spec = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--stage"))
            o.stage = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--function"))
            o.function = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--api"))
            o.api_name = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--tracing") &&
                 (!strcmp(argv[i + 1], "api") || !strcmp(argv[i + 1], "lambda") || !strcmp(argv[i + 1], "sdk")))
            o.tracing = argv[++i];
        else {
            fprintf(stderr, "xraycap local-api: unexpected argument '%s'\nusage: %s\n", argv[i], USAGE);
            return 2;
        }
    }
    if (!bootstrap || access(bootstrap, X_OK)) {
        fprintf(stderr, "xraycap local-api: %s\nusage: %s\n",
                bootstrap ? "the bootstrap is not an executable file" : "--bootstrap is required", USAGE);
        return 2;
    }
    struct sockaddr_storage daemon;
    socklen_t dlen;
    char why[600];
    if (!hostport_resolve(udp_spec, SOCK_DGRAM, false, &daemon, &dlen, why, sizeof why)) {
        fprintf(stderr, "xraycap local-api: --udp %s\n", why);
        return 2;
    }
    char api_addr[64], runtime_addr[64];
    int api = listen_on(http, api_addr, sizeof api_addr);
    int runtime = api >= 0 ? listen_on("127.0.0.1:0", runtime_addr, sizeof runtime_addr) : -1;
    int udp = socket(daemon.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (api < 0 || runtime < 0 || udp < 0)
        return 1;
    stop_on_signals();
    pid_t fn = start_function(bootstrap, runtime_addr, udp_spec, &o);
    fprintf(stderr, "xraycap local-api: http://%s/ (stage %s, function %s, tracing %s)\n", api_addr, o.stage,
            o.function, o.tracing);
    invocation inv;
    memset(&inv, 0, sizeof inv);
    inv.client = -1;
    request call; /* the API request in flight */
    memset(&call, 0, sizeof call);
    int waiting_next = -1; /* the function's GET /next, held until there is work */
    unsigned counter = 0;
    int rc = 0;
    while (!stop_asked) {
        int st;
        if (fn > 0 && waitpid(fn, &st, WNOHANG) == fn) { /* as Lambda: the caller gets a 502 */
            fprintf(stderr, "xraycap local-api: the function exited (%s %d)%s\n",
                    WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
                    inv.client >= 0 ? " during an invocation" : "");
            if (inv.client >= 0) {
                respond(inv.client, 502, NULL, "{\"message\":\"Internal server error\"}");
                close(inv.client);
            }
            fn = -1;
            rc = 1;
            break;
        }
        struct pollfd p[2] = {{.fd = runtime, .events = POLLIN}, {.fd = inv.client < 0 ? api : -1, .events = POLLIN}};
        if (poll(p, 2, 200) <= 0)
            continue;
        if (p[1].revents & POLLIN) { /* an API call: the next invocation */
            int c = accept(api, NULL, NULL);
            free(call.body);
            if (c >= 0 && read_request(c, &call)) {
                inv.client = c;
                snprintf(inv.id, sizeof inv.id, "local-%08x-%u", (unsigned)time(NULL), ++counter);
                trace_id_for(&call, inv.trace_id, sizeof inv.trace_id);
                inv.stage_id = random_id(), inv.invoke_id = random_id(), inv.service_id = random_id(),
                inv.function_id = random_id();
                inv.start = now();
                free(inv.event);
                inv.event = proxy_event(&call, o.stage);
                inv.handed = false;
                if (waiting_next >= 0) {
                    hand_over(waiting_next, &inv, &o);
                    waiting_next = -1;
                }
            } else if (c >= 0) {
                respond(c, 400, NULL, "{\"message\":\"bad request\"}");
                close(c);
            }
        }
        if (p[0].revents & POLLIN) { /* the function talking to the Runtime API */
            int c = accept(runtime, NULL, NULL);
            request r;
            if (c < 0 || !read_request(c, &r)) {
                if (c >= 0)
                    close(c);
                continue;
            }
            char done_path[128], error_path[128];
            snprintf(done_path, sizeof done_path, "/2018-06-01/runtime/invocation/%s/response", inv.id);
            snprintf(error_path, sizeof error_path, "/2018-06-01/runtime/invocation/%s/error", inv.id);
            if (!strcmp(r.method, "GET") && strstr(r.path, "/runtime/invocation/next")) {
                if (inv.client >= 0 && !inv.handed)
                    hand_over(c, &inv, &o);
                else
                    waiting_next = c; /* answered when a call comes */
            } else if (inv.client >= 0 && inv.handed && (!strcmp(r.path, done_path) || !strcmp(r.path, error_path))) {
                respond(c, 202, NULL, "{\"status\":\"OK\"}");
                close(c);
                int status = !strcmp(r.path, done_path) ? answer_client(inv.client, r.body) : 502;
                if (status == 502 && strcmp(r.path, done_path)) {
                    respond(inv.client, 502, NULL, "{\"message\":\"Internal server error\"}");
                    close(inv.client);
                }
                send_service_segments(&o, &inv, &call, status, udp, &daemon, dlen);
                inv.client = -1;
            } else {
                respond(c, 404, NULL, "{\"message\":\"unknown\"}");
                close(c);
            }
            free(r.body);
        }
    }
    if (waiting_next >= 0)
        close(waiting_next);
    if (fn > 0) {
        kill(fn, SIGTERM);
        waitpid(fn, NULL, 0);
    }
    free(call.body);
    free(inv.event);
    close(api);
    close(runtime);
    close(udp);
    return rc;
}
