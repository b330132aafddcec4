/* test_daemon_life.c — `xraycap daemon` left running: retention by age and by size (the store's
 * pruning with a clock the test sets, and the daemon pruning while it receives), `xraycap
 * prune`, a full and a read-only store (the daemon lives, counts what it could not store,
 * recovers by itself), kill -9 during ingest and during pruning (the store passes SQLite's
 * integrity check and keeps every committed document), the kernel's drops counted, the
 * "N shown of M" line, `serve` with 50 clients at once and its time range. */
#include "../common/support.h"
#include "../../tools/xraycap/store.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ROOT
#define ROOT "."
#endif
#define XRAYCAP ROOT "/build/xraycap"
#define DAY 86400.0

static char dir[64], db[128], daemon_log[128];
static int udp_port;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void fresh_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/xraycap-life-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/traces.db", dir);
    snprintf(daemon_log, sizeof daemon_log, "%s/daemon.log", dir);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

/* A document of trace number `trace`, entity `id`, padded with `pad` bytes of metadata. */
static int document(char *out, size_t len, unsigned trace, unsigned id, int pad)
{
    double t = (double)time(NULL);
    int n = snprintf(out, len, "{\"name\":\"life\",\"id\":\"%016x\",\"trace_id\":\"1-5759e988-%024x\","
                     "\"start_time\":%.3f,\"end_time\":%.3f,\"metadata\":{\"default\":{\"pad\":\"",
                     id + 1, trace + 1, t, t + 0.001);
    for (int i = 0; i < pad && (size_t)n + 8 < len; i++)
        out[n++] = 'x';
    return n + snprintf(out + n, len - (size_t)n, "\"}}}");
}

/* Stores traces [first, first + n) of `docs` documents each, as if they had arrived at
 * `received` + i seconds (the clock these tests set). */
static void fill(store *s, unsigned first, int n, int docs, double received, int pad)
{
    static char text[70000];
    store_begin(s);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < docs; d++) {
            document(text, sizeof text, first + (unsigned)i, (first + (unsigned)i) * 16 + (unsigned)d, pad);
            cJSON *doc = cJSON_Parse(text);
            CU_ASSERT_EQUAL(store_put_at(s, doc, text, received + i), STORE_OK);
            cJSON_Delete(doc);
        }
    CU_ASSERT_EQUAL(store_commit(s), STORE_OK);
}

static store *open_store(void)
{
    char err[256];
    store *s = store_open(db, err, sizeof err);
    if (!s)
        fprintf(stderr, "\nstore_open (%s): %s\n", CU_get_current_test()->pName, err);
    CU_ASSERT_PTR_NOT_NULL(s);
    return s;
}

/* Documents stored now, read as the viewers read them (-1 when the store cannot be opened). */
static long count(void)
{
    store *s = open_store();
    long n = s ? store_count(s) : -1;
    store_close(s);
    return n;
}

static bool integrity_ok(void)
{
    char why[256];
    store *s = open_store();
    bool ok = s && store_integrity_ok(s, why, sizeof why);
    if (!ok)
        fprintf(stderr, "\nintegrity_check: %s\n", why);
    store_close(s);
    return ok;
}

static bool has_trace(unsigned trace)
{
    char id[64];
    snprintf(id, sizeof id, "1-5759e988-%024x", trace + 1);
    store *s = open_store();
    cJSON *docs = s ? store_trace(s, id) : NULL;
    store_close(s);
    cJSON_Delete(docs);
    return docs != NULL;
}

/* ---- the daemon as a process ------------------------------------------------------- */

