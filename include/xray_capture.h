/*
 * xray_capture.h — AWS X-Ray tracing for C and C++.
 *
 * This one header is the whole core API of xraycap. It offers three ways of tracing:
 *
 *  1. Captured functions, the counterpart of Python's @xray_recorder.capture('name'):
 *
 *         XRAY_CAPTURE("parse_order") static int parse(const char *s) { ... }
 *         XRAY_CAPTURE() int checkout(void);      // no name: the function's own name
 *
 *     Compile with the plugin (gcc -fplugin=xraycap.so, see docs/) and every call of the
 *     function is a subsegment of the calling thread's current segment. Without the plugin
 *     the attribute expands to nothing.
 *
 *  2. Captured blocks and scopes, which need no plugin:
 *
 *         XRAY_CAPTURE_BLOCK("load") { ... }      // closes on every way out of the block
 *         XRAY_CAPTURE_SCOPE("rest");             // traces to the end of the enclosing scope
 *
 *  3. The manual recorder API, as in the Python SDK:
 *
 *         xray_begin_segment("segment_1");
 *         xray_begin_subsegment("subsegment_1");
 *         xray_put_annotation(xray_current_subsegment(), "user", "alice");
 *         xray_end_subsegment();
 *         xray_end_segment();                      // serialized and sent to the daemon
 *
 * Finished segments are sent as X-Ray segment documents over UDP to the X-Ray daemon at
 * AWS_XRAY_DAEMON_ADDRESS (default 127.0.0.1:2000), or to `xraycap daemon`; AWS_XRAY_EMITTER
 * adds or replaces destinations: a JSON Lines file, the X-Ray API, an OpenTelemetry collector.
 *
 * Threads: every thread has its own current segment and stack of open subsegments. All
 * functions below may be called from any thread; they act on the calling thread's context
 * unless they take an entity. A segment pointer stays valid until the segment has been sent
 * (after xray_end_segment); a subsegment pointer until the subsegment ends: a long segment
 * sends finished subsegments ahead (streaming_threshold) and reuses their memory.
 *
 * Misuse (a subsegment without a segment, ending what was not begun, an annotation on NULL)
 * follows the context-missing strategy (AWS_XRAY_CONTEXT_MISSING): LOG_ERROR (the default:
 * a rate-limited log line), IGNORE_ERROR (silent) or RUNTIME_ERROR (log, then abort()).
 * No other error ever aborts the program, and no function here changes errno.
 *
 * Compiling tracing out: define XRAY_COMPILED_OUT (`make XRAY=0` does) and every macro
 * becomes plain code and every function an inline no-op, so no library is needed.
 */
#ifndef XRAY_CAPTURE_H
#define XRAY_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version: XRAYCAP_VERSION ("0.1.0"), XRAYCAP_VERSION_NUM (100) and its parts. */
#include <xray_capture/version.h>
#define XRAY_CAPTURE_VERSION XRAYCAP_VERSION /* the older name */

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* A segment or a subsegment. Opaque; obtained from xray_begin_* or xray_current_*. */
typedef struct xray_entity xray_entity;

/* cJSON's node type (from <cjson/cJSON.h>), for xray_put_metadata. */
struct cJSON;

/* What a function that can fail returns. xray_status_str() turns it into text. */
typedef enum xray_status {
    XRAY_OK = 0,
    XRAY_ERR_NO_CONTEXT,  /* no entity given, or no segment open on this thread */
    XRAY_ERR_INVALID,     /* a bad argument: key, name, value, JSON text, address */
    XRAY_ERR_LIMIT,       /* a limit was reached (annotations per entity, nesting depth) */
    XRAY_ERR_NO_MEMORY,   /* an allocation failed; nothing was recorded */
    XRAY_ERR_WRONG_KIND   /* the call needs a segment and got a subsegment, or the reverse */
} xray_status;


/* What happens on misuse when no segment is open (AWS_XRAY_CONTEXT_MISSING). */
typedef enum xray_context_missing {
    XRAY_CONTEXT_MISSING_DEFAULT = 0, /* take the environment, else LOG_ERROR */
    XRAY_CONTEXT_MISSING_LOG_ERROR,   /* log (at most about once a second) and go on */
    XRAY_CONTEXT_MISSING_RUNTIME_ERROR, /* log and abort(): for tests that must not miss */
    XRAY_CONTEXT_MISSING_IGNORE_ERROR /* say nothing */
} xray_context_missing;

