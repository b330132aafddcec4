/* matrix.c — the plugin test matrix. Every program in progs/ is compiled at every
 * optimization level with the plugin, and again with tracing compiled out; both builds must
 * compile warning-free, print the same output and exit the same way, and the traced build's
 * documents must show one subsegment per call with the right names and nesting. */
#include "../unit/fake_http.h"
#include "../unit/listener.h"

#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define OUT ROOT "/build/tests/plugin"

typedef struct toolchain {
    const char *name;
    const char *cc, *cxx;
    const char *plugin_flags;  /* how this compiler loads the plugin */
} toolchain;

static const toolchain toolchains[] = {
    {"gcc", "gcc", "g++", "-fplugin=" ROOT "/build/xraycap.so"},
#ifdef WITH_CLANG
    {"clang", "clang-14", "clang++-14", CLANG_PLUGIN_FLAGS},
#endif
};

/* The last level, under AddressSanitizer, only for the C++ exception programs. */
static const char *levels[] = {"-O0", "-O1", "-O2", "-O3", "-Os", "-O2 -flto",
                               "-O1 -fsanitize=address -fno-omit-frame-pointer"};
#define NLEVELS_ASAN (sizeof levels / sizeof levels[0])
#define NLEVELS (NLEVELS_ASAN - 1)

static listener L;

typedef struct run_result {
    int status;             /* as from waitpid */
    char out[8192], err[8192];
} run_result;

static char *slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* Compiles; returns 0 when it compiled with no diagnostics at all. */
static int compile(const toolchain *tc, const char *prog, int li, int traced, char *exe, size_t exelen)
{
    int cxx = strstr(prog, ".cc") != NULL;
    char tag[64], cmd[8192], log[1024], err[4096];
    snprintf(tag, sizeof tag, "%s", levels[li]);
    for (char *p = tag; *p; p++)
        if (*p == ' ' || *p == '-')
            *p = '_';
    snprintf(exe, exelen, OUT "/%s-%s%s-%s", prog, tc->name, tag, traced ? "traced" : "off");
    snprintf(log, sizeof log, "%.1000s.log", exe);
    if (traced)
        snprintf(cmd, sizeof cmd, "%s %s -g -Wall -Wextra -Werror %s -I" ROOT "/include " ROOT
                 "/tests/plugin/progs/%s -o %s " ROOT "/build/libxraycap.a -lcjson -lcurl -ldw -lpthread -lm -ldl >%s 2>&1",
                 cxx ? tc->cxx : tc->cc, levels[li], tc->plugin_flags, prog, exe, log);
    else
        snprintf(cmd, sizeof cmd, "%s %s -g -Wall -Wextra -Werror -DXRAY_COMPILED_OUT -I" ROOT
                 "/include " ROOT "/tests/plugin/progs/%s -o %s -lpthread >%s 2>&1",
                 cxx ? tc->cxx : tc->cc, levels[li], prog, exe, log);
    int rc = system(cmd);
    slurp(log, err, sizeof err);
    if (rc != 0 || err[0]) {
        fprintf(stderr, "\n%s\n%s\n", cmd, err);
        return -1;
    }
    return 0;
}