/* A file's text (a static buffer; "" when it cannot be read). */
static const char *slurp(const char *path)
{
    static char text[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;
    for (ssize_t got; fd >= 0 && (size_t)n + 1 < sizeof text && (got = read(fd, text + n, sizeof text - 1 - (size_t)n)) > 0;)
        n += got;
    text[n] = '\0';
    if (fd >= 0)
        close(fd);
    return text;
}

/* `xraycap COMMAND --db STORE ...`, the rest of the line made from fmt; its pid. */
static pid_t spawn_xraycap(const char *command, const char *fmt, ...)
{
    char cmd[1024], rest[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "exec " XRAYCAP " %s --db %s %s", command, db, rest);
    return support_spawn(cmd);
}

/* `xraycap daemon` on the test's store with `options`; its pid, once it listens. */
static pid_t daemon_start(const char *options)
{
    udp_port = support_free_port(SOCK_DGRAM);
    unlink(daemon_log);
    pid_t pid = spawn_xraycap("daemon", "--udp 127.0.0.1:%d %s 2>%s", udp_port, options, daemon_log);
    for (int i = 0; i < 100 && !strstr(slurp(daemon_log), "listening on"); i++)
        sleep_ms(50);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(daemon_log), "listening on"));
    return pid;
}

/* Stops it (SIGTERM); its final counts line. */
static const char *daemon_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    const char *log = slurp(daemon_log), *stats = strstr(log, "accepted ");
    return stats ? stats : log;
}

/* Sends documents of traces [first, first + n), one document each. */
static void send_docs(unsigned first, int n, int pad)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)udp_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static char datagram[70000];
    for (int i = 0; i < n; i++) {
        int h = snprintf(datagram, sizeof datagram, "{\"format\":\"json\",\"version\":1}\n");
        int len = h + document(datagram + h, sizeof datagram - (size_t)h, first + (unsigned)i, first + (unsigned)i, pad);
        sendto(fd, datagram, (size_t)len, 0, (struct sockaddr *)&a, sizeof a);
        if (i % 200 == 199)
            sleep_ms(1); /* as senders do: this test is not about the kernel's queue */
    }
    close(fd);
}

/* Waits up to `seconds` for the store to hold `n` documents (or, with at_most, no more). */
static bool wait_count(long n, bool at_most, int seconds)
{
    for (int i = 0; i < seconds * 20; i++) {
        long c = count();
        if (at_most ? c >= 0 && c <= n : c == n)
            return true;
        sleep_ms(50);
    }
    return false;
}

/* Waits until the store's count has not changed for half a second: the daemon has read all. */
static void wait_stable(void)
{
    long last = -2;
    for (int same = 0, i = 0; same < 10 && i < 400; i++) {
        long c = count();
        same = c == last ? same + 1 : 0;
        last = c;
        sleep_ms(50);
    }
}

static unsigned long stat_of(const char *stats, const char *label)
{
    const char *p = strstr(stats, label);
    return p ? strtoul(p + strlen(label), NULL, 10) : (unsigned long)-1;
}

/* ---- retention ----------------------------------------------------------------------- */

/* By age, on the test's clock: a trace is as old as its first document, and goes whole. */
static void test_retention_prunes_whole_traces_past_their_age(void)
{
    fresh_dir();
    store *s = open_store();
    double now = 1.9e9;
    fill(s, 0, 5, 3, now - 40 * DAY, 10);  /* traces 0-4: 40 days old */
    fill(s, 5, 5, 3, now - 29 * DAY, 10);  /* traces 5-9: 29 days */
    fill(s, 10, 1, 1, now - 31 * DAY, 10); /* trace 10: began 31 days ago ... */
    static char text[1024];
    document(text, sizeof text, 10, 999, 0);   /* ... and has a document from today */
    cJSON *doc = cJSON_Parse(text);
    store_put_at(s, doc, text, now);
    cJSON_Delete(doc);
    long docs = 0;
    int traces = 0, n;
    while ((n = store_prune(s, now - 30 * DAY, 0, 2, &docs)) > 0) /* batches of two traces */
        traces += n;
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(traces, 6);
    CU_ASSERT_EQUAL(docs, 5 * 3 + 2);
    store_close(s);
    for (unsigned t = 0; t < 11; t++)
        CU_ASSERT_EQUAL(has_trace(t), t >= 5 && t < 10);
    CU_ASSERT_TRUE(integrity_ok());
    remove_dir();
}

