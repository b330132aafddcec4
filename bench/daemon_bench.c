/* daemon_bench.c — `xraycap daemon` left running, at its defaults (--retain 30d, no size cap):
 *
 * 1. Sustained ingest: 8 senders on loopback for DAEMON_BENCH_SECONDS (60) at each of
 *    increasing total rates; for each, what was sent, stored, dropped by the kernel (the
 *    daemon's own count) and lost. The highest rate without loss is the daemon's sustained rate.
 * 2. Pruning while receiving: a store holding 1,000,000 documents past their retention; two
 *    senders send as fast as they can for DAEMON_BENCH_PRUNE_SECONDS (20), once to a daemon
 *    that keeps everything (--retain forever) and once to one that prunes the million
 *    meanwhile (the default 30d): the receive rate with pruning against the rate without.
 *
 * Ratios in one run on this machine; nothing here is asserted. */
#include "../tests/common/support.h"
#include "../tools/xraycap/store.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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
#define XRAYCAP ROOT "/build/xraycap"
#define SENDERS 8

static char dir[64], db[128], log_path[128];
static int port;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A segment as a web service sends one: about 450 bytes. */
static int datagram(char *out, size_t len, unsigned long n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    return snprintf(out, len,
                    "{\"format\":\"json\",\"version\":1}\n{\"name\":\"orders-api\",\"id\":\"%016lx\","
                    "\"trace_id\":\"1-%08x-%024lx\",\"start_time\":%.6f,\"end_time\":%.6f,"
                    "\"origin\":\"AWS::EC2::Instance\",\"http\":{\"request\":{\"method\":\"POST\","
                    "\"url\":\"https://orders.example.com/orders\",\"client_ip\":\"10.0.0.7\"},"
                    "\"response\":{\"status\":201,\"content_length\":312}},\"annotations\":"
                    "{\"customer\":\"c-1042\",\"items\":3},\"aws\":{\"xray\":{\"sdk\":\"xraycap\","
                    "\"sdk_version\":\"0.9.0\"}}}",
                    n + 1, (unsigned)ts.tv_sec, n + 1, t, t + 0.012);
}

static pid_t daemon_start(const char *options)
{
    port = support_free_port(SOCK_DGRAM);
    pid_t pid = fork();
    if (pid == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "exec " XRAYCAP " daemon --udp 127.0.0.1:%d --db %s %s 2>%s", port, db, options,
                 log_path);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    usleep(500000);
    return pid;
}

/* Stops it; reads its counts. */
static void daemon_stop(pid_t pid, unsigned long *stored, unsigned long *dropped, unsigned long *pruned)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char log[4096] = "", line[4096];
    FILE *f = fopen(log_path, "r");
    while (f && fgets(line, sizeof line, f)) /* its last line: the counts */
        if (strstr(line, "accepted "))
            memcpy(log, line, sizeof log);
    if (f)
        fclose(f);
    const char *s = strstr(log, "stored "), *d = strstr(log, "dropped by the kernel "), *p = strstr(log, "trace(s) (");
    *stored = s ? strtoul(s + 7, NULL, 10) : 0;
    *dropped = d ? strtoul(d + 22, NULL, 10) : 0;
    *pruned = p ? strtoul(p + 10, NULL, 10) : 0;
}

typedef struct sender {
    double rate;          /* datagrams per second; 0: as fast as it can */
    double seconds;
    unsigned long first;  /* its documents' numbers start here */
    unsigned long sent;
} sender;

static void *send_for(void *arg)
{
    sender *s = arg;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[1024];
    double start = now(), owed = 0;
    struct timespec tick;
    clock_gettime(CLOCK_MONOTONIC, &tick);
    while (now() - start < s->seconds) {
        /* every millisecond, what the rate owes; or a burst of 64 when unpaced */
        owed += s->rate > 0 ? s->rate / 1000 : 64;
        for (; owed >= 1; owed--) {
            int n = datagram(buf, sizeof buf, s->first + s->sent);
            if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&a, sizeof a) == n)
                s->sent++;
        }
        if (s->rate > 0) {
            tick.tv_nsec += 1000000;
            if (tick.tv_nsec >= 1000000000)
                tick.tv_sec++, tick.tv_nsec -= 1000000000;
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
        }
    }
    close(fd);
    return NULL;
}