/* Log levels, lowest first. */
typedef enum xray_log_level {
    XRAY_LOG_DEFAULT = 0, /* take the environment, else XRAY_LOG_WARN */
    XRAY_LOG_DEBUG,
    XRAY_LOG_INFO,
    XRAY_LOG_WARN,
    XRAY_LOG_ERROR,
    XRAY_LOG_OFF
} xray_log_level;

/* A tri-state switch: unset (take the environment) or explicitly on/off. */
typedef enum xray_switch { XRAY_SWITCH_DEFAULT = 0, XRAY_SWITCH_ON, XRAY_SWITCH_OFF } xray_switch;

/* Receives every log line of the runtime instead of stderr. `message` has no newline and is
 * valid only during the call. Called from whichever thread logs; must not call back into
 * xraycap. */
typedef void (*xray_log_fn)(xray_log_level level, const char *message, void *ctx);

/*
 * Recorder settings. Zero-initialise (XRAY_CONFIG_INIT) and set what you need: every field
 * left zero/NULL keeps the setting as it is (from an earlier call, the environment variable
 * named beside it, or the default). A value is spelled as in the variable: a count that can
 * be off is off at -1, in both.
 */
typedef struct xray_config {
    const char *daemon_address;           /* AWS_XRAY_DAEMON_ADDRESS: "host:port" or
                                             "tcp:host:port udp:host:port"; 127.0.0.1:2000 */
    const char *service_name;             /* AWS_XRAY_TRACING_NAME: segment name used when
                                             xray_begin_segment gets NULL or "" */
    xray_context_missing context_missing; /* AWS_XRAY_CONTEXT_MISSING */
    xray_switch enabled;                  /* AWS_XRAY_SDK_ENABLED (true/false); on */
    xray_log_level log_level;             /* XRAYCAP_LOG_LEVEL (debug|info|warn|error|off);
                                             AWS_XRAY_DEBUG_MODE=true means debug */
    xray_log_fn log_fn;                   /* where log lines go; NULL: stderr */
    void *log_ctx;                        /* passed to log_fn */
    const char *sampling_rules;           /* AWS_XRAY_SAMPLING_RULES: a rules file (version 1
                                             or 2); default: 1 per second, then 5% */
    xray_switch sampling;                 /* XRAYCAP_SAMPLING: OFF records every segment
                                             (incoming Sampled=0/1 is still obeyed); on */
    xray_switch sampling_remote;          /* XRAYCAP_SAMPLING_REMOTE: poll the daemon for
                                             centralized rules on a background thread; on */
    const char *emitters;                 /* AWS_XRAY_EMITTER: where documents go, one or
                                             more of (comma-separated)
                                               udp         the daemon (daemon_address)
                                               file:PATH   JSON Lines, one document a line
                                               xray-api    PutTraceSegments, SigV4-signed
                                               otlp[:URL]  OTLP/HTTP JSON to a collector
                                               none        nothing (counted as sent)
                                             udp */
    long streaming_threshold;             /* XRAYCAP_STREAMING_THRESHOLD: once a segment
                                             holds more subsegments than this, the finished
                                             ones are sent ahead as subsegment documents and
                                             their memory freed (the Python SDK's rule, 30
                                             there); -1 (the default): when what it holds
                                             would no longer fit one document */
    long max_subsegments;                 /* XRAYCAP_MAX_SUBSEGMENTS: subsegments recorded per
                                             segment; later ones are counted in the segment's
                                             metadata xraycap.dropped_subsegments; 10000 */
    long flush_timeout_ms;                /* XRAYCAP_FLUSH_TIMEOUT_MS: how long
                                             xray_recorder_shutdown() and process exit wait for
                                             the HTTP emitters to send what is queued; 2000 */
    long fold_after;                      /* XRAYCAP_FOLD_AFTER: after this many calls of the
                                             same captured function or block under the same
                                             parent in a segment, further calls are folded
                                             into one summary subsegment (count and
                                             durations in metadata.xraycap); 64; -1: never */
    long min_duration_us;                 /* XRAYCAP_MIN_DURATION_US: captured calls shorter
                                             than this are folded, not recorded; -1: off
                                             (the default) */
    const char *service_version;          /* XRAYCAP_SERVICE_VERSION: written as
                                             service.version on every segment; none */
    xray_switch keep_url_query;           /* XRAYCAP_KEEP_URL_QUERY: record http.request.url
                                             with its query string and fragment; off: they are
                                             cut, as the SDKs do (queries often carry tokens) */
    const char *propagators;              /* XRAYCAP_PROPAGATORS: the trace header formats
                                             outgoing calls carry, comma-separated, spelled
                                             as OpenTelemetry's OTEL_PROPAGATORS: "xray"
                                             (X-Amzn-Trace-Id), "tracecontext" (W3C
                                             traceparent and tracestate), or "none";
                                             "xray,tracecontext" */
    xray_switch downstream_traced;        /* XRAYCAP_DOWNSTREAM_TRACED: mark every traced
                                             libcurl call http.request.traced, telling the
                                             console that the callee sends its own segment and
                                             the trace should wait for it; off, as in the SDKs
                                             (an untraced callee would leave a gap) */
    xray_switch crash_flush;              /* XRAYCAP_CRASH_FLUSH: when the program dies of
                                             SIGSEGV, SIGBUS, SIGABRT or SIGFPE, send what the
                                             crashing thread's open segment holds, marked
                                             fault, to the daemon, then let the signal go on to
                                             the handler that was there before; off */
    const char *plugins;                  /* XRAYCAP_PLUGINS: the platforms to report, as the
                                             SDKs' plugins do: "ec2", "ecs", "eks",
                                             "elastic_beanstalk", comma-separated; detected
                                             once, off the caller's thread; none */
} xray_config;