/* By size: the oldest traces go until the documents fit, and the file gives the space back. */
static void test_size_cap_prunes_the_oldest_traces_until_the_store_fits(void)
{
    fresh_dir();
    store *s = open_store();
    fill(s, 0, 2000, 1, 1.9e9, 1000);
    long long before = store_bytes(s), cap = before / 2;
    store_close(s); /* its last checkpoint: the documents are in the file, not in the WAL */
    struct stat st_before, st_after;
    stat(db, &st_before);
    s = open_store();
    long docs = 0;
    while (store_prune(s, 0, cap, 100, &docs) > 0)
        ;
    CU_ASSERT_TRUE(store_bytes(s) <= cap);
    CU_ASSERT_TRUE(docs >= 900 && docs <= 1100);
    store_close(s);
    stat(db, &st_after);
    CU_ASSERT_TRUE(st_after.st_size < st_before.st_size); /* pages returned (auto_vacuum) */
    CU_ASSERT_FALSE(has_trace(0));                         /* the oldest went */
    CU_ASSERT_TRUE(has_trace(1999));                       /* the newest stayed */
    CU_ASSERT_TRUE(integrity_ok());
    remove_dir();
}

/* The daemon prunes by itself while it receives, and `xraycap prune` does the same on a store. */
static void test_daemon_and_prune_command_remove_what_is_past_retention(void)
{
    fresh_dir();
    store *s = open_store();
    fill(s, 0, 300, 2, (double)time(NULL) - 40 * DAY, 10); /* 600 documents from 40 days ago */
    store_close(s);
    pid_t pid = daemon_start(""); /* the default: 30 days */
    send_docs(1000, 50, 10);
    CU_ASSERT_TRUE(wait_count(50, false, 10)); /* the old ones pruned, the new ones kept */
    const char *stats = daemon_stop(pid);
    CU_ASSERT_EQUAL(stat_of(stats, "pruned "), 300);
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "(600 document(s))"));
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(daemon_log), "(kept 30 day(s))"));
    /* the command, on the stopped store: a short retention takes the rest */
    char cmd[512];
    snprintf(cmd, sizeof cmd, XRAYCAP " prune --db %s --retain 0.5s 2>%s/prune.log", db, dir);
    sleep_ms(1100);
    CU_ASSERT_EQUAL(system(cmd), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/prune.log", dir);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "50 trace(s) (50 document(s)) removed; 0 trace(s) kept"));
    CU_ASSERT_EQUAL(count(), 0);
    CU_ASSERT_TRUE(integrity_ok());
    remove_dir();
}

/* ---- full and read-only stores --------------------------------------------------------- */

/* A tmpfs of `size` on the test's directory; false (and the test says it is skipped) when
 * this system does not let the test mount one. */
static bool small_filesystem(const char *size)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
    if (mount("tmpfs", dir, "tmpfs", 0, opts)) {
        /* root can mount one (CI runs as root): there, not mounting is a failure, not a skip */
        printf("skipped: cannot mount a tmpfs here (%s) ", strerror(errno));
        CU_ASSERT_NOT_EQUAL(geteuid(), 0);
        return false;
    }
    return true;
}

/* A fresh directory on a tmpfs of `size`, the daemon's log outside it; false when skipped. */
static bool on_small_filesystem(const char *size)
{
    fresh_dir();
    if (!small_filesystem(size)) {
        remove_dir();
        return false;
    }
    snprintf(daemon_log, sizeof daemon_log, "/tmp/xraycap-life-%d.log", (int)getpid());
    return true;
}

static void unmount_dir(void)
{
    CU_ASSERT_EQUAL(umount2(dir, MNT_DETACH), 0);
}

/* The disk fills: the daemon lives, counts what it refused, says so, and stores again by
 * itself once there is room; the store passes the integrity check. */
