/* viewer.c — the web view in a real browser: `xraycap serve` over a store filled by the
 * daemon, pages loaded in headless Chromium (Debian's chromium), the DOM checked for the trace
 * list, the timeline and the map, a hostile value shown as text, and a screenshot saved under
 * build/. Skipped, saying so, where chromium is not installed. */
#include "../common/support.h"
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define B ROOT "/build"
#define CHROMIUM "/usr/bin/chromium"
#define TRACE "1-6b0b9000-bd862e3fe1be46a994272793"
#define FAULT_TRACE "1-6b0b9001-0d862e3fe1be46a994272794"
#define LAMBDA_TRACE "1-6b0b9002-1d862e3fe1be46a994272795"
#define FIB_TRACE "1-6b0b9003-2d862e3fe1be46a994272796"
#define ERROR_TRACE "1-6b0b9004-3d862e3fe1be46a994272797"
#define OLD_TRACE "1-6b0b9005-4d862e3fe1be46a994272798"
#define SEED_TRACE "1-6b0b9006-5d862e3fe1be46a994272799"

static char db[128], base[64], capture_id[64];
static pid_t server;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs a command, returns its stdout (static buffer). */
static const char *capture(const char *cmd)
{
    static char out[1 << 20];
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = '\0';
    if (p)
        pclose(p);
    return out;
}

static const char *dom(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "timeout 60 " CHROMIUM " --headless --no-sandbox --disable-gpu --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --disable-quic "
             "--user-data-dir=" B "/chromium-profile --dump-dom 'http://%s%s' 2>/dev/null", base, path);
    return capture(cmd);
}

static void send_doc(int fd, const struct sockaddr_in *a, const char *body)
{
    char doc[65000];
    int n = snprintf(doc, sizeof doc, "{\"format\":\"json\",\"version\":1}\n%s", body);
    /* before the tests run: a fixture that cannot be sent stops the suite */
    if (n <= 0 || (size_t)n >= sizeof doc || sendto(fd, doc, (size_t)n, 0, (const struct sockaddr *)a, sizeof *a) != n) {
        fprintf(stderr, "viewer: could not send a fixture document (%d bytes)\n", n);
        exit(1);
    }
}

/* fib(n) as nested subsegments, each a tenth shorter than its parent; ids from *next. */
static int fib_json(char *out, size_t len, int n, double start, double end, unsigned *next)
{
    int w = snprintf(out, len, "{\"name\":\"fib\",\"id\":\"%016x\",\"start_time\":%.4f,\"end_time\":%.4f,"
                     "\"annotations\":{\"n\":%d}", (*next)++, start, end, n);
    if (n >= 2) {
        double mid = start + (end - start) / 2;
        w += snprintf(out + w, len - (size_t)w, ",\"subsegments\":[");
        w += fib_json(out + w, len - (size_t)w, n - 1, start + 0.0001, mid, next);
        w += snprintf(out + w, len - (size_t)w, ",");
        w += fib_json(out + w, len - (size_t)w, n - 2, mid, end - 0.0001, next);
        w += snprintf(out + w, len - (size_t)w, "]");
    }
    return w + snprintf(out + w, len - (size_t)w, "}");
}

/* The console's cases: the seed's request, a Lambda trace (the service's segment and the function's, one calling
 * the other, the function calling DynamoDB twice, once throttled), a recursive trace (fib(5):
 * 15 nested calls), an error trace whose call threw (with a stack), and a trace ten minutes
 * old (inside the default 15 minutes, outside the 5-minute preset). */
