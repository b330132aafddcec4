/* local_api.c — `xraycap local-api` as Lambda is: the function segment carries Initialization
 * (an environment's first invocation only), Invocation and Overhead, in order, with the
 * function's own work inside Invocation; with --concurrency 3, three calls at once run in three
 * environments (the function, tests/e2e/barrier_function.c, holds each invocation until three
 * are in flight), each with its own cold start; later calls find them warm. */
#include "../common/support.h"
#include "../unit/fake_http.h"
#include "../unit/listener.h"

#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUNCTION ROOT "/build/tests/barrier_function"

static listener L;

/* `n` POST /users at once; returns how many were answered 200. */
static int call_at_once(int port, int n)
{
    CURLM *m = curl_multi_init();
    CURL *h[8];
    http_text body[8];
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/users", port);
    for (int i = 0; i < n; i++) {
        h[i] = curl_easy_init();
        body[i].n = 0;
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, "{\"name\": \"alice\"}");
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, http_text_keep);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &body[i]);
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 30L);
        curl_multi_add_handle(m, h[i]);
    }
    int running = n;
    while (running) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    int ok = 0;
    for (int i = 0; i < n; i++) {
        long status = 0;
        curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &status);
        ok += status == 200 && !strcmp(body[i].s, "done");
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
    }
    curl_multi_cleanup(m);
    return ok;
}

static double t(const cJSON *e, const char *k) { return cJSON_GetNumberValue(cJSON_GetObjectItem(e, k)); }

static const char *text_of(const cJSON *e, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(e, k));
    return v ? v : "";
}

static cJSON *child(const cJSON *e, const char *name)
{
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments"))
        if (!strcmp(text_of(c, "name"), name))
            return c;
    return NULL;
}

/* The function's own subsegment sent for the function segment `id`, or NULL. */
static cJSON *work_of(const char *id)
{
    for (size_t i = 0; i < L.ndocs; i++)
        if (!strcmp(text_of(L.docs[i], "name"), "work") && !strcmp(text_of(L.docs[i], "parent_id"), id))
            return L.docs[i];
    return NULL;
}

/* Checks every function segment received: Lambda's subsegments in order inside it, the
 * function's work inside Invocation. Returns how many had an Initialization; the works'
 * intervals in works[] (start, end). */
