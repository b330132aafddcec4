/* lambda_run.c — xray_lambda_run: the Runtime API loop with a trace context per invocation. */
#include "lambda/lambda_loop.h"
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

static void log_error(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    xrc_log(XRAY_LOG_ERROR, "%s", line);
}

int xray_lambda_run(xray_lambda_handler handler, void *ctx)
{
    static const xrc_lambda_hooks traced = {xray_lambda_begin_invocation,
                                            xray_lambda_end_invocation, log_error};
    return xrc_lambda_loop(handler, ctx, &traced);
}
