/* log.h — the runtime's one logger, and the context-missing policy built on it. */
#ifndef XRC_LOG_H
#define XRC_LOG_H

#include "xray_capture.h"

/* Sends one formatted line to the user's log function, or to stderr as "xraycap: LEVEL: ...".
 * Lines below the configured level are skipped before formatting. Keeps errno. */
void xrc_log(xray_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when a line at `level` would be written; lets callers skip costly preparation. */
int xrc_log_enabled(xray_log_level level);

/* Sets the lowest level written (XRAY_LOG_DEFAULT: left as it is). */
void xrc_log_set_level(xray_log_level level);

/* Sends log lines to fn with ctx (NULL fn: stderr). */
void xrc_log_set_sink(xray_log_fn fn, void *ctx);

/* Applies the context-missing strategy to a misuse described by `what`: logs at most once a
 * second (counting what it held back), stays silent, or aborts, as configured. */
void xrc_context_missing(const char *what);

/* Starts a fresh rate-limit window (a new configuration gets its first message through). */
void xrc_context_missing_reset(void);

#endif
