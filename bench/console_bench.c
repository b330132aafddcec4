/* console_bench.c — `xraycap serve` and the terminal views over a store of 10,000 traces
 * (CONSOLE_BENCH_TRACES), all in serve's default time range (the last 15 minutes), at the
 * defaults a user leaves alone (--since 15m, --limit 1000).
 *
 * Each trace is a web service's segment (HTTP request and response, annotations) with three
 * calls: DynamoDB GetItem, a remote POST to payments and a local one; one in ten also has the
 * payments service's own segment. One in twenty is a fault, one in thirteen an error, one in
 * fifty a throttled DynamoDB call. The timings are wall-clock milliseconds for whole answers
 * (request sent to last byte read), the median and the slowest of RUNS; nothing is asserted.
 * The goal the console work set is 300 ms for each of the list, a filter, the histogram (drawn
 * with the list) and the map. */
#include "../tests/common/support.h"
#include "../tools/xraycap/store.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define XRAYCAP ROOT "/build/xraycap"
#define RUNS 7

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(store *s, const char *text)
{
    cJSON *doc = cJSON_Parse(text);
    if (!doc || store_put(s, doc, text) != STORE_OK) {
        fprintf(stderr, "console_bench: could not store a document\n");
        exit(1);
    }
    cJSON_Delete(doc);
}

static void fill(store *s, int traces)
{
    static char text[4096];
    double t0 = (double)time(NULL) - 600; /* spread over the last ten minutes */
    store_begin(s);
    for (int i = 0; i < traces; i++) {
        double t = t0 + 600.0 * i / traces, d = 0.010 + (i % 97) * 0.0009;
        bool fault = i % 20 == 0, error = !fault && i % 13 == 0, throttle = i % 50 == 7;
        snprintf(text, sizeof text,
                 "{\"name\":\"orders-api\",\"origin\":\"AWS::EC2::Instance\",\"id\":\"%016x\","
                 "\"trace_id\":\"1-5759e988-%024x\",\"start_time\":%.6f,\"end_time\":%.6f%s%s,"
                 "\"http\":{\"request\":{\"method\":\"POST\",\"url\":\"https://orders.example.com/orders\"},"
                 "\"response\":{\"status\":%d}},\"annotations\":{\"customer\":\"c-%d\",\"items\":%d},"
                 "\"subsegments\":[{\"name\":\"DynamoDB\",\"namespace\":\"aws\",\"id\":\"%016x\","
                 "\"start_time\":%.6f,\"end_time\":%.6f%s,\"aws\":{\"operation\":\"GetItem\",\"table_name\":\"Orders\"}},"
                 "{\"name\":\"payments\",\"namespace\":\"remote\",\"id\":\"%016x\",\"start_time\":%.6f,"
                 "\"end_time\":%.6f%s,\"http\":{\"request\":{\"method\":\"POST\",\"url\":\"https://payments.internal/charge\"},"
                 "\"response\":{\"status\":%d}}},{\"name\":\"price_order\",\"id\":\"%016x\",\"start_time\":%.6f,"
                 "\"end_time\":%.6f}]}",
                 0x10000000u + i, i + 1, t, t + d, fault ? ",\"fault\":true" : "",
                 error ? ",\"error\":true" : "", fault ? 500 : error ? 400 : 200, i % 300, i % 5,
                 0x20000000u + i, t + 0.001, t + 0.004, throttle ? ",\"error\":true,\"throttle\":true" : "",
                 0x30000000u + i, t + 0.005, t + d - 0.002, fault ? ",\"fault\":true" : "", fault ? 503 : 200,
                 0x40000000u + i, t + d - 0.002, t + d - 0.001);
        put(s, text);
        if (i % 10 == 0) {
            snprintf(text, sizeof text,
                     "{\"name\":\"payments\",\"id\":\"%016x\",\"parent_id\":\"%016x\",\"trace_id\":\"1-5759e988-%024x\","
                     "\"start_time\":%.6f,\"end_time\":%.6f%s}",
                     0x50000000u + i, 0x30000000u + i, i + 1, t + 0.006, t + d - 0.003,
                     fault ? ",\"fault\":true" : "");
            put(s, text);
        }
        if (i % 1000 == 999) {
            store_commit(s);
            store_begin(s);
        }
    }
    store_commit(s);
}

