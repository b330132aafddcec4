/* incoming.c — segments for incoming requests: continuing the caller's trace header and
 * recording the request the way the SDKs' web middleware do. */
#include "model/attrs.h"
#include "base/log.h"
#include "model/sanitize.h"
#include "core/trace_header.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static xray_entity *begin_from(const char *name, const char *header, const char *host,
                               const char *method, const char *path)
{
    xrc_trace_header h;
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
        } else {
            xrc_log(XRAY_LOG_WARN, "incoming trace header '%.120s%s' is malformed: %s; starting "
                                   "a new trace", header, strlen(header) > 120 ? "…" : "", why);
            h.extra[0] = '\0';
        }
    } else {
        h.extra[0] = '\0';
    }
    xray_entity *seg = xray_begin_segment_ex(name, &o);
    if (seg && h.extra[0])
        seg->seg->header_extra = xrc_arena_strdup(seg->seg, h.extra);
    if (seg && h.w3c_trace[0]) {
        /* The X-Ray id has a time of its own; W3C peers keep seeing their id, and the
         * document says which it was. */
        seg->seg->w3c_trace = xrc_arena_strdup(seg->seg, h.w3c_trace);
        if (seg->seg->sampled)
            xrc_put_field(seg, "metadata", "xraycap", "w3c_trace_id", cJSON_CreateString(h.w3c_trace));
    }
    return seg;
}

xray_entity *xray_begin_segment_from_header(const char *name, const char *header)
{
    int saved = errno;
    xray_entity *seg = begin_from(name, header, NULL, NULL, NULL);
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
    if (lookup) {
        header = lookup(ctx, "X-Amzn-Trace-Id");
        if (!header || !*header)
            header = lookup(ctx, "traceparent");
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
    xray_entity *seg = begin_from(name, header, host[0] ? host : NULL, method, path);
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
