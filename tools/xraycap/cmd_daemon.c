/* cmd_daemon.c — `xraycap daemon`: receives datagrams as the X-Ray daemon does, stores every
 * accepted document, counts and logs what it refuses, and can relay accepted datagrams
 * unchanged to a real daemon. Meant to be left running: it prunes whole traces past their
 * retention or beyond a size, between receive batches; a full or read-only store costs the
 * documents that arrive meanwhile (counted, reported once a minute), never the daemon; the
 * kernel's drops on its socket are counted with the rest. SIGUSR1 prints the counts. */
#include "commands.h"
#include "doccheck.h"
#include "hostport.h"
#include "store.h"
#include "units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MAX_REASONS 32
#define RECEIVE_BUFFER (16 << 20) /* the kernel's queue for bursts while the store writes */
#define PRUNE_BATCH 100           /* traces per pruning transaction, between two receive batches */
#define REPORT_EVERY_S 60.0       /* a store that keeps failing is reported once a minute */

static volatile sig_atomic_t stopping, stats_asked;
static void on_signal(int sig) { (void)sig; stopping = 1; }
static void on_usr1(int sig) { (void)sig; stats_asked = 1; }

static struct {
    const char *reason;
    unsigned long count;
} rejects[MAX_REASONS];
static unsigned long accepted, forwarded, stored, kernel_drops, pruned_traces;
static long pruned_documents;
static unsigned long refused[STORE_ERROR + 1]; /* by the store, per store_status */

static void count_reject(const char *why, const struct sockaddr_storage *from)
{
    int i;
    for (i = 0; i < MAX_REASONS && rejects[i].reason && strcmp(rejects[i].reason, why); i++)
        ;
    if (i == MAX_REASONS)
        i = MAX_REASONS - 1;
    rejects[i].reason = why;
    unsigned long n = ++rejects[i].count;
    if (n <= 10 || n % 1000 == 0) {
        char host[64] = "?";
        getnameinfo((const struct sockaddr *)from, sizeof *from, host, sizeof host, NULL, 0, NI_NUMERICHOST);
        fprintf(stderr, "xraycap daemon: rejected a datagram from %s: %s (%lu so far)\n", host, why, n);
    }
}

