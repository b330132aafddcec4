/* log.c — one logger for the whole runtime, so users can redirect or silence it, and the
 * context-missing strategy, whose LOG_ERROR mode must not flood stderr from a hot loop. */
#include "base/log.h"
#include "base/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Atomic int log_level = XRAY_LOG_WARN;   /* lowest level written */
static xray_log_fn log_fn;                     /* NULL: stderr */
static void *log_ctx;                          /* handed to log_fn */

static _Atomic long long missing_last_sec;     /* when a context-missing line was last written */
static _Atomic unsigned long missing_held;     /* context-missing lines held back since then */

static const char *level_name(xray_log_level level)
{
    switch (level) {
    case XRAY_LOG_DEBUG: return "debug";
    case XRAY_LOG_INFO: return "info";
    case XRAY_LOG_WARN: return "warning";
    default: return "error";
    }
}

void xrc_log_set_level(xray_log_level level)
{
    if (level != XRAY_LOG_DEFAULT)
        atomic_store(&log_level, level);
}

void xrc_log_set_sink(xray_log_fn fn, void *ctx)
{
    log_fn = fn;
    log_ctx = ctx;
}

int xrc_log_enabled(xray_log_level level)
{
    return (int)level >= atomic_load(&log_level) && level != XRAY_LOG_OFF;
}

void xrc_log(xray_log_level level, const char *fmt, ...)
{
    if (!xrc_log_enabled(level))
        return;
    int saved = errno;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (log_fn)
        log_fn(level, line, log_ctx);
    else
        fprintf(stderr, "xraycap: %s: %s\n", level_name(level), line);
    errno = saved;
}

void xrc_context_missing_reset(void)
{
    atomic_store(&missing_last_sec, 0);
    atomic_store(&missing_held, 0);
}

void xrc_context_missing(const char *what)
{
    switch (xrc_cfg.context_missing) {
    case XRAY_CONTEXT_MISSING_IGNORE_ERROR:
        return;
    case XRAY_CONTEXT_MISSING_RUNTIME_ERROR:
        xrc_log(XRAY_LOG_ERROR, "%s (AWS_XRAY_CONTEXT_MISSING=RUNTIME_ERROR: aborting)", what);
        abort();
    default:
        break;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long long last = atomic_load(&missing_last_sec);
    if (ts.tv_sec == last || !atomic_compare_exchange_strong(&missing_last_sec, &last, ts.tv_sec)) {
        atomic_fetch_add(&missing_held, 1);
        return;
    }
    unsigned long held = atomic_exchange(&missing_held, 0);
    if (held)
        xrc_log(XRAY_LOG_ERROR, "%s (and %lu more context-missing errors in the last second)",
                what, held);
    else
        xrc_log(XRAY_LOG_ERROR, "%s", what);
}
