/* redis_trace.c — Redis commands through hiredis as subsegments (xray_capture/redis.h). A
 * blocking command is a subsegment while it runs; a pipelined one spans from its append to the
 * redisGetReply that returns its reply (replies come back in the order of the appends), so it
 * is recorded then, with the start time taken at the append. Only the command's name is kept:
 * its arguments may be secrets. */
#include "core/context.h"
#include "core/exception.h"
#include "lib/lib_span.h"
#include "lib/error_text.h"
#include "model/attrs.h"
#include "xray_capture/redis.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_MAX 32

/* ---- what a subsegment says ------------------------------------------------------------ */

static void server_name(const redisContext *c, char *out, size_t len)
{
    if (c->connection_type == REDIS_CONN_UNIX)
        snprintf(out, len, "redis@%.200s", c->unix_sock.path ? c->unix_sock.path : "");
    else
        snprintf(out, len, "redis@%.200s:%d", c->tcp.host ? c->tcp.host : "", c->tcp.port);
}

static void server_url(const redisContext *c, char *out, size_t len)
{
    if (c->connection_type == REDIS_CONN_UNIX)
        snprintf(out, len, "unix://%.200s", c->unix_sock.path ? c->unix_sock.path : "");
    else
        snprintf(out, len, "redis://%.200s:%d", c->tcp.host ? c->tcp.host : "", c->tcp.port);
}

/* The command's name from its first word (`len` bytes, or up to white space), upper-cased; a
 * name that is itself a format directive ("%s %s") or holds anything but letters, digits and
 * `_ . -` is recorded as "?" rather than risk recording an argument. */
static void command_name(const char *word, size_t len, char *out)
{
    size_t n = 0;
    for (; n < len && word[n] && !isspace((unsigned char)word[n]); n++) {
        unsigned char ch = (unsigned char)word[n];
        if (n >= COMMAND_MAX - 1 || !(isalnum(ch) || ch == '_' || ch == '.' || ch == '-')) {
            strcpy(out, "?");
            return;
        }
        out[n] = (char)toupper(ch);
    }
    out[n] = '\0';
    if (!n)
        strcpy(out, "?");
}

static void from_format(const char *format, char *out)
{
    const char *p = format ? format : "";
    while (isspace((unsigned char)*p))
        p++;
    command_name(p, strlen(p), out);
}

static void from_argv(int argc, const char **argv, const size_t *argvlen, char *out)
{
    if (argc < 1 || !argv || !argv[0])
        strcpy(out, "?");
    else
        command_name(argv[0], argvlen ? argvlen[0] : strlen(argv[0]), out);
}

static void describe(xray_entity *e, const redisContext *c, const char *command)
{
    char url[256];
    server_url(c, url, sizeof url);
    xray_set_namespace(e, "remote");
    xray_put_metadata(e, "command", cJSON_CreateString(command), "redis");
    xray_put_metadata(e, "url", cJSON_CreateString(url), "redis");
}

