/* trace_header.c — incoming and outgoing trace headers. Incoming text is hostile until proven
 * otherwise: every field is checked, and anything malformed means a new trace (the caller
 * logs why), never a crash or a half-parsed context. */
#include "core/trace_header.h"
#include "core/context.h"
#include "base/config.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool parse_amzn(const char *t, xrc_trace_header *out, const char **why)
{
    char copy[XRC_HEADER_MAX + 1];
    bool seen_root = false, seen_parent = false, seen_sampled = false;
    snprintf(copy, sizeof copy, "%s", t);
    char *save = NULL;
    for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        while (*part == ' ' || *part == '\t')
            part++;
        size_t len = strlen(part);
        while (len && (part[len - 1] == ' ' || part[len - 1] == '\t'))
            part[--len] = '\0';
        if (!len)
            continue;
        char *eq = strchr(part, '=');
        if (!eq || eq == part)
            return *why = "a part has no Key=Value form", false;
        *eq = '\0';
        const char *key = part, *value = eq + 1;
        if (!strcmp(key, "Root")) {
            if (seen_root)
                return *why = "Root is given twice", false;
            seen_root = true;
            if (!xrc_trace_id_valid(value))
                return *why = "Root is not 1-<8 hex>-<24 hex>", false;
            memcpy(out->root, value, XRC_TRACE_ID_LEN + 1);
        } else if (!strcmp(key, "Parent")) {
            if (seen_parent)
                return *why = "Parent is given twice", false;
            seen_parent = true;
            uint64_t parent;
            if (!xrc_entity_id_parse(value, &parent))
                return *why = "Parent is not 16 lower-case hex digits", false;
            memcpy(out->parent, value, 17);
        } else if (!strcmp(key, "Sampled")) {
            if (seen_sampled)
                return *why = "Sampled is given twice", false;
            seen_sampled = true;
            if (!strcmp(value, "1"))
                out->sampled = XRC_SAMPLED_YES;
            else if (!strcmp(value, "0"))
                out->sampled = XRC_SAMPLED_NO;
            else if (!strcmp(value, "?"))
                out->sampled = XRC_SAMPLED_UNKNOWN;
            else
                return *why = "Sampled is not 1, 0 or ?", false;
        } else if (strcmp(key, "Self")) { /* Self is the load balancer's own; not passed on */
            for (const char *c = key; *c; c++)
                if (*c <= ' ' || *c == 0x7f || *c == ',')
                    return *why = "a key has a space or control character", false;
            for (const char *c = value; *c; c++)
                if (*c < ' ' || *c == 0x7f)
                    return *why = "a value has a control character", false;
            size_t used = strlen(out->extra), need = strlen(key) + 1 + strlen(value) + (used ? 1 : 0);
            if (used + need < sizeof out->extra)
                snprintf(out->extra + used, sizeof out->extra - used, "%s%s=%s", used ? ";" : "", key, value);
            else
                xrc_log(XRAY_LOG_DEBUG, "trace header: '%s' dropped, other keys are limited to %d "
                                        "bytes", key, XRC_HEADER_EXTRA_MAX);
        }
    }
    if (!seen_root && !seen_parent && !seen_sampled && !out->extra[0])
        return *why = "it is empty", false;
    if (!seen_root)
        out->parent[0] = '\0'; /* a parent without its trace means nothing */
    return true;
}

/* A traceparent starts (after optional white space) with 2 hex digits and '-', and has no '='. */
static bool looks_like_traceparent(const char *t)
{
    while (*t == ' ' || *t == '\t')
        t++;
    return t[0] && t[1] && t[2] == '-' && !strchr(t, '=');
}

bool xrc_trace_header_parse(const char *text, xrc_trace_header *out, const char **why)
{
    memset(out, 0, sizeof *out);
    out->sampled = XRC_SAMPLED_UNKNOWN;
    *why = NULL;
    bool ok;
    if (!text)
        ok = (*why = "there is none", false);
    else if (strlen(text) > XRC_HEADER_MAX)
        ok = (*why = "it is longer than 2048 characters", false);
    else if (looks_like_traceparent(text))
        ok = xrc_traceparent_parse(text, out, why);
    else
        ok = parse_amzn(text, out, why);
    if (!ok) {
        memset(out, 0, sizeof *out);
        out->sampled = XRC_SAMPLED_UNKNOWN;
    }
    return ok;
}

/* ---- outgoing ---------------------------------------------------------------------- */

static bool entity_ok(const xray_entity *e, const char *what)
{
    if (e)
        return true;
    char msg[120];
    snprintf(msg, sizeof msg, "%s: no entity (NULL); is a segment open?", what);
    xrc_context_missing(msg);
    return false;
}

uint64_t xrc_outgoing_id(const xray_entity *e)
{
    return e->seg->sampled ? e->id : xrc_rand64();
}

/* The X-Amzn-Trace-Id value; returns as snprintf. */
static int amzn_write(char *buf, size_t len, const xrc_segment *s, uint64_t id)
{
    char hex[17];
    xrc_hex16(hex, id);
    hex[16] = '\0';
    return snprintf(buf, len, "Root=%s;Parent=%s;Sampled=%d%s%s", s->trace_id, hex,
                    s->sampled ? 1 : 0, s->header_extra ? ";" : "",
                    s->header_extra ? s->header_extra : "");
}

void xrc_outgoing_write(const xrc_segment *s, uint64_t id, xray_outgoing *out)
{
    out->x_amzn_trace_id[0] = out->traceparent[0] = out->tracestate[0] = '\0';
    int n;
    if (xrc_cfg.propagate_xray) {
        n = amzn_write(out->x_amzn_trace_id, sizeof out->x_amzn_trace_id, s, id);
        if (n < 0 || (size_t)n >= sizeof out->x_amzn_trace_id)
            out->x_amzn_trace_id[0] = '\0';
    }
    if (xrc_cfg.propagate_w3c) {
        xrc_traceparent_write(out->traceparent, sizeof out->traceparent, s, id);
        if (s->tracestate)
            snprintf(out->tracestate, sizeof out->tracestate, "%s", s->tracestate);
    }
}

xray_status xray_outgoing_headers(const xray_entity *e, xray_outgoing *out)
{
    if (!out)
        return XRAY_ERR_INVALID;
    out->x_amzn_trace_id[0] = out->traceparent[0] = out->tracestate[0] = '\0';
    if (!entity_ok(e, "xray_outgoing_headers"))
        return XRAY_ERR_NO_CONTEXT;
    xrc_init();
    xrc_outgoing_write(e->seg, xrc_outgoing_id(e), out);
    return XRAY_OK;
}

/* Writes one header with `fn`; an empty string and XRAY_ERR_LIMIT when it does not fit. */
static xray_status write_one(const xray_entity *e, char *buf, size_t len, const char *what,
                             int (*fn)(char *, size_t, const xrc_segment *, uint64_t))
{
    if (!buf || !len)
        return XRAY_ERR_INVALID;
    buf[0] = '\0';
    if (!entity_ok(e, what))
        return XRAY_ERR_NO_CONTEXT;
    int n = fn(buf, len, e->seg, xrc_outgoing_id(e));
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return XRAY_ERR_LIMIT;
    }
    return XRAY_OK;
}

xray_status xray_trace_header(const xray_entity *e, char *buf, size_t len)
{
    return write_one(e, buf, len, "xray_trace_header", amzn_write);
}

xray_status xray_traceparent(const xray_entity *e, char *buf, size_t len)
{
    return write_one(e, buf, len, "xray_traceparent", xrc_traceparent_write);
}
