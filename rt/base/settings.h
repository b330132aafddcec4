/* settings.h — every setting of the recorder, written once. The environment parser, the
 * defaults, xray_recorder_configure (core/lifecycle.c) and the check of the settings table in
 * README.md (tests/unit/test_settings.c) all walk this list; settings.c checks at compile time
 * that each entry has a field of its kind's type in xray_config, and the settings test that the
 * list covers xray_config field by field, in order.
 *
 * One encoding for each meaning, the same in the environment, in xray_config and in xrc_cfg:
 * a count's "off" (never fold, stream by size, no minimum) is -1. In xray_config a zero or
 * NULL field means "leave this setting as it is", so 0 is never a value a field must carry. */
#ifndef XRC_SETTINGS_H
#define XRC_SETTINGS_H

#include "base/config.h"

#include <stddef.h>

/* X(field, variable, kind, lo, hi, off, initial, shown, meaning)
 *   field     the xray_config field (and xrc_config's, for counts and switches)
 *   variable  the environment variable, or NULL (set from code only)
 *   kind      how its text reads (xrc_setting_kind, without the XRC_SET_ prefix)
 *   lo, hi    a count's range
 *   off       what -1 means for a count that can be off, else NULL (-1 is refused)
 *   initial   the value at start, spelled as in the environment; NULL: none or computed
 *   shown     the default as the settings table shows it
 *   meaning   the settings table's last column */
#define XRC_MAX_COUNT 100000000
#define XRC_SETTINGS(X)                                                                           \
    X(daemon_address, "AWS_XRAY_DAEMON_ADDRESS", ADDRESS, 0, 0, NULL, "127.0.0.1:2000",           \
      "`127.0.0.1:2000`",                                                                         \
      "`host:port`, or `tcp:host:port udp:host:port` (TCP: the sampling proxy)")                  \
    X(service_name, "AWS_XRAY_TRACING_NAME", NAME, 0, 0, NULL, NULL, "program name",              \
      "segment name when `xray_begin_segment` gets NULL or \"\"")                                 \
    X(context_missing, "AWS_XRAY_CONTEXT_MISSING", CONTEXT_MISSING, 0, 0, NULL, "LOG_ERROR",      \
      "`LOG_ERROR`",                                                                              \
      "misuse: `LOG_ERROR` (rate-limited log), `IGNORE_ERROR`, `RUNTIME_ERROR` (abort)")          \
    X(enabled, "AWS_XRAY_SDK_ENABLED", SWITCH, 0, 0, NULL, "true", "`true`",                      \
      "`false` turns every call into a no-op")                                                    \
    X(log_level, "XRAYCAP_LOG_LEVEL", LOG_LEVEL, 0, 0, NULL, "warn", "`warn`",                    \
      "`debug`, `info`, `warn`, `error`, `off` (`AWS_XRAY_DEBUG_MODE=true` means `debug`)")       \
    X(log_fn, NULL, LOG_FN, 0, 0, NULL, NULL, "stderr", "receive log lines yourself")             \
    X(log_ctx, NULL, LOG_CTX, 0, 0, NULL, NULL, "`NULL`", "passed to `log_fn`")                   \
    X(sampling_rules, "AWS_XRAY_SAMPLING_RULES", RULES, 0, 0, NULL, NULL, "none",                 \
      "local rules file (version 1 or 2); without it 1 segment a second, then 5%")                \
    X(sampling, "XRAYCAP_SAMPLING", SWITCH, 0, 0, NULL, "true", "`true`",                         \
      "`false` records every segment (an incoming `Sampled=0/1` is still obeyed)")                \
    X(sampling_remote, "XRAYCAP_SAMPLING_REMOTE", SWITCH, 0, 0, NULL, "true", "`true`",           \
      "poll the daemon for centralized rules (background thread; local rules while it does "      \
      "not answer)")                                                                              \
    X(emitters, "AWS_XRAY_EMITTER", EMITTERS, 0, 0, NULL, "udp", "`udp`",                         \
      "where documents go, comma-separated: `udp`, `file:PATH`, `xray-api`, `otlp[:URL]`, "       \
      "`none` ([docs/emitters.md](docs/emitters.md))")                                            \
    X(streaming_threshold, "XRAYCAP_STREAMING_THRESHOLD", COUNT, 1, XRC_MAX_COUNT, "by size",     \
      "-1", "by size (`-1`)",                                                                     \
      "held subsegments past which finished ones are sent ahead and their memory freed; `-1`: "   \
      "when what is held would no longer fit one document")                                      \
    X(max_subsegments, "XRAYCAP_MAX_SUBSEGMENTS", COUNT, 1, XRC_MAX_COUNT, NULL, "10000",         \
      "`10000`",                                                                                  \
      "subsegments recorded per segment; the rest are counted in "                                \
      "`metadata.xraycap.dropped_subsegments`")                                                   \
    X(flush_timeout_ms, "XRAYCAP_FLUSH_TIMEOUT_MS", COUNT, 0, 600000, NULL, "2000", "`2000`",      \
      "how long shutdown and exit wait for the HTTP emitters")                                    \
    X(fold_after, "XRAYCAP_FOLD_AFTER", COUNT, 1, XRC_MAX_COUNT, "never", "64", "`64`",           \
      "calls of one captured site under one parent recorded before the rest are folded into a "   \
      "summary; `-1` never")                                                                      \
    X(min_duration_us, "XRAYCAP_MIN_DURATION_US", COUNT, 1, 60000000, "off", "-1", "off (`-1`)",  \
      "captured calls shorter than this are folded, not recorded")                                \
    X(service_version, "XRAYCAP_SERVICE_VERSION", VERSION, 0, 0, NULL, NULL, "none",              \
      "`service.version` on every segment")                                                       \
    X(keep_url_query, "XRAYCAP_KEEP_URL_QUERY", SWITCH, 0, 0, NULL, "false", "`false`",           \
      "keep query strings and fragments in recorded URLs (they often carry tokens)")              \
    X(propagators, "XRAYCAP_PROPAGATORS", PROPAGATORS, 0, 0, NULL, "xray,tracecontext",           \
      "`xray,tracecontext`",                                                                      \
      "trace headers outgoing calls carry, spelled as `OTEL_PROPAGATORS`: `xray` "                \
      "(X-Amzn-Trace-Id), `tracecontext` (W3C traceparent, tracestate), or `none`")               \
    X(downstream_traced, "XRAYCAP_DOWNSTREAM_TRACED", SWITCH, 0, 0, NULL, "false", "`false`",     \
      "mark libcurl calls `http.request.traced`: the console then waits for each callee's own "   \
      "segment")                                                                                  \
    X(crash_flush, "XRAYCAP_CRASH_FLUSH", SWITCH, 0, 0, NULL, "false", "`false`",                 \
      "on SIGSEGV, SIGBUS, SIGABRT or SIGFPE, send the crashing thread's open segment (marked "   \
      "`fault`) to the daemon, then pass the signal on "                                          \
      "([docs/emitters.md](docs/emitters.md#crash-flush))")