static void print_stats(void)
{
    unsigned long rejected = 0, not_stored = 0;
    for (int i = 0; i < MAX_REASONS && rejects[i].reason; i++)
        rejected += rejects[i].count;
    for (int i = STORE_FULL; i <= STORE_ERROR; i++)
        not_stored += refused[i];
    fprintf(stderr, "xraycap daemon: accepted %lu, rejected %lu", accepted, rejected);
    for (int i = 0; i < MAX_REASONS && rejects[i].reason; i++)
        fprintf(stderr, "%s%s: %lu", i ? ", " : " (", rejects[i].reason, rejects[i].count);
    fprintf(stderr, "%s, stored %lu, refused by the store %lu", rejected ? ")" : "", stored, not_stored);
    for (int i = STORE_FULL, first = 1; i <= STORE_ERROR; i++)
        if (refused[i]) {
            fprintf(stderr, "%s%s: %lu", first ? " (" : ", ", store_status_text((store_status)i), refused[i]);
            first = 0;
        }
    fprintf(stderr, "%s, dropped by the kernel %lu, pruned %lu trace(s) (%ld document(s)), forwarded %lu\n",
            not_stored ? ")" : "", kernel_drops, pruned_traces, pruned_documents, forwarded);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The store's health as the daemon sees it: a problem is said when it starts, once a minute
 * while it lasts (with what it cost), and when it ends. */
typedef struct store_health {
    store_status problem;         /* STORE_OK while writes succeed */
    unsigned long since_report;   /* documents refused since the last message */
    unsigned long episode;        /* documents refused since the problem began */
    double reported;
} store_health;

static void store_failed(store_health *h, store_status st, unsigned long documents)
{
    refused[st] += documents;
    h->since_report += documents;
    h->episode += documents;
    double t = now_s();
    if (h->problem != st) {
        fprintf(stderr, "xraycap daemon: cannot store (%s): documents are counted and dropped, receiving "
                        "goes on; storing resumes by itself when the store can be written again\n",
                store_status_text(st));
        h->problem = st;
        h->reported = t;
        h->since_report = 0;
    } else if (t - h->reported >= REPORT_EVERY_S) {
        fprintf(stderr, "xraycap daemon: still cannot store (%s): %lu document(s) refused in the last "
                        "minute, %lu since it began\n", store_status_text(st), h->since_report, h->episode);
        h->reported = t;
        h->since_report = 0;
    }
}

static void store_succeeded(store_health *h, unsigned long documents)
{
    stored += documents;
    if (h->problem != STORE_OK && documents) {
        fprintf(stderr, "xraycap daemon: storing again; %lu document(s) were refused (%s)\n", h->episode,
                store_status_text(h->problem));
        h->problem = STORE_OK;
        h->episode = h->since_report = 0;
    }
}

/* Stores the documents of one JSON-lines file (the file emitter's output), reporting refused
 * lines with their number. */
static void import_file(store *st, const char *path, unsigned long *ok, unsigned long *bad)
{
    static char line[DATAGRAM_MAX * 2];
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "xraycap import: %s: %s\n", path, strerror(errno));
        (*bad)++;
        return;
    }
    store_begin(st);
    for (unsigned long lineno = 1; fgets(line, sizeof line, f); lineno++) {
        size_t len = strcspn(line, "\n");
        line[len] = '\0';
        if (!len)
            continue;
        cJSON *doc = valid_utf8(line, len) ? cJSON_Parse(line) : NULL;
        const char *why = !doc ? "not JSON" : doc_problem(doc);
        if (why) {
            fprintf(stderr, "xraycap import: %s:%lu: %s\n", path, lineno, why);
            (*bad)++;
        } else if (store_put(st, doc, line) == 0) {
            (*ok)++;
        }
        cJSON_Delete(doc);
    }
    store_commit(st);
    fclose(f);
}

#define DAEMON_USAGE "xraycap daemon [--udp HOST:PORT] [--db FILE] [--retain DURATION] [--max-size SIZE] " \
                     "[--forward HOST:PORT] [--import FILE]..."

/* The kernel's count of datagrams dropped on this socket (its queue was full), which
 * SO_RXQ_OVFL attaches to each datagram received. */
static void note_drops(struct msghdr *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t n;
            memcpy(&n, CMSG_DATA(c), sizeof n);
            if (n > kernel_drops)
                kernel_drops = n;
        }
}

/* The kernel's count for the socket in /proc/net/udp (or udp6): SO_RXQ_OVFL tells only the
 * datagrams that arrive after a drop, so a burst that ends in drops would go uncounted. */
static void read_socket_drops(int fd)
{
    struct stat st;
    if (fstat(fd, &st))
        return;
    static const char *const tables[] = {"/proc/net/udp", "/proc/net/udp6"};
    for (int t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            unsigned long inode = 0, drops = 0;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
            if (sscanf(line, " %*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %lu", &inode, &drops) == 2 &&
                inode == (unsigned long)st.st_ino && drops > kernel_drops)
                kernel_drops = drops;
        }
        if (f)
            fclose(f);
    }
}

