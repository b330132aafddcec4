/* emit_bench.c — how fast finished segments become documents and datagrams, as figures and
 * ratios measured in one run:
 *   1. documents serialized per second (segments of 10 and 100 subsegments), one core;
 *   2. subsegments per second end to end to a UDP listener, producer and listener pinned to
 *      one core;
 *   3. the same two for the Node.js X-Ray SDK (npm aws-xray-sdk-core) when npm could
 *      install it (else skipped, saying so);
 *   4. a traced program's own throughput with each emitter, the destination down, refusing
 *      or hanging, relative to the run with no destination (emitter none).
 * Nothing here is asserted: the figures are for docs/performance.md. */
#include "base/config.h"
#include "core/context.h"
#include "emit/emit.h"
#include "emit/serialize.h"

#include "../tests/unit/fake_http.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>

#ifndef ROOT
#define ROOT "."
#endif
#define NODE_MODULES ROOT "/build/npm-bench/node_modules"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void configure(const char *emitters, long threshold, const char *daemon)
{
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = emitters;
    c.streaming_threshold = threshold;
    c.max_subsegments = 10000000;
    c.sampling = XRAY_SWITCH_OFF;
    c.sampling_remote = XRAY_SWITCH_OFF;
    c.daemon_address = daemon;
    c.log_level = XRAY_LOG_ERROR;
    c.flush_timeout_ms = 500;
    xray_recorder_configure(&c);
}

static void pin_to_cpu0(void)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
}

/* ---- 1. serialization ------------------------------------------------------------------- */

static double serialize_rate(int nsub, size_t *bytes)
{
    configure("none", 10000000, NULL);
    xray_begin_segment("bench");
    for (int i = 0; i < nsub; i++) {
        xray_begin_subsegment("work");
        xray_end_subsegment();
    }
    xrc_segment *s = xrc_tls.seg;
    s->ent.end_ns = xrc_mono_ns() - s->mono_base_ns; /* finished, as when it is sent */
    xrc_link_tree(s);
    xrc_buf b;
    xrc_spill spill = {0};
    xrc_buf_init(&b, XRC_MAX_DATAGRAM);
    long docs = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < 1.0) {
        for (int i = 0; i < 200; i++) {
            xrc_buf_rewind(&b, 0);
            xrc_serialize_doc(&b, XRC_MAX_DATAGRAM, s, &s->ent, &spill);
            docs++;
        }
        t = now_s();
    }
    *bytes = b.len;
    xrc_buf_free(&b);
    free(spill.v);
    s->ent.end_ns = -1;
    xray_end_segment();
    return docs / (t - t0);
}

/* ---- 2. end to end over UDP ------------------------------------------------------------- */

typedef struct udp_sink {
    int fd, port;
    atomic_long subsegments, datagrams;
    atomic_int stop;
    pthread_t thread;
} udp_sink;

/* Subsegments in a datagram: entities (each has one start_time) minus a segment, if any. */
static long subsegments_in(const char *d, ssize_t n)
{
    long entities = 0;
    const char *p = d, *end = d + n;
    while ((p = memmem(p, (size_t)(end - p), "\"start_time\":", 13))) {
        entities++;
        p += 13;
    }
    bool subsegment_doc = memmem(d, (size_t)n, "\"type\":\"subsegment\"", 19) != NULL;
    return entities - (subsegment_doc ? 0 : 1);
}

static void *drain(void *arg)
{
    udp_sink *u = arg;
    static char buf[70000];
    while (!atomic_load(&u->stop)) {
        ssize_t n = recv(u->fd, buf, sizeof buf, 0);
        if (n <= 0)
            continue;
        atomic_fetch_add(&u->subsegments, subsegments_in(buf, n));
        atomic_fetch_add(&u->datagrams, 1);
    }
    return NULL;
}

static void sink_open(udp_sink *u)
{
    memset(u, 0, sizeof *u);
    u->fd = socket(AF_INET, SOCK_DGRAM, 0);
    int size = 64 << 20;
    if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
        setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct timeval tv = {0, 100000};
    setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(u->fd, (struct sockaddr *)&a, sizeof a);
    getsockname(u->fd, (struct sockaddr *)&a, &len);
    u->port = ntohs(a.sin_port);
    pthread_create(&u->thread, NULL, drain, u);
}