/* Runs exe with AWS_XRAY_DAEMON_ADDRESS at the listener (plus `env`), collects documents. */
static void run(const char *exe, const char *env, run_result *r)
{
    char outp[600], errp[600];
    snprintf(outp, sizeof outp, "%.590s.out", exe);
    snprintf(errp, sizeof errp, "%.590s.err", exe);
    listener_clear(&L);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("AWS_XRAY_DAEMON_ADDRESS", L.address, 1);
        setenv("XRAYCAP_SAMPLING", "false", 1); /* every segment, not 1 per second */
        /* The checks read each program's whole tree from one document; streaming past the
         * threshold is the unit tests' subject. */
        setenv("XRAYCAP_STREAMING_THRESHOLD", "100000", 1);
        setenv("XRAYCAP_FOLD_AFTER", "-1", 1); /* every call recorded: folding is test_fold.c's */
        unsetenv("AWS_XRAY_CONTEXT_MISSING");
        if (env) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", env);
            char *eq = strchr(copy, '=');
            *eq = '\0';
            setenv(copy, eq + 1, 1);
        }
        dup2(open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        dup2(open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
        execl(exe, exe, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &r->status, 0);
    listener_collect(&L, 150);
    slurp(outp, r->out, sizeof r->out);
    slurp(errp, r->err, sizeof r->err);
}

static size_t count(const char *name) { return listener_count(&L, name); }

static int all_valid(void)
{
    for (size_t i = 0; i < L.ndocs; i++)
        if (!entity_valid(L.docs[i], 1))
            return 0;
    return L.bad == 0;
}

static int flag(const cJSON *e, const char *k) { return cJSON_IsTrue(cJSON_GetObjectItem(e, k)); }

/* ---- per-program expectations -------------------------------------------------------- */

static void check_flow(void)
{
    CU_ASSERT_EQUAL(L.ndocs, 1);
    cJSON *root = listener_find(&L, "flow");
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "service"), "runtime")), "C");
    CU_ASSERT_EQUAL(count("leaf"), 7);
    CU_ASSERT_EQUAL(count("unnamed_capture"), 1);
    CU_ASSERT_PTR_NOT_NULL(child_named(child_named(root, "unnamed_capture"), "leaf"));
    CU_ASSERT_EQUAL(count("early_return"), 5);
    CU_ASSERT_EQUAL(count("goto_chain"), 5);
    CU_ASSERT_EQUAL(count("switcher"), 4);
    CU_ASSERT_EQUAL(count("inlined"), 2);
    CU_ASSERT_EQUAL(count("recurse"), 51);
    cJSON *r = child_named(root, "recurse");
    int depth = 0;
    while (r) {
        depth++;
        r = child_named(r, "recurse");
    }
    CU_ASSERT_EQUAL(depth, 51);
    /* every direct child of the segment is a captured call made by main */
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(root, "subsegments")), 1 + 1 + 5 + 5 + 4 + 1 + 2);
}

static void check_threads(void)
{
    CU_ASSERT_EQUAL(L.ndocs, 4);
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "worker_%d", i);
        cJSON *seg = listener_find(&L, name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(seg, "subsegments")), 200);
    }
    CU_ASSERT_EQUAL(count("worker_call"), 800);
}

static void check_longjmp(void)
{
    CU_ASSERT_EQUAL(L.ndocs, 1);
    cJSON *catcher = listener_find(&L, "catcher");
    CU_ASSERT_PTR_NOT_NULL_FATAL(catcher);
    CU_ASSERT_EQUAL(count("jumper"), 3);
    CU_ASSERT_PTR_NOT_NULL(child_named(catcher, "jumper")); /* closed when catcher returned */
    CU_ASSERT_PTR_NOT_NULL(child_named(listener_find(&L, "jumps"), "after"));
}

/* The exception recorded in the n-th subsegment named `name` (breadth first), or NULL; *ref
 * is its `cause` when that is a reference to another record. */
static cJSON *own_exception(const char *name, int n, const char **ref)
{
    cJSON *seg = listener_find(&L, "identity"), *c;
    *ref = NULL;
    cJSON *queue[256]; /* breadth first: the n-th in document order, level by level */
    int head = 0, tail = 0;
    queue[tail++] = seg;
    while (head < tail) {
        cJSON *e = queue[head++];
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) {
            if (tail < 256)
                queue[tail++] = c;
            if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) || n-- != 0)
                continue;
            cJSON *cause = cJSON_GetObjectItem(c, "cause");
            if (cJSON_IsString(cause))
                *ref = cause->valuestring;
            return cJSON_GetArrayItem(cJSON_GetObjectItem(cause, "exceptions"), 0);
        }
    }
    return NULL;
}

static const char *text(const cJSON *x, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(x, k));
    return v ? v : "";
}

/* Each throw recorded as itself (identity.cc): types and messages of their own, distinct ids;
 * one exception rethrown through a second captured frame recorded once and referenced. */