static void test_a_full_disk_costs_documents_not_the_daemon(void)
{
    if (!on_small_filesystem("4m"))
        return;
    pid_t pid = daemon_start("");
    send_docs(0, 100, 100);
    CU_ASSERT_TRUE(wait_count(100, false, 10));
    char cmd[256], filler[128];
    snprintf(filler, sizeof filler, "%s/filler", dir);
    snprintf(cmd, sizeof cmd, "dd if=/dev/zero of=%s bs=64k 2>/dev/null", filler);
    system(cmd); /* until the disk is full */
    send_docs(100, 2000, 2000); /* far more than the room left */
    sleep_ms(1500);
    CU_ASSERT_EQUAL(kill(pid, 0), 0); /* alive */
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(daemon_log), "cannot store (store full)"));
    unlink(filler);
    long before = count();
    send_docs(5000, 100, 100);
    CU_ASSERT_TRUE(wait_count(before + 100, false, 10)); /* storing again, by itself */
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(daemon_log), "storing again"));
    const char *stats = daemon_stop(pid);
    unsigned long accepted = stat_of(stats, "accepted "), stored = stat_of(stats, "stored "),
                  refused = stat_of(stats, "refused by the store ");
    CU_ASSERT_EQUAL(accepted, stored + refused); /* every document accounted for */
    CU_ASSERT_TRUE(refused > 0);
    CU_ASSERT_EQUAL((long)stored, count());
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "store full: "));
    CU_ASSERT_TRUE(integrity_ok());
    unmount_dir();
    unlink(daemon_log);
    remove_dir();
}

/* The store's file system is read-only (the daemon can be started on it: receiving goes on),
 * then writable again: the daemon opens the store by itself and stores again. (A file system
 * cannot be made read-only under a process writing to it, short of the kernel doing it after
 * an error; the daemon then meets the same refusals, counted the same way.) */
static void test_a_read_only_store_costs_documents_not_the_daemon(void)
{
    if (!on_small_filesystem("16m"))
        return;
    pid_t pid = daemon_start("");
    send_docs(0, 50, 10);
    CU_ASSERT_TRUE(wait_count(50, false, 10));
    daemon_stop(pid);
    CU_ASSERT_EQUAL_FATAL(mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
    pid = daemon_start("");
    send_docs(50, 50, 10);
    sleep_ms(500);
    CU_ASSERT_EQUAL(kill(pid, 0), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(daemon_log), "cannot store (read-only)"));
    CU_ASSERT_EQUAL(mount(NULL, dir, NULL, MS_REMOUNT, "size=16m"), 0);
    sleep_ms(2500); /* the daemon tries the store again every 2 s */
    send_docs(100, 50, 10);
    CU_ASSERT_TRUE(wait_count(100, false, 10));
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(daemon_log), "storing again; 50 document(s) were refused (read-only)"));
    const char *stats = daemon_stop(pid);
    CU_ASSERT_PTR_NOT_NULL(strstr(stats, "read-only: 50"));
    CU_ASSERT_EQUAL(stat_of(stats, "stored "), 50);
    CU_ASSERT_TRUE(integrity_ok());
    unmount_dir();
    unlink(daemon_log);
    remove_dir();
}

/* ---- kill -9 ----------------------------------------------------------------------------- */

static void *send_many(void *arg)
{
    (void)arg;
    send_docs(100000, 20000, 200);
    return NULL;
}

/* Killed mid-ingest and mid-pruning: the store is whole and keeps what was committed. */
static void test_kill_9_during_ingest_or_pruning_keeps_every_commit(void)
{
    fresh_dir();
    pid_t pid = daemon_start("--retain forever");
    send_docs(0, 500, 200);
    CU_ASSERT_TRUE(wait_count(500, false, 10)); /* committed */
    pthread_t t;
    pthread_create(&t, NULL, send_many, NULL);
    sleep_ms(150);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pthread_join(t, NULL);
    CU_ASSERT_TRUE(integrity_ok());
    for (unsigned i = 0; i < 500; i += 50)
        CU_ASSERT_TRUE(has_trace(i));
    CU_ASSERT_TRUE(count() >= 500);
    /* pruning: 60,000 old traces and 100 new; killed as soon as it has begun to prune */
    unlink(db);
    char path[160];
    snprintf(path, sizeof path, "%s-wal", db), unlink(path);
    snprintf(path, sizeof path, "%s-shm", db), unlink(path);
    store *s = open_store();
    fill(s, 0, 60000, 1, (double)time(NULL) - 40 * DAY, 200);
    fill(s, 50000, 100, 1, (double)time(NULL), 200);
    store_close(s);
    pid = daemon_start("");
    for (int i = 0; i < 500 && count() >= 60100; i++) /* pruning has begun */
        sleep_ms(5);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    long left = count();
    if (!(left > 100 && left < 60100))
        fprintf(stderr, "\n%ld documents left: not killed mid-way\n", left);
    CU_ASSERT_TRUE(left > 100 && left < 60100); /* killed mid-way */
    for (unsigned i = 50000; i < 50100; i++) /* the new traces, all there */
        CU_ASSERT_TRUE(has_trace(i));
    CU_ASSERT_TRUE(integrity_ok());
    remove_dir();
}