static int check_function_segments(int expected, double works[][2])
{
    int functions = 0, cold = 0;
    const double eps = 2e-6; /* the documents' microseconds */
    for (size_t i = 0; i < L.ndocs; i++) {
        cJSON *f = L.docs[i];
        if (strcmp(text_of(f, "origin"), "AWS::Lambda::Function"))
            continue;
        cJSON *init = child(f, "Initialization"), *inv = child(f, "Invocation"), *over = child(f, "Overhead");
        CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
        CU_ASSERT_PTR_NOT_NULL_FATAL(over);
        double from = t(f, "start_time");
        if (init) {
            cold++;
            CU_ASSERT_TRUE(t(init, "start_time") >= from - eps);
            CU_ASSERT_TRUE(t(init, "end_time") <= t(inv, "start_time") + eps);
            from = t(init, "end_time");
        }
        CU_ASSERT_TRUE(t(inv, "start_time") >= from - eps);
        CU_ASSERT_TRUE(t(inv, "end_time") <= t(over, "start_time") + eps);
        CU_ASSERT_TRUE(t(over, "end_time") <= t(f, "end_time") + eps);
        cJSON *w = work_of(text_of(f, "id"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        CU_ASSERT_TRUE(t(w, "start_time") >= t(inv, "start_time") - eps);
        CU_ASSERT_TRUE(t(w, "end_time") <= t(inv, "end_time") + eps);
        if (functions < 8) {
            works[functions][0] = t(w, "start_time");
            works[functions][1] = t(w, "end_time");
        }
        functions++;
    }
    CU_ASSERT_EQUAL(functions, expected);
    return cold;
}

/* `xraycap local-api` on a free port with the barrier function (`env` before it, `options`
 * after), sending to the listener; its process group, once it listens (*port). */
static int start_local_api(const char *env, const char *options, int *port)
{
    char cmd[1024];
    *port = fake_http_free_port();
    snprintf(cmd, sizeof cmd, "%s exec " ROOT "/build/xraycap local-api --bootstrap " FUNCTION
             " --http 127.0.0.1:%d --udp %s %s 2>/dev/null", env, *port, L.address, options);
    int p = support_spawn(cmd);
    CU_ASSERT_FATAL(support_wait_port(*port));
    return p;
}

static void test_three_environments_start_cold_once_and_run_at_once(void)
{
    char dir[] = "/tmp/xraycap-barrier-XXXXXX", env[128];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(env, sizeof env, "BARRIER_DIR=%s BARRIER_COUNT=3", dir);
    int port, p = start_local_api(env, "--concurrency 3", &port);
    double works[8][2];
    /* three at once: each invocation waits for the other two, so three environments run */
    CU_ASSERT_EQUAL(call_at_once(port, 3), 3);
    listener_collect(&L, 500);
    CU_ASSERT_EQUAL(check_function_segments(3, works), 3); /* three cold starts */
    for (int i = 0; i < 3; i++) /* ... and the three ran at once: every work overlaps the others */
        for (int j = 0; j < 3; j++)
            CU_ASSERT_TRUE(works[i][0] < works[j][1]);
    listener_clear(&L);
    /* three more: the environments are warm (a fourth cannot start) */
    CU_ASSERT_EQUAL(call_at_once(port, 3), 3);
    listener_collect(&L, 500);
    CU_ASSERT_EQUAL(check_function_segments(3, works), 0);
    listener_clear(&L);
    support_stop(p);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(rm), 0);
}

/* One environment: the first call is its cold start, the next ones are not. */
static void test_one_environment_is_cold_once(void)
{
    int port, p = start_local_api("", "", &port);
    double works[8][2];
    int cold = 0;
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(call_at_once(port, 1), 1);
        listener_collect(&L, 300);
        cold += check_function_segments(1, works);
        listener_clear(&L);
    }
    CU_ASSERT_EQUAL(cold, 1);
    support_stop(p);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* The answer on fd until the server closes it; its status. */
static int answer(int fd, char *text, size_t len)
{
    size_t n = 0;
    for (ssize_t got; n + 1 < len && (got = read(fd, text + n, len - 1 - n)) > 0;)
        n += (size_t)got;
    text[n] = '\0';
    int status = 0;
    sscanf(text, "HTTP/1.1 %d", &status);
    return status;
}

/* Sends `raw` as it is (no client library would) and reads the answer (into text, if given). */
static int raw_request_answer(int port, const char *raw, size_t len, char *text, size_t text_len)
{
    char scratch[4096];
    int fd = connect_to(port), status = 0;
    if (fd >= 0 && send(fd, raw, len, MSG_NOSIGNAL) >= 0)
        status = answer(fd, text ? text : scratch, text ? text_len : sizeof scratch);
    if (fd >= 0)
        close(fd);
    return status;
}

static int raw_request(int port, const char *raw)
{
    return raw_request_answer(port, raw, strlen(raw), NULL, 0);
}

/* The body of an answer, after its header. */
static const char *body_of(const char *answer)
{
    const char *b = strstr(answer, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* The event is JSON whatever the body holds: quotes, backslashes and control characters reach
 * the function as they were sent; bytes that are not text (invalid UTF-8, a NUL) arrive
 * base64-encoded, as API Gateway hands binary bodies, and an answer marked isBase64Encoded goes
 * back to the client decoded. */
static void test_any_body_reaches_the_function_in_a_valid_event(void)
{
    int port, p = start_local_api("ECHO_BODY=1", "", &port);
    char text[4096];
    static const char text_body[] = "he said \"hi\\\"\t}";
    char req[512];
    int n = snprintf(req, sizeof req, "POST /b HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", strlen(text_body), text_body);
    CU_ASSERT_EQUAL(raw_request_answer(port, req, (size_t)n, text, sizeof text), 200);
    CU_ASSERT_STRING_EQUAL(body_of(text), text_body);
    static const char binary[] = {'a', '\xff', '\0', 'b'}; /* "a", an invalid byte, NUL, "b" */
    n = snprintf(req, sizeof req, "POST /b HTTP/1.1\r\nContent-Length: 4\r\n\r\n");
    memcpy(req + n, binary, sizeof binary);
    memset(text, 0, sizeof text);
    CU_ASSERT_EQUAL(raw_request_answer(port, req, (size_t)n + sizeof binary, text, sizeof text), 200);
    /* the function saw "Yf8AYg==" with isBase64Encoded and answered it back so: the same bytes */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "Content-Length: 4\r\n"));
    CU_ASSERT_EQUAL(memcmp(body_of(text), binary, sizeof binary), 0);
    support_stop(p);
}

/* A client that sends a byte now and then holds its own connection only: requests before its
 * end are served (a chunked body reaches the function decoded), and it gets 408. */
static void test_a_slow_client_holds_only_its_own_connection(void)
{
    int port, p = start_local_api("ECHO_BODY=1", "", &port);
    int slow = connect_to(port);
    CU_ASSERT_FATAL(slow >= 0);
    CU_ASSERT_EQUAL(send(slow, "GET /slow HT", 12, MSG_NOSIGNAL), 12);
    char text[4096];
    const char *chunked = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(send(slow, "T", 1, MSG_NOSIGNAL), 1); /* still arriving, never whole */
        CU_ASSERT_EQUAL(raw_request_answer(port, chunked, strlen(chunked), text, sizeof text), 200);
        CU_ASSERT_STRING_EQUAL(body_of(text), "hello world");
    }
    CU_ASSERT_EQUAL(answer(slow, text, sizeof text), 408);
    close(slow);
    support_stop(p);
}