/* Waits until nothing has arrived for 300 ms, then stops the listener. */
static void sink_close(udp_sink *u)
{
    long last = -1;
    while (last != atomic_load(&u->datagrams)) {
        last = atomic_load(&u->datagrams);
        struct timespec ts = {0, 300000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&u->stop, 1);
    pthread_join(u->thread, NULL);
    close(u->fd);
}

typedef struct e2e { double per_s, loss; long docs; } e2e;

static e2e c_end_to_end(int nsub, int segments, long threshold)
{
    udp_sink u;
    sink_open(&u);
    char daemon[40];
    snprintf(daemon, sizeof daemon, "127.0.0.1:%d", u.port);
    configure("udp", 0, daemon);
    configure(NULL, threshold, NULL);
    xray_stats before, after;
    xray_recorder_stats(&before);
    double t0 = now_s();
    for (int s = 0; s < segments; s++) {
        xray_begin_segment("bench");
        for (int i = 0; i < nsub; i++) {
            xray_begin_subsegment("work");
            xray_end_subsegment();
        }
        xray_end_segment();
    }
    double t = now_s() - t0;
    sink_close(&u);
    xray_recorder_stats(&after);
    long want = (long)nsub * segments;
    return (e2e){atomic_load(&u.subsegments) / t, 1.0 - (double)atomic_load(&u.subsegments) / want,
                 (long)(after.documents_sent - before.documents_sent)};
}

/* ---- 3. the Node.js SDK ------------------------------------------------------------------ */

static bool node_ready(void)
{
    return access(NODE_MODULES "/aws-xray-sdk-core/package.json", R_OK) == 0 &&
           system("node --version >/dev/null 2>&1") == 0;
}

/* Runs the Node script pinned to CPU 0; its one output line in `out`. */
static bool node_run(char *const args[], char *out, size_t n)
{
    int fds[2];
    if (pipe(fds))
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        pin_to_cpu0();
        dup2(fds[1], 1);
        close(fds[0]);
        execvp("node", args);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    bool ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    int status;
    waitpid(pid, &status, 0);
    return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static double node_serialize(int nsub)
{
    char n[16], out[400];
    snprintf(n, sizeof n, "%d", nsub);
    char *args[] = {"node", ROOT "/bench/node_xray_bench.js", NODE_MODULES, "serialize", n, "1",
                    NULL};
    double rate = 0;
    if (node_run(args, out, sizeof out))
        sscanf(strstr(out, "docs_per_s") ? strstr(out, "docs_per_s") + 12 : "0", "%lf", &rate);
    return rate;
}

static e2e node_end_to_end(int nsub, int segments)
{
    udp_sink u;
    sink_open(&u);
    char n[16], segs[16], port[16], out[400];
    snprintf(n, sizeof n, "%d", nsub);
    snprintf(segs, sizeof segs, "%d", segments);
    snprintf(port, sizeof port, "%d", u.port);
    char *args[] = {"node", ROOT "/bench/node_xray_bench.js", NODE_MODULES, "send", n, segs, port,
                    NULL};
    double seconds = 0;
    if (node_run(args, out, sizeof out))
        sscanf(strstr(out, "seconds") ? strstr(out, "seconds") + 9 : "0", "%lf", &seconds);
    sink_close(&u);
    long want = (long)nsub * segments, got = atomic_load(&u.subsegments);
    return (e2e){seconds > 0 ? got / seconds : 0, 1.0 - (double)got / want,
                 atomic_load(&u.datagrams)};
}

/* ---- 4. the program's throughput with each destination ---------------------------------- */

static volatile unsigned long work_sink;

/* A request-like segment: 10 subsegments around a little work (~2 us in all). */
static void request(void)
{
    xray_begin_segment("request");
    for (int i = 0; i < 10; i++) {
        xray_begin_subsegment("step");
        for (unsigned long k = 0; k < 60; k++)
            work_sink += k * k;
        xray_end_subsegment();
    }
    xray_end_segment();
}

static double one_round(void)
{
    double t0 = now_s();
    for (int i = 0; i < 20000; i++)
        request();
    return 20000 / (now_s() - t0);
}

static void answer_500(const http_request *req, http_response *resp, void *ctx)
{
    (void)req, (void)ctx;
    resp->status = 500;
}

static void answer_200(const http_request *req, http_response *resp, void *ctx)
{
    (void)req, (void)ctx;
    resp->status = 200;
}

static void hang(const http_request *req, http_response *resp, void *ctx)
{
    (void)req, (void)ctx;
    resp->delay_ms = 2000;
}

/* Rounds alternate between the emitter and none, so drift in the machine's speed hits both;
 * each keeps its best round. */
static void destination_row(const char *label, const char *emitters)
{
    double best = 0, base = 0;
    for (int round = 0; round < 7; round++) {
        configure(emitters, 0, NULL);
        double r = one_round();
        configure("none", 0, NULL);
        double b = one_round();
        best = r > best ? r : best;
        base = b > base ? b : base;
    }
    xray_recorder_shutdown();
    printf("  %-40s %9.0f req/s, none %9.0f req/s: %.3f\n", label, best, base, best / base);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDBENCH", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "bench", 1);
    bool node = node_ready();
    pin_to_cpu0();

    printf("== documents serialized per second (one core)\n");
    for (int k = 0; k < 2; k++) {
        int nsub = k ? 100 : 10;
        size_t bytes;
        double c = serialize_rate(nsub, &bytes);
        printf("  xraycap  %3d subsegments: %10.0f docs/s  %12.0f subsegments/s  (%zu bytes/doc)\n",
               nsub, c, c * nsub, bytes);
        if (node) {
            double n = node_serialize(nsub);
            printf("  Node SDK %3d subsegments: %10.0f docs/s  %12.0f subsegments/s  -> xraycap %.1fx\n",
                   nsub, n, n * nsub, n > 0 ? c / n : 0);
        }
    }
    if (!node)
        printf("  Node.js SDK: skipped (npm could not install aws-xray-sdk-core into "
               "build/npm-bench, or no node)\n");

    printf("== subsegments per second end to end to a UDP listener (producer and listener on "
           "one core), every setting at its default (streaming by size: a segment goes out as one "
           "document while it fits); every subsegment recorded (manual ones are never folded)\n");
    for (int k = 0; k < 2; k++) {
        int nsub = k ? 100 : 10, segments = k ? 20000 : 100000;
        e2e c = c_end_to_end(nsub, segments, -1);
        printf("  xraycap  %3d subsegments/segment: %10.0f subsegments/s delivered, %ld datagrams, "
               "%.1f%% lost\n", nsub, c.per_s, c.docs, 100 * c.loss);
        if (nsub > 30) {
            /* Setting changed, for comparison: the Python SDK's count rule. */
            e2e counted = c_end_to_end(nsub, segments, 30);
            printf("  xraycap  %3d subsegments/segment, streaming_threshold=30 (setting changed): "
                   "%10.0f subsegments/s, %ld datagrams, %.1f%% lost\n", nsub, counted.per_s,
                   counted.docs, 100 * counted.loss);
        }
        if (node) {
            e2e n = node_end_to_end(nsub, segments / 4);
            printf("  Node SDK %3d subsegments/segment: %10.0f subsegments/s delivered, %ld datagrams, "
                   "%.1f%% lost -> xraycap %.1fx\n", nsub, n.per_s, n.docs, 100 * n.loss,
                   n.per_s > 0 ? c.per_s / n.per_s : 0);
        }
    }

    printf("== a traced program's throughput by destination, against no destination (none) in "
           "alternating rounds (10 subsegments per request)\n");
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++)
        CPU_SET(i, &all);
    sched_setaffinity(0, sizeof all, &all); /* emitter threads may use the other core */
    udp_sink u;
    sink_open(&u);
    char e[100];
    snprintf(e, sizeof e, "udp");
    char daemon[40];
    snprintf(daemon, sizeof daemon, "127.0.0.1:%d", u.port);
    configure(NULL, 0, daemon);
    destination_row("udp, listener reading", "udp");
    sink_close(&u);
    snprintf(daemon, sizeof daemon, "127.0.0.1:%d", fake_http_free_port());
    configure(NULL, 0, daemon);
    destination_row("udp, nobody listening", "udp");
    fake_http h;
    fake_http_start(&h, answer_200, NULL);
    snprintf(e, sizeof e, "otlp:http://%s", h.address);
    destination_row("otlp, collector answering 200", e);
    fake_http_stop(&h);
    snprintf(e, sizeof e, "otlp:http://127.0.0.1:%d", fake_http_free_port());
    destination_row("otlp, collector down (refused)", e);
    fake_http_start(&h, hang, NULL);
    snprintf(e, sizeof e, "otlp:http://%s", h.address);
    destination_row("otlp, collector hanging", e);
    fake_http_stop(&h);
    fake_http_start(&h, answer_500, NULL);
    char url[100];
    snprintf(url, sizeof url, "http://%s", h.address);
    setenv("AWS_ENDPOINT_URL_XRAY", url, 1);
    destination_row("xray-api, answering 500", "xray-api");
    fake_http_stop(&h);
    char path[] = "/tmp/xraycap-bench-XXXXXX";
    close(mkstemp(path));
    snprintf(e, sizeof e, "file:%s", path);
    destination_row("file (JSON Lines)", e);
    unlink(path);
    return 0;
}
