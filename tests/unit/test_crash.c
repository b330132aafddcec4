/* test_crash.c — XRAYCAP_CRASH_FLUSH: a program that dies of a fatal signal still sends its
 * open segment, marked fault, and still dies of that signal (or runs its own handler). */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CRASH_PROBE
#define CRASH_PROBE "build/tests/crash_probe"
#endif

#define CRASH_STDERR "build/tests/crash_probe.stderr"

/* Runs the probe with the flush on or off; returns its wait status. Its stderr goes to
 * CRASH_STDERR. */
static int run_crash(const char *how, const char *extra, bool flush)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("AWS_XRAY_DAEMON_ADDRESS", L.address, 1);
        setenv("XRAYCAP_SAMPLING", "false", 1);
        setenv("XRAYCAP_SAMPLING_REMOTE", "false", 1);
        if (flush)
            setenv("XRAYCAP_CRASH_FLUSH", "true", 1);
        else
            unsetenv("XRAYCAP_CRASH_FLUSH");
        if (!freopen("/dev/null", "w", stdout) || !freopen(CRASH_STDERR, "w", stderr))
            _exit(99);
        execl(CRASH_PROBE, CRASH_PROBE, how, extra, (char *)NULL);
        _exit(98);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static const cJSON *field(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* The segment and its open frames arrive ended and marked fault, the cause names the signal,
 * the finished subsegment arrives on its own; every document passes the daemon's check. */
static void expect_flushed(const char *signame)
{
    CU_ASSERT_EQUAL(collect(), 2);
    cJSON *seg = listener_find(&L, "crashy");
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
    CU_ASSERT_TRUE(cJSON_IsTrue(field(seg, "fault")));
    CU_ASSERT_PTR_NULL(field(seg, "in_progress"));
    CU_ASSERT_TRUE(field(seg, "end_time")->valuedouble >= field(seg, "start_time")->valuedouble);
    cJSON *outer = child_named(seg, "outer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(outer);
    CU_ASSERT_TRUE(cJSON_IsTrue(field(outer, "fault")));
    cJSON *inner = child_named(outer, "inner");
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner);
    CU_ASSERT_TRUE(cJSON_IsTrue(field(inner, "fault")));
    const cJSON *ex = cJSON_GetArrayItem(field(field(inner, "cause"), "exceptions"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    CU_ASSERT_STRING_EQUAL(field(ex, "type")->valuestring, signame);
    cJSON *done = listener_find(&L, "done");
    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_STRING_EQUAL(field(done, "type")->valuestring, "subsegment");
    CU_ASSERT_STRING_EQUAL(field(done, "parent_id")->valuestring, field(seg, "id")->valuestring);
    CU_ASSERT_STRING_EQUAL(field(done, "trace_id")->valuestring, field(seg, "trace_id")->valuestring);
    CU_ASSERT_PTR_NULL(field(done, "fault"));
    CU_ASSERT_TRUE(entity_valid(seg, 1));
}

/* The probe crashes the way `how` says and dies of `sig`, after sending its segment. */
static void expect_death_after_flush(const char *how, int sig, const char *signame)
{
    test_reset();
    int status = run_crash(how, NULL, true);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig);
    expect_flushed(signame);
}

static void test_segfault_sends_the_open_segment_then_dies_of_sigsegv(void)
{
    expect_death_after_flush("segv", SIGSEGV, "SIGSEGV");
}

static void test_abort_sends_the_open_segment_then_dies_of_sigabrt(void)
{
    expect_death_after_flush("abort", SIGABRT, "SIGABRT");
}

static void test_division_by_zero_sends_the_open_segment_then_dies_of_sigfpe(void)
{
    expect_death_after_flush("fpe", SIGFPE, "SIGFPE");
}

static void test_raised_signal_is_flushed_and_raised_again(void)
{
    expect_death_after_flush("raise", SIGSEGV, "SIGSEGV");
}

static void test_programs_own_handler_still_runs_after_the_flush(void)
{
    test_reset();
    int status = run_crash("segv", "handler", true);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    expect_flushed("SIGSEGV");
}

static void test_without_the_setting_a_crash_sends_nothing(void)
{
    test_reset();
    int status = run_crash("segv", NULL, false);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    CU_ASSERT_EQUAL(collect(), 0);
    status = run_crash("segv", "handler", false);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    CU_ASSERT_EQUAL(collect(), 0);
}

/* exit() runs no thread-exit destructor; the segment is ended at exit, sent and warned about,
 * and the program's exit status is its own. */
static void test_segment_open_at_exit_is_ended_sent_and_warned_about(void)
{
    test_reset();
    int status = run_crash("exit", NULL, false);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CU_ASSERT_EQUAL(collect(), 1);
    cJSON *seg = listener_find(&L, "crashy");
    CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
    CU_ASSERT_PTR_NULL(field(seg, "in_progress"));
    CU_ASSERT_PTR_NOT_NULL(child_named(seg, "done"));
    cJSON *outer = child_named(seg, "outer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(outer);
    CU_ASSERT_PTR_NOT_NULL(child_named(outer, "inner"));
    CU_ASSERT_TRUE(entity_valid(seg, 1));
    char err[512] = "";
    FILE *f = fopen(CRASH_STDERR, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(err, 1, sizeof err - 1, f);
    err[n] = '\0';
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "the program exited with segment 'crashy' open"));
}

void register_crash(void)
{
    CU_pSuite s = CU_add_suite("crash", NULL, NULL);
    CU_add_test(s, "segfault sends the open segment, then dies of SIGSEGV",
                test_segfault_sends_the_open_segment_then_dies_of_sigsegv);
    CU_add_test(s, "abort sends the open segment, then dies of SIGABRT",
                test_abort_sends_the_open_segment_then_dies_of_sigabrt);
    CU_add_test(s, "division by zero sends the open segment, then dies of SIGFPE",
                test_division_by_zero_sends_the_open_segment_then_dies_of_sigfpe);
    CU_add_test(s, "a raised signal is flushed and raised again",
                test_raised_signal_is_flushed_and_raised_again);
    CU_add_test(s, "the program's own handler still runs after the flush",
                test_programs_own_handler_still_runs_after_the_flush);
    CU_add_test(s, "without the setting a crash sends nothing",
                test_without_the_setting_a_crash_sends_nothing);
    CU_add_test(s, "a segment open at exit is ended, sent and warned about",
                test_segment_open_at_exit_is_ended_sent_and_warned_about);
}
