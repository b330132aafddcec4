/* civetweb_trace.c — the CivetWeb middleware (xray_capture/civetweb.h): CivetWeb serves a
 * request on one worker thread from begin_request to end_request, so the segment is begun in
 * the one and ended in the other, around everything the handlers do. */
#include "core/context.h"
#include "xray_capture/civetweb.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards `mw` */
static struct {
    char service[201];
    int (*begin)(struct mg_connection *);                  /* the user's, or NULL */
    void (*end)(const struct mg_connection *, int);
} mw;


static const char *lookup(void *ctx, const char *name)
{
    const struct mg_connection *conn = ctx;
    if (!strcmp(name, ":remote_addr"))
        return mg_get_request_info(conn)->remote_addr;
    return mg_get_header(conn, name);
}

static int begin_request(struct mg_connection *conn)
{
    int saved = errno;
    pthread_mutex_lock(&lock);
    char service[201];
    memcpy(service, mw.service, sizeof service);
    int (*user)(struct mg_connection *) = mw.begin;
    pthread_mutex_unlock(&lock);
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (ri && !xrc_tls.seg) {
        char url[2048];
        const char *host = mg_get_header(conn, "Host");
        snprintf(url, sizeof url, "%s://%s%s%s%s", ri->is_ssl ? "https" : "http", host ? host : "localhost",
                 ri->local_uri_raw ? ri->local_uri_raw : "/", ri->query_string ? "?" : "",
                 ri->query_string ? ri->query_string : "");
        xrc_tls.middleware_began = xray_begin_segment_from_http(service, ri->request_method, url, lookup, conn) != NULL;
    }
    errno = saved;
    return user ? user(conn) : 0;
}

static void end_request(const struct mg_connection *conn, int status)
{
    pthread_mutex_lock(&lock);
    void (*user)(const struct mg_connection *, int) = mw.end;
    pthread_mutex_unlock(&lock);
    if (user)
        user(conn, status);
    int saved = errno;
    if (xrc_tls.middleware_began && xrc_tls.seg) {
        if (status > 0)
            xray_put_http_response(&xrc_tls.seg->ent, status, -1);
        xray_end_segment();
    }
    xrc_tls.middleware_began = false;
    errno = saved;
}

xray_status xray_civetweb_middleware(struct mg_callbacks *callbacks, const char *service)
{
    if (!callbacks)
        return XRAY_ERR_INVALID;
    pthread_mutex_lock(&lock);
    snprintf(mw.service, sizeof mw.service, "%s", service && *service ? service : "service");
    if (callbacks->begin_request != begin_request)
        mw.begin = callbacks->begin_request;
    if (callbacks->end_request != end_request)
        mw.end = callbacks->end_request;
    pthread_mutex_unlock(&lock);
    callbacks->begin_request = begin_request;
    callbacks->end_request = end_request;
    return XRAY_OK;
}

/* The response carries the trace back, as the SDKs' middleware writes it. */
int xray_mg_response_header_send(struct mg_connection *conn)
{
    int saved = errno;
    xrc_tls.lib_inside++;
    xrc_segment *s = xrc_tls.seg;
    if (s && !xrc_tls.foreign) {
        char header[128];
        snprintf(header, sizeof header, "Root=%s;Sampled=%d", s->trace_id, s->sampled ? 1 : 0);
        mg_response_header_add(conn, "X-Amzn-Trace-Id", header, -1);
    }
    errno = saved;
    int rc = mg_response_header_send(conn);
    xrc_tls.lib_inside--;
    return rc;
}
