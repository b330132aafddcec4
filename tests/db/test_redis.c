/* test_redis.c — Redis tracing against a real server: tests/db/redis_server.sh starts one of
 * our own (loopback, nothing saved), tests/db/redis_prog.c built the ways pq_prog.c is runs its
 * commands, and the documents are checked: names, the command's name and never its arguments,
 * an error reply as `error`, the pipelined path, and a server killed mid-test (fault, the
 * program goes on). Skipped, saying so, without redis-server. */
#include "../unit/listener.h"
#include "db_harness.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define B ROOT "/build/tests"

static listener L;
static char dir[64], port[32], name[64], url[64];

/* The subsegments of the one "redis-test" segment, in order. */
static void check_variant(const char *exe)
{
    const cJSON *subs = db_traced_run(exe, port, "", &L, dir,
                                      "set: OK\nget: hunter2-secret\nargv: 1\nwrongtype: error\nunknown: error\n"
                                      "formatted: hunter2-secret\npipe-set: OK\npipe-get: hunter2-secret\n"
                                      "pipe-lpush: 1\nabandoned: appended\n", "redis-test", 10);
    if (!subs)
        return;
    /* the command's name, upper-cased; "?" when the name itself was a format argument; the
     * last one ended by redisFree, its reply never read */
    static const char *want[10] = {"SET", "GET", "INCR", "INCR", "NOSUCHCMD", "?", "SET", "GET", "LPUSH", "PING"};
    for (int i = 0; i < 10; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        CU_ASSERT_STRING_EQUAL(db_str(s, "name", NULL), name);
        CU_ASSERT_STRING_EQUAL(db_str(s, "namespace", NULL), "remote");
        CU_ASSERT_STRING_EQUAL(db_str(db_at(s, "metadata", "redis"), "command", NULL), want[i]);
        CU_ASSERT_STRING_EQUAL(db_str(db_at(s, "metadata", "redis"), "url", NULL), url);
        CU_ASSERT_FALSE(cJSON_IsTrue(db_at(s, "fault", NULL)));
        CU_ASSERT_EQUAL(cJSON_IsTrue(db_at(s, "error", NULL)), i == 3 || i == 4);
        CU_ASSERT_TRUE(entity_valid(s, 0));
    }
    const cJSON *refused = cJSON_GetArrayItem(subs, 3);
    CU_ASSERT_STRING_EQUAL(db_exception_type(refused), "Redis error ERR");
    CU_ASSERT_PTR_NOT_NULL(strstr(db_exception_message(refused), "not an integer"));
    /* an unknown command's arguments, which the server quotes back, are not recorded */
    db_expect_message(cJSON_GetArrayItem(subs, 4), "ERR unknown command 'NOSUCHCMD', with args beginning with: ?");
    /* no argument leaves the process: neither keys nor values (the values, quoted-back ones
     * included, all hold "secret": db_traced_run's secrets check) */
    CU_ASSERT_TRUE(db_nowhere(L.docs, L.ndocs, "session:42"));
    CU_ASSERT_TRUE(db_nowhere(L.docs, L.ndocs, "visits"));
}


/* Calls made inside a shared library built without xraycap (tests/db/vendor.c) are traced
 * through libxraycap-patch.so, and the program's own call once, whichever ways are on. */
static void check_interposed(const char *exe)
{
    const cJSON *subs = db_traced_run(exe, port, "redis", &L, dir, "vendor incr: 1\nown get: 1\n", "interpose-test", 3);
    static const char *want[3] = {"DEL", "INCR", "GET"};
    for (int i = 0; subs && i < 3; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        CU_ASSERT_STRING_EQUAL(db_str(s, "name", NULL), name);
        CU_ASSERT_STRING_EQUAL(db_str(db_at(s, "metadata", "redis"), "command", NULL), want[i]);
    }
}

/* The server vanishes between two commands: the next ones are faults, the program goes on. */
static void lost(void)
{
    char out[2048];
    listener_clear(&L);
    CU_ASSERT_EQUAL(db_run_lost(B "/redis-gcc", port, L.address, "redis_server.sh", dir, out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "before: PONG\nready\nafter: no reply\nagain: no reply\n");
    listener_collect(&L, 300);
    db_expect_faults_after_the_first(db_subsegments(&L, "redis-test"), "hiredis error");
}

static void started(const char *p)
{
    snprintf(port, sizeof port, "%s", p);
    snprintf(name, sizeof name, "redis@127.0.0.1:%s", port);
    snprintf(url, sizeof url, "redis://127.0.0.1:%s", port);
}

int main(void)
{
    const db_suite suite = {"redis", "redis", "redis_server.sh", "command -v redis-server >/dev/null 2>&1", started, check_variant,
                            check_interposed, lost};
    return db_test_main(&suite, &L, dir, sizeof dir);
}
