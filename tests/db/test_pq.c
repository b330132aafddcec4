/* test_pq.c — PostgreSQL tracing against a real server: tests/db/pg_server.sh starts one of
 * our own (loopback, temporary directory, password authentication), tests/db/pq_prog.c built
 * four ways (GCC plugin patch=pq, Clang plugin, --wrap link, explicit xray_PQ* calls; and the
 * explicit one with the runtime under AddressSanitizer + UBSan) runs its
 * round trips, and the documents it sends are checked field by field: names, sql.*, sanitized
 * SQL, errors with SQLSTATE, the asynchronous path, no password or literal anywhere, and a
 * server that dies mid-test (fault, the program goes on). Skipped, saying so, without a
 * PostgreSQL server installed. */
#include "../unit/listener.h"

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

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static const char *str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = at(o, a, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Runs a pq_prog variant against the listener; returns its exit status, its output in out. */
static int run_prog(const char *exe, const char *mode, char *out, size_t outlen)
{
    char cmd[1024], log[96];
    snprintf(log, sizeof log, "%s/prog.out", dir);
    snprintf(cmd, sizeof cmd, "AWS_XRAY_DAEMON_ADDRESS=%s XRAYCAP_SAMPLING=false XRAYCAP_SAMPLING_REMOTE=false "
             "%s '%s' %s >%s 2>&1", L.address, exe, conninfo, mode, log);
    int rc = system(cmd);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The subsegments of the one "pq-test" segment, in order. */
static const cJSON *statements(void)
{
    cJSON *seg = listener_find(&L, "pq-test");
    CU_ASSERT_PTR_NOT_NULL(seg);
    return seg ? cJSON_GetObjectItemCaseSensitive(seg, "subsegments") : NULL;
}

/* What every statement's subsegment says about the server. */
static void expect_connection_fields(const cJSON *s)
{
    CU_ASSERT_STRING_EQUAL(str(s, "name", NULL), "postgres@127.0.0.1");
    CU_ASSERT_STRING_EQUAL(str(s, "namespace", NULL), "remote");
    CU_ASSERT_STRING_EQUAL(str(s, "sql", "url"), url);
    CU_ASSERT_STRING_EQUAL(str(s, "sql", "database_type"), "PostgreSQL");
    CU_ASSERT_STRING_EQUAL(str(s, "sql", "user"), "xraycap");
    CU_ASSERT_EQUAL(strncmp(str(s, "sql", "driver_version"), "libpq ", 6), 0);
    CU_ASSERT_TRUE(strlen(str(s, "sql", "database_version")) >= 3);
}

static const char *exception_type(const cJSON *s)
{
    return str(cJSON_GetArrayItem(at(s, "cause", "exceptions"), 0), "type", NULL);
}

static void check_variant(const char *exe)
{
    char out[4096];
    listener_clear(&L);
    CU_ASSERT_EQUAL_FATAL(run_prog(exe, "", out, sizeof out), 0);
    listener_collect(&L, 300);
    /* what the program saw is what it sees untraced */
    CU_ASSERT_STRING_EQUAL(out, "plain: 42\nparams: 42\nprepare: ok\nprepared: ax\nmissing: error 42P01\n"
                                "async: 7\nasync-error: error 22012\n");
    const cJSON *subs = statements();
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(subs), 7);
    static const struct { const char *preparation, *query, *error; } want[7] = {
        {"call", "SELECT ? + ? AS answer, ? AS hidden, ?", NULL},
        {"statement", "SELECT $1::int * ?", NULL},
        {"statement", "SELECT $1::text || ?", NULL},                 /* PQprepare */
        {"statement", "SELECT $1::text || ?", NULL},                 /* PQexecPrepared: its SQL */
        {"call", "SELECT * FROM no_such_table", "PostgreSQL error 42P01"},
        {"call", "SELECT pg_sleep(?), ?", NULL},                     /* PQsendQuery ... NULL */
        {"statement", "SELECT ? / $1::int", "PostgreSQL error 22012"}, /* async, error result */
    };
    for (int i = 0; i < 7; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        expect_connection_fields(s);
        CU_ASSERT_STRING_EQUAL(str(s, "sql", "preparation"), want[i].preparation);
        CU_ASSERT_STRING_EQUAL(str(s, "sql", "sanitized_query"), want[i].query);
        CU_ASSERT_EQUAL(cJSON_IsTrue(at(s, "fault", NULL)), want[i].error != NULL);
        if (want[i].error)
            CU_ASSERT_STRING_EQUAL(exception_type(s), want[i].error);
        CU_ASSERT_TRUE(entity_valid(s, 0));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(str(cJSON_GetArrayItem(at(cJSON_GetArrayItem(subs, 4), "cause", "exceptions"), 0),
                                      "message", NULL), "no_such_table"));
    /* neither the password nor a literal leaves the process */
    for (size_t d = 0; d < L.ndocs; d++) {
        char *text = cJSON_PrintUnformatted(L.docs[d]);
        CU_ASSERT_PTR_NULL(strstr(text, "s3cret-pw"));
        CU_ASSERT_PTR_NULL(strstr(text, "secret-literal"));
        CU_ASSERT_PTR_NULL(strstr(text, "password"));
        free(text);
    }
}

static void test_gcc_plugin_patch_traces_every_kind_of_round_trip(void) { check_variant(B "/pq-gcc"); }
static void test_clang_plugin_patch_traces_every_kind_of_round_trip(void) { check_variant(B "/pq-clang"); }
static void test_wrap_link_flags_trace_every_kind_of_round_trip(void) { check_variant(B "/pq-wrap"); }
static void test_explicit_calls_trace_every_kind_of_round_trip(void) { check_variant(B "/pq-explicit"); }
/* the runtime under AddressSanitizer + UBSan, which stop the program on a finding */
static void test_round_trips_are_clean_under_sanitizers(void) { check_variant(B "/pq-asan"); }

/* The server dies between two queries: the next ones are faults, the program goes on. */
static void test_server_lost_mid_test_is_a_fault_and_the_program_goes_on(void)
{
    char cmd[1024], log[96];
    snprintf(log, sizeof log, "%s/lost.out", dir);
    snprintf(cmd, sizeof cmd, "AWS_XRAY_DAEMON_ADDRESS=%s XRAYCAP_SAMPLING=false XRAYCAP_SAMPLING_REMOTE=false "
             B "/pq-gcc '%s' lost >%s 2>&1", L.address, conninfo, log);
    listener_clear(&L);
    FILE *p = popen(cmd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char out[2048] = "";
    for (int i = 0; i < 100 && !strstr(out, "ready"); i++) {
        usleep(50000);
        FILE *f = fopen(log, "r");
        size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
        out[n] = '\0';
        if (f)
            fclose(f);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "ready"));
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/pg_server.sh kill %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    fputs("go\n", p);
    int rc = pclose(p);
    CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    /* (libpq also prints the server's parting notice, "terminating connection ...") */
    if (!strstr(out, "before: 1\nready\n") || !strstr(out, "after: error"))
        fprintf(stderr, "\nthe program printed:\n%s\n", out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "before: 1\nready\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "after: error"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "again: error"));
    listener_collect(&L, 300);
    const cJSON *subs = statements();
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(subs), 3);
    CU_ASSERT_FALSE(cJSON_IsTrue(at(cJSON_GetArrayItem(subs, 0), "fault", NULL)));
    for (int i = 1; i < 3; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        CU_ASSERT_TRUE(cJSON_IsTrue(at(s, "fault", NULL)));
        CU_ASSERT_EQUAL(strncmp(exception_type(s), "PostgreSQL error", 16), 0);
        CU_ASSERT_TRUE(entity_valid(s, 0));
    }
}

static int start_server(void)
{
    snprintf(dir, sizeof dir, "/tmp/xraycap-pg-%d", (int)getpid());
    char cmd[256], port[32] = "";
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/pg_server.sh start %s", dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(port, sizeof port, p)) {
        if (p)
            pclose(p);
        return -1;
    }
    if (pclose(p) != 0)
        return -1;
    port[strcspn(port, "\n")] = '\0';
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s dbname=postgres user=xraycap "
             "password=s3cret-pw connect_timeout=5", port);
    snprintf(url, sizeof url, "postgresql://127.0.0.1:%s/postgres", port);
    return 0;
}

