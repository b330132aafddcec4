/* incoming.c — segments for incoming requests: continuing the caller's trace header and
 * recording the request the way the SDKs' web middleware do. */
#include "base/config.h"
#include "model/attrs.h"
#include "base/log.h"
#include "model/sanitize.h"
#include "core/trace_header.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The W3C context to keep beside the trace: from the traceparent `tp` when it is valid and of
 * the same trace as `h` (tracestate belongs to its traceparent), with its tracestate. */
static void take_w3c(xrc_trace_header *h, const char *tp, const char *ts, char *state)
{
    state[0] = '\0';
    xrc_trace_header w;
    const char *why = NULL;
    memset(&w, 0, sizeof w);
    if (h->from_w3c)
        w = *h;
    else if (!tp || !*tp || !xrc_traceparent_parse(tp, &w, &why) || strcmp(w.root, h->root))
        return;
    h->w3c_flags = w.w3c_flags;
    memcpy(h->w3c_trace, w.w3c_trace, sizeof h->w3c_trace);
    if (ts && !xrc_tracestate_parse(ts, state, &why))
        xrc_log(XRAY_LOG_DEBUG, "incoming tracestate '%.120s' is not passed on: %s", ts, why);
}

static xray_entity *begin_from(const char *name, const char *header, const char *tp,
                               const char *ts, const char *host, const char *method,
                               const char *path)
{
    xrc_trace_header h;
    char state[XRC_TRACESTATE_MAX + 1] = "";
    memset(&h, 0, sizeof h);
    const char *why = NULL;
    xray_segment_options o = {0};
    o.host = host;
    o.method = method;
    o.path = path;
    if (header && *header) {
        if (xrc_trace_header_parse(header, &h, &why)) {
            o.trace_id = h.root[0] ? h.root : NULL;
            o.parent_id = h.parent[0] ? h.parent : NULL;
            o.sampling = h.sampled == XRC_SAMPLED_YES  ? XRAY_SAMPLING_SAMPLED
                         : h.sampled == XRC_SAMPLED_NO ? XRAY_SAMPLING_NOT_SAMPLED
                                                       : XRAY_SAMPLING_DECIDE;
            if (h.root[0])
                take_w3c(&h, tp, ts, state);
        } else {
            xrc_log(XRAY_LOG_WARN, "incoming trace header '%.120s%s' is malformed: %s; starting "
                                   "a new trace", header, strlen(header) > 120 ? "…" : "", why);
            memset(&h, 0, sizeof h);
        }
    }
    xray_entity *seg = xray_begin_segment_ex(name, &o);
    if (!seg)
        return NULL;
    xrc_segment *s = seg->seg;
    if (h.extra[0])
        s->header_extra = xrc_arena_strdup(s, h.extra);
    if (state[0])
        s->tracestate = xrc_arena_strdup(s, state);
    s->w3c_flags = h.w3c_flags;
    if (h.w3c_trace[0]) {
        /* The X-Ray id has a time of its own; W3C peers keep seeing their id, and the
         * document says which it was. */
        s->w3c_trace = xrc_arena_strdup(s, h.w3c_trace);
        if (s->sampled)
            xrc_put_field(seg, "metadata", "xraycap", "w3c_trace_id", cJSON_CreateString(h.w3c_trace));
    }
    return seg;
}

xray_entity *xray_begin_segment_from_header(const char *name, const char *header)
{
    int saved = errno;
    xray_entity *seg = begin_from(name, header, NULL, NULL, NULL, NULL, NULL);
    errno = saved;
    return seg;
}

/* Splits "scheme://host[:port]/path?query" into host and path (without the query). */
static void split_url(const char *url, char *host, size_t hostlen, char *path, size_t pathlen)
{
    host[0] = path[0] = '\0';
    if (!url)
        return;
    const char *p = strstr(url, "://");
    if (p) {
        p += 3;
        size_t n = strcspn(p, "/?#");
        snprintf(host, hostlen, "%.*s", (int)n, p);
        p += n;
    } else {
        p = url;
    }
    size_t n = strcspn(p, "?#");
    snprintf(path, pathlen, "%.*s", (int)(n ? n : 1), n ? p : "/");
}

/* Request headers are the client's bytes: valid UTF-8 and bounded before they are stored. */
static cJSON *short_string(const char *s)
{
    char *clean = xrc_utf8_dup(s, XRC_HTTP_FIELD_MAX);
    cJSON *v = clean ? cJSON_CreateString(clean) : NULL;
    cJSON_free(clean);
    return v;
}

xray_entity *xray_begin_segment_from_http(const char *name, const char *method, const char *url,
                                          xray_header_lookup lookup, void *ctx)
{
    int saved = errno;
    const char *header = NULL, *host_header = NULL, *agent = NULL, *forwarded = NULL, *peer = NULL;
    const char *tp = NULL, *ts = NULL;
    xrc_init();
    if (lookup) {
        header = xrc_cfg.propagate_xray ? lookup(ctx, "X-Amzn-Trace-Id") : NULL;
        if (xrc_cfg.propagate_w3c) {
            tp = lookup(ctx, "traceparent");
            ts = lookup(ctx, "tracestate");
        }
        if (!header || !*header)
            header = tp;
        host_header = lookup(ctx, "Host");
        agent = lookup(ctx, "User-Agent");
        forwarded = lookup(ctx, "X-Forwarded-For");
        if (!forwarded || !*forwarded)
            peer = lookup(ctx, ":remote_addr");
    }
    char host[256], path[1024];
    split_url(url, host, sizeof host, path, sizeof path);
    if (host_header && *host_header)
        snprintf(host, sizeof host, "%s", host_header);
    xray_entity *seg = begin_from(name, header, tp, ts, host[0] ? host : NULL, method, path);
    if (seg) {
        xray_put_http_request(seg, method, url);
        xray_status st;
        if (xrc_edit_begin(seg, "xray_begin_segment_from_http", &st)) {
            cJSON *req = cJSON_GetObjectItemCaseSensitive(xrc_extra_object(seg, "http"), "request");
            if (req && agent && *agent)
                cJSON_AddItemToObject(req, "user_agent", short_string(agent));
            if (req && forwarded && *forwarded) {
                char first[256];
                size_t n = strcspn(forwarded, ",");
                snprintf(first, sizeof first, "%.*s", (int)n, forwarded);
                char *a = first, *z = first + strlen(first);
                while (*a == ' ')
                    a++;
                while (z > a && z[-1] == ' ')
                    *--z = '\0';
                cJSON_AddItemToObject(req, "client_ip", short_string(a));
                cJSON_AddBoolToObject(req, "x_forwarded_for", 1);
            } else if (req && peer && *peer) {
                cJSON_AddItemToObject(req, "client_ip", short_string(peer));
            }
            xrc_edit_end(seg);
        }
    }
    errno = saved;
    return seg;
}