/* Every field at its default. ({0} in C; C++ with -Wextra wants {}.) */
#ifdef __cplusplus
#define XRAY_CONFIG_INIT {}
#else
#define XRAY_CONFIG_INIT {0}
#endif

/*
 * A static record the compiler emits once per captured function or block. The enter hook
 * receives a pointer to it, so a call passes one pointer and nothing is formatted per call.
 * Its layout is part of the plugin ABI: do not reorder.
 */
typedef struct xray_site {
    const char *name;     /* subsegment name */
    const char *function; /* enclosing function */
    const char *file;
    unsigned line;
    unsigned flags;       /* reserved, 0 */
} xray_site;

/* The value the enter hook hands to the exit hook. 0 means "nothing was recorded". */
typedef unsigned long xray_token;

#ifndef XRAY_COMPILED_OUT

/* Returns a static English description of `status`. Never NULL. Thread-safe. */
const char *xray_status_str(xray_status status);

/* ---------------------------------------------------------------------------------------- */
/* Recorder                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/*
 * Applies `config` (NULL: the environment alone). Optional: without it the recorder reads the
 * environment at its first use. Call it at start-up, before other threads trace; settings
 * apply to segments begun afterwards. Returns XRAY_ERR_INVALID (and keeps the previous value
 * of that setting) for a daemon address it cannot parse, naming it in the log.
 */
xray_status xray_recorder_configure(const xray_config *config);

/*
 * Flushes everything that is queued for sending and releases the emitters: the file emitter
 * writes its buffer, the HTTP emitters (xray-api, otlp) send what they hold, waiting at most
 * flush_timeout_ms, then give up on the rest (counted in documents_dropped). Segments still
 * open are not sent. The recorder can be used again afterwards (it reopens the emitters).
 * Thread-safe. Process exit (exit() or returning from main) does the same by itself; _exit()
 * and fatal signals do not.
 */
void xray_recorder_shutdown(void);

/*
 * Ending a segment costs the same whatever its size: the finished tree is handed to the
 * recorder's emission thread, which writes and sends its documents. This waits until every
 * segment ended before the call has gone to the emitters (at most flush_timeout_ms); the
 * emitters stay open. Call it before _exit() (a forked child, say), which runs no exit
 * handler, or before reading what the file emitter wrote. Thread-safe.
 */
void xray_recorder_flush(void);

/*
 * Begins a segment on the calling thread and makes it current. `name` (NULL or "": the
 * service name, AWS_XRAY_TRACING_NAME, else the program's name) is copied, cleaned of the
 * characters X-Ray forbids (? ; * ( ) ! $ ~ ^ < >) with a warning, and cut to 200 characters.
 * Returns the segment, or NULL when the recorder is disabled or memory ran out. A segment
 * already open on this thread is ended first, with a warning.
 */
xray_entity *xray_begin_segment(const char *name);

/* The sampling decision for a new segment. */
typedef enum xray_sampling {
    XRAY_SAMPLING_DECIDE = 0,   /* the recorder decides: incoming header, then the sampling rules */
    XRAY_SAMPLING_SAMPLED,      /* record it, as for an incoming Sampled=1 */
    XRAY_SAMPLING_NOT_SAMPLED   /* record nothing, as for Sampled=0; ids still propagate */
} xray_sampling;

/* How to begin a segment, as the Python SDK's begin_segment(name, traceid, parent_id,
 * sampling). Zero-initialise: NULL/0 fields mean "new trace, no parent, recorder decides". */
