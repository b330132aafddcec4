/* config.c — settings from the environment (read once, the way uftrace reads its variables at
 * start-up) and from xray_recorder_configure(). */
#include "base/config.h"
#include "base/log.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_DAEMON "127.0.0.1:2000"

xrc_config xrc_cfg;                          /* written once by xrc_config_read, then by
                                                xray_recorder_configure (lifecycle.c), and its
                                                `emit` by xrc_emit_configure (emit.c) */
static pthread_once_t init_once = PTHREAD_ONCE_INIT; /* xrc_config_read runs once */

static bool resolve(const char *hostport, xrc_addr *out)
{
    char host[128], port[16];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port)
        return false;
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof host)
        return false;
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') { /* [::1]:2000 */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    strcpy(port, colon + 1);
    for (const char *p = port; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    long pn = strtol(port, NULL, 10);
    if (pn < 1 || pn > 65535)
        return false;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return false;
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    snprintf(out->text, sizeof out->text, "%s", hostport);
    freeaddrinfo(res);
    return true;
}

xray_status xrc_parse_daemon_address(const char *text, xrc_addr *udp, xrc_addr *tcp)
{
    xrc_addr u, t;
    char copy[400];
    if (!text || strlen(text) >= sizeof copy)
        return XRAY_ERR_INVALID;
    strcpy(copy, text);
    char *save = NULL, *tok1 = strtok_r(copy, " \t", &save), *tok2 = strtok_r(NULL, " \t", &save);
    if (!tok1 || strtok_r(NULL, " \t", &save))
        return XRAY_ERR_INVALID;
    if (!tok2) {
        if (!strncmp(tok1, "tcp:", 4) || !strncmp(tok1, "udp:", 4) || !resolve(tok1, &u))
            return XRAY_ERR_INVALID;
        t = u;
    } else {
        bool have_u = false, have_t = false;
        const char *toks[2] = {tok1, tok2};
        for (int i = 0; i < 2; i++) {
            if (!strncmp(toks[i], "udp:", 4) && !have_u)
                have_u = resolve(toks[i] + 4, &u);
            else if (!strncmp(toks[i], "tcp:", 4) && !have_t)
                have_t = resolve(toks[i] + 4, &t);
            else
                return XRAY_ERR_INVALID;
        }
        if (!have_u || !have_t)
            return XRAY_ERR_INVALID;
    }
    *udp = u;
    *tcp = t;
    return XRAY_OK;
}

#define DEFAULT_OTLP "http://localhost:4318/v1/traces"

/* "otlp" alone: the OpenTelemetry variables, as OTel SDKs read them. */
static void otlp_from_environment(char *out, size_t n)
{
    const char *v = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    if (v && *v) {
        snprintf(out, n, "%s", v);
        return;
    }
    v = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (v && *v) {
        size_t l = strlen(v);
        snprintf(out, n, "%.*s/v1/traces", (int)(l && v[l - 1] == '/' ? l - 1 : l), v);
        return;
    }
    snprintf(out, n, "%s", DEFAULT_OTLP);
}

/* An http(s) URL with a host, and no white space or control character (which would end up in
 * an HTTP request line). */
static bool http_url(const char *u)
{
    for (const unsigned char *c = (const unsigned char *)u; *c; c++)
        if (*c <= ' ' || *c == 0x7f)
            return false;
    return (!strncmp(u, "http://", 7) && u[7]) || (!strncmp(u, "https://", 8) && u[8]);
}