static void check_identity(void)
{
    const char *ref;
    CU_ASSERT_EQUAL(L.ndocs, 1);
    cJSON *a = own_exception("first", 0, &ref), *b = own_exception("second", 0, &ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b); /* its own, not a reference to the first */
    CU_ASSERT_STRING_EQUAL(text(a, "type"), "std::runtime_error");
    CU_ASSERT_STRING_EQUAL(text(b, "type"), "std::logic_error");
    CU_ASSERT_STRING_EQUAL(text(b, "message"), "second failed");
    CU_ASSERT_STRING_NOT_EQUAL(text(a, "id"), text(b, "id"));
    for (int i = 0; i < 3; i++) {
        char want[32];
        snprintf(want, sizeof want, "again %d", i);
        cJSON *x = own_exception("again", i, &ref);
        CU_ASSERT_PTR_NOT_NULL_FATAL(x);
        CU_ASSERT_STRING_EQUAL(text(x, "message"), want);
    }
    cJSON *inner = own_exception("inner", 0, &ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner);
    CU_ASSERT_PTR_NULL(own_exception("relay", 0, &ref)); /* rethrown: a reference ... */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_STRING_EQUAL(ref, text(inner, "id"));      /* ... to inner's record */
    CU_ASSERT_PTR_NULL(own_exception("keep", 0, &ref));  /* caught where it was thrown */
    CU_ASSERT_PTR_NULL(ref);
    cJSON *replayed = own_exception("replay", 0, &ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(replayed);
    CU_ASSERT_STRING_EQUAL(text(replayed, "type"), "std::domain_error");
    CU_ASSERT_STRING_EQUAL(text(replayed, "message"), "kept");
    cJSON *nested = own_exception("wrap", 0, &ref);       /* the new exception, not inner's */
    CU_ASSERT_PTR_NOT_NULL_FATAL(nested);
    CU_ASSERT_PTR_NOT_NULL(strstr(text(nested, "type"), "runtime_error"));
    CU_ASSERT_STRING_EQUAL(text(nested, "message"), "wrapped");
    cJSON *wrapped_inner = own_exception("inner", 1, &ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(wrapped_inner);
    CU_ASSERT_STRING_NOT_EQUAL(text(nested, "id"), text(wrapped_inner, "id"));
    int per_thread[3] = {0};
    for (int i = 0; i < 10; i++) {
        cJSON *x = own_exception("worker", i, &ref);
        CU_ASSERT_PTR_NOT_NULL_FATAL(x);
        int n = text(x, "message")[7] - '0';
        if (n == 1 || n == 2)
            per_thread[n]++;
    }
    CU_ASSERT_EQUAL(per_thread[1], 5);
    CU_ASSERT_EQUAL(per_thread[2], 5);
}

static void check_exceptions(void)
{
    CU_ASSERT_EQUAL(L.ndocs, 1);
    CU_ASSERT_EQUAL(count("checkout"), 2);
    CU_ASSERT_EQUAL(count("charge"), 2);
    cJSON *seg = listener_find(&L, "shop"), *c, *failed = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(seg, "subsegments"))
        if (!strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "checkout") && flag(c, "fault"))
            failed = c;
    CU_ASSERT_PTR_NOT_NULL_FATAL(failed);
    cJSON *charge = child_named(failed, "charge");
    CU_ASSERT_PTR_NOT_NULL_FATAL(charge);
    CU_ASSERT_TRUE(flag(charge, "fault"));
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(charge, "cause"), "exceptions"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "type")->valuestring, "PaymentDeclined");
    /* what() of a std::exception, and frames that name the function and its line */
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x, "message")->valuestring, "declined");
    int named = 0, lines = 0;
    cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(x, "stack")) {
        const char *label = cJSON_GetObjectItem(f, "label")->valuestring;
        const char *path = cJSON_GetObjectItem(f, "path")->valuestring;
        named |= !strncmp(label, "charge", 6) && strstr(path, "exceptions.cc") != NULL;
        /* (Clang at -O1 and above gives its landing pads line 0: the callers have lines) */
        lines += cJSON_GetObjectItem(f, "line")->valueint > 0 && strstr(path, "exceptions.cc");
    }
    CU_ASSERT_TRUE(lines > 0);
    CU_ASSERT_TRUE(named);
    /* the plugin told the runtime this is C++ */
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(seg, "service"), "runtime")), "C++");
    cJSON *ref = cJSON_GetObjectItem(failed, "cause");
    CU_ASSERT_TRUE(cJSON_IsString(ref) && !strcmp(ref->valuestring, cJSON_GetObjectItem(x, "id")->valuestring));
    CU_ASSERT_EQUAL(count("Cart::total"), 1);
    CU_ASSERT_EQUAL(count("scale"), 2);
    CU_ASSERT_EQUAL(count("lambda"), 1);
    int faults = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(seg, "subsegments")) faults += flag(c, "fault");
    CU_ASSERT_EQUAL(faults, 1); /* the second checkout returned normally */
}

/* ---- the matrix ---------------------------------------------------------------------- */

typedef struct program {
    const char *file;
    void (*check)(void);
} program;

static const program programs[] = {
    {"flow.c", check_flow},
    {"threads.c", check_threads},
    {"longjmp.c", check_longjmp},
    {"exceptions.cc", check_exceptions},
    {"identity.cc", check_identity},
};