/* The receiving socket, with the largest queue the system grants. */
static int open_socket(const struct sockaddr_storage *addr, socklen_t alen, const char *udp)
{
    int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = RECEIVE_BUFFER, one = 1;
    if (fd < 0 || bind(fd, (const struct sockaddr *)addr, alen)) {
        fprintf(stderr, "xraycap daemon: cannot listen on udp:%s: %s\n", udp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    int got = 0;
    socklen_t glen = sizeof got;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &glen);
    if (got / 2 < size) /* Linux reports twice what it grants */
        fprintf(stderr, "xraycap daemon: the receive queue is %d KiB, not the %d KiB asked for (raise "
                        "net.core.rmem_max to allow more); bursts beyond it are dropped by the kernel and "
                        "counted\n", got / 2048, size / 1024);
    return fd;
}

typedef struct daemon_opts {
    const char *udp, *forward;
    const char *imports[64];
    int nimports;
    char db[4096];
    double retain;        /* seconds; 0: kept for ever */
    long long max_bytes;  /* 0: no limit */
} daemon_opts;

static bool parse_daemon(int argc, char **argv, daemon_opts *o)
{
    o->udp = "127.0.0.1:2000";
    o->retain = 30 * 86400.0; /* as X-Ray keeps traces */
    store_default_path(o->db, sizeof o->db);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--udp") && i + 1 < argc)
            o->udp = argv[++i];
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            snprintf(o->db, sizeof o->db, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--forward") && i + 1 < argc)
            o->forward = argv[++i];
        else if (!strcmp(argv[i], "--import") && i + 1 < argc && o->nimports < 64)
            o->imports[o->nimports++] = argv[++i];
        else if (!strcmp(argv[i], "--retain") && i + 1 < argc) {
            const char *v = argv[++i];
            if ((o->retain = strcmp(v, "forever") ? units_duration(v) : 0) < 0 || (o->retain == 0 && strcmp(v, "forever"))) {
                fprintf(stderr, "xraycap daemon: --retain '%s' is not a duration like 30d, 12h, 90m (or "
                                "'forever')\n", v);
                return false;
            }
        } else if (!strcmp(argv[i], "--max-size") && i + 1 < argc) {
            const char *v = argv[++i];
            if ((o->max_bytes = units_size(v)) < 65536) {
                fprintf(stderr, "xraycap daemon: --max-size '%s' is not a size of at least 64K, like 500M or "
                                "2G\n", v);
                return false;
            }
        } else {
            fprintf(stderr, "usage: " DAEMON_USAGE "\nxraycap daemon: unexpected argument '%s'\n", argv[i]);
            return false;
        }
    }
    return true;
}

/* One pruning transaction when one is due; true when more is waiting. */
static bool prune_step(store *st, const daemon_opts *o)
{
    int n = store_prune(st, o->retain > 0 ? now_s() - o->retain : 0, o->max_bytes, PRUNE_BATCH, &pruned_documents);
    if (n > 0)
        pruned_traces += (unsigned long)n;
    return n == PRUNE_BATCH;
}

#define REOPEN_EVERY_S 2.0 /* a store closed for being read-only is tried again this often */

typedef struct daemon_state {
    const daemon_opts *o;
    store *st;                 /* NULL while it cannot be written: a read-only file system */
    double next_open;          /* when to try to open it again */
    store_health health;
    int fd, ffd;               /* receiving; relaying (or -1) */
    struct sockaddr_storage fwd;
    socklen_t flen;
    char control[CMSG_SPACE(sizeof(uint32_t))];
} daemon_state;

/* Whether the file system that holds `path` is mounted read-only. */
static bool read_only_fs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    struct statvfs v;
    return statvfs(slash ? dir : ".", &v) == 0 && (v.f_flag & ST_RDONLY);
}

/* The store closed for being read-only is opened again when its time comes: the file system
 * may have been made writable meanwhile. */
static void reopen_store(daemon_state *d)
{
    if (d->st || now_s() < d->next_open)
        return;
    char err[512];
    d->st = read_only_fs(d->o->db) ? NULL : store_open(d->o->db, err, sizeof err);
    d->next_open = now_s() + REOPEN_EVERY_S;
}

/* `n` documents not stored, and why; a read-only store is closed, to be opened again. */
static void not_stored(daemon_state *d, store_status r, unsigned long n)
{
    store_failed(&d->health, r, n);
    if (r == STORE_READONLY && d->st) {
        store_close(d->st);
        d->st = NULL;
        d->next_open = now_s() + REOPEN_EVERY_S;
    }
}