/* Each kind of bad request gets its status, and the server goes on serving. */
static void test_bad_requests_are_answered_with_their_status(void)
{
    int port, p = start_local_api("ECHO_BODY=1", "", &port);
    static char big[40000];
    CU_ASSERT_EQUAL(raw_request(port, "ABCDEFGHIJKLMNOPQRST /x HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "GET x HTTP/1.1\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "GET /x HTTP/9\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "GET /x HTTP/1.1\r\nno colon\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "POST /x HTTP/1.1\r\nContent-Length: 3\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
    CU_ASSERT_EQUAL(raw_request(port, "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
    CU_ASSERT_EQUAL(raw_request(port, "POST /x HTTP/1.1\r\nContent-Length: 7000000\r\n\r\n"), 413);
    CU_ASSERT_EQUAL(raw_request(port, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n700000\r\n"), 413);
    int n = snprintf(big, sizeof big, "GET /");
    memset(big + n, 'a', 2000);
    snprintf(big + n + 2000, sizeof big - (size_t)n - 2000, " HTTP/1.1\r\n\r\n");
    CU_ASSERT_EQUAL(raw_request(port, big), 414);
    n = snprintf(big, sizeof big, "GET /x HTTP/1.1\r\nX-Big: ");
    memset(big + n, 'a', 20000);
    snprintf(big + n + 20000, sizeof big - (size_t)n - 20000, "\r\n\r\n");
    CU_ASSERT_EQUAL(raw_request(port, big), 431);
    char text[4096];
    const char *good = "POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
    CU_ASSERT_EQUAL(raw_request_answer(port, good, strlen(good), text, sizeof text), 200);
    CU_ASSERT_STRING_EQUAL(body_of(text), "ok");
    support_stop(p);
}

/* A request crafted to forge fields: quotes in the path, a query with a token, a trace header
 * that is not one. The documents stay valid, hold no forged field, no query, and the trace is
 * a new one. */
static void test_crafted_requests_cannot_forge_the_services_documents(void)
{
    int port, p = start_local_api("", "", &port);
    listener_clear(&L);
    const char *raw = "GET /x\",\"fault\":true,\"annotations\":{\"injected\":\"yes\"},\"y\":\"z?token=s3cr3t HTTP/1.1\r\n"
                      "Host: localhost\r\nX-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793\","
                      "\"fault\":true\r\nContent-Length: 0\r\n\r\n";
    CU_ASSERT_EQUAL(raw_request(port, raw), 200);
    listener_collect(&L, 500);
    CU_ASSERT_EQUAL(L.bad, 0); /* every document valid */
    CU_ASSERT_TRUE(L.ndocs >= 3);
    for (size_t i = 0; i < L.ndocs; i++) {
        char *text = cJSON_PrintUnformatted(L.docs[i]);
        CU_ASSERT_PTR_NULL(strstr(text, "s3cr3t"));
        CU_ASSERT_PTR_NULL(strstr(text, "5759e988"));
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[i], "annotations"));
        if (!strcmp(text_of(L.docs[i], "origin"), "AWS::ApiGateway::Stage"))
            CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(L.docs[i], "fault"));
        cJSON_free(text);
    }
    listener_clear(&L);
    support_stop(p);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    listener_open(&L);
    static const support_test tests[] = {
        SUPPORT_TEST(test_one_environment_is_cold_once),
        SUPPORT_TEST(test_three_environments_start_cold_once_and_run_at_once),
        SUPPORT_TEST(test_crafted_requests_cannot_forge_the_services_documents),
        SUPPORT_TEST(test_a_slow_client_holds_only_its_own_connection),
        SUPPORT_TEST(test_bad_requests_are_answered_with_their_status),
        SUPPORT_TEST(test_any_body_reaches_the_function_in_a_valid_event),
        {NULL, NULL},
    };
    int failed = support_run_suite("local-api", tests);
    listener_close(&L);
    return failed;
}
