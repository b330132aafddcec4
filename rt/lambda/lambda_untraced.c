/* lambda_untraced.c — the Runtime API loop for builds with tracing compiled out
 * (XRAY_COMPILED_OUT maps xray_lambda_run here): no recorder code is linked. */
#include "lambda/lambda_loop.h"

#include <stdarg.h>
#include <stdio.h>

static void log_stderr(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("xraycap: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int xray_lambda_run_untraced(xray_lambda_handler handler, void *ctx)
{
    static const xrc_lambda_hooks untraced = {NULL, NULL, log_stderr};
    return xrc_lambda_loop(handler, ctx, &untraced);
}