/* ---- honest counts ------------------------------------------------------------------------ */

/* A burst the kernel's queue cannot hold while the daemon is stopped: what the kernel drops is
 * counted, and with what was accepted makes every datagram sent. */
static void test_kernel_drops_are_counted(void)
{
    fresh_dir();
    pid_t pid = daemon_start("");
    kill(pid, SIGSTOP);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)udp_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static char datagram[4096];
    int sent = 60000;
    for (int i = 0; i < sent; i++) {
        int h = snprintf(datagram, sizeof datagram, "{\"format\":\"json\",\"version\":1}\n");
        int len = h + document(datagram + h, sizeof datagram - (size_t)h, (unsigned)i, (unsigned)i, 10);
        sendto(fd, datagram, (size_t)len, 0, (struct sockaddr *)&a, sizeof a);
    }
    close(fd);
    kill(pid, SIGCONT);
    wait_stable();
    const char *stats = daemon_stop(pid);
    unsigned long accepted = stat_of(stats, "accepted "), dropped = stat_of(stats, "dropped by the kernel ");
    if (accepted + dropped != (unsigned long)sent || !dropped)
        fprintf(stderr, "\nsent %d: %s\n", sent, stats);
    CU_ASSERT_TRUE(dropped > 0);
    CU_ASSERT_EQUAL(accepted + dropped, (unsigned long)sent);
    CU_ASSERT_EQUAL((long)accepted, count());
    remove_dir();
}

/* A list that stops at its limit says how many it shows of how many, and how to see more. */
static void test_a_list_stopped_at_its_limit_says_n_shown_of_m(void)
{
    fresh_dir();
    store *s = open_store();
    fill(s, 0, 30, 1, (double)time(NULL), 0);
    store_close(s);
    char cmd[512];
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --since 100000d --limit 10 >%s/list", db, dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/list", dir);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "\n10 trace(s) shown of 30; see more with --limit 30"));
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --since 100000d >%s/list", db, dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "\n30 trace(s)\n"));
    snprintf(cmd, sizeof cmd, XRAYCAP " traces --db %s --limit 0 2>/dev/null", db);
    CU_ASSERT_EQUAL(WEXITSTATUS(system(cmd)), 2);
    remove_dir();
}

/* ---- serve under load --------------------------------------------------------------------- */

static int serve_port;

static char page[1 << 20]; /* with keep_page, the last page get() read, its head included */
static bool keep_page;     /* (set by single-threaded tests only: the clients below share `page`) */

/* GET path; the status answered (0 when none). */
static int get(const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)serve_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int status = 0;
    char req[256], head[64] = "";
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
        send(fd, req, (size_t)n, MSG_NOSIGNAL);
        char buf[65536];
        size_t got = 0;
        for (ssize_t r; (r = recv(fd, buf, sizeof buf, 0)) > 0; got += (size_t)r) {
            if (!got)
                snprintf(head, sizeof head, "%.*s", (int)(r < 32 ? r : 32), buf);
            if (keep_page && got + (size_t)r < sizeof page)
                memcpy(page + got, buf, (size_t)r), page[got + (size_t)r] = '\0';
        }
        sscanf(head, "HTTP/1.1 %d", &status);
    }
    close(fd);
    return status;
}

/* `xraycap serve` on the test's store with `options`, on a free port (serve_port), once it
 * listens. */
static pid_t serve_start_with(const char *options)
{
    serve_port = support_free_port(SOCK_STREAM);
    pid_t pid = spawn_xraycap("serve", "--http 127.0.0.1:%d %s 2>/dev/null", serve_port, options);
    CU_ASSERT(support_wait_port(serve_port));
    return pid;
}

static pid_t serve_start(void)
{
    return serve_start_with("");
}