/* Up to 2,000 datagrams, checked, stored in one transaction and relayed. */
static void receive_batch(daemon_state *d)
{
    static char buf[DATAGRAM_MAX + 2];
    unsigned long pending = 0; /* documents in the open transaction */
    if (d->st)
        store_begin(d->st);
    for (int batch = 0; batch < 2000; batch++) {
        struct sockaddr_storage from;
        struct iovec iov = {buf, sizeof buf - 1};
        struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = d->control, .msg_controllen = sizeof d->control};
        ssize_t n = recvmsg(d->fd, &m, MSG_DONTWAIT);
        if (n < 0)
            break;
        note_drops(&m);
        buf[n] = '\0';
        const char *why = NULL;
        cJSON *doc = doc_from_datagram(buf, (size_t)n, &why);
        if (!doc) {
            count_reject(why, &from);
            continue;
        }
        accepted++;
        /* the body after the header line, found within the datagram's own length (a NUL
         * byte must not end the search early: doc_from_datagram refuses NULs anyway) */
        store_status r = d->st ? store_put(d->st, doc, (const char *)memchr(buf, '\n', (size_t)n) + 1)
                               : STORE_READONLY;
        if (r == STORE_OK) {
            pending++;
        } else {
            bool rolled_back = d->st && !store_in_transaction(d->st);
            not_stored(d, r, 1);
            if (rolled_back) { /* the failure took the batch so far with it */
                not_stored(d, r, pending);
                pending = 0;
                if (d->st)
                    store_begin(d->st);
            }
        }
        cJSON_Delete(doc);
        if (d->ffd >= 0 && sendto(d->ffd, buf, (size_t)n, 0, (struct sockaddr *)&d->fwd, d->flen) == n)
            forwarded++;
    }
    if (!d->st)
        return;
    store_status r = store_commit(d->st);
    if (r == STORE_OK)
        store_succeeded(&d->health, pending);
    else
        not_stored(d, r, pending);
}

int cmd_daemon(int argc, char **argv)
{
    static daemon_opts o;
    static daemon_state d;
    if (!parse_daemon(argc, argv, &o))
        return 2;
    d.o = &o;
    struct sockaddr_storage addr;
    socklen_t alen;
    char why[600];
    if (!hostport_resolve(o.udp, SOCK_DGRAM, true, &addr, &alen, why, sizeof why)) {
        fprintf(stderr, "xraycap daemon: --udp %s\n", why);
        return 2;
    }
    if (o.forward && !hostport_resolve(o.forward, SOCK_DGRAM, false, &d.fwd, &d.flen, why, sizeof why)) {
        fprintf(stderr, "xraycap daemon: --forward %s\n", why);
        return 2;
    }
    char err[512];
    d.st = store_open(o.db, err, sizeof err);
    if (!d.st && !read_only_fs(o.db)) {
        fprintf(stderr, "xraycap daemon: cannot open the store: %s\n", err);
        return 1;
    }
    if (!d.st) /* a read-only file system is a state to wait out, not a mistake */
        store_failed(&d.health, STORE_READONLY, 0);
    if (o.nimports && d.st) {
        unsigned long ok = 0, bad = 0;
        for (int i = 0; i < o.nimports; i++)
            import_file(d.st, o.imports[i], &ok, &bad);
        fprintf(stderr, "xraycap daemon: imported %lu document(s), %lu refused\n", ok, bad);
    }
    d.fd = open_socket(&addr, alen, o.udp);
    if (d.fd < 0) {
        store_close(d.st);
        return 1;
    }
    getsockname(d.fd, (struct sockaddr *)&addr, &alen);
    char host[64], port[16];
    getnameinfo((struct sockaddr *)&addr, alen, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    d.ffd = o.forward ? socket(d.fwd.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) : -1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_usr1);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit reached: the write fails (store full), no death */
    char retention[96] = "kept for ever";
    if (o.retain > 0)
        snprintf(retention, sizeof retention, "kept %g day(s)", o.retain / 86400);
    if (o.max_bytes > 0)
        snprintf(retention + strlen(retention), sizeof retention - strlen(retention), ", at most %lld MiB",
                 o.max_bytes >> 20);
    fprintf(stderr, "xraycap daemon: listening on udp:%s:%s, storing in %s (%s)%s%s\n", host, port, o.db,
            retention, o.forward ? ", forwarding to " : "", o.forward ? o.forward : "");
    bool pruning = o.retain > 0 || o.max_bytes > 0, more_to_prune = false;
    double next_prune = 0, next_drops = 0;
    while (!stopping) {
        if (stats_asked || now_s() >= next_drops) {
            read_socket_drops(d.fd);
            next_drops = now_s() + 10;
            if (stats_asked)
                print_stats();
            stats_asked = 0;
        }
        reopen_store(&d);
        struct pollfd p = {.fd = d.fd, .events = POLLIN};
        if (poll(&p, 1, more_to_prune ? 0 : 200) > 0)
            receive_batch(&d);
        /* pruning between receive batches, a small transaction at a time */
        if (d.st && pruning && (more_to_prune || now_s() >= next_prune)) {
            more_to_prune = prune_step(d.st, &o);
            if (!more_to_prune)
                next_prune = now_s() + 1;
        }
    }
    read_socket_drops(d.fd);
    print_stats();
    if (d.ffd >= 0)
        close(d.ffd);
    close(d.fd);
    store_close(d.st);
    return 0;
}

