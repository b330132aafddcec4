/* support.h — what the separate test programs (tool, plugin matrix, end-to-end) share: loopback
 * ports, processes started and stopped, and running the CUnit tests they registered. */
#ifndef TESTS_SUPPORT_H
#define TESTS_SUPPORT_H

/* A loopback port of `type` (SOCK_DGRAM, SOCK_STREAM) that was free a moment ago. */
int support_free_port(int type);

/* Waits (up to 15 s) until something listens on the loopback TCP port; false if nothing does. */
int support_wait_port(int port);

/* Starts `cmd` through the shell in a process group of its own; support_stop ends the group. */
int support_spawn(const char *cmd);
void support_stop(int pid);

/* A test of a suite: SUPPORT_TEST(test_function) names it after its function. */
typedef struct support_test {
    const char *name;
    void (*run)(void);
} support_test;
#define SUPPORT_TEST(fn) {#fn, fn}

/* Registers `tests` (ended by {NULL, NULL}) as the suite `name`, runs them as
 * support_run_tests does and returns its exit status. */
int support_run_suite(const char *name, const support_test *tests);

/* Runs every registered test verbosely, cleans the registry up and returns the exit status:
 * 1 when a test or an assertion failed, else 0. */
int support_run_tests(void);

#endif
