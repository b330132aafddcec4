/* trace_header.c — incoming and outgoing trace headers. Incoming text is hostile until proven
 * otherwise: every field is checked, and anything malformed means a new trace (the caller
 * logs why), never a crash or a half-parsed context. */
#include "core/trace_header.h"
#include "core/context.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

/* W3C: 00-<32 hex trace>-<16 hex span>-<2 hex flags>, mapped to X-Ray by splitting the trace
 * id as 8 hex (time) + 24 hex (random), as OpenTelemetry's X-Ray id generator does. */
static bool parse_traceparent(const char *t, xrc_trace_header *out, const char **why)
{
    size_t n = strlen(t);
    if (n < 55 || t[2] != '-' || t[35] != '-' || t[52] != '-' || !xrc_is_hex(t, 2) ||
        !xrc_is_hex(t + 3, 32) || !xrc_is_hex(t + 36, 16) || !xrc_is_hex(t + 53, 2))
        return *why = "traceparent is not 00-<32 hex>-<16 hex>-<2 hex>", false;
    if (!strncmp(t, "ff", 2))
        return *why = "traceparent version ff is invalid", false;
    if (!strncmp(t, "00", 2) && n != 55)
        return *why = "traceparent version 00 has trailing data", false;
    if (n > 55 && t[55] != '-')
        return *why = "traceparent has trailing data", false;
    if (all_zero(t + 3, 32) || all_zero(t + 36, 16))
        return *why = "traceparent has an all-zero trace or span id", false;
    char w3c[33];
    snprintf(w3c, sizeof w3c, "%.32s", t + 3);
    if (!xrc_w3c_to_xray(w3c, (long long)time(NULL), out->root))
        memcpy(out->w3c_trace, w3c, sizeof w3c);
    memcpy(out->parent, t + 36, 16);
    out->parent[16] = '\0';
    unsigned flags = (unsigned)((t[54] >= 'a' ? t[54] - 'a' + 10 : t[54] - '0'));
    out->sampled = (flags & 1) ? XRC_SAMPLED_YES : XRC_SAMPLED_NO;
    return true;
}

bool xrc_w3c_to_xray(const char *w3c, long long now, char out[XRC_TRACE_ID_LEN + 1])
{
    char head[9];
    memcpy(head, w3c, 8);
    head[8] = '\0';
    long long t = strtoll(head, NULL, 16);
    bool plausible = t >= now - 29LL * 86400 && t <= now + 300;
    if (plausible)
        snprintf(out, XRC_TRACE_ID_LEN + 1, "1-%.8s-%.24s", w3c, w3c + 8);
    else
        snprintf(out, XRC_TRACE_ID_LEN + 1, "1-%08llx-%.24s", (unsigned long long)(now & 0xffffffffLL),
                 w3c + 8);
    return plausible;
}

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
    else if (text[0] && text[1] && text[2] == '-' && xrc_is_hex(text, 2) && !strchr(text, '='))
        ok = parse_traceparent(text, out, why);
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

xray_status xray_trace_header(const xray_entity *e, char *buf, size_t len)
{
    if (!buf || !len)
        return XRAY_ERR_INVALID;
    buf[0] = '\0';
    if (!entity_ok(e, "xray_trace_header"))
        return XRAY_ERR_NO_CONTEXT;
    const xrc_segment *s = e->seg;
    char id[17];
    xrc_hex16(id, e->id);
    id[16] = '\0';
    int n = snprintf(buf, len, "Root=%s;Parent=%s;Sampled=%d%s%s", s->trace_id, id,
                     s->sampled ? 1 : 0, s->header_extra ? ";" : "",
                     s->header_extra ? s->header_extra : "");
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return XRAY_ERR_LIMIT;
    }
    return XRAY_OK;
}

xray_status xray_traceparent(const xray_entity *e, char *buf, size_t len)
{
    if (!buf || !len)
        return XRAY_ERR_INVALID;
    buf[0] = '\0';
    if (!entity_ok(e, "xray_traceparent"))
        return XRAY_ERR_NO_CONTEXT;
    const xrc_segment *s = e->seg;
    char id[17];
    xrc_hex16(id, e->id);
    id[16] = '\0';
    int n = s->w3c_trace
                ? snprintf(buf, len, "00-%s-%s-0%d", s->w3c_trace, id, s->sampled ? 1 : 0)
                : snprintf(buf, len, "00-%.8s%.24s-%s-0%d", s->trace_id + 2, s->trace_id + 11, id,
                           s->sampled ? 1 : 0);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return XRAY_ERR_LIMIT;
    }
    return XRAY_OK;
}