/* `xraycap prune [--db FILE] [--retain DURATION] [--max-size SIZE]`: the daemon's pruning, on
 * a store (stopped, or in use: SQLite takes turns). */
int cmd_prune(int argc, char **argv)
{
    static daemon_opts o;
    for (int i = 1; i < argc; i += 2) /* the daemon's options, but only those three */
        if ((strcmp(argv[i], "--db") && strcmp(argv[i], "--retain") && strcmp(argv[i], "--max-size")) || i + 1 == argc) {
            fprintf(stderr, "usage: xraycap prune [--db FILE] [--retain DURATION] [--max-size SIZE]\n"
                            "xraycap prune: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    if (!parse_daemon(argc, argv, &o))
        return 2;
    if (access(o.db, F_OK)) {
        fprintf(stderr, "xraycap prune: the store %s does not exist\n", o.db);
        return 1;
    }
    char err[512];
    store *st = store_open(o.db, err, sizeof err);
    if (!st) {
        fprintf(stderr, "xraycap prune: cannot open the store: %s\n", err);
        return 1;
    }
    int n;
    while ((n = store_prune(st, o.retain > 0 ? now_s() - o.retain : 0, o.max_bytes, 1000, &pruned_documents)) > 0)
        pruned_traces += (unsigned long)n;
    long long bytes = store_bytes(st);
    fprintf(stderr, "xraycap prune: %lu trace(s) (%ld document(s)) removed; %ld trace(s) kept, %.1f MiB\n",
            pruned_traces, pruned_documents, store_trace_count(st), bytes / 1048576.0);
    store_close(st);
    return n < 0 ? 1 : 0;
}

/* `xraycap import [--db FILE] FILE...`: documents, one per line (the file emitter's output). */
int cmd_import(int argc, char **argv)
{
    char db[4096];
    store_default_path(db, sizeof db);
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--db")) {
        snprintf(db, sizeof db, "%s", argv[2]);
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: xraycap import [--db FILE] FILE...\n");
        return 2;
    }
    char err[512];
    store *st = store_open(db, err, sizeof err);
    if (!st) {
        fprintf(stderr, "xraycap import: cannot open the store: %s\n", err);
        return 1;
    }
    unsigned long ok = 0, bad = 0;
    for (int i = first; i < argc; i++)
        import_file(st, argv[i], &ok, &bad);
    store_close(st);
    fprintf(stderr, "xraycap import: %lu document(s) stored, %lu refused\n", ok, bad);
    return bad ? 1 : 0;
}
