/* config.c — the settings' values (xrc_cfg), read once at first use (xrc_init), and the
 * parsers of the values that are more than a word or a number: the daemon address, the emitter
 * and propagator lists. The list of settings and the reading of each: settings.c. */
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

xrc_config xrc_cfg;                          /* written by xrc_config_read (settings.c) once,
                                                then by xray_recorder_configure (lifecycle.c);
                                                its `emit` by xrc_emit_configure (emit.c) */
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
            if (!strcmp(tok, "otlp:xray")) {
                /* X-Ray's OTLP endpoint in the AWS region: the emitter makes the URL */
                snprintf(e.otlp, sizeof e.otlp, "xray");
                continue;
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

xray_context_missing xrc_parse_context_missing(const char *v)
{
    if (!strcasecmp(v, "LOG_ERROR")) return XRAY_CONTEXT_MISSING_LOG_ERROR;
    if (!strcasecmp(v, "RUNTIME_ERROR")) return XRAY_CONTEXT_MISSING_RUNTIME_ERROR;
    if (!strcasecmp(v, "IGNORE_ERROR")) return XRAY_CONTEXT_MISSING_IGNORE_ERROR;
    return XRAY_CONTEXT_MISSING_DEFAULT;
}

xray_log_level xrc_parse_log_level(const char *v)
{
    static const char *names[] = {"", "debug", "info", "warn", "error", "off"};
    for (int i = 1; i < 6; i++)
        if (!strcasecmp(v, names[i]))
            return (xray_log_level)i;
    if (!strcasecmp(v, "warning"))
        return XRAY_LOG_WARN;
    return XRAY_LOG_DEFAULT;
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