xray_status xrc_parse_emitters(const char *text, xrc_emitters *out, char *why, size_t whylen)
{
    xrc_emitters e;
    char copy[2400];
    bool none = false;
    memset(&e, 0, sizeof e);
    if (!text || strlen(text) >= sizeof copy) {
        snprintf(why, whylen, "the list is missing or longer than %zu characters", sizeof copy - 1);
        return XRAY_ERR_INVALID;
    }
    strcpy(copy, text);
    int count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        count++;
        if (!strcmp(tok, "udp")) {
            e.udp = true;
        } else if (!strcmp(tok, "none")) {
            none = true;
        } else if (!strcmp(tok, "xray-api")) {
            e.xray_api = true;
        } else if (!strncmp(tok, "file:", 5)) {
            if (!tok[5] || strlen(tok + 5) >= sizeof e.file) {
                snprintf(why, whylen, "'%.100s' needs a path after file: (shorter than %zu)",
                         tok, sizeof e.file);
                return XRAY_ERR_INVALID;
            }
            if (e.file[0]) {
                snprintf(why, whylen, "more than one file: emitter");
                return XRAY_ERR_INVALID;
            }
            strcpy(e.file, tok + 5);
        } else if (!strcmp(tok, "otlp") || !strncmp(tok, "otlp:", 5)) {
            if (e.otlp[0]) {
                snprintf(why, whylen, "more than one otlp emitter");
                return XRAY_ERR_INVALID;
            }
            if (!tok[4]) {
                otlp_from_environment(e.otlp, sizeof e.otlp);
                if (!http_url(e.otlp) || strpbrk(e.otlp, " \r\n\t")) {
                    snprintf(why, whylen, "otlp: the endpoint from OTEL_EXPORTER_OTLP_"
                                          "(TRACES_)ENDPOINT, '%.100s', is not an http:// or "
                                          "https:// URL", e.otlp);
                    return XRAY_ERR_INVALID;
                }
            } else if (!http_url(tok + 5) || strlen(tok + 5) >= sizeof e.otlp) {
                snprintf(why, whylen, "'%.100s': the OTLP endpoint must be an http:// or "
                                      "https:// URL", tok);
                return XRAY_ERR_INVALID;
            } else {
                strcpy(e.otlp, tok + 5);
            }
            /* An endpoint without a path means the collector's standard one. */
            const char *path = strchr(strstr(e.otlp, "://") + 3, '/');
            if ((!path || !strcmp(path, "/")) && strlen(e.otlp) + 11 < sizeof e.otlp) {
                if (path)
                    e.otlp[strlen(e.otlp) - 1] = '\0';
                strcat(e.otlp, "/v1/traces");
            }
        } else {
            snprintf(why, whylen, "'%.100s' is not an emitter (udp, file:PATH, xray-api, "
                                  "otlp[:URL], none)", tok);
            return XRAY_ERR_INVALID;
        }
    }
    if (!count) {
        snprintf(why, whylen, "the list is empty (use none to send nothing)");
        return XRAY_ERR_INVALID;
    }
    if (none && count > 1) {
        snprintf(why, whylen, "none cannot be combined with other emitters");
        return XRAY_ERR_INVALID;
    }
    *out = e;
    return XRAY_OK;
}

/* A count setting from the environment: digits only, within [min, max]. */
static bool env_count(const char *name, const char *v, size_t min, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end || errno || n < min || n > max) {
        xrc_log(XRAY_LOG_WARN, "%s=%.40s is not a whole number from %zu to %zu; keeping %zu",
                name, v, min, max, *out);
        return false;
    }
    *out = (size_t)n;
    return true;
}

static bool env_true(const char *v) { return !strcasecmp(v, "true") || !strcmp(v, "1"); }
static bool env_false(const char *v) { return !strcasecmp(v, "false") || !strcmp(v, "0"); }

/* A true/false variable; anything else is reported and leaves *out alone. */
static void env_switch(const char *name, bool *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return;
    if (env_true(v))
        *out = true;
    else if (env_false(v))
        *out = false;
    else
        xrc_log(XRAY_LOG_WARN, "%s=%.40s is neither true nor false; keeping %s", name, v,
                *out ? "true" : "false");
}

xray_status xrc_parse_propagators(const char *text, bool *xray, bool *w3c, char *why, size_t whylen)
{
    bool x = false, w = false, none = false, any = false;
    char copy[256];
    if (strlen(text) >= sizeof copy) {
        snprintf(why, whylen, "longer than %zu characters", sizeof copy - 1);
        return XRAY_ERR_INVALID;
    }
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        any = true;
        if (!strcmp(t, "xray"))
            x = true;
        else if (!strcmp(t, "tracecontext"))
            w = true;
        else if (!strcmp(t, "none"))
            none = true;
        else {
            snprintf(why, whylen, "'%.40s' is not xray, tracecontext or none", t);
            return XRAY_ERR_INVALID;
        }
    }
    if (!any || (none && (x || w))) {
        snprintf(why, whylen, !any ? "it is empty" : "none goes alone");
        return XRAY_ERR_INVALID;
    }
    *xray = x;
    *w3c = w;
    return XRAY_OK;
}

