/*
 * xray_capture/microhttpd.h — every request of a libmicrohttpd server as an X-Ray segment, as
 * the SDKs' Flask and Django middleware make one per request:
 *
 *     xray_mhd *traced = xray_mhd_middleware("users-api", handle, NULL, done, NULL);
 *     MHD_start_daemon(flags, port, NULL, NULL, xray_mhd_handler, traced,
 *                      MHD_OPTION_NOTIFY_COMPLETED, xray_mhd_completed, traced, MHD_OPTION_END);
 *
 * `handle` is your access handler and `done` your completion callback (or NULL), called as
 * before with their own closures and per-request pointer. The handler call that queues the
 * response runs inside a segment named after the service: the caller's trace continued
 * (X-Amzn-Trace-Id, else traceparent), sampling decided by the rules (once per request),
 * http.request recorded (method, URL, user agent, client address) and http.response with the
 * status queued (and error, throttle or fault from it). Built with -fplugin-arg-xraycap-patch=mhd
 * (or =all, --wrap, the patch library), MHD_queue_response also adds X-Amzn-Trace-Id
 * (Root=…;Sampled=…) to the response, as the SDKs' middleware does, unless it has one.
 * Handler calls that queue nothing (the first call of a request with a body, body chunks) are
 * not traced; what they record is dropped.
 */
#ifndef XRAY_CAPTURE_MICROHTTPD_H
#define XRAY_CAPTURE_MICROHTTPD_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h> /* (what microhttpd.h expects to be there) */
#include <microhttpd.h>
#include <xray_capture.h>
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xray_mhd xray_mhd;

#ifndef XRAY_COMPILED_OUT
/* The middleware for one daemon; NULL when out of memory. `service` is the segments' name. */
xray_mhd *xray_mhd_middleware(const char *service, MHD_AccessHandlerCallback handler,
                              void *handler_cls, MHD_RequestCompletedCallback completed,
                              void *completed_cls);
/* Give these to MHD_start_daemon with the middleware as their closure. */
enum MHD_Result xray_mhd_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls);
void xray_mhd_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                        enum MHD_RequestTerminationCode toe);
/* After MHD_stop_daemon. */
void xray_mhd_free(xray_mhd *middleware);
/* The traced twin of MHD_queue_response (XRAY_PATCHED_MHD in xray_capture/patched.h). */
XRAY_PATCHED_MHD(XRAY_PATCHED_DECLARE)
#else
/* Compiled out: the middleware only passes the calls on. */
struct xray_mhd {
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
};
static inline xray_mhd *xray_mhd_middleware(const char *service, MHD_AccessHandlerCallback handler,
                                            void *handler_cls, MHD_RequestCompletedCallback completed,
                                            void *completed_cls)
{
    (void)service;
    xray_mhd *m = (xray_mhd *)malloc(sizeof *m);
    if (m) {
        m->handler = handler;
        m->handler_cls = handler_cls;
        m->completed = completed;
        m->completed_cls = completed_cls;
    }
    return m;
}
static inline enum MHD_Result xray_mhd_handler(void *cls, struct MHD_Connection *connection,
                                               const char *url, const char *method, const char *version,
                                               const char *upload_data, size_t *upload_data_size,
                                               void **con_cls)
{
    xray_mhd *m = (xray_mhd *)cls;
    return m->handler(m->handler_cls, connection, url, method, version, upload_data, upload_data_size, con_cls);
}
static inline void xray_mhd_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                                      enum MHD_RequestTerminationCode toe)
{
    xray_mhd *m = (xray_mhd *)cls;
    if (m->completed)
        m->completed(m->completed_cls, connection, con_cls, toe);
}
static inline void xray_mhd_free(xray_mhd *m) { free(m); }
XRAY_PATCHED_MHD(XRAY_PATCHED_FORWARD)
#endif

#ifdef __cplusplus
}
#endif

#endif