static void run_program(const program *p, size_t nlevels)
{
    for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
        for (size_t li = 0; li < nlevels; li++) {
            char traced[512], off[512];
            run_result a, b;
            int ok = compile(&toolchains[t], p->file, (int)li, 1, traced, sizeof traced) == 0;
            CU_ASSERT_TRUE(ok);
            ok = compile(&toolchains[t], p->file, (int)li, 0, off, sizeof off) == 0 && ok;
            CU_ASSERT_TRUE(ok);
            if (!ok)
                continue;
            run(off, NULL, &b);
            run(traced, NULL, &a);
            CU_ASSERT_EQUAL(a.status, b.status);
            CU_ASSERT_STRING_EQUAL(a.out, b.out);
            CU_ASSERT_STRING_EQUAL(a.err, "");
            CU_ASSERT_TRUE(all_valid());
            unsigned before = CU_get_number_of_failures();
            p->check();
            if (CU_get_number_of_failures() != before)
                fprintf(stderr, "\n  (failing build: %s %s %s)\n", toolchains[t].name, levels[li], p->file);
        }
    }
}

static void test_control_flow_paths_close_every_subsegment_once(void) { run_program(&programs[0], NLEVELS); }
static void test_captured_function_called_from_four_threads(void) { run_program(&programs[1], NLEVELS); }
static void test_longjmp_past_captured_frames_is_closed_by_the_catcher(void) { run_program(&programs[2], NLEVELS); }
static void test_cpp_exception_through_two_captured_frames_sets_fault(void) { run_program(&programs[3], NLEVELS_ASAN); }
static void test_every_cpp_throw_is_recorded_as_itself(void) { run_program(&programs[4], NLEVELS_ASAN); }

/* Every subsegment name in the documents received, sorted, one per line, into out. */
static void all_names(char *out, size_t len)
{
    const char *names[256];
    size_t n = 0;
    cJSON *queue[512];
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < L.ndocs && tail < 512; i++)
        queue[tail++] = L.docs[i];
    while (head < tail) {
        cJSON *c, *subs = cJSON_GetObjectItem(queue[head++], "subsegments");
        cJSON_ArrayForEach(c, subs) {
            if (n < 256)
                names[n++] = cJSON_GetObjectItem(c, "name")->valuestring;
            if (tail < 512)
                queue[tail++] = c;
        }
    }
    for (size_t i = 1; i < n; i++) /* insertion sort: a few dozen names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s\n", names[i]);
}

/* The line of progs/names.cc holding `text`, for the lambdas' names. */
static int line_of(const char *text)
{
    FILE *f = fopen(ROOT "/tests/plugin/progs/names.cc", "r");
    char line[512];
    int n = 0, found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        if (n++, strstr(line, text))
            found = n;
    if (f)
        fclose(f);
    return found;
}

/* GCC and Clang name every C++ function captured without a name alike (plugin/naming.h):
 * methods, constructor and destructor, operators, template instances, lambdas, an anonymous
 * namespace — at two optimization levels, and as the rule says. */
static void test_both_compilers_name_cpp_functions_alike(void)
{
    char want[2048];
    snprintf(want, sizeof want,
             "anonymous namespace::helper\nmain::lambda@%d\nshop::Cart::Cart\nshop::Cart::Cart\n"
             "shop::Cart::count\nshop::Cart::destructor\nshop::Cart::destructor\n"
             "shop::Cart::operator +=\nshop::Cart::operator call\nshop::Cart::operator lt\n"
             "shop::Cart::total\nshop::Cart::twice@double\nshop::Cart::twice@int\n"
             "shop::Cart::with_lambda\nshop::Cart::with_lambda::lambda@%d\n"
             "shop::convert@int@long\n",
             line_of("auto square ="), line_of("auto add ="));
    for (int li = 1; li <= 2; li++) {
        char got[2][2048];
        for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
            char exe[512];
            run_result r;
            CU_ASSERT_EQUAL_FATAL(compile(&toolchains[t], "names.cc", li, 1, exe, sizeof exe), 0);
            run(exe, NULL, &r);
            CU_ASSERT_EQUAL(r.status, 0);
            all_names(got[t], sizeof got[t]);
            CU_ASSERT_STRING_EQUAL(got[t], want);
            if (strcmp(got[t], want))
                fprintf(stderr, "\n%s %s names:\n%s\nwanted:\n%s\n", toolchains[t].name, levels[li],
                        got[t], want);
        }
        if (sizeof toolchains / sizeof toolchains[0] == 2)
            CU_ASSERT_STRING_EQUAL(got[0], got[1]);
    }
}

/* Builds progs/stack.c with `flags` (and the static library), runs it, returns the frames of
 * the one exception it records (a new reference), or NULL. */
