/* db_harness.c — see db_harness.h. */
#include "../common/support.h"
#include "db_harness.h"
#include "../unit/listener.h"

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif

int db_server_start(const char *script, const char *dir, char *port, size_t len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/%s start %s", script, dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int got = fgets(port, (int)len, p) != NULL;
    if (pclose(p) != 0 || !got)
        return -1;
    port[strcspn(port, "\n")] = '\0';
    return 0;
}

int db_server(const char *script, const char *action, const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/%s %s %s", script, action, dir);
    return system(cmd);
}

static void slurp(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, len - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
}

static void command(char *cmd, size_t len, const char *exe, const char *arg, const char *mode,
                    const char *daemon, const char *log)
{
    /* the runtime's log at its most verbose, on its own, for the secrets check */
    snprintf(cmd, len, "AWS_XRAY_DAEMON_ADDRESS=%s XRAYCAP_SAMPLING=false XRAYCAP_SAMPLING_REMOTE=false "
             "XRAYCAP_LOG_LEVEL=debug %s '%s' %s >%s 2>%s.err", daemon, exe, arg, mode, log, log);
}

int db_run(const char *exe, const char *arg, const char *mode, const char *daemon, const char *dir,
           char *out, size_t len)
{
    char cmd[1024], log[256];
    snprintf(log, sizeof log, "%s/prog.out", dir);
    command(cmd, sizeof cmd, exe, arg, mode, daemon, log);
    int rc = system(cmd);
    slurp(log, out, len);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int db_run_lost(const char *exe, const char *arg, const char *daemon, const char *script,
                const char *dir, char *out, size_t len)
{
    char cmd[1024], log[256];
    snprintf(log, sizeof log, "%s/lost.out", dir);
    unlink(log);
    command(cmd, sizeof cmd, exe, arg, "lost", daemon, log);
    FILE *p = popen(cmd, "w");
    if (!p)
        return -1;
    out[0] = '\0';
    for (int i = 0; i < 200 && !strstr(out, "ready"); i++) {
        usleep(50000);
        slurp(log, out, len);
    }
    db_server(script, "kill", dir);
    fputs("go\n", p);
    int rc = pclose(p);
    slurp(log, out, len);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const cJSON *db_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

const char *db_str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = db_at(o, a, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

const char *db_exception_type(const cJSON *e)
{
    return db_str(cJSON_GetArrayItem(db_at(e, "cause", "exceptions"), 0), "type", NULL);
}

const char *db_exception_message(const cJSON *e)
{
    return db_str(cJSON_GetArrayItem(db_at(e, "cause", "exceptions"), 0), "message", NULL);
}

void db_expect_message(const cJSON *e, const char *prefix)
{
    const char *m = db_exception_message(e);
    if (strncmp(m, prefix, strlen(prefix)))
        fprintf(stderr, "\nerror message: %s\n", m);
    CU_ASSERT_EQUAL(strncmp(m, prefix, strlen(prefix)), 0);
}

int db_nowhere(cJSON **docs, size_t n, const char *needle)
{
    for (size_t d = 0; d < n; d++) {
        char *text = cJSON_PrintUnformatted(docs[d]);
        int found = text && strstr(text, needle);
        free(text);
        if (found)
            return 0;
    }
    return 1;
}

void db_expect_faults_after_the_first(const cJSON *subs, const char *type_prefix)
{
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(subs), 3);
    CU_ASSERT_FALSE(cJSON_IsTrue(db_at(cJSON_GetArrayItem(subs, 0), "fault", NULL)));
    for (int i = 1; i < 3; i++) {
        const cJSON *s = cJSON_GetArrayItem(subs, i);
        CU_ASSERT_TRUE(cJSON_IsTrue(db_at(s, "fault", NULL)));
        CU_ASSERT_EQUAL(strncmp(db_exception_type(s), type_prefix, strlen(type_prefix)), 0);
        CU_ASSERT_TRUE(entity_valid(s, 0));
    }
}


const cJSON *db_subsegments(struct listener *l, const char *segment)
{
    cJSON *seg = listener_find(l, segment);
    CU_ASSERT_PTR_NOT_NULL(seg);
    return seg ? cJSON_GetObjectItemCaseSensitive(seg, "subsegments") : NULL;
}

const cJSON *db_traced_run(const char *exe, const char *arg, const char *mode, struct listener *l,
                           const char *dir, const char *want, const char *segment, int n)
{
    char out[4096];
    listener_clear(l);
    CU_ASSERT_EQUAL(db_run(exe, arg, mode, l->address, dir, out, sizeof out), 0);
    listener_collect(l, 300);
    CU_ASSERT_STRING_EQUAL(out, want); /* what the program saw is what it sees untraced */
    /* the secrets check: every marker the programs send (literals of each dialect's forms, bound
     * parameters, Redis arguments, values the servers quote back in errors) holds "secret", the
     * password "s3cret"; none may be in a document or a log line */
    static char log[1 << 16];
    char path[256];
    snprintf(path, sizeof path, "%s/prog.out.err", dir);
    slurp(path, log, sizeof log);
    for (const char *const *m = (const char *const[]){"secret", "s3cret", NULL}; *m; m++) {
        CU_ASSERT_TRUE(db_nowhere(l->docs, l->ndocs, *m));
        if (strstr(log, *m))
            fprintf(stderr, "\nthe log holds '%s':\n%s\n", *m, log);
        CU_ASSERT_PTR_NULL(strstr(log, *m));
    }
    const cJSON *subs = db_subsegments(l, segment);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(subs), n);
    return cJSON_GetArraySize(subs) == n ? subs : NULL;
}

static const db_suite *current; /* the suite db_test_main runs */

static void run_client(const char *way)
{
    char exe[512];
    snprintf(exe, sizeof exe, ROOT "/build/tests/%s-%s", current->client, way);
    current->check_variant(exe);
}

static void test_gcc_plugin_patch_traces_every_call(void) { run_client("gcc"); }
static void test_clang_plugin_patch_traces_every_call(void) { run_client("clang"); }
static void test_wrap_link_flags_trace_every_call(void) { run_client("wrap"); }
static void test_explicit_calls_trace_every_call(void) { run_client("explicit"); }
static void test_every_call_is_clean_under_sanitizers(void) { run_client("asan"); }

static void test_calls_inside_another_library_are_traced_when_the_patch_library_is_linked_first(void)
{
    current->check_interposed(ROOT "/build/tests/interpose-linked");
}

static void test_calls_inside_another_library_are_traced_when_the_patch_library_is_preloaded(void)
{
    current->check_interposed("LD_PRELOAD=" ROOT "/build/libxraycap-patch.so " ROOT "/build/tests/interpose-shared");
}

static void test_interposition_and_plugin_together_record_each_call_once(void)
{
    current->check_interposed(ROOT "/build/tests/interpose-plugin");
}

static void test_server_lost_mid_test_is_a_fault_and_the_program_goes_on(void) { current->lost(); }

#define ADD(s, fn) CU_add_test(s, #fn, fn)

int db_test_main(const db_suite *suite, struct listener *l, char *dir, size_t dirlen)
{
    if (system(suite->installed)) {
        printf("SKIPPED %s tests: the server is not installed (see make deps)\n", suite->name);
        return 0;
    }
    char port[32];
    snprintf(dir, dirlen, "/tmp/xraycap-%s-%d", suite->name, (int)getpid());
    if (db_server_start(suite->server, dir, port, sizeof port)) {
        fprintf(stderr, "the %s server did not start\n", suite->name);
        return 1;
    }
    current = suite;
    suite->started(port);
    listener_open(l);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite(suite->name, NULL, NULL);
    ADD(s, test_gcc_plugin_patch_traces_every_call);
    ADD(s, test_clang_plugin_patch_traces_every_call);
    ADD(s, test_wrap_link_flags_trace_every_call);
    ADD(s, test_explicit_calls_trace_every_call);
    ADD(s, test_every_call_is_clean_under_sanitizers);
    ADD(s, test_calls_inside_another_library_are_traced_when_the_patch_library_is_linked_first);
    ADD(s, test_calls_inside_another_library_are_traced_when_the_patch_library_is_preloaded);
    ADD(s, test_interposition_and_plugin_together_record_each_call_once);
    ADD(s, test_server_lost_mid_test_is_a_fault_and_the_program_goes_on); /* last: it kills the server */
    int failed = support_run_tests();
    listener_close(l);
    db_server(suite->server, "stop", dir);
    return failed ? 1 : 0;
}