static void send_console_traces(int fd, const struct sockaddr_in *a)
{
    static char body[60000];
    double t = (double)time(NULL);
    snprintf(body, sizeof body, "{\"name\":\"users\",\"origin\":\"AWS::Lambda\",\"id\":\"1a00000000000001\","
             "\"trace_id\":\"" LAMBDA_TRACE "\",\"start_time\":%.4f,\"end_time\":%.4f,"
             "\"http\":{\"response\":{\"status\":200}}}", t, t + 0.083);
    send_doc(fd, a, body);
    snprintf(body, sizeof body, "{\"name\":\"users\",\"origin\":\"AWS::Lambda::Function\",\"id\":\"1a00000000000002\","
             "\"parent_id\":\"1a00000000000001\",\"trace_id\":\"" LAMBDA_TRACE "\",\"start_time\":%.4f,"
             "\"end_time\":%.4f,\"subsegments\":[{\"name\":\"DynamoDB\",\"id\":\"1a00000000000003\","
             "\"namespace\":\"aws\",\"start_time\":%.4f,\"end_time\":%.4f,\"aws\":{\"operation\":\"Query\","
             "\"table_name\":\"Users\"},\"http\":{\"response\":{\"status\":200}}},{\"name\":\"DynamoDB\","
             "\"id\":\"1a00000000000004\",\"namespace\":\"aws\",\"start_time\":%.4f,\"end_time\":%.4f,"
             "\"error\":true,\"throttle\":true,\"aws\":{\"operation\":\"PutItem\",\"table_name\":\"Users\"},"
             "\"http\":{\"response\":{\"status\":429}}}]}",
             t + 0.010, t + 0.078, t + 0.015, t + 0.035, t + 0.040, t + 0.070);
    send_doc(fd, a, body);
    unsigned next = 0xf1b00000u;
    int w = snprintf(body, sizeof body, "{\"name\":\"fib-service\",\"id\":\"%016x\",\"trace_id\":\"" FIB_TRACE
                     "\",\"start_time\":%.4f,\"end_time\":%.4f,\"subsegments\":[", next++, t, t + 0.064);
    w += fib_json(body + w, sizeof body - (size_t)w, 5, t + 0.001, t + 0.063, &next);
    snprintf(body + w, sizeof body - (size_t)w, "]}");
    send_doc(fd, a, body);
    snprintf(body, sizeof body, "{\"name\":\"orders\",\"id\":\"0e00000000000001\",\"trace_id\":\"" ERROR_TRACE "\","
             "\"start_time\":%.4f,\"end_time\":%.4f,\"error\":true,\"http\":{\"request\":{\"method\":\"POST\","
             "\"url\":\"http://localhost/orders\"},\"response\":{\"status\":400}},\"annotations\":{\"customer\":"
             "\"c-17\"},\"metadata\":{\"default\":{\"cart\":{\"items\":3}}},\"subsegments\":[{\"name\":"
             "\"parse_order\",\"id\":\"0e00000000000002\",\"start_time\":%.4f,\"end_time\":%.4f,\"fault\":true,"
             "\"cause\":{\"working_directory\":\"/srv\",\"exceptions\":[{\"id\":\"0e000000000000e1\",\"message\":"
             "\"bad quantity\",\"type\":\"std::invalid_argument\",\"stack\":[{\"path\":\"src/orders.cpp\","
             "\"line\":42,\"label\":\"parse_order\"},{\"path\":\"src/main.cpp\",\"line\":7,\"label\":\"main\"}]}]}}]}",
             t, t + 0.033, t + 0.005, t + 0.020);
    send_doc(fd, a, body);
    /* the seed's request, as users-api records it: POST /users, a DynamoDB PutItem, an S3 PutObject */
    snprintf(body, sizeof body, "{\"name\":\"users-api\",\"id\":\"5eed000000000001\",\"trace_id\":\"" SEED_TRACE "\","
             "\"start_time\":%.4f,\"end_time\":%.4f,\"http\":{\"request\":{\"method\":\"POST\",\"url\":"
             "\"http://localhost:8080/users\"},\"response\":{\"status\":201}},\"subsegments\":[{\"name\":"
             "\"DynamoDB\",\"id\":\"5eed000000000002\",\"namespace\":\"aws\",\"start_time\":%.4f,\"end_time\":%.4f,"
             "\"aws\":{\"operation\":\"PutItem\",\"table_name\":\"Users\"},\"http\":{\"response\":{\"status\":200}}},"
             "{\"name\":\"S3\",\"id\":\"5eed000000000003\",\"namespace\":\"aws\",\"start_time\":%.4f,"
             "\"end_time\":%.4f,\"aws\":{\"operation\":\"PutObject\",\"bucket_name\":\"users-bucket\"},"
             "\"http\":{\"response\":{\"status\":200}}}]}",
             t, t + 0.123, t + 0.010, t + 0.040, t + 0.045, t + 0.110);
    send_doc(fd, a, body);
    snprintf(body, sizeof body, "{\"name\":\"earlier\",\"id\":\"0d00000000000001\",\"trace_id\":\"" OLD_TRACE "\","
             "\"start_time\":%.4f,\"end_time\":%.4f}", t - 600, t - 599.988);
    send_doc(fd, a, body);
}