typedef struct xray_segment_options {
    const char *trace_id;   /* "1-5759e988-bd862e3fe1be46a994272793" to continue a trace */
    const char *parent_id;  /* 16 hex digits: the id of the caller's subsegment */
    xray_sampling sampling;
    const char *host;       /* the request, matched against sampling rules; NULL matches all */
    const char *method;
    const char *path;
} xray_segment_options;

/*
 * As xray_begin_segment, with the options above. A malformed trace_id or parent_id is logged
 * and ignored (the segment starts a new trace, or has no parent); it never fails for them.
 */
xray_entity *xray_begin_segment_ex(const char *name, const xray_segment_options *options);

/*
 * Continues the trace of an incoming request: `header` is the value of its X-Amzn-Trace-Id
 * header ("Root=1-…;Parent=…;Sampled=1", other keys such as Lineage are kept and passed on)
 * or of its W3C traceparent header ("00-<32 hex>-<16 hex>-<flags>"). Sampled=1/0 is obeyed;
 * Sampled=?, no Sampled, or no header at all leaves the decision to the sampling rules. A
 * malformed header starts a new trace and logs why; it never fails for that.
 */
xray_entity *xray_begin_segment_from_header(const char *name, const char *header);

/* Returns the value of request header `name` (case-insensitive), or NULL. When the request has
 * the field more than once, return every value joined with ", " in the order received, as
 * HTTP defines a repeated field (RFC 9110, 5.3): two traceparent fields then make the value
 * invalid, as W3C Trace Context asks, and two tracestate fields make one list. Also asked for
 * the pseudo-header ":remote_addr", the peer's address, when X-Forwarded-For is absent. */
typedef const char *(*xray_header_lookup)(void *ctx, const char *name);

/*
 * The one call a C web server handler makes: begins a segment for an incoming HTTP request,
 * continuing its trace header (X-Amzn-Trace-Id, else traceparent, with its tracestate kept for
 * outgoing calls), deciding sampling from the rules with its Host, method and URL path, and
 * recording http.request (method, url, user_agent, client_ip, x_forwarded_for) as the SDKs'
 * middleware do. Finish with xray_put_http_response(segment, status, length) and
 * xray_end_segment().
 */
xray_entity *xray_begin_segment_from_http(const char *name, const char *method, const char *url,
                                          xray_header_lookup lookup, void *ctx);

/* Size that always holds what xray_trace_header writes. */
#define XRAY_TRACE_HEADER_MAX 512

/*
 * Writes the X-Amzn-Trace-Id value for a call made from `entity` (usually the subsegment for
 * that call): "Root=<trace>;Parent=<entity id>;Sampled=<1|0>" plus the incoming header's other
 * keys. xray_traceparent writes the W3C form ("00-<trace>-<entity id>-<flags>": the incoming
 * flags with the sampled bit set or cleared). In a segment that is not sampled nothing is
 * recorded, yet each call still needs a parent id of its own: each call of these functions
 * then writes a new random one (use xray_outgoing_headers to get one id in every format).
 * Return XRAY_ERR_LIMIT (and an empty string) when `len` is too small.
 */
xray_status xray_trace_header(const xray_entity *entity, char *buf, size_t len);
xray_status xray_traceparent(const xray_entity *entity, char *buf, size_t len);

#define XRAY_TRACEPARENT_MAX 56   /* "00-" 32 "-" 16 "-" 2, and the NUL */
#define XRAY_TRACESTATE_MAX 513   /* 512 characters, as W3C Trace Context asks to keep, and the NUL */

/* The header values for one outgoing call; "" for a header not to send. */
typedef struct xray_outgoing {
    char x_amzn_trace_id[XRAY_TRACE_HEADER_MAX]; /* "" when the xray propagator is off */
    char traceparent[XRAY_TRACEPARENT_MAX];      /* "" when the tracecontext propagator is off */
    char tracestate[XRAY_TRACESTATE_MAX];        /* the incoming tracestate, when there was one
                                                    and tracecontext is on; else "" */
} xray_outgoing;

/*
 * Fills `out` with the headers an outgoing call made from `entity` carries, in the formats
 * the propagators setting (XRAYCAP_PROPAGATORS: xray, tracecontext; both by default) asks
 * for, all with the same parent id: the entity's, or for a segment that is not sampled, a new
 * random one for this call. The incoming tracestate is passed on unchanged (xraycap adds no
 * entry of its own). Returns XRAY_ERR_NO_CONTEXT for a NULL entity (context-missing
 * strategy), XRAY_ERR_INVALID for a NULL out. Safe from any thread that may use `entity`.
 */
