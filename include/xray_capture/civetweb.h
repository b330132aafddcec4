/*
 * xray_capture/civetweb.h — every request of a CivetWeb server as an X-Ray segment, as the
 * SDKs' Flask and Django middleware make one per request:
 *
 *     struct mg_callbacks callbacks = {0};       (yours, if you have some)
 *     xray_civetweb_middleware(&callbacks, "orders-api");
 *     struct mg_context *ctx = mg_start(&callbacks, user_data, options);
 *
 * CivetWeb serves each request on one worker thread from its begin_request to its end_request
 * callback; the middleware sets both (calling yours, kept from `callbacks`, as before) so that
 * the request runs in a segment named after the service: the caller's trace continued
 * (X-Amzn-Trace-Id, else traceparent), sampling decided by the rules, http.request recorded
 * (method, URL, user agent, client address) and http.response with the status CivetWeb
 * reports (and error, throttle or fault from it). Built with -fplugin-arg-xraycap-patch=civetweb
 * (or =all, --wrap, the patch library), mg_response_header_send also adds X-Amzn-Trace-Id
 * (Root=…;Sampled=…) to the response, as the SDKs' middleware does; responses written by hand
 * with mg_printf carry what you write. One service name per process: a second call replaces
 * the first.
 */
#ifndef XRAY_CAPTURE_CIVETWEB_H
#define XRAY_CAPTURE_CIVETWEB_H

#include <civetweb.h>
#include <xray_capture.h>
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
/* Sets callbacks->begin_request and end_request; XRAY_ERR_INVALID without callbacks. */
xray_status xray_civetweb_middleware(struct mg_callbacks *callbacks, const char *service);
/* The traced twin of mg_response_header_send (XRAY_PATCHED_CIVETWEB). */
XRAY_PATCHED_CIVETWEB(XRAY_PATCHED_DECLARE)
#else
static inline xray_status xray_civetweb_middleware(struct mg_callbacks *callbacks, const char *service)
{
    (void)callbacks;
    (void)service;
    return XRAY_OK;
}
XRAY_PATCHED_CIVETWEB(XRAY_PATCHED_FORWARD)
#endif

#ifdef __cplusplus
}
#endif

#endif
