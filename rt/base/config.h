/* config.h — the recorder's settings as values (xrc_cfg), and the parsers of the compound
 * ones. Which settings there are, their variables, ranges and defaults: settings.h. */
#ifndef XRC_CONFIG_H
#define XRC_CONFIG_H

#include "xray_capture.h"

#include <stdbool.h>
#include <sys/socket.h>

typedef struct xrc_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[160];              /* as the user wrote it, for messages */
} xrc_addr;

/* Where documents go (AWS_XRAY_EMITTER); several may be on at once. */
typedef struct xrc_emitters {
    bool udp;                              /* the daemon at `udp` */
    bool xray_api;                         /* PutTraceSegments, signed (emit_xray_api.c) */
    char file[1024];                       /* JSON Lines file, "" for none */
    char otlp[1024];                       /* OTLP/HTTP JSON endpoint URL, "" for none */
} xrc_emitters;

typedef struct xrc_config {
    bool enabled;                          /* AWS_XRAY_SDK_ENABLED */
    xray_context_missing context_missing;  /* AWS_XRAY_CONTEXT_MISSING */
    char service_name[256];                /* default segment name */
    xrc_addr udp;                          /* where segment documents go */
    xrc_addr tcp;                          /* the daemon's sampling proxy */
    bool sampling;                         /* apply sampling rules (else record everything) */
    bool lambda;                           /* LAMBDA_TASK_ROOT is set: work under facades */
    bool sampling_remote;                  /* ask the daemon for centralized rules */
    char sampling_rules[1024];             /* AWS_XRAY_SAMPLING_RULES: a local rules file, or "" */
    /* The counts, as base/settings.h lists them; -1 is "off" where a count can be off. */
    long streaming_threshold;              /* -1: when what is held would not fit a document */
    long fold_after;                       /* -1: never fold */
    long min_duration_us;                  /* -1: no minimum */
    long max_subsegments;
    long flush_timeout_ms;
    const char *service_version;           /* service.version on segments, NULL for none; each
                                              value is kept for good (xrc_cfg_set_version), as
                                              segments waiting to be sent point to it */
    bool keep_url_query;                   /* record URLs with query and fragment */
    bool downstream_traced;                /* http.request.traced on libcurl calls */
    bool propagate_xray;                   /* outgoing calls carry X-Amzn-Trace-Id */
    bool propagate_w3c;                    /* ... and traceparent (+ tracestate) */
    bool crash_flush;                      /* on a fatal signal, send the crashing thread's
                                              open segment (core/crash_flush.c) */
    xrc_emitters emit;
    unsigned plugins;                      /* XRC_PLUGIN_* */
} xrc_config;

/* The platforms XRAYCAP_PLUGINS names (emit/plugins.c detects them). */
#define XRC_PLUGIN_EC2 1u
#define XRC_PLUGIN_ECS 2u
#define XRC_PLUGIN_EKS 4u
#define XRC_PLUGIN_ELASTIC_BEANSTALK 8u

extern xrc_config xrc_cfg;

/* Reads the environment the first time it is called; cheap afterwards. */
void xrc_init(void);

/* Sets xrc_cfg from the defaults and the environment, logging what it refuses (settings.c).
 * xrc_init calls it once; the configuration fuzzer calls it for each input. */
void xrc_config_read(void);

/* Parses an AWS_XRAY_CONTEXT_MISSING or XRAYCAP_LOG_LEVEL value; _DEFAULT when it is none. */
xray_context_missing xrc_parse_context_missing(const char *text);
xray_log_level xrc_parse_log_level(const char *text);

/* Parses "host:port" (both protocols) or "tcp:host:port udp:host:port" in either order.
 * Leaves udp/tcp untouched and returns XRAY_ERR_INVALID when the text is not of that form. */
xray_status xrc_parse_daemon_address(const char *text, xrc_addr *udp, xrc_addr *tcp);

/* Parses a propagator list ("xray,tracecontext", "none"), spelled as OTEL_PROPAGATORS. On
 * error returns XRAY_ERR_INVALID, leaves the flags alone and says why in `why`. */
xray_status xrc_parse_propagators(const char *text, bool *xray, bool *w3c, char *why, size_t whylen);

/* Parses an emitter list ("udp,file:/tmp/x.jsonl otlp:http://host:4318"; "otlp:xray" keeps
 * "xray" as its URL: X-Ray's OTLP endpoint, made by the emitter). On error returns
 * XRAY_ERR_INVALID, leaves `out` alone and says why in `why`. */
xray_status xrc_parse_emitters(const char *text, xrc_emitters *out, char *why, size_t whylen);

/* Sets service_version to a copy of v (cut to 250 characters) that is never freed: a segment
 * takes the pointer when it begins and the emission thread reads it later. */
void xrc_cfg_set_version(const char *v);

#endif