static xray_context_missing parse_context_missing(const char *v)
{
    if (!strcasecmp(v, "LOG_ERROR")) return XRAY_CONTEXT_MISSING_LOG_ERROR;
    if (!strcasecmp(v, "RUNTIME_ERROR")) return XRAY_CONTEXT_MISSING_RUNTIME_ERROR;
    if (!strcasecmp(v, "IGNORE_ERROR")) return XRAY_CONTEXT_MISSING_IGNORE_ERROR;
    return XRAY_CONTEXT_MISSING_DEFAULT;
}

static xray_log_level parse_log_level(const char *v)
{
    static const char *names[] = {"", "debug", "info", "warn", "error", "off"};
    for (int i = 1; i < 6; i++)
        if (!strcasecmp(v, names[i]))
            return (xray_log_level)i;
    if (!strcasecmp(v, "warning"))
        return XRAY_LOG_WARN;
    return XRAY_LOG_DEFAULT;
}

static void default_service_name(char *out, size_t n)
{
    extern char *program_invocation_short_name;
    snprintf(out, n, "%s", program_invocation_short_name && *program_invocation_short_name
                               ? program_invocation_short_name : "xraycap");
}

void xrc_config_read(void)
{
    int saved = errno;
    const char *v;
    xrc_cfg.enabled = true;
    xrc_cfg.sampling = true;
    xrc_cfg.sampling_remote = true;
    xrc_cfg.lambda = (v = getenv("LAMBDA_TASK_ROOT")) && *v;
    xrc_cfg.context_missing = XRAY_CONTEXT_MISSING_LOG_ERROR;
    default_service_name(xrc_cfg.service_name, sizeof xrc_cfg.service_name);
    xrc_parse_daemon_address(DEFAULT_DAEMON, &xrc_cfg.udp, &xrc_cfg.tcp);
    xrc_cfg.streaming_threshold = XRC_DEFAULT_STREAMING_THRESHOLD;
    xrc_cfg.max_subsegments = XRC_DEFAULT_MAX_SUBSEGMENTS;
    xrc_cfg.fold_after = XRC_DEFAULT_FOLD_AFTER;
    xrc_cfg.emit.udp = true;
    xrc_cfg.flush_timeout_ms = 2000;

    if ((v = getenv("XRAYCAP_LOG_LEVEL")) && *v) {
        xray_log_level l = parse_log_level(v);
        if (l == XRAY_LOG_DEFAULT)
            xrc_log(XRAY_LOG_WARN, "XRAYCAP_LOG_LEVEL=%.40s is not one of debug, info, warn, "
                                   "error, off; keeping warn", v);
        xrc_log_configure(l, NULL, NULL);
    }
    if ((v = getenv("AWS_XRAY_DEBUG_MODE")) && env_true(v))
        xrc_log_configure(XRAY_LOG_DEBUG, NULL, NULL);
    env_switch("AWS_XRAY_SDK_ENABLED", &xrc_cfg.enabled);
    if ((v = getenv("AWS_XRAY_CONTEXT_MISSING")) && *v) {
        xray_context_missing cm = parse_context_missing(v);
        if (cm == XRAY_CONTEXT_MISSING_DEFAULT)
            xrc_log(XRAY_LOG_WARN, "AWS_XRAY_CONTEXT_MISSING=%.40s is not LOG_ERROR, "
                                   "RUNTIME_ERROR or IGNORE_ERROR; using LOG_ERROR", v);
        else
            xrc_cfg.context_missing = cm;
    }
    env_switch("XRAYCAP_SAMPLING", &xrc_cfg.sampling);
    env_switch("XRAYCAP_SAMPLING_REMOTE", &xrc_cfg.sampling_remote);
    if ((v = getenv("AWS_XRAY_SAMPLING_RULES")) && *v)
        snprintf(xrc_cfg.sampling_rules, sizeof xrc_cfg.sampling_rules, "%s", v);
    if ((v = getenv("AWS_XRAY_TRACING_NAME")) && *v)
        snprintf(xrc_cfg.service_name, sizeof xrc_cfg.service_name, "%s", v);
    if ((v = getenv("AWS_XRAY_DAEMON_ADDRESS")) && *v &&
        xrc_parse_daemon_address(v, &xrc_cfg.udp, &xrc_cfg.tcp) != XRAY_OK)
        xrc_log(XRAY_LOG_ERROR, "AWS_XRAY_DAEMON_ADDRESS=%.100s is not host:port or "
                                "'tcp:host:port udp:host:port'; using " DEFAULT_DAEMON, v);
    if ((v = getenv("XRAYCAP_STREAMING_THRESHOLD")) && *v)
        env_count("XRAYCAP_STREAMING_THRESHOLD", v, 0, XRC_MAX_COUNT, &xrc_cfg.streaming_threshold);
    if ((v = getenv("XRAYCAP_FOLD_AFTER")) && *v)
        env_count("XRAYCAP_FOLD_AFTER", v, 0, XRC_MAX_COUNT, &xrc_cfg.fold_after);
    if ((v = getenv("XRAYCAP_MIN_DURATION_US")) && *v)
        env_count("XRAYCAP_MIN_DURATION_US", v, 0, 60000000, &xrc_cfg.min_duration_us);
    if ((v = getenv("XRAYCAP_MAX_SUBSEGMENTS")) && *v)
        env_count("XRAYCAP_MAX_SUBSEGMENTS", v, 1, XRC_MAX_COUNT, &xrc_cfg.max_subsegments);
    if ((v = getenv("XRAYCAP_FLUSH_TIMEOUT_MS")) && *v)
        env_count("XRAYCAP_FLUSH_TIMEOUT_MS", v, 0, 600000, &xrc_cfg.flush_timeout_ms);
    if ((v = getenv("XRAYCAP_SERVICE_VERSION")) && *v)
        xrc_cfg_set_version(v);
    env_switch("XRAYCAP_KEEP_URL_QUERY", &xrc_cfg.keep_url_query);
    xrc_cfg.propagate_xray = xrc_cfg.propagate_w3c = true;
    if ((v = getenv("XRAYCAP_PROPAGATORS")) && *v) {
        char why[200];
        if (xrc_parse_propagators(v, &xrc_cfg.propagate_xray, &xrc_cfg.propagate_w3c, why,
                                  sizeof why) != XRAY_OK)
            xrc_log(XRAY_LOG_ERROR, "XRAYCAP_PROPAGATORS=%.100s: %s; sending both "
                                    "X-Amzn-Trace-Id and traceparent", v, why);
    }
    env_switch("XRAYCAP_DOWNSTREAM_TRACED", &xrc_cfg.downstream_traced);
    env_switch("XRAYCAP_CRASH_FLUSH", &xrc_cfg.crash_flush);
    if ((v = getenv("AWS_XRAY_EMITTER")) && *v) {
        char why[200];
        if (xrc_parse_emitters(v, &xrc_cfg.emit, why, sizeof why) != XRAY_OK)
            xrc_log(XRAY_LOG_ERROR, "AWS_XRAY_EMITTER=%.200s: %s; sending to the daemon (udp)",
                    v, why);
    }
    errno = saved;
}

void xrc_init(void) { pthread_once(&init_once, xrc_config_read); }


/* Every value service_version has had, kept for the segments that point to one. */
typedef struct version_text {
    struct version_text *next;
    char text[];
} version_text;
static version_text *versions;

void xrc_cfg_set_version(const char *v)
{
    /* Configured once or twice in a program's life: older values are few and small. */
    size_t n = v ? strnlen(v, 250) : 0;
    version_text *t = n ? malloc(sizeof *t + n + 1) : NULL;
    if (t) {
        memcpy(t->text, v, n);
        t->text[n] = '\0';
        t->next = versions;
        versions = t;
    }
    xrc_cfg.service_version = t ? t->text : NULL;
}