int main(void)
{
    if (system("ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1")) {
        printf("SKIPPED PostgreSQL tests: no server installed (apt-get install postgresql)\n");
        return 0;
    }
    if (start_server()) {
        fprintf(stderr, "the PostgreSQL server did not start\n");
        return 1;
    }
    listener_open(&L);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("postgresql", NULL, NULL);
    CU_add_test(s, "test_gcc_plugin_patch_traces_every_kind_of_round_trip", test_gcc_plugin_patch_traces_every_kind_of_round_trip);
    CU_add_test(s, "test_clang_plugin_patch_traces_every_kind_of_round_trip", test_clang_plugin_patch_traces_every_kind_of_round_trip);
    CU_add_test(s, "test_wrap_link_flags_trace_every_kind_of_round_trip", test_wrap_link_flags_trace_every_kind_of_round_trip);
    CU_add_test(s, "test_explicit_calls_trace_every_kind_of_round_trip", test_explicit_calls_trace_every_kind_of_round_trip);
    CU_add_test(s, "test_round_trips_are_clean_under_sanitizers", test_round_trips_are_clean_under_sanitizers);
    CU_add_test(s, "test_server_lost_mid_test_is_a_fault_and_the_program_goes_on", test_server_lost_mid_test_is_a_fault_and_the_program_goes_on);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    listener_close(&L);
    char cmd[256];
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/pg_server.sh stop %s", dir);
    system(cmd);
    return failed ? 1 : 0;
}
