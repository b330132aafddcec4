/* lambda_loop.h — the Runtime API loop, shared by the traced and the untraced entry points. */
#ifndef XRC_LAMBDA_LOOP_H
#define XRC_LAMBDA_LOOP_H

#include "xray_capture/lambda.h"

typedef struct xrc_lambda_hooks {
    void (*begin)(const char *trace_header); /* NULL: only export _X_AMZN_TRACE_ID */
    void (*end)(void);
    void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
} xrc_lambda_hooks;

int xrc_lambda_loop(xray_lambda_handler handler, void *ctx, const xrc_lambda_hooks *hooks);

#endif
