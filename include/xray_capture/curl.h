/*
 * xray_capture/curl.h — libcurl calls as X-Ray subsegments, the C counterpart of the Python
 * SDK's patch_all() for requests and boto3.
 *
 * Each transfer made inside a segment becomes a subsegment: namespace "remote" and named after
 * the host, with http.request (method, url without its query, and traced when
 * XRAYCAP_DOWNSTREAM_TRACED says so) and http.response (status, content_length), flags from
 * the status (5xx fault, 429 throttle and error, other 4xx error), and a transport error as a
 * fault whose cause names the CURLcode. The request carries X-Amzn-Trace-Id (Root, Parent =
 * that subsegment, Sampled) and W3C traceparent (and the incoming tracestate), as
 * XRAYCAP_PROPAGATORS chooses — also from an unsampled segment, with Sampled=0 and a parent id
 * of its own — added to a copy of your header list, replacing those headers if you set them:
 * your list is never changed.
 *
 * AWS API calls (host *.amazonaws.com, or an endpoint you register, signed with SigV4) are
 * named after the service (DynamoDB, S3, SQS, ...), namespace "aws", with aws.operation,
 * aws.region, aws.request_id, aws.table_name (DynamoDB) and aws.bucket_name/key (S3).
 * Credentials, the Authorization header and presigned query strings never appear in a document.
 *
 * Three ways to turn it on:
 *   - compile time, no source change: -fplugin-arg-xraycap-patch=curl (or =all)
 *   - link time, code not recompiled: $(pkg-config --variable=patch_ldflags xraycap) with the
 *     static library
 *   - explicitly: call the xray_curl_* functions below instead of curl_*.
 * The setopt/cleanup/reset/duphandle wrappers keep track of each handle's header list; use
 * them together with perform (the plugin and the link flags do that for you).
 */
#ifndef XRAY_CAPTURE_CURL_H
#define XRAY_CAPTURE_CURL_H

#include <curl/curl.h>
#include <xray_capture.h>
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
/* xray_curl_easy_perform, xray_curl_easy_setopt, ... : one traced twin, with the same
 * signature and result, for each libcurl function in XRAY_PATCHED_CURL (xray_capture/patched.h):
 * easy_perform, easy_setopt, easy_cleanup, easy_reset, easy_duphandle, multi_add_handle,
 * multi_remove_handle, multi_info_read. */
XRAY_PATCHED_CURL(XRAY_PATCHED_DECLARE)

/*
 * Declares that unsigned requests whose URL starts with `url_prefix` go to the AWS service
 * `service` ("DynamoDB", "S3", ...). Rarely needed: a signed request is named by the service it
 * signs for, and AWS_ENDPOINT_URL_<SERVICE> is read as the AWS SDKs read it
 * (docs/libraries.md). Returns XRAY_ERR_INVALID for an empty prefix or service,
 * XRAY_ERR_LIMIT past 64 endpoints.
 */
xray_status xray_curl_register_aws_endpoint(const char *url_prefix, const char *service);
#else
XRAY_PATCHED_CURL(XRAY_PATCHED_FORWARD)
#define xray_curl_easy_setopt curl_easy_setopt /* variadic: forwarded by name */
static inline xray_status xray_curl_register_aws_endpoint(const char *p, const char *s) { (void)p; (void)s; return XRAY_OK; }
#endif

#ifdef __cplusplus
}
#endif

#endif