static _Atomic int answered_ok;

static void *client(void *arg)
{
    (void)arg;
    static const char *pages[] = {"/", "/trace/1-5759e988-000000000000000000000001", "/map"};
    for (int round = 0; round < 3; round++)
        for (int p = 0; p < 3; p++)
            answered_ok += get(pages[p]) == 200;
    return NULL;
}

static long peak_rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    const char *st = slurp(path), *hwm = strstr(st, "VmHWM:");
    return hwm ? strtol(hwm + 6, NULL, 10) : -1;
}

/* Fifty clients at once asking for the list, a trace and the map, three times each: every page
 * answered, the server's memory bounded, and it serves on. */
static void test_serve_answers_fifty_clients_at_once(void)
{
    fresh_dir();
    store *s = open_store();
    fill(s, 0, 500, 3, (double)time(NULL), 100);
    store_close(s);
    pid_t pid = serve_start();
    answered_ok = 0;
    pthread_t t[50];
    for (int i = 0; i < 50; i++)
        pthread_create(&t[i], NULL, client, NULL);
    for (int i = 0; i < 50; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(answered_ok, 50 * 9);
    long rss = peak_rss_kib(pid);
    CU_ASSERT_TRUE(rss > 0 && rss < 256 * 1024);
    CU_ASSERT_EQUAL(get("/"), 200);
    support_stop(pid);
    remove_dir();
}

/* Stores trace `trace` with its entry segment lasting `seconds`, started `ago` seconds ago. */
static void put_trace(store *s, unsigned trace, double seconds, double ago)
{
    static char text[1024];
    document(text, sizeof text, trace, trace, 0);
    cJSON *doc = cJSON_Parse(text);
    double start = (double)time(NULL) - ago;
    cJSON_SetNumberValue(cJSON_GetObjectItem(doc, "start_time"), start);
    cJSON_SetNumberValue(cJSON_GetObjectItem(doc, "end_time"), start + seconds);
    char *body = cJSON_PrintUnformatted(doc);
    CU_ASSERT_EQUAL(store_put(s, doc, body), STORE_OK);
    cJSON_free(body);
    cJSON_Delete(doc);
}

/* The rows of the trace list in the page last fetched. */
static int trace_rows(void)
{
    int rows = 0;
    for (const char *r = page; (r = strstr(r, "<tr class=\"trace\">")); r++)
        rows++;
    return rows;
}

/* The traces the histogram in the page last fetched counts, over all its buckets. */
static int in_histogram(void)
{
    int n = 0;
    for (const char *p = page; (p = strstr(p, "data-count=\"")); p++)
        n += atoi(p + strlen("data-count=\""));
    return n;
}

/* The time range is carried in the URL (?since=, as --since, or ?from=&to= absolute) and
 * narrows the list and map; a bad range is said so. */
static void test_serve_time_range_narrows_the_list(void)
{
    fresh_dir();
    store *s = open_store();
    put_trace(s, 0, 0.01, 7200); /* trace 0 two hours old, trace 1 a minute old */
    put_trace(s, 1, 0.01, 60);
    store_close(s);
    pid_t pid = serve_start();
    keep_page = true;
    const char *old = "1-5759e988-000000000000000000000001", *recent = "1-5759e988-000000000000000000000002";
    CU_ASSERT_EQUAL(get("/?since=5m"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, recent));
    CU_ASSERT_PTR_NULL(strstr(page, old));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<b><a href=\"./?since=5m\">5 min</a></b>"));
    CU_ASSERT_EQUAL(get("/?since=3h"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, recent));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, old));
    CU_ASSERT_EQUAL(get("/?since=1h&filter=fault"), 200); /* the presets keep the filter */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "href=\"./?since=6h&amp;filter=fault\""));
    CU_ASSERT_EQUAL(get("/map?since=5m"), 200);
    /* every link that narrows the list keeps the range: histogram bars, the filter box, View traces */
    CU_ASSERT_EQUAL(get("/?since=3h"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "%3C%200%2E002&amp;since=3h\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "data-range=\"&amp;since=3h\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<input type=\"hidden\" name=\"since\" value=\"3h\">"));
    CU_ASSERT_EQUAL(get("/map?since=3h"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "class=\"view-traces\""));
    for (const char *v = page; (v = strstr(v, "class=\"view-traces\" href=\"")); v++) {
        const char *end = strchr(v + 27, '"');
        CU_ASSERT_PTR_NOT_NULL(strstr(v, "&amp;since=3h\""));
        CU_ASSERT(end && strstr(v, "&amp;since=3h\"") < end + 1);
    }
    /* an absolute range, as the browser's datetime-local fields send it (local time) */
    char from[32], to[32], path[128];
    time_t t0 = time(NULL) - 3 * 3600, t1 = time(NULL) - 3600;
    strftime(from, sizeof from, "%Y-%m-%dT%H:%M", localtime(&t0));
    strftime(to, sizeof to, "%Y-%m-%dT%H:%M", localtime(&t1));
    snprintf(path, sizeof path, "/?from=%s&to=%s", from, to);
    CU_ASSERT_EQUAL(get(path), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, old));
    CU_ASSERT_PTR_NULL(strstr(page, recent));
    CU_ASSERT_PTR_NULL(strstr(page, "range-error"));
    snprintf(path, sizeof path, "/map?from=%s&to=%s", from, to);
    CU_ASSERT_EQUAL(get(path), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "1 req"));
    snprintf(path, sizeof path, "/?from=%s&to=%s", to, from); /* backwards */
    CU_ASSERT_EQUAL(get(path), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"range-error\""));
    CU_ASSERT_EQUAL(get("/?from=yesterday"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"range-error\""));
    keep_page = false;
    support_stop(pid);
    remove_dir();
}