/* n senders sharing `rate` for `seconds`; returns how many datagrams they sent. */
static unsigned long send_all(int n, double rate, double seconds, unsigned long first)
{
    sender s[SENDERS];
    pthread_t t[SENDERS];
    for (int i = 0; i < n; i++) {
        s[i] = (sender){rate / n, seconds, first + (unsigned long)i * 100000000UL, 0};
        pthread_create(&t[i], NULL, send_for, &s[i]);
    }
    unsigned long sent = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        sent += s[i].sent;
    }
    return sent;
}

static void fresh_store(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", db, db, db);
    system(cmd);
}

static void sustained_ingest(double seconds)
{
    static const double rates[] = {10000, 25000, 50000, 75000, 100000, 150000};
    printf("Sustained ingest: %d senders, %.0f s per rate, xraycap daemon at its defaults\n", SENDERS, seconds);
    printf("  %10s %12s %12s %12s %10s %8s\n", "rate/s", "sent", "stored", "kernel drops", "lost", "loss");
    double best = 0;
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        fresh_store();
        pid_t pid = daemon_start("");
        unsigned long sent = send_all(SENDERS, rates[i], seconds, 0), stored, dropped, pruned;
        usleep(1500000); /* what is queued is read */
        daemon_stop(pid, &stored, &dropped, &pruned);
        unsigned long lost = sent > stored ? sent - stored : 0;
        printf("  %10.0f %12lu %12lu %12lu %10lu %7.3f%%\n", rates[i], sent, stored, dropped, lost,
               sent ? 100.0 * lost / sent : 0);
        fflush(stdout);
        if (!lost)
            best = rates[i];
        else if (lost * 20 > sent) /* beyond 5% lost: the rates above can only lose more */
            break;
    }
    printf("  highest rate without loss: %.0f documents/s (the X-Ray daemon buffers 2,000 segments "
           "in memory and drops beyond that; this daemon's queue is the kernel's, 16 MiB)\n", best);
}

static void prune_while_receiving(double seconds)
{
    const long million = 1000000;
    printf("\nPruning while receiving: %ld stored documents past their retention, 2 unpaced senders for %.0f s\n",
           million, seconds);
    fresh_store();
    char err[256], copy[160], cmd[1024];
    store *s = store_open(db, err, sizeof err);
    if (!s) {
        printf("  cannot make the store: %s\n", err);
        return;
    }
    double t0 = now(), old = (double)time(NULL) - 40 * 86400.0;
    char text[1024];
    store_begin(s);
    for (long i = 0; i < million; i++) {
        int n = datagram(text, sizeof text, 900000000UL + (unsigned long)i);
        const char *body = memchr(text, '\n', (size_t)n) + 1;
        cJSON *doc = cJSON_Parse(body);
        store_put_at(s, doc, body, old + i * 1e-3);
        cJSON_Delete(doc);
        if (i % 100000 == 99999) {
            store_commit(s);
            store_begin(s);
        }
    }
    store_commit(s);
    store_close(s);
    printf("  (store of %ld documents made in %.1f s)\n", million, now() - t0);
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    snprintf(cmd, sizeof cmd, "cp %s %s", db, copy);
    system(cmd);
    double rate[2];
    unsigned long pruned_docs = 0;
    for (int run = 0; run < 2; run++) {
        if (run == 1) { /* the same store again */
            snprintf(cmd, sizeof cmd, "rm -f %s-wal %s-shm; cp %s %s", db, db, copy, db);
            system(cmd);
        }
        pid_t pid = daemon_start(run ? "" : "--retain forever");
        unsigned long sent = send_all(2, 0, seconds, 0), stored, dropped, pruned;
        daemon_stop(pid, &stored, &dropped, &pruned);
        rate[run] = stored / seconds;
        if (run)
            pruned_docs = pruned;
        printf("  %-28s sent %9lu, stored %9lu (%7.0f/s), kernel drops %9lu%s\n",
               run ? "with pruning (default 30d):" : "without pruning (forever):", sent, stored, rate[run], dropped,
               run ? "" : "");
    }
    printf("  pruned meanwhile: %lu of %ld documents\n", pruned_docs, million);
    printf("  receive rate with pruning / without: %.2f\n", rate[0] > 0 ? rate[1] / rate[0] : 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/xraycap-daemon-bench-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/traces.db", dir);
    snprintf(log_path, sizeof log_path, "%s/daemon.log", dir);
    const char *a = getenv("DAEMON_BENCH_SECONDS"), *b = getenv("DAEMON_BENCH_PRUNE_SECONDS");
    sustained_ingest(a ? atof(a) : 60);
    prune_while_receiving(b ? atof(b) : 20);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    system(cmd);
    return 0;
}