xray_status xray_outgoing_headers(const xray_entity *entity, xray_outgoing *out);

/*
 * Ends the calling thread's segment: subsegments still open on this thread are closed with it
 * (a warning says how many), then the segment document is serialized and sent. A document
 * larger than one datagram is split into subsegment documents; nothing is sent truncated.
 * Without an open segment: the context-missing strategy.
 */
void xray_end_segment(void);

/*
 * Begins a subsegment of the current entity (the innermost open subsegment, else the segment)
 * and makes it current. The name is copied and cleaned as for segments. Returns it, or NULL
 * when no segment is open (context-missing strategy), the recorder is disabled, the
 * nesting limit (256) is reached, or the segment has recorded max_subsegments already (counted
 * in its metadata, logged once when it ends). Inside a segment that is not sampled it returns a stand-in
 * on which every call is a cheap no-op; still pair it with xray_end_subsegment().
 */
xray_entity *xray_begin_subsegment(const char *name);

/*
 * Ends the current subsegment begun by xray_begin_subsegment. Ending when none is open, or
 * when the innermost one belongs to a captured function or block, follows the
 * context-missing strategy and changes nothing. When the segment holds more than
 * streaming_threshold subsegments, ending one (or leaving a captured function) sends the
 * finished ones ahead, on this thread, one subsegment document per finished subtree.
 */
void xray_end_subsegment(void);

/* The calling thread's segment, or NULL when none is open. Never logs. */
xray_entity *xray_current_segment(void);

/* The calling thread's innermost open subsegment, or NULL when none is open. Never logs. */
xray_entity *xray_current_subsegment(void);

/*
 * Handing work to other threads. On the thread that owns the context:
 *
 *     xray_entity *ctx = xray_context_get();          // innermost subsegment, else segment
 *     ... start a worker with ctx ...
 *
 * and in the worker:
 *
 *     xray_context_set(ctx);        // subsegments begun here now nest under ctx
 *     ... traced work ...
 *     xray_context_set(NULL);       // leave: closes what this thread left open there
 *
 * While a worker has the context set, the segment is not sent: it goes out when it has been
 * ended and every thread has left it (a thread that exits leaves automatically). A segment
 * whose context was handed out keeps its memory until it ends (streaming still sends ahead,
 * but frees nothing, since other threads may point into it): max_subsegments bounds it. Hand the
 * entity over before the owner ends the segment — join the workers first, as usual.
 * xray_context_get returns NULL without a segment. xray_context_set on a thread that has begun
 * a segment of its own follows the context-missing strategy and changes nothing.
 */
xray_entity *xray_context_get(void);
void xray_context_set(xray_entity *entity);

/* True when the calling thread has an open segment that is sampled (is being recorded). */
bool xray_is_sampled(void);

/* What the recorder has sent and dropped since the program started. */
typedef struct xray_stats {
    unsigned long long documents_sent;      /* documents delivered: datagrams handed to the
                                               network, lines written, documents an HTTP
                                               destination accepted (each emitter counts) */
    unsigned long long documents_dropped;   /* documents not delivered: too large, send or
                                               write failed, queue full, refused, retries
                                               used up, flush deadline passed */
    unsigned long long subsegments_dropped; /* subsegments not recorded (cap, nesting,
                                               memory) */
    unsigned long long send_errors;         /* failed sends and requests (no buffer space,
                                               no route, HTTP errors; retries count each) */
} xray_stats;

/* Fills `out` with the counters, after the segments ended before the call have been sent
 * (waiting at most flush_timeout_ms for the emission thread). Thread-safe. */
void xray_recorder_stats(xray_stats *out);

/* ---------------------------------------------------------------------------------------- */
/* Data on an entity. Each returns XRAY_OK, or an error with a logged warning; a NULL entity   */
/* follows the context-missing strategy and returns XRAY_ERR_NO_CONTEXT. On an entity of an    */
/* unsampled segment they do nothing and return XRAY_OK. Safe from any thread, but data for    */
/* one entity should come from one thread at a time.                                          */
/* ---------------------------------------------------------------------------------------- */

/*
 * Adds an indexed annotation (usable in X-Ray filter expressions). `key` must be 1–500 of
 * [A-Za-z0-9_]; other keys are rejected (XRAY_ERR_INVALID). String values are cut to 1000
 * characters; NaN and infinities are rejected. At most 50 annotations per entity
 * (XRAY_ERR_LIMIT). A key given twice keeps the last value.
 */
