/*
 * xray_capture/lambda.h — tracing in an AWS Lambda custom runtime written in C.
 *
 * In Lambda the function's segment is Lambda's own: the recorder works under a "facade" made
 * from the invocation's trace header (_X_AMZN_TRACE_ID). xray_begin_segment logs
 * "Cannot create segments inside Lambda function. Discarded." and returns NULL; subsegments —
 * manual, captured functions, blocks — attach to the facade and each top-level one is sent as
 * a `type: subsegment` document when it ends. The facade itself is never sent.
 *
 * The whole loop of a `bootstrap`:
 *
 *     static int handler(const xray_lambda_invocation *inv, char **response, void *ctx)
 *     {
 *         *response = strdup("{\"ok\":true}");
 *         return 0;
 *     }
 *     int main(void) { return xray_lambda_run(handler, NULL); }
 *
 * Link with -lxraycap, or statically with `pkg-config --variable=static_libs xraycap`; a
 * `bootstrap` for Amazon Linux built elsewhere: see samples/lambda/README.md.
 */
#ifndef XRAY_CAPTURE_LAMBDA_H
#define XRAY_CAPTURE_LAMBDA_H

#include <stddef.h>
#include <xray_capture.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One invocation as the Runtime API hands it over. Strings are valid during the handler. */
typedef struct xray_lambda_invocation {
    const char *request_id;     /* Lambda-Runtime-Aws-Request-Id */
    const char *trace_header;   /* Lambda-Runtime-Trace-Id (also set as _X_AMZN_TRACE_ID) */
    long long deadline_ms;      /* Lambda-Runtime-Deadline-Ms: epoch milliseconds */
    const char *event;          /* the event JSON, NUL-terminated */
    size_t event_len;
} xray_lambda_invocation;

/*
 * The user's handler. Return 0 with *response set to a malloc'd JSON body (the loop frees it;
 * NULL means "null"), or non-zero for a failed invocation, with *response optionally set to a
 * malloc'd error message.
 */
typedef int (*xray_lambda_handler)(const xray_lambda_invocation *invocation, char **response,
                                   void *ctx);

/*
 * Runs the custom-runtime loop against AWS_LAMBDA_RUNTIME_API: GET the next invocation, make
 * its trace header current (facade), call the handler, send what the invocation traced, POST
 * the response or the error, and repeat. Returns only when the Runtime API cannot be used (not
 * set, unreachable, or answering an unexpected status), with -1 and a logged reason.
 */
int xray_lambda_run(xray_lambda_handler handler, void *ctx);

/* The same loop without any tracing: what xray_lambda_run means under XRAY_COMPILED_OUT, so
 * a bootstrap built with tracing compiled out links only the loop (and libcurl). */
int xray_lambda_run_untraced(xray_lambda_handler handler, void *ctx);

#ifndef XRAY_COMPILED_OUT
/* For loops of your own: make `trace_header` (the Lambda-Runtime-Trace-Id value) the current
 * invocation's context on this thread (also sets _X_AMZN_TRACE_ID) ... */
void xray_lambda_begin_invocation(const char *trace_header);
/* ... and after the handler: close and send what is still open, drop the facade. */
void xray_lambda_end_invocation(void);
#else
#define xray_lambda_run xray_lambda_run_untraced
static inline void xray_lambda_begin_invocation(const char *h) { (void)h; }
static inline void xray_lambda_end_invocation(void) {}
#endif

#ifdef __cplusplus
}
#endif

#endif
