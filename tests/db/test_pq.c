/* test_pq.c — PostgreSQL tracing against a real server: tests/db/pg_server.sh starts one of
 * our own (loopback, temporary directory, password authentication), tests/db/pq_prog.c built
 * four ways (GCC plugin patch=pq, Clang plugin, --wrap link, explicit xray_PQ* calls; and the
 * explicit one with the runtime under AddressSanitizer + UBSan) runs its
 * round trips, and the documents it sends are checked field by field: names, sql.*, sanitized
 * SQL, errors with SQLSTATE, the asynchronous path, no password or literal anywhere, and a
 * server that dies mid-test (fault, the program goes on). Skipped, saying so, without a
 * PostgreSQL server installed. */
#include "../unit/listener.h"
#include "db_harness.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define B ROOT "/build/tests"

static listener L;
static char dir[64], conninfo[256], url[128];

/* The subsegments of the one "pq-test" segment, in order. */
/* What every statement's subsegment says about the server. */
static void expect_connection_fields(const cJSON *s)
{
    CU_ASSERT_STRING_EQUAL(db_str(s, "name", NULL), "postgres@127.0.0.1");
    CU_ASSERT_STRING_EQUAL(db_str(s, "namespace", NULL), "remote");
    CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "url"), url);
    CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "database_type"), "PostgreSQL");
    CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "user"), "xraycap");
    CU_ASSERT_EQUAL(strncmp(db_str(s, "sql", "driver_version"), "libpq ", 6), 0);
    CU_ASSERT_TRUE(strlen(db_str(s, "sql", "database_version")) >= 3);
}

static void check_variant(const char *exe)
{
    const cJSON *subs = db_traced_run(exe, conninfo, "", &L, dir,
                                      "plain: 42\nliterals: 46\nparams: 42\nprepare: ok\nprepared: ax\n"
                                      "cast: error 22P02\ncreate: ok\ninsert: ok\nduplicate: error 23505\n"
                                      "bad-param: error 22P02\n"
                                      "missing: error 42P01\nasync: 7\nasync-error: error 22012\nabandoned: sent\n",
                                      "pq-test", 14);
    if (!subs)
        return;
    static const struct { const char *preparation, *query, *error, *message; } want[14] = {
        {"call", "SELECT ? + ? AS answer, ? AS hidden, ?", NULL, NULL},
        {"call", "SELECT length(? || ? || ? || (ARRAY[?])[?])", NULL, NULL},
        {"statement", "SELECT $1::int * ?", NULL, NULL},
        {"statement", "SELECT $1::text || ?", NULL, NULL},                 /* PQprepare */
        {"statement", "SELECT $1::text || ?", NULL, NULL},                 /* PQexecPrepared: its SQL */
        {"call", "SELECT ?::int", "PostgreSQL error 22P02", "invalid input syntax for type integer: ?"},
        {"call", "CREATE TEMP TABLE keys (id text PRIMARY KEY)", NULL, NULL},
        {"call", "INSERT INTO keys VALUES (?)", NULL, NULL},
        {"call", "INSERT INTO keys VALUES (?)", "PostgreSQL error 23505",
         "duplicate key value violates unique constraint ? (schema "}, /* the names after it */
        {"statement", "SELECT $1::int", "PostgreSQL error 22P02", "invalid input syntax for type integer: ?"},
        {"call", "SELECT * FROM no_such_table", "PostgreSQL error 42P01", "relation \"no_such_table\" does not exist"},
        {"call", "SELECT pg_sleep(?), ?", NULL, NULL},                     /* PQsendQuery ... NULL */
        {"statement", "SELECT ? / $1::int", "PostgreSQL error 22012", NULL}, /* async, error result */
        {"call", "SELECT ?", NULL, NULL},                                  /* ended by PQfinish */
    };
    for (int i = 0; i < 14; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        expect_connection_fields(s);
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "preparation"), want[i].preparation);
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "sanitized_query"), want[i].query);
        CU_ASSERT_EQUAL(cJSON_IsTrue(db_at(s, "fault", NULL)), want[i].error != NULL);
        if (want[i].error)
            CU_ASSERT_STRING_EQUAL(db_exception_type(s), want[i].error);
        if (want[i].message) /* the primary message, its values out, the names it gives kept */
            db_expect_message(s, want[i].message);
        CU_ASSERT_TRUE(entity_valid(s, 0));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(db_exception_message(cJSON_GetArrayItem(subs, 8)), "table keys, constraint keys_pkey)"));
    /* neither the password nor a literal leaves the process */
    CU_ASSERT_TRUE(db_nowhere(L.docs, L.ndocs, "s3cret-pw"));
    CU_ASSERT_TRUE(db_nowhere(L.docs, L.ndocs, "secret-literal"));
    const char *literals[] = {"dollar-secret", "tag-secret", "e-secret", "arr-secret", "cast-secret", "dup-secret",
                              "param-secret"};
    for (int i = 0; i < 7; i++)
        CU_ASSERT_TRUE(db_nowhere(L.docs, L.ndocs, literals[i]));
    CU_ASSERT_TRUE(db_nowhere(L.docs, L.ndocs, "password"));
}


/* The server dies between two queries: the next ones are faults, the program goes on. */
static void lost(void)
{
    char out[2048];
    listener_clear(&L);
    CU_ASSERT_EQUAL(db_run_lost(B "/pq-gcc", conninfo, L.address, "pg_server.sh", dir, out, sizeof out), 0);
    /* (libpq also prints the server's parting notice, "terminating connection ...") */
    if (!strstr(out, "before: 1\nready\n") || !strstr(out, "after: error"))
        fprintf(stderr, "\nthe program printed:\n%s\n", out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "before: 1\nready\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "after: error"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "again: error"));
    listener_collect(&L, 300);
    db_expect_faults_after_the_first(db_subsegments(&L, "pq-test"), "PostgreSQL error");
}

/* Calls made inside a shared library built without xraycap (tests/db/vendor.c) are traced
 * through libxraycap-patch.so, and the program's own call once, whichever ways are on. */
static void check_interposed(const char *exe)
{
    const cJSON *subs = db_traced_run(exe, conninfo, "", &L, dir, "fetch: -1\nvendor query: 42\nown query: 7\n", "interpose-test", 3);
    if (!subs)
        return;
    const cJSON *fetch = cJSON_GetArrayItem(subs, 0);
    CU_ASSERT_STRING_EQUAL(db_str(fetch, "name", NULL), "127.0.0.1");
    CU_ASSERT_TRUE(cJSON_IsTrue(db_at(fetch, "fault", NULL)));
    for (int i = 1; i < 3; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        expect_connection_fields(s);
        CU_ASSERT_STRING_EQUAL(db_str(s, "sql", "sanitized_query"), i == 1 ? "SELECT ? + ?" : "SELECT ?");
    }
}

static void started(const char *port)
{
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s dbname=postgres user=xraycap "
             "password=s3cret-pw connect_timeout=5", port);
    snprintf(url, sizeof url, "postgresql://127.0.0.1:%s/postgres", port);
}

int main(void)
{
    const db_suite suite = {"postgresql", "pq", "pg_server.sh", "ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1", started, check_variant,
                            check_interposed, lost};
    return db_test_main(&suite, &L, dir, sizeof dir);
}
