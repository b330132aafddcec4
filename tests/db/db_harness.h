/* db_harness.h — what the database tests (test_pq.c, test_redis.c) share: a server started by
 * its script (tests/db/pg_server.sh, redis_server.sh), a client program run against the test's listener, and the
 * run in which the server dies while the client waits. */
#ifndef TEST_DB_HARNESS_H
#define TEST_DB_HARNESS_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct listener;

typedef struct db_suite {
    const char *name;             /* "postgresql" */
    const char *client;           /* its client, tests/db/CLIENT_prog.c: "pq" */
    const char *server;           /* its server's script in tests/db: "pg_server.sh" */
    const char *installed;        /* a shell command that succeeds when the server is there */
    void (*started)(const char *port);        /* fills the suite's connection settings */
    void (*check_variant)(const char *exe);   /* checks one run of a client build */
    void (*check_interposed)(const char *exe); /* checks one run of an interposition program */
    void (*lost)(void);           /* the server killed mid-test (run last) */
} db_suite;

/* A database test program's main: skipped (saying so) when the server is not installed, else
 * the server started in `dir` (/tmp/xraycap-NAME-PID), the listener opened, and the suite's
 * tests run: the client built five ways (GCC plugin patch=LIB, Clang plugin, --wrap link flags,
 * explicit xray_* calls, explicit with the runtime under AddressSanitizer + UBSan, which stop
 * the program on a finding: build/tests/CLIENT-gcc ... -asan), the interposition program
 * linked with the patch library first, preloaded into it, and with the plugin too, then the
 * lost server; the server stopped. Returns the exit status. */
int db_test_main(const db_suite *suite, struct listener *l, char *dir, size_t dirlen);

/* Starts a server with `script` ("pg_server.sh") in `dir`; writes its port; 0 on success. */
int db_server_start(const char *script, const char *dir, char *port, size_t len);
/* Runs `script` stop|kill on `dir`; returns its status. */
int db_server(const char *script, const char *action, const char *dir);

/* Runs `exe ARG MODE` with the daemon address `daemon`; returns its exit status, its stdout
 * and stderr in out. */
int db_run(const char *exe, const char *arg, const char *mode, const char *daemon, const char *dir,
           char *out, size_t len);
/* Runs `exe ARG lost`, waits until it prints "ready", kills the server, lets it go on; returns
 * its exit status, its output in out. */
int db_run_lost(const char *exe, const char *arg, const char *daemon, const char *script,
                const char *dir, char *out, size_t len);

/* Runs `exe ARG MODE` against the listener; asserts it exited 0, printed `want` and sent one
 * segment named `segment` with `n` subsegments, which it returns (NULL when not). */
const cJSON *db_traced_run(const char *exe, const char *arg, const char *mode, struct listener *l,
                           const char *dir, const char *want, const char *segment, int n);
/* The subsegments of the received segment named `segment` (asserted to be there). */
const cJSON *db_subsegments(struct listener *l, const char *segment);

/* o.a (or o.a.b when b is not NULL), and the same as a string ("" when absent). */
const cJSON *db_at(const cJSON *o, const char *a, const char *b);
const char *db_str(const cJSON *o, const char *a, const char *b);
/* The type and the message of an entity's first exception ("" without one). */
const char *db_exception_type(const cJSON *e);
const char *db_exception_message(const cJSON *e);
/* Asserts that e's first exception's message starts with `prefix` (printing it when not). */
void db_expect_message(const cJSON *e, const char *prefix);
/* The lost-server run's three calls: the first fine, the two after the loss faults whose
 * exception type starts with `type_prefix` (asserted). */
void db_expect_faults_after_the_first(const cJSON *subsegments, const char *type_prefix);
/* True when `needle` appears in none of the documents' text. */
int db_nowhere(cJSON **docs, size_t n, const char *needle);

#endif