/* An error reply is the server refusing the command (error); no reply is a failure (fault). */
static void outcome(xray_entity *e, const redisContext *c, const char *command, const redisReply *reply,
                    bool got_reply)
{
    if (!got_reply) {
        char type[48];
        snprintf(type, sizeof type, "hiredis error %d", c->err);
        xray_add_exception(e, type, c->err ? c->errstr : "no reply", true);
    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        /* the error's class (its first word: ERR, WRONGTYPE, ...) and its message without what
         * it quotes back: the arguments ("with args beginning with: 'secret'") never recorded */
        char message[512], text[512], type[64];
        snprintf(message, sizeof message, "%.*s", (int)(reply->len < 500 ? reply->len : 500),
                 reply->str ? reply->str : "");
        xrc_error_text(message, command, text, sizeof text);
        size_t class_len = strspn(message, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        snprintf(type, sizeof type, "Redis error %.*s", (int)(class_len ? class_len : 5), class_len ? message : "reply");
        xrc_add_error_cause(e, type, text, true);
    }
}

/* ---- blocking commands: a subsegment while the call runs -------------------------------- */

static void span_begin(xrc_lib_span *s, const redisContext *c)
{
    if (xrc_lib_span_enter(s) && c) {
        char name[256];
        server_name(c, name, sizeof name);
        xrc_lib_span_open(s, name);
    }
}

static void span_end(xrc_lib_span *s, const redisContext *c, const char *command, const void *reply)
{
    int saved = errno;
    if (s->e) {
        describe(s->e, c, command);
        outcome(s->e, c, command, reply, reply != NULL);
    }
    errno = saved;
    xrc_lib_span_leave(s);
}

void *xray_redisvCommand(redisContext *c, const char *format, va_list ap)
{
    xrc_lib_span s;
    span_begin(&s, c);
    void *reply = redisvCommand(c, format, ap);
    char command[COMMAND_MAX];
    from_format(format, command);
    span_end(&s, c, command, reply);
    return reply;
}

void *xray_redisCommand(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    void *reply = xray_redisvCommand(c, format, ap);
    va_end(ap);
    return reply;
}

void *xray_redisCommandArgv(redisContext *c, int argc, const char **argv, const size_t *argvlen)
{
    xrc_lib_span s;
    span_begin(&s, c);
    void *reply = redisCommandArgv(c, argc, argv, argvlen);
    char command[COMMAND_MAX];
    from_argv(argc, argv, argvlen, command);
    span_end(&s, c, command, reply);
    return reply;
}

/* ---- pipelined commands: from the append to the reply ------------------------------------ */

typedef struct queued {
    xrc_pending link;             /* first: on `queue`, by context */
    xrc_lib_later at;             /* where and when it was appended */
    char command[COMMAND_MAX];
} queued;

static xrc_pending_list queue = XRC_PENDING_LIST_INIT; /* appended commands, oldest first */

static void enqueue(const redisContext *c, const xrc_lib_later *at, const char *command)
{
    queued *q = calloc(1, sizeof *q);
    if (!q)
        return;
    q->at = *at;
    snprintf(q->command, sizeof q->command, "%s", command);
    xrc_pending_add(&queue, &q->link, c);
}

/* The context's oldest appended command, taken off the queue. */
static queued *dequeue(const redisContext *c) { return (queued *)xrc_pending_take(&queue, c); }

static void finish(queued *q, const redisContext *c, const void *reply, bool got_reply)
{
    char name[256];
    server_name(c, name, sizeof name);
    xray_entity *e = xrc_lib_later_end(&q->at, name, "a pipelined Redis command");
    if (e) {
        describe(e, c, q->command);
        outcome(e, c, q->command, reply, got_reply);
    }
    xrc_lib_later_done();
    free(q);
}

/* After an append: queued when it was traced and hiredis took it. */
static int appended(const redisContext *c, int rc, const xrc_lib_later *at, bool traced,
                    const char *command)
{
    int saved = errno;
    if (traced && rc == REDIS_OK)
        enqueue(c, at, command);
    xrc_tls.lib_inside--;
    errno = saved;
    return rc;
}

static bool append_begins(const redisContext *c, xrc_lib_later *at)
{
    bool traced = c && xrc_lib_later_begin(at);
    xrc_tls.lib_inside++;
    return traced;
}

int xray_redisvAppendCommand(redisContext *c, const char *format, va_list ap)
{
    xrc_lib_later at;
    bool traced = append_begins(c, &at);
    char command[COMMAND_MAX];
    from_format(format, command);
    return appended(c, redisvAppendCommand(c, format, ap), &at, traced, command);
}

int xray_redisAppendCommand(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int rc = xray_redisvAppendCommand(c, format, ap);
    va_end(ap);
    return rc;
}

int xray_redisAppendCommandArgv(redisContext *c, int argc, const char **argv, const size_t *argvlen)
{
    xrc_lib_later at;
    bool traced = append_begins(c, &at);
    char command[COMMAND_MAX];
    from_argv(argc, argv, argvlen, command);
    return appended(c, redisAppendCommandArgv(c, argc, argv, argvlen), &at, traced, command);
}

int xray_redisGetReply(redisContext *c, void **reply)
{
    bool outer = !xrc_tls.lib_inside++;
    int rc = redisGetReply(c, reply);
    int saved = errno;
    if (outer && c) {
        queued *q = dequeue(c);
        if (q)
            finish(q, c, reply ? *reply : NULL, rc == REDIS_OK && reply && *reply);
    }
    xrc_tls.lib_inside--;
    errno = saved;
    return rc;
}

void xray_redisFree(redisContext *c)
{
    xrc_tls.lib_inside++;
    for (queued *q; c && (q = dequeue(c));)
        finish(q, c, NULL, true); /* appended, its reply never read: it ends here */
    redisFree(c);
    xrc_tls.lib_inside--;
}
