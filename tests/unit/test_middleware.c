/* test_middleware.c — the incoming-request middleware for CivetWeb and libmicrohttpd, through
 * real servers on loopback and real HTTP requests (libcurl): one segment per request, the
 * caller's trace continued, the request and the status recorded, flags from the status, the
 * trace header sent back, the user's own callbacks still called. */
#include "harness.h"
#include "fake_http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xray_capture/civetweb.h>
#include <xray_capture/microhttpd.h>

#define ROOT_ID "1-5759e988-bd862e3fe1be46a994272793"
#define CALLER "53995c3f42cd8ad8"

/* One request (a body makes it a POST), with the caller's trace header when `traced`; returns
 * the status, the response headers in `headers`. */
static long request(int port, const char *path, const char *body, bool traced, http_text *headers)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = traced ? curl_slist_append(NULL, "X-Amzn-Trace-Id: Root=" ROOT_ID ";Parent=" CALLER ";Sampled=1") : NULL;
    http_text ignored = {0};
    memset(headers, 0, sizeof *headers);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_text_keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ignored);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_text_keep);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, headers);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    return status;
}

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

/* The one document, a segment for `path` continuing the caller with `status`. */
static void expect_request_segment(const char *name, const char *method, const char *path, int status)
{
    CU_ASSERT_EQUAL_FATAL(collect(), 1);
    const cJSON *seg = L.docs[0];
    CU_ASSERT_STRING_EQUAL(at(seg, "name", NULL)->valuestring, name);
    CU_ASSERT_STRING_EQUAL(at(seg, "trace_id", NULL)->valuestring, ROOT_ID);
    CU_ASSERT_STRING_EQUAL(at(seg, "parent_id", NULL)->valuestring, CALLER);
    const cJSON *req = at(at(seg, "http", NULL), "request", NULL);
    CU_ASSERT_STRING_EQUAL(at(req, "method", NULL)->valuestring, method);
    CU_ASSERT_PTR_NOT_NULL(strstr(at(req, "url", NULL)->valuestring, path));
    CU_ASSERT_STRING_EQUAL(at(req, "client_ip", NULL)->valuestring, "127.0.0.1");
    CU_ASSERT_EQUAL(at(at(seg, "http", "response"), "status", NULL)->valueint, status);
    CU_ASSERT_EQUAL(cJSON_IsTrue(at(seg, "fault", NULL)), status >= 500);
    CU_ASSERT_TRUE(entity_valid((cJSON *)seg, 1));
}

/* The two requests each framework's test makes: GET /hello, traced with the handler's work
 * inside and the trace header answered; then POST /hello/boom, answered `boom_status`. */
static void expect_hello_and_boom(int port, const char *boom_body, int boom_status)
{
    http_text headers;
    CU_ASSERT_EQUAL(request(port, "/hello", NULL, true, &headers), 200);
    expect_request_segment("orders-api", "GET", "/hello", 200);
    CU_ASSERT_PTR_NOT_NULL(child_named(L.docs[0], "handler_work"));
    CU_ASSERT_PTR_NOT_NULL(strstr(headers.s, "X-Amzn-Trace-Id: Root=" ROOT_ID ";Sampled=1"));
    listener_clear(&L);
    CU_ASSERT_EQUAL(request(port, "/hello/boom", boom_body, true, &headers), boom_status);
    expect_request_segment("orders-api", "POST", "/hello/boom", boom_status);
}

/* ---- CivetWeb ------------------------------------------------------------------------ */

static int civet_begins; /* the user's own begin_request still runs */

static int user_begin(struct mg_connection *conn)
{
    (void)conn;
    civet_begins++;
    return 0;
}

static int civet_hello(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    xray_begin_subsegment("handler_work");
    xray_end_subsegment();
    bool boom = strstr(mg_get_request_info(conn)->local_uri, "boom") != NULL;
    mg_response_header_start(conn, boom ? 500 : 200);
    mg_response_header_add(conn, "Content-Type", "text/plain", -1);
    xray_mg_response_header_send(conn);
    mg_write(conn, "hello\n", 6);
    return boom ? 500 : 200;
}

static void test_civetweb_request_is_a_segment_with_the_trace_sent_back(void)
{
    test_reset();
    int port = fake_http_free_port();
    char ports[32];
    snprintf(ports, sizeof ports, "127.0.0.1:%d", port);
    const char *options[] = {"listening_ports", ports, "num_threads", "2", NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.begin_request = user_begin;
    civet_begins = 0;
    CU_ASSERT_EQUAL(xray_civetweb_middleware(&cb, "orders-api"), XRAY_OK);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    mg_set_request_handler(ctx, "/hello", civet_hello, NULL);
    expect_hello_and_boom(port, "x=1", 500);
    mg_stop(ctx);
    CU_ASSERT_EQUAL(civet_begins, 2);
    CU_ASSERT_EQUAL(xray_civetweb_middleware(NULL, "x"), XRAY_ERR_INVALID);
}

/* ---- libmicrohttpd ----------------------------------------------------------------- */

static int mhd_completions; /* the user's own completion callback still runs */

/* Answers on the call after the headers (and after the body), as users-api does: the first
 * call only sets up its state. */
static enum MHD_Result mhd_hello(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *data, size_t *size, void **state)
{
    (void)cls, (void)method, (void)version, (void)data;
    if (!*state) {
        *state = malloc(1);
        return *state ? MHD_YES : MHD_NO;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    xray_begin_subsegment("handler_work");
    xray_end_subsegment();
    unsigned status = strstr(url, "boom") ? 503 : 200;
    struct MHD_Response *r = MHD_create_response_from_buffer(6, (void *)"hello\n", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = xray_MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static void mhd_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    free(*state);
    *state = NULL;
    mhd_completions++;
}

static void test_microhttpd_request_is_one_segment_with_the_trace_sent_back(void)
{
    test_reset();
    int port = fake_http_free_port();
    mhd_completions = 0;
    xray_mhd *traced = xray_mhd_middleware("orders-api", mhd_hello, NULL, mhd_done, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(traced);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                            xray_mhd_handler, traced, MHD_OPTION_NOTIFY_COMPLETED,
                                            xray_mhd_completed, traced, MHD_OPTION_END);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    http_text headers;
    /* the first call queues nothing: dropped, and the second continues the same decision */
    expect_hello_and_boom(port, "a body", 503);
    /* without a caller's header, the recorder decides once: still one segment */
    listener_clear(&L);
    CU_ASSERT_EQUAL(request(port, "/hello", NULL, false, &headers), 200);
    CU_ASSERT_EQUAL(collect(), 1);
    CU_ASSERT_PTR_NULL(at(L.docs[0], "parent_id", NULL));
    MHD_stop_daemon(d);
    xray_mhd_free(traced);
    CU_ASSERT_EQUAL(mhd_completions, 3);
}

void register_middleware(void)
{
    CU_pSuite s = CU_add_suite("middleware", NULL, NULL);
    ADD(s, test_civetweb_request_is_a_segment_with_the_trace_sent_back);
    ADD(s, test_microhttpd_request_is_one_segment_with_the_trace_sent_back);
}