/* One GET; the answer's size in bytes (its status line checked), -1 on failure. */
static long get(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[2048], buf[65536];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    long total = 0;
    ssize_t got;
    bool ok = false;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        if (!total)
            ok = got > 12 && !strncmp(buf + 9, "200", 3);
        total += got;
    }
    close(fd);
    return ok ? total : -1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times `path` RUNS times; prints the median and the slowest. */
static void time_page(int port, const char *what, const char *path)
{
    double ms[RUNS];
    long size = 0;
    for (int r = 0; r < RUNS; r++) {
        double t = now();
        size = get(port, path);
        ms[r] = (now() - t) * 1000;
        if (size < 0) {
            printf("%-44s failed (GET %s)\n", what, path);
            return;
        }
    }
    qsort(ms, RUNS, sizeof *ms, by_value);
    printf("%-44s %8.0f ms median %8.0f ms slowest %9ld bytes\n", what, ms[RUNS / 2], ms[RUNS - 1], size);
}

/* Times a terminal command RUNS times (its output discarded). */
static void time_command(const char *what, const char *cmd)
{
    double ms[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t = now();
        int rc = system(cmd);
        ms[r] = (now() - t) * 1000;
        if (rc) {
            printf("%-44s failed (%s)\n", what, cmd);
            return;
        }
    }
    qsort(ms, RUNS, sizeof *ms, by_value);
    printf("%-44s %8.0f ms median %8.0f ms slowest\n", what, ms[RUNS / 2], ms[RUNS - 1]);
}

int main(void)
{
    int traces = getenv("CONSOLE_BENCH_TRACES") ? atoi(getenv("CONSOLE_BENCH_TRACES")) : 10000;
    char dir[] = "/tmp/xraycap-console-bench-XXXXXX", db[128], err[256], cmd[512];
    if (traces < 1 || !mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/traces.db", dir);
    store *s = store_open(db, err, sizeof err);
    if (!s) {
        fprintf(stderr, "console_bench: %s\n", err);
        return 1;
    }
    double t = now();
    fill(s, traces);
    store_close(s);
    printf("console_bench: %d traces stored in %.1f s; serve at its defaults (--since 15m, --limit 1000)\n",
           traces, now() - t);
    int port = support_free_port(SOCK_STREAM);
    snprintf(cmd, sizeof cmd, "exec " XRAYCAP " serve --db %s --http 127.0.0.1:%d 2>/dev/null", db, port);
    int pid = support_spawn(cmd);
    if (!support_wait_port(port)) {
        fprintf(stderr, "console_bench: serve did not start\n");
        return 1;
    }
    time_page(port, "list (1,000 rows) and histogram (all)", "/");
    time_page(port, "filter: responsetime > 0.05", "/?filter=responsetime%20%3E%200.05");
    time_page(port, "filter: service(\"DynamoDB\") { throttle }",
              "/?filter=service(%22DynamoDB%22)%20%7B%20throttle%20%7D");
    time_page(port, "filter: edge(\"orders-api\", \"payments\") { fault }",
              "/?filter=edge(%22orders-api%22%2C%20%22payments%22)%20%7B%20fault%20%7D");
    time_page(port, "map (with its panels and histograms)", "/map");
    time_page(port, "one trace's page", "/trace/1-5759e988-000000000000000000000001");
    support_stop(pid);
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s >/dev/null", db);
    time_command("xraycap traces", cmd);
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --filter 'responsetime > 0.05' >/dev/null", db);
    time_command("xraycap traces --filter 'responsetime > 0.05'", cmd);
    snprintf(cmd, sizeof cmd, XRAYCAP " map --db %s >/dev/null", db);
    time_command("xraycap map", cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    system(cmd);
    return 0;
}
