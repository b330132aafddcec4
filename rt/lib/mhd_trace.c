/* mhd_trace.c — the libmicrohttpd middleware (xray_capture/microhttpd.h). libmicrohttpd calls
 * a request's handler several times (after the headers, per body chunk, after the body) and on
 * whichever thread serves the connection; a segment cannot stay open on a thread between
 * calls, since another connection's call may come next. So each call that may answer (no body
 * chunk in hand, and not the first call of a request that has a body) runs inside a segment of
 * its own: kept when the handler queued a response, dropped when it did not — and then the
 * request's decision (trace, caller, sampled) is kept in the request's state, so that the next
 * call continues it instead of deciding (and spending the sampling reservoir) again. */
#include "core/context.h"
#include "xray_capture/microhttpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct xray_mhd {
    char service[201];
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
};

/* What the middleware keeps per request, in place of the handler's pointer (`user`). */
typedef struct mhd_request {
    void *user;
    struct MHD_Connection *connection;
    int calls;
    char resume[XRAY_TRACE_HEADER_MAX]; /* the decision of a dropped call, as a trace header */
    char peer[INET6_ADDRSTRLEN];
} mhd_request;

xray_mhd *xray_mhd_middleware(const char *service, MHD_AccessHandlerCallback handler,
                              void *handler_cls, MHD_RequestCompletedCallback completed,
                              void *completed_cls)
{
    xray_mhd *m = calloc(1, sizeof *m);
    if (!m || !handler) {
        free(m);
        return NULL;
    }
    snprintf(m->service, sizeof m->service, "%s", service && *service ? service : "service");
    m->handler = handler;
    m->handler_cls = handler_cls;
    m->completed = completed;
    m->completed_cls = completed_cls;
    return m;
}

void xray_mhd_free(xray_mhd *m) { free(m); }

static const char *lookup(void *ctx, const char *name)
{
    mhd_request *r = ctx;
    if (r->resume[0] && !strcasecmp(name, "X-Amzn-Trace-Id"))
        return r->resume;
    if (r->resume[0] && !strcasecmp(name, "traceparent"))
        return NULL;
    if (!strcmp(name, ":remote_addr")) {
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(r->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = i ? i->client_addr : NULL;
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->peer, sizeof r->peer);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->peer, sizeof r->peer);
        else
            return NULL;
        return r->peer;
    }
    return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, name);
}

static bool has_body(struct MHD_Connection *c)
{
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *coding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return (length && strtoull(length, NULL, 10) > 0) || (coding && strcasestr(coding, "chunked"));
}

/* Ends the calling thread's segment without sending it, keeping its decision in r->resume. */
static void drop_segment(mhd_request *r)
{
    xrc_segment *s = xrc_tls.seg;
    if (s->parent_id)
        snprintf(r->resume, sizeof r->resume, "Root=%s;Parent=%016" PRIx64 ";Sampled=%d", s->trace_id,
                 s->parent_id, s->sampled ? 1 : 0);
    else
        snprintf(r->resume, sizeof r->resume, "Root=%s;Sampled=%d", s->trace_id, s->sampled ? 1 : 0);
    /* Released unsent. Were part of it already streamed (a handler that recorded a great deal
     * and still queued nothing), it is ended and sent instead: no orphaned pieces. */
    if (!s->streams)
        s->sampled = false;
    xray_end_segment();
}

enum MHD_Result xray_mhd_handler(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    xray_mhd *m = cls;
    mhd_request *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO; /* as libmicrohttpd does when it runs out of memory */
        r->connection = c;
        *con_cls = r;
    }
    int saved = errno;
    bool before_body = r->calls++ == 0 && has_body(c);
    xray_entity *seg = NULL;
    if (*upload_data_size == 0 && !before_body && !xrc_tls.seg) {
        char full[2048];
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        snprintf(full, sizeof full, "http://%s%s", host ? host : "localhost", url ? url : "/");
        seg = xray_begin_segment_from_http(m->service, method, full, lookup, r);
    }
    errno = saved;
    enum MHD_Result rc = m->handler(m->handler_cls, c, url, method, version, upload_data,
                                    upload_data_size, &r->user);
    saved = errno;
    if (seg && xrc_tls.seg && &xrc_tls.seg->ent == seg) {
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
        if (i && i->http_status) {
            xray_put_http_response(seg, (int)i->http_status, -1);
            xray_end_segment();
        } else {
            drop_segment(r);
        }
    }
    errno = saved;
    return rc;
}

void xray_mhd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    xray_mhd *m = cls;
    mhd_request *r = *con_cls;
    if (!r) {
        if (m->completed)
            m->completed(m->completed_cls, c, con_cls, toe);
        return;
    }
    if (m->completed)
        m->completed(m->completed_cls, c, &r->user, toe);
    free(r);
    *con_cls = NULL;
}

/* The response carries the trace back, as the SDKs' middleware writes it. */
enum MHD_Result xray_MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                        struct MHD_Response *response)
{
    int saved = errno;
    xrc_tls.lib_inside++;
    xrc_segment *s = xrc_tls.seg;
    if (s && !xrc_tls.foreign && response && !MHD_get_response_header(response, "X-Amzn-Trace-Id")) {
        char header[128];
        snprintf(header, sizeof header, "Root=%s;Sampled=%d", s->trace_id, s->sampled ? 1 : 0);
        MHD_add_response_header(response, "X-Amzn-Trace-Id", header);
    }
    errno = saved;
    enum MHD_Result rc = MHD_queue_response(connection, status_code, response);
    xrc_tls.lib_inside--;
    return rc;
}
