/* harness.h — what every unit-test file shares: the fake daemon, the captured log, and the
 * suite registration functions that main.c calls. */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include "listener.h"

#include <CUnit/CUnit.h>
#include <xray_capture.h>

extern listener L;              /* the fake daemon all tests send to */
extern char test_log[1 << 16];  /* log lines since the last log_reset(), '\n'-separated */
extern int test_log_lines;

void log_reset(void);
/* The log sink test_reset installs: lines go to test_log. */
void capture_log(xray_log_level level, const char *message, void *ctx);
/* Ends any segment a failed test left open, forgets received documents and log lines, and
 * restores the default configuration. */
void test_reset(void);
/* Receives what the recorder sent (waits 100 ms after the last datagram). */
size_t collect(void);

void register_documents(void);
void register_data(void);
void register_misuse(void);
void register_limits(void);
void register_macros(void);
void register_threads(void);
void register_config(void);
void register_process(void);
void register_headers(void);
void register_sampling(void);
void register_lambda(void);
void register_sampling_remote(void);
void register_curl(void);
void register_sqlite(void);
void register_stream(void);
void register_emitters(void);
void register_interop(void);
void register_tracecontext(void);
void register_fold(void);
void register_hostile(void);
void register_crash(void);
void register_middleware(void);
void register_aws_calls(void);
void register_credentials(void);
void register_plugins(void);

#define ADD(suite, fn) CU_add_test(suite, #fn, fn)

#endif