typedef enum xrc_setting_kind {
    XRC_SET_SWITCH,          /* true/false (1/0); xray_switch; bool in xrc_cfg */
    XRC_SET_COUNT,           /* a whole number in [lo, hi], or -1 when `off` says what it means;
                                long in xray_config and in xrc_cfg */
    XRC_SET_ADDRESS,         /* the daemon address (xrc_cfg.udp and .tcp) */
    XRC_SET_NAME,            /* the service name */
    XRC_SET_RULES,           /* a sampling rules file's path */
    XRC_SET_EMITTERS,        /* an emitter list (xrc_cfg.emit) */
    XRC_SET_VERSION,         /* service.version */
    XRC_SET_PROPAGATORS,     /* a propagator list */
    XRC_SET_CONTEXT_MISSING, /* LOG_ERROR, RUNTIME_ERROR, IGNORE_ERROR */
    XRC_SET_LOG_LEVEL,       /* debug, info, warn (warning), error, off */
    XRC_SET_LOG_FN,          /* from code only: set with log_ctx */
    XRC_SET_LOG_CTX,
} xrc_setting_kind;

typedef struct xrc_setting {
    const char *field, *variable;
    xrc_setting_kind kind;
    long lo, hi;
    const char *off, *initial, *shown, *meaning;
    size_t offset, size, align;   /* of the field in xray_config */
    size_t cfg_offset;            /* of a count's or a switch's field in xrc_config */
} xrc_setting;

extern const xrc_setting xrc_settings[];
extern const size_t xrc_nsettings;

/* A setting's value, parsed. */
typedef struct xrc_value {
    long n;                       /* COUNT, CONTEXT_MISSING, LOG_LEVEL */
    bool on;                      /* SWITCH */
    const char *text;             /* NAME, RULES, VERSION: the text parsed (not copied) */
    xrc_addr udp, tcp;            /* ADDRESS */
    xrc_emitters emit;            /* EMITTERS */
    bool xray, w3c;               /* PROPAGATORS */
} xrc_value;

/* Parses `text` as setting s. On error returns XRAY_ERR_INVALID and says why in `why`, in
 * words that follow "VARIABLE=text " ("is not a whole number from 1 to 64"). */
xray_status xrc_setting_parse(const xrc_setting *s, const char *text, xrc_value *v, char *why,
                              size_t whylen);

/* Stores a parsed value in xrc_cfg (the log level in the logger). EMITTERS and RULES are stored
 * as they are: the emission and sampling layers act on a change (lifecycle.c tells them). */
void xrc_setting_store(const xrc_setting *s, const xrc_value *v);

/* Setting s as xray_config `c` holds it, spelled as in the environment (in buf, or pointing at
 * the field's own text). False when the field is unset (0, NULL, a _DEFAULT) or from code
 * only (LOG_FN, LOG_CTX). */
bool xrc_setting_text(const xrc_setting *s, const xray_config *c, char *buf, size_t n,
                      const char **text);

/* The current value of s for a message ("keeping 64"). */
const char *xrc_setting_show(const xrc_setting *s, char *buf, size_t n);

/* Parses `text` for setting s; when it is refused, says so in the log, naming `source` (the
 * variable, or "xray_config.FIELD") and the value that stays. */
xray_status xrc_setting_read(const xrc_setting *s, const char *source, const char *text,
                             xrc_value *v);

/* The setting for an xray_config field name, or NULL. */
const xrc_setting *xrc_setting_find(const char *field);

#endif