/* Fills a store through the daemon: the capture sample, one hand-made hostile document and
 * the console's cases. */
static void fill_store(void)
{
    int udp = support_free_port(SOCK_DGRAM);
    char cmd[1024], addr[64];
    snprintf(db, sizeof db, "/tmp/xraycap-viewer-%d.db", (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -f %s*", db);
    system(cmd);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", udp);
    pid_t d = fork();
    if (d == 0) {
        freopen("/dev/null", "w", stderr);
        execl(B "/xraycap", B "/xraycap", "daemon", "--udp", addr, "--db", db, (char *)NULL);
        _exit(127);
    }
    sleep_ms(300);
    snprintf(cmd, sizeof cmd, "AWS_XRAY_DAEMON_ADDRESS=%s XRAYCAP_SAMPLING=false " B "/samples/capture >/dev/null", addr);
    system(cmd);
    char doc[1024];
    int n = snprintf(doc, sizeof doc, "{\"format\":\"json\",\"version\":1}\n{\"name\":\"hostile\",\"id\":"
                     "\"70de5b6f19ff9a0a\",\"trace_id\":\"" TRACE "\",\"start_time\":%ld,\"end_time\":%ld,"
                     "\"annotations\":{\"note\":\"<b id=injected>x</b>\"}}", (long)time(NULL), (long)time(NULL) + 1);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)udp),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sendto(fd, doc, (size_t)n, 0, (struct sockaddr *)&a, sizeof a);
    /* a service whose call to another failed, beside a healthy AWS call */
    double t = (double)time(NULL);
    n = snprintf(doc, sizeof doc, "{\"format\":\"json\",\"version\":1}\n{\"name\":\"fault-sample\",\"id\":"
                 "\"70de5b6f19ff9a0b\",\"trace_id\":\"" FAULT_TRACE "\",\"start_time\":%.3f,\"end_time\":%.3f,"
                 "\"fault\":true,\"subsegments\":[{\"name\":\"payments\",\"id\":\"70de5b6f19ff9a0c\","
                 "\"namespace\":\"remote\",\"start_time\":%.3f,\"end_time\":%.3f,\"fault\":true,"
                 "\"http\":{\"request\":{\"method\":\"POST\",\"url\":\"https://payments.internal:8443/charge\"},"
                 "\"response\":{\"status\":503}}},{\"name\":\"DynamoDB\",\"id\":\"70de5b6f19ff9a0d\","
                 "\"namespace\":\"aws\",\"start_time\":%.3f,\"end_time\":%.3f,\"aws\":{\"operation\":\"GetItem\","
                 "\"table_name\":\"Orders\"}}]}", t, t + 0.052, t + 0.010, t + 0.040, t + 0.001, t + 0.008);
    sendto(fd, doc, (size_t)n, 0, (struct sockaddr *)&a, sizeof a);
    send_console_traces(fd, &a);
    close(fd);
    sleep_ms(500);
    kill(d, SIGTERM);
    waitpid(d, NULL, 0);
}

