/* cmd_daemon.c — `xraycap daemon`: receives datagrams as the X-Ray daemon does, stores every
 * accepted document, counts and logs what it refuses, and can relay accepted datagrams
 * unchanged to a real daemon. */
#include "commands.h"
#include "doccheck.h"
#include "hostport.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REASONS 32

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static struct {
    const char *reason;
    unsigned long count;
} rejects[MAX_REASONS];
static unsigned long accepted, forwarded, store_errors;

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
    unsigned long rejected = 0;
    for (int i = 0; i < MAX_REASONS && rejects[i].reason; i++)
        rejected += rejects[i].count;
    fprintf(stderr, "xraycap daemon: accepted %lu, rejected %lu", accepted, rejected);
    for (int i = 0; i < MAX_REASONS && rejects[i].reason; i++)
        fprintf(stderr, "%s%s: %lu", i ? ", " : " (", rejects[i].reason, rejects[i].count);
    fprintf(stderr, "%s, forwarded %lu, store errors %lu\n", rejected ? ")" : "", forwarded, store_errors);
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

int cmd_daemon(int argc, char **argv)
{
    const char *udp = "127.0.0.1:2000", *forward = NULL;
    const char *imports[64];
    int nimports = 0;
    char db[4096];
    store_default_path(db, sizeof db);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--udp") && i + 1 < argc)
            udp = argv[++i];
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            snprintf(db, sizeof db, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--forward") && i + 1 < argc)
            forward = argv[++i];
        else if (!strcmp(argv[i], "--import") && i + 1 < argc && nimports < 64)
            imports[nimports++] = argv[++i];
        else {
            fprintf(stderr, "usage: xraycap daemon [--udp HOST:PORT] [--db FILE] [--forward HOST:PORT] "
                            "[--import FILE]...\n"
                            "xraycap daemon: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    struct sockaddr_storage addr, fwd;
    socklen_t alen, flen = 0;
    char why[600];
    if (!hostport_resolve(udp, SOCK_DGRAM, true, &addr, &alen, why, sizeof why)) {
        fprintf(stderr, "xraycap daemon: --udp %s\n", why);
        return 2;
    }
    if (forward && !hostport_resolve(forward, SOCK_DGRAM, false, &fwd, &flen, why, sizeof why)) {
        fprintf(stderr, "xraycap daemon: --forward %s\n", why);
        return 2;
    }
    char err[512];
    store *st = store_open(db, err, sizeof err);
    if (!st) {
        fprintf(stderr, "xraycap daemon: cannot open the store: %s\n", err);
        return 1;
    }
    if (nimports) {
        unsigned long ok = 0, bad = 0;
        for (int i = 0; i < nimports; i++)
            import_file(st, imports[i], &ok, &bad);
        fprintf(stderr, "xraycap daemon: imported %lu document(s), %lu refused\n", ok, bad);
    }
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 8 * 1024 * 1024;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, (struct sockaddr *)&addr, alen)) {
        fprintf(stderr, "xraycap daemon: cannot listen on udp:%s: %s\n", udp, strerror(errno));
        store_close(st);
        return 1;
    }
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    char host[64], port[16];
    getnameinfo((struct sockaddr *)&addr, alen, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    int ffd = forward ? socket(fwd.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) : -1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "xraycap daemon: listening on udp:%s:%s, storing in %s%s%s\n", host, port, db,
            forward ? ", forwarding to " : "", forward ? forward : "");
    static char buf[DATAGRAM_MAX + 2];
    while (!stopping) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        store_begin(st);
        for (int batch = 0; batch < 2000; batch++) {
            struct sockaddr_storage from;
            socklen_t fromlen = sizeof from;
            ssize_t n = recvfrom(fd, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
            if (n < 0)
                break;
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
            if (store_put(st, doc, (const char *)memchr(buf, '\n', (size_t)n) + 1))
                store_errors++;
            cJSON_Delete(doc);
            if (ffd >= 0 && sendto(ffd, buf, (size_t)n, 0, (struct sockaddr *)&fwd, flen) == n)
                forwarded++;
        }
        store_commit(st);
    }
    print_stats();
    if (ffd >= 0)
        close(ffd);
    close(fd);
    store_close(st);
    return 0;
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
