/* db_bench.c — what tracing adds to a database call, measured in one run against servers of our
 * own on loopback (the servers tests/db starts): requests of 10 calls, each request a sampled
 * segment sent to the daemon address (every setting at its default: UDP to 127.0.0.1:2000),
 * with the calls untraced (the library's function) and traced (its xray_ twin). The difference
 * per call is tracing's whole cost: recording, its share of serializing and sending the
 * segment. Rounds alternate the two so that drift hits both; medians are reported. A server
 * that is not installed is skipped, saying so. Nothing here is asserted: the figures are for
 * docs/performance.md. */
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/mysql.h>
#include <xray_capture/pq.h>
#include <xray_capture/redis.h>

#ifndef ROOT
#define ROOT "."
#endif
#define CALLS 10       /* per request */
#define REQUESTS 200   /* per round */
#define ROUNDS 15

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One database: a call made untraced (traced = false) or traced. */
typedef struct db {
    const char *title, *server;
    void (*call)(void *conn, int traced);
    void *conn;
} db;

static void pq_call(void *conn, int traced)
{
    const char *v[1] = {"41"};
    PQclear((traced ? xray_PQexecParams : PQexecParams)(conn, "SELECT $1::int + 1", 1, NULL, v, NULL, NULL, 0));
}

static void redis_call(void *conn, int traced)
{
    freeReplyObject(traced ? xray_redisCommand(conn, "GET %s", "bench") : redisCommand(conn, "GET %s", "bench"));
}

static void mysql_call(void *conn, int traced)
{
    if ((traced ? xray_mysql_query : mysql_query)(conn, "SELECT 41 + 1") == 0)
        mysql_free_result(mysql_store_result(conn));
}

/* Seconds per call over one round of requests. */
static double round_of(const db *d, int traced)
{
    double t0 = now_s();
    for (int r = 0; r < REQUESTS; r++) {
        xray_begin_segment("db-bench");
        for (int c = 0; c < CALLS; c++)
            d->call(d->conn, traced);
        xray_end_segment();
    }
    return (now_s() - t0) / (REQUESTS * CALLS);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const db *d)
{
    round_of(d, 0); /* warm-up: connection, plans, the recorder's start */
    round_of(d, 1);
    double plain[ROUNDS], traced[ROUNDS], added[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        plain[i] = round_of(d, 0);
        traced[i] = round_of(d, 1);
        added[i] = traced[i] - plain[i];
    }
    qsort(plain, ROUNDS, sizeof plain[0], by_value);
    qsort(traced, ROUNDS, sizeof traced[0], by_value);
    qsort(added, ROUNDS, sizeof added[0], by_value);
    printf("  %-34s untraced %7.2f us  traced %7.2f us (%.3fx)  added %5.2f us (rounds %.2f to %.2f)\n",
           d->title, plain[ROUNDS / 2] * 1e6, traced[ROUNDS / 2] * 1e6, traced[ROUNDS / 2] / plain[ROUNDS / 2],
           added[ROUNDS / 2] * 1e6, added[0] * 1e6, added[ROUNDS - 1] * 1e6);
}

/* Starts `server` into dir; its port, or NULL (and says why) when it cannot run here. */
static const char *start(const char *title, const char *server, const char *dir, char *port, size_t len)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/%s start %s 2>/dev/null", server, dir);
    FILE *p = popen(cmd, "r");
    int ok = p && fgets(port, (int)len, p);
    if (!p || pclose(p) != 0 || !ok) {
        printf("  %-34s skipped: the server could not be started (make deps installs it)\n", title);
        return NULL;
    }
    port[strcspn(port, "\n")] = '\0';
    return port;
}

static void stop(const char *server, const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/%s stop %s", server, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "db_bench: %s did not stop cleanly\n", server);
}

int main(void)
{
    printf("== a database call on loopback, %d per request, traced against untraced, every setting "
           "at its default (medians of %d alternating rounds of %d requests)\n", CALLS, ROUNDS, REQUESTS);
    char dir[64], port[32], info[256];
    snprintf(dir, sizeof dir, "/tmp/xraycap-bench-pg-%d", (int)getpid());
    if (start("PostgreSQL SELECT (libpq)", "pg_server.sh", dir, port, sizeof port)) {
        snprintf(info, sizeof info, "host=127.0.0.1 port=%s dbname=postgres user=xraycap password=s3cret-pw", port);
        PGconn *c = PQconnectdb(info);
        db d = {"PostgreSQL SELECT (libpq)", "pg_server.sh", pq_call, c};
        if (PQstatus(c) == CONNECTION_OK)
            measure(&d);
        PQfinish(c);
        stop("pg_server.sh", dir);
    }
    snprintf(dir, sizeof dir, "/tmp/xraycap-bench-redis-%d", (int)getpid());
    if (start("Redis GET (hiredis)", "redis_server.sh", dir, port, sizeof port)) {
        redisContext *c = redisConnect("127.0.0.1", atoi(port));
        db d = {"Redis GET (hiredis)", "redis_server.sh", redis_call, c};
        if (c && !c->err)
            measure(&d);
        redisFree(c);
        stop("redis_server.sh", dir);
    }
    snprintf(dir, sizeof dir, "/tmp/xraycap-bench-mysql-%d", (int)getpid());
    if (start("MariaDB SELECT (Connector/C)", "mariadb_server.sh", dir, port, sizeof port)) {
        MYSQL *m = mysql_init(NULL);
        db d = {"MariaDB SELECT (Connector/C)", "mariadb_server.sh", mysql_call, m};
        if (mysql_real_connect(m, "127.0.0.1", "xraycap", "s3cret-pw", "shop", (unsigned)atoi(port), NULL, 0))
            measure(&d);
        mysql_close(m);
        stop("mariadb_server.sh", dir);
    }
    return 0;
}