static void test_trace_list_timeline_and_map_render_in_a_browser(void)
{
    const char *list = dom("/");
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "id=\"traces\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "class=\"trace\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "quantity=12"));
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "id=\"filter\""));
    /* the hostile annotation is text, not markup */
    CU_ASSERT_PTR_NULL(strstr(list, "<b id=\"injected\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "&lt;b id=injected&gt;"));

    /* the capture sample's trace: its id from the list */
    const char *link = strstr(list, "href=\"trace/");
    CU_ASSERT_PTR_NOT_NULL_FATAL(link);
    char id[64] = "";
    for (const char *l = link; (l = strstr(l, "href=\"trace/")); l++) {
        snprintf(id, sizeof id, "%.35s", l + 12);
        if (strncmp(id, "1-6b0b900", 9)) /* not one of the hand-made traces */
            break;
    }
    snprintf(capture_id, sizeof capture_id, "%s", id);
    char path[128];
    snprintf(path, sizeof path, "/trace/%s", id);
    const char *page = dom(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"timeline\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, ">capture-sample<"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, ">lookup_unit_price<"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"details\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<title>capture-sample</title>"));

    const char *map = dom("/map");
    CU_ASSERT_PTR_NOT_NULL(strstr(map, "class=\"map\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(map, "<title>client</title>"));

    const char *bad = dom("/?filter=responsetime+%3E");
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "id=\"filter-error\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "expected a value"));

    char cmd[1024];
    snprintf(cmd, sizeof cmd, "timeout 60 " CHROMIUM " --headless --no-sandbox --disable-gpu --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --disable-quic "
             "--user-data-dir=" B "/chromium-profile --window-size=1280,900 --screenshot=" B "/viewer/trace-page.png "
             "'http://%s%s' >/dev/null 2>&1", base, path);
    system(cmd);
    CU_ASSERT_EQUAL(access(B "/viewer/trace-page.png", R_OK), 0);
}

/* Layout, colours, axis, names and links, measured in the page by tests/e2e/viewer_dom.mjs. */
static void test_layout_colours_and_links_hold_in_the_browser(void)
{
    CU_ASSERT_NOT_EQUAL_FATAL(capture_id[0], '\0');
    if (system("node --version >/dev/null 2>&1")) {
        printf("SKIPPED layout checks: node is not installed\n");
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, B "/xraycap html --db %s %s > " B "/viewer/trace.html", db, capture_id);
    system("mkdir -p " B "/viewer");
    CU_ASSERT_EQUAL(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "timeout 120 node --experimental-websocket " ROOT "/tests/e2e/viewer_dom.mjs "
             "http://%s %s " FAULT_TRACE " " B "/viewer/trace.html " B "/viewer "
             LAMBDA_TRACE " " FIB_TRACE " " ERROR_TRACE " " OLD_TRACE, base, capture_id);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

int main(void)
{
    if (access(CHROMIUM, X_OK)) {
        printf("SKIPPED web view browser test: " CHROMIUM " is not installed (apt-get install chromium)\n");
        return 0;
    }
    system("mkdir -p " B "/viewer");
    fill_store();
    int http = support_free_port(SOCK_STREAM);
    snprintf(base, sizeof base, "127.0.0.1:%d", http);
    server = fork();
    if (server == 0) {
        execl(B "/xraycap", B "/xraycap", "serve", "--db", db, "--http", base, (char *)NULL);
        _exit(127);
    }
    sleep_ms(300);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("viewer", NULL, NULL);
    CU_add_test(s, "test_trace_list_timeline_and_map_render_in_a_browser", test_trace_list_timeline_and_map_render_in_a_browser);
    CU_add_test(s, "test_layout_colours_and_links_hold_in_the_browser", test_layout_colours_and_links_hold_in_the_browser);
    int failed = support_run_tests();
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f %s*", db);
    system(cmd);
    return failed ? 1 : 0;
}
