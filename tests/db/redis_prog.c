/* redis_prog.c — a hiredis client for the Redis tracing tests, built four ways as pq_prog.c is
 * (-DEXPLICIT: xray_redis* calls). Inside segment "redis-test":
 *   redis_prog PORT        SET, GET, an Argv INCR, an error reply, a command whose name is a
 *                          format argument, a pipeline of three, and a PING appended on a
 *                          connection closed before its reply is read
 *   redis_prog PORT lost   PING, then waits for a line on stdin (the test kills the server),
 *                          then two more commands: they must fail, not crash
 * and prints the replies, so the test can check that tracing changed nothing. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture.h>

#ifdef EXPLICIT
#include <xray_capture/redis.h>
#define R(f) xray_##f
#else
#define R(f) f
#endif

static void show(const char *what, redisReply *r)
{
    if (!r)
        printf("%s: no reply\n", what);
    else if (r->type == REDIS_REPLY_INTEGER)
        printf("%s: %lld\n", what, r->integer);
    else if (r->type == REDIS_REPLY_ERROR)
        printf("%s: error\n", what);
    else if (r->type == REDIS_REPLY_NIL)
        printf("%s: nil\n", what);
    else
        printf("%s: %s\n", what, r->str ? r->str : "");
    if (r)
        freeReplyObject(r);
}

static void get_reply(const char *what, redisContext *c)
{
    void *r = NULL;
    if (R(redisGetReply)(c, &r) != REDIS_OK)
        printf("%s: failed\n", what);
    show(what, r);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    redisContext *c = redisConnect("127.0.0.1", atoi(argv[1]));
    if (!c || c->err) {
        fprintf(stderr, "redis_prog: cannot connect: %s\n", c ? c->errstr : "out of memory");
        return 1;
    }
    freeReplyObject(redisCommand(c, "FLUSHALL")); /* (outside the segment: not traced) */
    xray_begin_segment("redis-test");
    if (argc > 2 && !strcmp(argv[2], "lost")) {
        show("before", R(redisCommand)(c, "PING"));
        printf("ready\n");
        fflush(stdout);
        char line[16];
        if (!fgets(line, sizeof line, stdin))
            return 1;
        show("after", R(redisCommand)(c, "GET %s", "session:42"));
        show("again", R(redisCommand)(c, "PING"));
    } else {
        show("set", R(redisCommand)(c, "SET %s %s", "session:42", "hunter2-secret"));
        show("get", R(redisCommand)(c, "get %s", "session:42"));
        const char *incr[2] = {"INCR", "visits"};
        show("argv", R(redisCommandArgv)(c, 2, incr, NULL));
        show("wrongtype", R(redisCommand)(c, "INCR %s", "session:42"));
        show("unknown", R(redisCommand)(c, "NOSUCHCMD %s", "args-secret")); /* quoted back */
        show("formatted", R(redisCommand)(c, "%s %s", "ECHO", "hunter2-secret"));
        R(redisAppendCommand)(c, "SET pipelined %s", "hunter2-secret");
        const char *get[2] = {"GET", "pipelined"};
        R(redisAppendCommandArgv)(c, 2, get, NULL);
        R(redisAppendCommand)(c, "LPUSH %s %s", "queue", "job");
        get_reply("pipe-set", c);
        get_reply("pipe-get", c);
        get_reply("pipe-lpush", c);
        /* a command appended on a connection closed before its reply is read */
        redisContext *other = redisConnect("127.0.0.1", atoi(argv[1]));
        if (other && !other->err && R(redisAppendCommand)(other, "PING") == REDIS_OK)
            printf("abandoned: appended\n");
        R(redisFree)(other);
    }
    xray_end_segment();
    R(redisFree)(c);
    return 0;
}