xray_status xray_put_annotation_string(xray_entity *entity, const char *key, const char *value);
xray_status xray_put_annotation_number(xray_entity *entity, const char *key, double value);
xray_status xray_put_annotation_bool(xray_entity *entity, const char *key, bool value);

/*
 * Adds metadata `key` = `value` in namespace `ns` (NULL: "default"). Takes ownership of
 * `value` in every case, error or not. Namespaces starting with "AWS." are reserved and
 * rejected. A key given twice in one namespace keeps the last value.
 */
xray_status xray_put_metadata(xray_entity *entity, const char *key, struct cJSON *value,
                              const char *ns);

/* As xray_put_metadata, with the value given as JSON text; text that does not parse as JSON
 * is rejected with XRAY_ERR_INVALID and a warning. */
xray_status xray_put_metadata_json(xray_entity *entity, const char *key, const char *json,
                                   const char *ns);

/* Set the entity's `error` (4xx-like), `fault` (5xx-like) or `throttle` flag. */
xray_status xray_add_error_flag(xray_entity *entity);
xray_status xray_add_fault_flag(xray_entity *entity);
xray_status xray_add_throttle_flag(xray_entity *entity);

/*
 * Records an exception in the entity's `cause` (type, message, remote, and the calling
 * thread's stack from backtrace(), symbolized where the symbols are visible) and sets
 * `fault`, as the Python SDK's add_exception does. `type` NULL means "error".
 */
xray_status xray_add_exception(xray_entity *entity, const char *type, const char *message,
                               bool remote);

/* Records `http.request.method` and `http.request.url`. */
xray_status xray_put_http_request(xray_entity *entity, const char *method, const char *url);

/*
 * Records `http.response.status` (100–599) and `http.response.content_length` (omitted when
 * negative), and sets the flags every X-Ray SDK derives from the status: 429 → throttle and
 * error, other 4xx → error, 5xx → fault.
 */
xray_status xray_put_http_response(xray_entity *entity, int status, long long content_length);

/* Sets the segment's `user`. Only segments have users: a subsegment gives XRAY_ERR_WRONG_KIND. */
xray_status xray_set_user(xray_entity *segment, const char *user);

/* Sets a subsegment's `namespace`: "aws" for AWS calls, "remote" for other downstream calls.
 * Other values are rejected (XRAY_ERR_INVALID). */
xray_status xray_set_namespace(xray_entity *subsegment, const char *ns);

/* ---------------------------------------------------------------------------------------- */
/* Hooks called by compiled code (the plugins and the macros below). Not for direct use.       */
/* ---------------------------------------------------------------------------------------- */

/* Opens a subsegment named site->name under the current entity; returns 0 when nothing was
 * recorded (no segment, not sampled, disabled). Costs a thread-local load and a branch then. */
xray_token __xraycap_enter(const xray_site *site);
/* Closes what __xraycap_enter opened (and anything opened inside it and left open). */
void __xraycap_exit(xray_token token);
/* As __xraycap_exit, for a frame left by a C++ exception: sets `fault` first. `exception` is
 * the in-flight exception object (the compiler's EH pointer), or NULL when not known. */
void __xraycap_exit_exception(xray_token token, void *exception);

static inline void __xraycap_scope_end(xray_token *token) { __xraycap_exit(*token); }

#define XRAY__SITE(name_)                                                                     \
    __extension__({                                                                           \
        static const xray_site xray__site_ = {(name_), __func__, __FILE__, __LINE__, 0};      \
        &xray__site_;                                                                         \
    })

#ifdef __cplusplus
} /* extern "C" */

