/* lambda_loop.h — the Runtime API loop, shared by the traced and the untraced entry points. */
#ifndef XRC_LAMBDA_LOOP_H
#define XRC_LAMBDA_LOOP_H

#include "xray_capture/lambda.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct xrc_lambda_hooks {
    void (*begin)(const char *trace_header); /* NULL: only export _X_AMZN_TRACE_ID */
    void (*end)(void);
    void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
} xrc_lambda_hooks;

/* What the Runtime API's answer to GET .../next says in its header fields. */
typedef struct xrc_lambda_next {
    char request_id[512];      /* longer than any Lambda sends: a longer one is refused, not cut */
    char trace[512];
    long long deadline_ms;
} xrc_lambda_next;

/* Takes one header line of that answer (as libcurl hands it: "Name: value\r\n"). */
void xrc_lambda_next_header(xrc_lambda_next *h, const char *line, size_t len);

/* The URL the loop answers an invocation at (kind "response" or "error"); false, and nothing
 * written, for a request id Lambda never sends (it would lead the answer elsewhere). */
bool xrc_lambda_answer_url(const char *api, const char *request_id, const char *kind, char *out, size_t len);

int xrc_lambda_loop(xray_lambda_handler handler, void *ctx, const xrc_lambda_hooks *hooks);

#endif