static cJSON *stack_frames(const char *cc, const char *flags, const char *tag)
{
    char exe[512], cmd[2048];
    snprintf(exe, sizeof exe, OUT "/stack-%s", tag);
    snprintf(cmd, sizeof cmd, "%s -O1 %s -I" ROOT "/include " ROOT "/tests/plugin/progs/stack.c -o %s "
             ROOT "/build/libxraycap.a -lcjson -lcurl -ldw -lpthread -lm -ldl", cc, flags, exe);
    if (system(cmd) != 0)
        return NULL;
    run_result r;
    run(exe, NULL, &r);
    cJSON *work = listener_find(&L, "work");
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(work, "cause"), "exceptions"), 0);
    cJSON *stack = cJSON_GetObjectItem(x, "stack");
    return stack ? cJSON_Duplicate(stack, 1) : NULL;
}

static void test_stack_frames_name_functions_and_lines_or_stable_offsets(void)
{
  for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
    char tag[64];
    snprintf(tag, sizeof tag, "debug-%s", toolchains[t].name);
    cJSON *dbg = stack_frames(toolchains[t].cc, "-g", tag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dbg);
    /* innermost first: fail_here three times (static, recursive), then caller, then main */
    const char *want[] = {"fail_here", "fail_here", "fail_here", "caller", "main"};
    for (int i = 0; i < 5; i++) {
        cJSON *f = cJSON_GetArrayItem(dbg, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(f, "label")->valuestring, want[i]);
        CU_ASSERT_TRUE(cJSON_GetObjectItem(f, "line")->valueint > 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(f, "path")->valuestring, "stack.c"));
    }
    cJSON_Delete(dbg);
  }
    /* stripped: no names, no lines, but the same module+offset in two runs (ASLR moves the
     * addresses) */
    cJSON *a = stack_frames("gcc", "-g0 -s", "stripped"), *b = stack_frames("gcc", "-g0 -s", "stripped");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    const char *la = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "label")->valuestring;
    const char *lb = cJSON_GetObjectItem(cJSON_GetArrayItem(b, 0), "label")->valuestring;
    CU_ASSERT_PTR_NOT_NULL(strstr(la, "stack-stripped+0x"));
    CU_ASSERT_STRING_EQUAL(la, lb);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "line")->valueint, 0);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_no_segment_follows_the_context_missing_strategy(void)
{
    for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
        char traced[512], off[512];
        run_result a, b, c;
        CU_ASSERT_FATAL(compile(&toolchains[t], "nosegment.c", 2, 1, traced, sizeof traced) == 0);
        CU_ASSERT_FATAL(compile(&toolchains[t], "nosegment.c", 2, 0, off, sizeof off) == 0);
        run(off, NULL, &b);
        run(traced, NULL, &a);
        CU_ASSERT_EQUAL(a.status, b.status);
        CU_ASSERT_STRING_EQUAL(a.out, b.out);
        CU_ASSERT_PTR_NOT_NULL(strstr(a.err, "captured 'lonely'"));
        CU_ASSERT_PTR_NULL(strchr(strchr(a.err, '\n') + 1, '\n')); /* one line, rate-limited */
        CU_ASSERT_EQUAL(L.ndocs, 0);
        run(traced, "AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR", &c);
        CU_ASSERT_STRING_EQUAL(c.out, b.out);
        CU_ASSERT_STRING_EQUAL(c.err, "");
    }
}

/* Runs each toolchain's C compiler with the plugin on `source`; returns its diagnostics. */
static const toolchain *snippet_tc = &toolchains[0];

static int compile_snippet(const char *source, const char *extra, char *err, size_t errlen)
{
    char src[300], cmd[1024], log[300];
    snprintf(src, sizeof src, OUT "/snippet.c");
    snprintf(log, sizeof log, OUT "/snippet.log");
    FILE *f = fopen(src, "w");
    fputs(source, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s -c -Wall -Wextra %s %s -I" ROOT "/include %s -o " OUT
             "/snippet.o >%s 2>&1", snippet_tc->cc, snippet_tc->plugin_flags, extra, src, log);
    int rc = system(cmd);
    slurp(log, err, errlen);
    return rc;
}