/* C++ has no _Generic: overloads pick the annotation kind. */
static inline xray_status xray_put_annotation(xray_entity *e, const char *k, const char *v) {
    return xray_put_annotation_string(e, k, v);
}
static inline xray_status xray_put_annotation(xray_entity *e, const char *k, bool v) {
    return xray_put_annotation_bool(e, k, v);
}
static inline xray_status xray_put_annotation(xray_entity *e, const char *k, double v) {
    return xray_put_annotation_number(e, k, v);
}
static inline xray_status xray_put_annotation(xray_entity *e, const char *k, long long v) {
    return xray_put_annotation_number(e, k, (double)v);
}
static inline xray_status xray_put_annotation(xray_entity *e, const char *k, int v) {
    return xray_put_annotation_number(e, k, (double)v);
}
extern "C" {
#endif

#else /* XRAY_COMPILED_OUT: every call is an inline no-op and nothing needs linking. */

void cJSON_Delete(struct cJSON *item); /* metadata ownership is still taken */

static inline const char *xray_status_str(xray_status s) { (void)s; return "tracing compiled out"; }
static inline xray_status xray_recorder_configure(const xray_config *c) { (void)c; return XRAY_OK; }
static inline void xray_recorder_shutdown(void) {}
static inline void xray_recorder_flush(void) {}
static inline xray_entity *xray_begin_segment(const char *n) { (void)n; return NULL; }
typedef enum xray_sampling { XRAY_SAMPLING_DECIDE = 0, XRAY_SAMPLING_SAMPLED, XRAY_SAMPLING_NOT_SAMPLED } xray_sampling;
typedef struct xray_segment_options { const char *trace_id, *parent_id; xray_sampling sampling; const char *host, *method, *path; } xray_segment_options;
typedef const char *(*xray_header_lookup)(void *ctx, const char *name);
static inline xray_entity *xray_begin_segment_from_header(const char *n, const char *h) { (void)n; (void)h; return NULL; }
static inline xray_entity *xray_begin_segment_from_http(const char *n, const char *m, const char *u, xray_header_lookup l, void *c) { (void)n; (void)m; (void)u; (void)l; (void)c; return NULL; }
static inline xray_status xray_trace_header(const xray_entity *e, char *b, size_t n) { (void)e; if (b && n) b[0] = '\0'; return XRAY_OK; }
static inline xray_status xray_traceparent(const xray_entity *e, char *b, size_t n) { (void)e; if (b && n) b[0] = '\0'; return XRAY_OK; }
#define XRAY_TRACE_HEADER_MAX 512
#define XRAY_TRACEPARENT_MAX 56
#define XRAY_TRACESTATE_MAX 513
typedef struct xray_outgoing { char x_amzn_trace_id[XRAY_TRACE_HEADER_MAX]; char traceparent[XRAY_TRACEPARENT_MAX]; char tracestate[XRAY_TRACESTATE_MAX]; } xray_outgoing;
static inline xray_status xray_outgoing_headers(const xray_entity *e, xray_outgoing *o) { (void)e; if (o) o->x_amzn_trace_id[0] = o->traceparent[0] = o->tracestate[0] = '\0'; return XRAY_OK; }
static inline xray_entity *xray_begin_segment_ex(const char *n, const xray_segment_options *o) { (void)n; (void)o; return NULL; }
static inline void xray_end_segment(void) {}
static inline xray_entity *xray_begin_subsegment(const char *n) { (void)n; return NULL; }
static inline void xray_end_subsegment(void) {}
static inline xray_entity *xray_current_segment(void) { return NULL; }
static inline xray_entity *xray_current_subsegment(void) { return NULL; }
static inline bool xray_is_sampled(void) { return false; }
static inline xray_entity *xray_context_get(void) { return NULL; }
static inline void xray_context_set(xray_entity *e) { (void)e; }
typedef struct xray_stats {
    unsigned long long documents_sent, documents_dropped, subsegments_dropped, send_errors;
} xray_stats;
static inline void xray_recorder_stats(xray_stats *o) { o->documents_sent = o->documents_dropped = o->subsegments_dropped = o->send_errors = 0; }
static inline xray_status xray_put_annotation_string(xray_entity *e, const char *k, const char *v) { (void)e; (void)k; (void)v; return XRAY_OK; }
static inline xray_status xray_put_annotation_number(xray_entity *e, const char *k, double v) { (void)e; (void)k; (void)v; return XRAY_OK; }
static inline xray_status xray_put_annotation_bool(xray_entity *e, const char *k, bool v) { (void)e; (void)k; (void)v; return XRAY_OK; }
static inline xray_status xray_put_metadata(xray_entity *e, const char *k, struct cJSON *v, const char *ns) { (void)e; (void)k; (void)ns; if (v) cJSON_Delete(v); return XRAY_OK; }
static inline xray_status xray_put_metadata_json(xray_entity *e, const char *k, const char *j, const char *ns) { (void)e; (void)k; (void)j; (void)ns; return XRAY_OK; }
static inline xray_status xray_add_error_flag(xray_entity *e) { (void)e; return XRAY_OK; }
static inline xray_status xray_add_fault_flag(xray_entity *e) { (void)e; return XRAY_OK; }
static inline xray_status xray_add_throttle_flag(xray_entity *e) { (void)e; return XRAY_OK; }
static inline xray_status xray_add_exception(xray_entity *e, const char *t, const char *m, bool r) { (void)e; (void)t; (void)m; (void)r; return XRAY_OK; }
static inline xray_status xray_put_http_request(xray_entity *e, const char *m, const char *u) { (void)e; (void)m; (void)u; return XRAY_OK; }
static inline xray_status xray_put_http_response(xray_entity *e, int s, long long l) { (void)e; (void)s; (void)l; return XRAY_OK; }
static inline xray_status xray_set_user(xray_entity *e, const char *u) { (void)e; (void)u; return XRAY_OK; }
static inline xray_status xray_set_namespace(xray_entity *e, const char *n) { (void)e; (void)n; return XRAY_OK; }
#ifdef __cplusplus
} /* extern "C" */
template <typename T>
static inline xray_status xray_put_annotation(xray_entity *e, const char *k, T v) {
    (void)e; (void)k; (void)v; return XRAY_OK;
}
extern "C" {
#endif

#endif /* XRAY_COMPILED_OUT */

#ifndef __cplusplus
/*
 * xray_put_annotation(entity, key, value) picks the kind from the value's type: a string,
 * a bool (a `bool` variable or `(bool)1`; note that in C `true` is an int), or a number.
 * (C++ has overloads of the same name, above.)
 */
#define xray_put_annotation(entity, key, value)                                               \
    _Generic((value),                                                                         \
        char *: xray_put_annotation_string,                                                   \
        const char *: xray_put_annotation_string,                                             \
        _Bool: xray_put_annotation_bool,                                                      \
        default: xray_put_annotation_number)((entity), (key), (value))
#endif

/* ---------------------------------------------------------------------------------------- */
/* Capture macros                                                                             */
/* ---------------------------------------------------------------------------------------- */

#define XRAY__CAT2(a, b) a##b
#define XRAY__CAT(a, b) XRAY__CAT2(a, b)
#define XRAY__UNIQ(prefix) XRAY__CAT(prefix, __COUNTER__)

/*
 * XRAY_CAPTURE("name") / XRAY_CAPTURE(): put before a function's declaration or definition;
 * each call of the function becomes a subsegment named "name" (or the function's name). Needs
 * the xraycap compiler plugin, which defines __XRAYCAP__; without it this expands to nothing.
 * The name must be a string literal.
 */
#if defined(__XRAYCAP__) && !defined(XRAY_COMPILED_OUT)
#define XRAY_CAPTURE(...) __attribute__((xray_capture(__VA_ARGS__)))
#else
#define XRAY_CAPTURE(...)
#endif

/*
 * XRAY_CAPTURE_BLOCK("name") { ... }  traces the block as a subsegment. It is a one-shot
 * statement (a loop that runs once), so the subsegment closes on every way out: falling off
 * the end, return, goto, break. Because it is a loop, `break` and `continue` written directly
 * inside it leave this block, not an enclosing loop or switch. It is the same one-shot loop
 * when tracing is compiled out, so turning tracing on or off never changes control flow.
 * The name must be a string literal.
 *
 * XRAY_CAPTURE_SCOPE("name");  is a declaration: it traces from that point to the end of the
 * enclosing scope and is transparent to break and continue.
 */
#ifndef XRAY_COMPILED_OUT
#define XRAY_CAPTURE_BLOCK(name) XRAY__BLOCK(name, XRAY__UNIQ(xray__blk_), XRAY__UNIQ(xray__once_))
#define XRAY__BLOCK(name, tok, once)                                                          \
    for (xray_token tok __attribute__((cleanup(__xraycap_scope_end))) =                       \
             __xraycap_enter(XRAY__SITE(name)),                                               \
         *once = &tok;                                                                        \
         once; once = 0)
#define XRAY_CAPTURE_SCOPE(name)                                                              \
    xray_token XRAY__UNIQ(xray__scope_) __attribute__((cleanup(__xraycap_scope_end), unused)) = \
        __xraycap_enter(XRAY__SITE(name))
#else
#define XRAY_CAPTURE_BLOCK(name) XRAY__BLOCK_OFF(name, XRAY__UNIQ(xray__once_))
#define XRAY__BLOCK_OFF(name, once) for (int once = ((void)(name), 1); once; once = 0)
#ifdef __cplusplus
#define XRAY_CAPTURE_SCOPE(name) static_assert(sizeof(name) > 0, "XRAY_CAPTURE_SCOPE")
#else
#define XRAY_CAPTURE_SCOPE(name) _Static_assert(sizeof(name) > 0, "XRAY_CAPTURE_SCOPE")
#endif
#endif

#ifdef __cplusplus
}
#endif

#endif /* XRAY_CAPTURE_H */