/* A fresh store with a trace of each duration, a minute old. */
static void traces_lasting(const double *seconds, unsigned n)
{
    fresh_dir();
    store *s = open_store();
    for (unsigned i = 0; i < n; i++)
        put_trace(s, i, seconds[i], 60);
    store_close(s);
}

/* The response-time histogram above the list: the right count in each bucket, each bucket a
 * link to the list narrowed to its range. */
static void test_serve_histogram_counts_response_times_per_bucket(void)
{
    static const double seconds[] = {0.015, 0.015, 0.015, 0.015, 0.015, 0.055, 0.055, 0.055, 0.095, 0.095};
    traces_lasting(seconds, 10);
    pid_t pid = serve_start();
    keep_page = true;
    CU_ASSERT_EQUAL(get("/"), 200);
    static const int want[10] = {0, 5, 0, 0, 0, 3, 0, 0, 0, 2};
    const char *p = page;
    for (int b = 0; b < 10; b++) {
        p = strstr(p, "class=\"bucket\" data-count=\"");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p += strlen("class=\"bucket\" data-count=\"");
        CU_ASSERT_EQUAL(atoi(p), want[b]);
    }
    /* the bucket of 50 to 60 ms, followed: three traces */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "href=\"./?filter=responsetime%20%3E%3D%200%2E05%20AND%20responsetime%20%3C%200%2E06\""));
    CU_ASSERT_EQUAL(get("/?filter=responsetime%20%3E%3D%200%2E05%20AND%20responsetime%20%3C%200%2E06"), 200);
    CU_ASSERT_EQUAL(trace_rows(), 3);
    keep_page = false;
    support_stop(pid);
    remove_dir();
}

/* A fresh store with five traces of 10 ms and one of 2 s, a minute old. */
static void five_fast_traces_and_a_slow_one(void)
{
    static const double seconds[] = {0.01, 0.01, 0.01, 0.01, 0.01, 2.0};
    traces_lasting(seconds, 6);
}

/* A list stopped at serve's --limit says "N shown of M", and its link to the rest keeps the
 * filter; the histogram above it counts all M. */
