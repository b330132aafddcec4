/* support.h — what the separate test programs (tool, plugin matrix, end-to-end) share: a free
 * loopback port, and running the CUnit tests they registered. */
#ifndef TESTS_SUPPORT_H
#define TESTS_SUPPORT_H

/* A loopback port of `type` (SOCK_DGRAM, SOCK_STREAM) that was free a moment ago. */
int support_free_port(int type);

/* Runs every registered test verbosely, cleans the registry up and returns the exit status:
 * 1 when a test or an assertion failed, else 0. */
int support_run_tests(void);

#endif