static void wrong_arguments(void)
{
    char err[4096];
    CU_ASSERT_NOT_EQUAL(compile_snippet("int x;\nint f(void) __attribute__((xray_capture(42)));\n", "", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "snippet.c:2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "must be a string literal"));
    CU_ASSERT_NOT_EQUAL(compile_snippet("\nint f(void) __attribute__((xray_capture(\"a\", \"b\")));\n", "", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "snippet.c:2"));
    CU_ASSERT_TRUE(strstr(err, "wrong number of arguments") || strstr(err, "takes no more than 1 argument"));
    CU_ASSERT_NOT_EQUAL(compile_snippet("\n\nint v __attribute__((xray_capture(\"v\")));\n", "", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "snippet.c:3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "applies only to functions"));
    CU_ASSERT_NOT_EQUAL(compile_snippet("void f(void) __attribute__((xray_capture(\"\")));\n", "", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "name is empty"));
}

/* Runs `fn` once per toolchain, the snippet compiler set to that toolchain's. */
static void per_toolchain(void (*fn)(void))
{
    for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
        snippet_tc = &toolchains[t];
        unsigned before = CU_get_number_of_failures();
        fn();
        if (CU_get_number_of_failures() != before)
            fprintf(stderr, "\n  (failing toolchain: %s)\n", toolchains[t].name);
    }
    snippet_tc = &toolchains[0];
}

static void test_wrong_attribute_arguments_are_errors_at_the_right_line(void) { per_toolchain(wrong_arguments); }

static void plugin_options(void)
{
    char err[4096];
    const char *ok_src = "#include <xray_capture.h>\nXRAY_CAPTURE(\"f\") int f(void) { return 1; }\nint g(void) { return 2; }\n";
    CU_ASSERT_NOT_EQUAL(compile_snippet(ok_src, "-fplugin-arg-xraycap-bogus", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown option"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bogus"));
    CU_ASSERT_NOT_EQUAL(compile_snippet(ok_src, "-fplugin-arg-xraycap-functions='(('", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a valid regular expression"));
    CU_ASSERT_EQUAL(compile_snippet(ok_src, "-fplugin-arg-xraycap-verbose -fplugin-arg-xraycap-functions=^g$", err, sizeof err), 0);
    int captured = 0; /* f by its attribute, g by the regex */
    for (const char *p = err; (p = strstr(p, "xraycap: capturing")); p++)
        captured++;
    CU_ASSERT_EQUAL(captured, 2);
    CU_ASSERT_EQUAL(compile_snippet(ok_src, "-fplugin-arg-xraycap-verbose -fplugin-arg-xraycap-disable", err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(strstr(err, "capturing"));
    CU_ASSERT_EQUAL(compile_snippet(ok_src, "-fplugin-arg-xraycap-verbose -fplugin-arg-xraycap-exclude=^f$", err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(strstr(err, "capturing"));
}

static void test_plugin_options_are_checked_and_listed(void) { per_toolchain(plugin_options); }

/* A marked prototype defined elsewhere: named by warn-undefined (a warning) and by verbose (a
 * note), never by default; a marked function defined here is not named. */
static void undefined_marks(void)
{
    char err[4096];
    const char *src = "#include <xray_capture.h>\nXRAY_CAPTURE(\"a\") int elsewhere(void);\n"
                      "XRAY_CAPTURE(\"b\") int here(void);\nint here(void) { return elsewhere(); }\n";
    CU_ASSERT_EQUAL(compile_snippet(src, "", err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(strstr(err, "not defined in this file"));
    CU_ASSERT_EQUAL(compile_snippet(src, "-fplugin-arg-xraycap-warn-undefined", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "snippet.c:2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "warning: xraycap:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "elsewhere"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not defined in this file"));
    CU_ASSERT_PTR_NULL(strstr(err, "snippet.c:3"));
    CU_ASSERT_NOT_EQUAL(compile_snippet(src, "-fplugin-arg-xraycap-warn-undefined -Werror", err, sizeof err), 0);
    CU_ASSERT_EQUAL(compile_snippet(src, "-fplugin-arg-xraycap-verbose", err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not defined in this file"));
    CU_ASSERT_PTR_NULL(strstr(err, "warning:"));
}

static void test_marked_declarations_never_defined_are_named_on_request(void) { per_toolchain(undefined_marks); }

/* Whether a verbose compile says it captured `fn` (GCC quotes with ‘’ in a UTF-8 locale). */
static bool says_captured(const char *err, const char *fn)
{
    char plain[64], curly[64];
    snprintf(plain, sizeof plain, "capturing '%s'", fn);
    snprintf(curly, sizeof curly, "capturing \u2018%s\u2019", fn);
    return strstr(err, plain) || strstr(err, curly);
}

/* GCC hands a plugin "functions=^f$|x=y" cut at the '='; the plugin reads it whole. */
static void regex_with_equals(void)
{
    char err[4096];
    const char *src = "int f(void) { return 1; }\nint g(void) { return 2; }\n";
    CU_ASSERT_EQUAL(compile_snippet(src, "-fplugin-arg-xraycap-verbose '-fplugin-arg-xraycap-functions=^f$|x=y'", err, sizeof err), 0);
    CU_ASSERT_TRUE(says_captured(err, "f"));
    CU_ASSERT_FALSE(says_captured(err, "g"));
    CU_ASSERT_EQUAL(compile_snippet(src, "-fplugin-arg-xraycap-verbose '-fplugin-arg-xraycap-functions=(=|^g$)'", err, sizeof err), 0);
    CU_ASSERT_TRUE(says_captured(err, "g"));
    CU_ASSERT_FALSE(says_captured(err, "f"));
}

static void test_functions_regex_may_contain_an_equals_sign(void) { per_toolchain(regex_with_equals); }

/* A misspelled plugin name in -fplugin-arg-NAME-...: GCC stops; Clang, which drops such
 * arguments silently, gets a warning from the plugin. */
static void misspelled_plugin_name(void)
{
    char err[4096];
    const char *src = "int f(void) { return 1; }\n";
    compile_snippet(src, "-fplugin-arg-xraycapp-verbose", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "xraycapp"));
}

static void test_misspelled_plugin_argument_is_reported(void) { per_toolchain(misspelled_plugin_name); }

static void regex_capture(void)
{
    char cmd[1024], exe[] = OUT "/regex", out[256];
    snprintf(cmd, sizeof cmd, "%s -O2 -Wall -Wextra -Werror %s "
             "-fplugin-arg-xraycap-functions='^(leaf|switcher)$' -fplugin-arg-xraycap-exclude=switcher -I" ROOT "/include "
             ROOT "/tests/plugin/progs/flow.c -o %s " ROOT "/build/libxraycap.a -lcjson -lcurl -ldw -lpthread -lm -ldl",
             snippet_tc->cc, snippet_tc->plugin_flags, exe);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    run_result r;
    run(exe, NULL, &r);
    (void)out;
    CU_ASSERT_EQUAL(count("leaf"), 7);
    CU_ASSERT_EQUAL(count("switcher"), 0); /* excluded even though it has the attribute */
    CU_ASSERT_EQUAL(count("recurse"), 51);
}

static void test_functions_regex_captures_without_source_changes(void) { per_toolchain(regex_capture); }

/* ---- library patching --------------------------------------------------------------- */

static char received[512]; /* X-Amzn-Trace-Id the server got */

static void answer(const http_request *req, http_response *resp, void *ctx)
{
    (void)ctx;
    const char *h = strcasestr(req->headers, "X-Amzn-Trace-Id: ");
    snprintf(received, sizeof received, "%.*s", h ? (int)strcspn(h + 17, "\r\n") : 0, h ? h + 17 : "");
    resp->status = 200;
    snprintf(resp->body, sizeof resp->body, "hello");
}

/* Builds libs.c with `flags`, runs it against a local server, checks what was traced. */
static void check_patched(const char *cc, const char *flags, int expect_traced)
{
    char cmd[4096], exe[] = OUT "/libs", out[8192];
    snprintf(cmd, sizeof cmd, "%s -O2 -Wall -Wextra -Werror %s -I" ROOT "/include " ROOT
             "/tests/plugin/progs/libs.c -o %s %s >" OUT "/libs.log 2>&1", cc, flags, exe,
             ROOT "/build/libxraycap.a -lcjson -lcurl -lsqlite3 -ldw -lpthread -lm -ldl");
    if (system(cmd) != 0) {
        fprintf(stderr, "\n%s\n%s\n", cmd, slurp(OUT "/libs.log", out, sizeof out));
        CU_FAIL("libs.c did not build");
        return;
    }
    fake_http server;
    received[0] = '\0';
    fake_http_start(&server, answer, NULL);
    char env[128];
    snprintf(env, sizeof env, "TARGET_URL=http://%s/hello", server.address);
    run_result r;
    run(exe, env, &r);
    fake_http_stop(&server);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "curl 0 status 200 headers-untouched 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "step 101"));
    CU_ASSERT_EQUAL(L.ndocs, 1);
    if (expect_traced) {
        CU_ASSERT_EQUAL(count("127.0.0.1"), 1);
        CU_ASSERT_EQUAL(count("memory"), 2); /* the exec and the statement */
        CU_ASSERT_PTR_NOT_NULL(strstr(received, "Root=1-"));
    } else {
        CU_ASSERT_EQUAL(count("127.0.0.1") + count("memory"), 0);
        CU_ASSERT_STRING_EQUAL(received, "");
    }
}

static void test_library_calls_are_traced_by_plugin_or_link_flags(void)
{
    for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
        char flags[1024];
        snprintf(flags, sizeof flags, "%s -fplugin-arg-xraycap-patch=all", toolchains[t].plugin_flags);
        check_patched(toolchains[t].cc, flags, 1);
        snprintf(flags, sizeof flags, "%s -fplugin-arg-xraycap-patch=curl,sqlite3", toolchains[t].plugin_flags);
        check_patched(toolchains[t].cc, flags, 1);
    }
    check_patched("gcc", PATCH_LDFLAGS, 1);   /* not recompiled with the plugin: --wrap */
    check_patched("gcc", "", 0);              /* neither: plain libraries */
}

static void test_unknown_patch_library_is_an_error(void)
{
    char err[4096];
    const char *src = "int f(void);\nint f(void) { return 1; }\n";
    for (size_t t = 0; t < sizeof toolchains / sizeof toolchains[0]; t++) {
        snippet_tc = &toolchains[t];
        CU_ASSERT_NOT_EQUAL(compile_snippet(src, "-fplugin-arg-xraycap-patch=curl,mongodb", err, sizeof err), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "mongodb"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "curl, sqlite3, pq, redis, mysql, mhd, civetweb, all"));
    }
    snippet_tc = &toolchains[0];
}

static void test_preprocessing_alone_sees_the_announcing_macro(void)
{
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "echo '__XRAYCAP__' | gcc -E -P -fplugin=" ROOT "/build/xraycap.so - > " OUT "/macro.out 2>&1");
    CU_ASSERT_EQUAL(system(cmd), 0);
    slurp(OUT "/macro.out", out, sizeof out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "1"));
}

/* `plugin-matrix [NAME...]` runs only the tests whose names contain one of the NAMEs. */
int main(int argc, char **argv)
{
    mkdir(ROOT "/build", 0755);
    mkdir(ROOT "/build/tests", 0755);
    mkdir(OUT, 0755);
    listener_open(&L);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("plugin", NULL, NULL);
    CU_add_test(s, "test_control_flow_paths_close_every_subsegment_once", test_control_flow_paths_close_every_subsegment_once);
    CU_add_test(s, "test_captured_function_called_from_four_threads", test_captured_function_called_from_four_threads);
    CU_add_test(s, "test_longjmp_past_captured_frames_is_closed_by_the_catcher", test_longjmp_past_captured_frames_is_closed_by_the_catcher);
    CU_add_test(s, "test_cpp_exception_through_two_captured_frames_sets_fault", test_cpp_exception_through_two_captured_frames_sets_fault);
    CU_add_test(s, "test_every_cpp_throw_is_recorded_as_itself", test_every_cpp_throw_is_recorded_as_itself);
    CU_add_test(s, "test_both_compilers_name_cpp_functions_alike", test_both_compilers_name_cpp_functions_alike);
    CU_add_test(s, "test_stack_frames_name_functions_and_lines_or_stable_offsets",
                test_stack_frames_name_functions_and_lines_or_stable_offsets);
    CU_add_test(s, "test_no_segment_follows_the_context_missing_strategy", test_no_segment_follows_the_context_missing_strategy);
    CU_add_test(s, "test_wrong_attribute_arguments_are_errors_at_the_right_line", test_wrong_attribute_arguments_are_errors_at_the_right_line);
    CU_add_test(s, "test_plugin_options_are_checked_and_listed", test_plugin_options_are_checked_and_listed);
    CU_add_test(s, "test_marked_declarations_never_defined_are_named_on_request", test_marked_declarations_never_defined_are_named_on_request);
    CU_add_test(s, "test_functions_regex_may_contain_an_equals_sign", test_functions_regex_may_contain_an_equals_sign);
    CU_add_test(s, "test_misspelled_plugin_argument_is_reported", test_misspelled_plugin_argument_is_reported);
    CU_add_test(s, "test_functions_regex_captures_without_source_changes", test_functions_regex_captures_without_source_changes);
    CU_add_test(s, "test_preprocessing_alone_sees_the_announcing_macro", test_preprocessing_alone_sees_the_announcing_macro);
    CU_add_test(s, "test_library_calls_are_traced_by_plugin_or_link_flags", test_library_calls_are_traced_by_plugin_or_link_flags);
    CU_add_test(s, "test_unknown_patch_library_is_an_error", test_unknown_patch_library_is_an_error);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (argc > 1) {
        for (CU_pTest t = s->pTest; t; t = t->pNext) {
            bool wanted = false;
            for (int i = 1; i < argc; i++)
                wanted = wanted || strstr(t->pName, argv[i]);
            CU_set_test_active(t, wanted);
        }
    }
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    listener_close(&L);
    return failed ? 1 : 0;
}