static void test_serve_show_all_keeps_the_filter(void)
{
    five_fast_traces_and_a_slow_one();
    pid_t pid = serve_start_with("--limit 2");
    keep_page = true;
    CU_ASSERT_EQUAL(get("/?filter=responsetime%20%3C%201"), 200);
    CU_ASSERT_EQUAL(trace_rows(), 2);
    CU_ASSERT_EQUAL(in_histogram(), 5); /* every match, not only the rows shown */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "2 shown of 5; <a href=\"./?limit=5&amp;filter=responsetime%20%3C%201\">"));
    CU_ASSERT_EQUAL(get("/?limit=5&filter=responsetime%20%3C%201"), 200);
    CU_ASSERT_EQUAL(trace_rows(), 5);
    CU_ASSERT_PTR_NULL(strstr(page, "shown of"));
    CU_ASSERT_EQUAL(get("/"), 200); /* unfiltered too */
    CU_ASSERT_EQUAL(trace_rows(), 2);
    CU_ASSERT_EQUAL(in_histogram(), 6);
    keep_page = false;
    support_stop(pid);
    remove_dir();
}

/* A group (xraycap group) scopes the list and the map (?group=NAME, offered in a select); the
 * time range and the filter box keep it; an unknown one is said so. */
static void test_serve_groups_scope_the_list_and_the_map(void)
{
    five_fast_traces_and_a_slow_one();
    char cmd[512];
    snprintf(cmd, sizeof cmd, XRAYCAP " group --db %s create slow 'responsetime > 1' >/dev/null", db);
    CU_ASSERT_EQUAL(system(cmd), 0);
    pid_t pid = serve_start();
    keep_page = true;
    CU_ASSERT_EQUAL(get("/"), 200);
    CU_ASSERT_EQUAL(trace_rows(), 6);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<select id=\"group\" name=\"group\">"));
    CU_ASSERT_EQUAL(get("/?group=slow"), 200);
    CU_ASSERT_EQUAL(trace_rows(), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<option value=\"slow\" selected"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "href=\"./?since=1h&amp;group=slow\"")); /* presets keep it */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "<input type=\"hidden\" name=\"group\" value=\"slow\">"));
    CU_ASSERT_EQUAL(in_histogram(), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "data-range=\"&amp;group=slow\"")); /* bars keep the group */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "%3C%202&amp;group=slow\""));
    CU_ASSERT_EQUAL(get("/?group=slow&filter=responsetime%20%3C%201"), 200); /* both apply */
    CU_ASSERT_EQUAL(trace_rows(), 0);
    CU_ASSERT_EQUAL(get("/map?group=slow"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "1 req"));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "&amp;group=slow\">View traces")); /* its traces, in the group */
    CU_ASSERT_EQUAL(get("/map"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "6 req"));
    CU_ASSERT_EQUAL(get("/?group=slow%22%20OR%20ok%20OR%20group.name%20%3D%20%22slow"), 200); /* no injection */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "no such group"));
    CU_ASSERT_EQUAL(trace_rows(), 0);
    CU_ASSERT_EQUAL(get("/?group=nope"), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "no such group"));
    CU_ASSERT_EQUAL(trace_rows(), 0);
    keep_page = false;
    support_stop(pid);
    remove_dir();
}

int main(void)
{
    static const support_test tests[] = {
        SUPPORT_TEST(test_retention_prunes_whole_traces_past_their_age),
        SUPPORT_TEST(test_size_cap_prunes_the_oldest_traces_until_the_store_fits),
        SUPPORT_TEST(test_daemon_and_prune_command_remove_what_is_past_retention),
        SUPPORT_TEST(test_a_full_disk_costs_documents_not_the_daemon),
        SUPPORT_TEST(test_a_read_only_store_costs_documents_not_the_daemon),
        SUPPORT_TEST(test_kill_9_during_ingest_or_pruning_keeps_every_commit),
        SUPPORT_TEST(test_kernel_drops_are_counted),
        SUPPORT_TEST(test_a_list_stopped_at_its_limit_says_n_shown_of_m),
        SUPPORT_TEST(test_serve_answers_fifty_clients_at_once),
        SUPPORT_TEST(test_serve_time_range_narrows_the_list),
        SUPPORT_TEST(test_serve_histogram_counts_response_times_per_bucket),
        SUPPORT_TEST(test_serve_show_all_keeps_the_filter),
        SUPPORT_TEST(test_serve_groups_scope_the_list_and_the_map),
        {NULL, NULL},
    };
    return support_run_suite("daemon-life", tests);
}
