/* pq_bench.c — what tracing adds to a PostgreSQL statement, measured in one run against a
 * server of our own on loopback (tests/db/pg_server.sh): requests of 10 `SELECT $1::int + 1`
 * statements, each request a sampled segment sent to the daemon address (default settings: UDP
 * to 127.0.0.1:2000), with the statements untraced (PQexecParams) and traced
 * (xray_PQexecParams). The difference per statement is tracing's cost: recording, its share of
 * serializing and sending the segment. Rounds alternate the two so that drift hits both; the
 * median round is reported. Nothing here is asserted: the figures are for docs/performance.md. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>
#include <xray_capture/pq.h>

#ifndef ROOT
#define ROOT "."
#endif
#define STATEMENTS 10    /* per request */
#define REQUESTS 200     /* per round */
#define ROUNDS 15

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef PGresult *(*exec_params)(PGconn *, const char *, int, const Oid *, const char *const *,
                                 const int *, const int *, int);

/* Seconds per statement over one round of requests. */
static double round_of(PGconn *c, exec_params run)
{
    const char *v[1] = {"41"};
    double t0 = now_s();
    for (int r = 0; r < REQUESTS; r++) {
        xray_begin_segment("pq-bench");
        for (int s = 0; s < STATEMENTS; s++)
            PQclear(run(c, "SELECT $1::int + 1", 1, NULL, v, NULL, NULL, 0));
        xray_end_segment();
    }
    return (now_s() - t0) / (REQUESTS * STATEMENTS);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    char dir[64], cmd[256], port[32] = "";
    snprintf(dir, sizeof dir, "/tmp/xraycap-pqbench-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/pg_server.sh start %s", dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(port, sizeof port, p) || pclose(p) != 0) {
        printf("== PostgreSQL statement: skipped (no PostgreSQL server could be started)\n");
        return 0;
    }
    port[strcspn(port, "\n")] = '\0';
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s dbname=postgres user=xraycap password=s3cret-pw", port);
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        printf("== PostgreSQL statement: skipped (%s)\n", PQerrorMessage(c));
        return 0;
    }
    round_of(c, PQexecParams); /* warm-up: connection, plans, the recorder's start */
    round_of(c, xray_PQexecParams);
    double plain[ROUNDS], traced[ROUNDS], added[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        plain[i] = round_of(c, PQexecParams);
        traced[i] = round_of(c, xray_PQexecParams);
        added[i] = traced[i] - plain[i];
    }
    qsort(plain, ROUNDS, sizeof plain[0], by_value);
    qsort(traced, ROUNDS, sizeof traced[0], by_value);
    qsort(added, ROUNDS, sizeof added[0], by_value);
    printf("== PostgreSQL statement on loopback, %d per request, every setting at its default "
           "(median of %d rounds of %d requests)\n", STATEMENTS, ROUNDS, REQUESTS);
    printf("  untraced  %8.2f us per statement\n", plain[ROUNDS / 2] * 1e6);
    printf("  traced    %8.2f us per statement  (%.3fx)\n", traced[ROUNDS / 2] * 1e6,
           traced[ROUNDS / 2] / plain[ROUNDS / 2]);
    printf("  added     %8.2f us per statement (median of the rounds' differences; range %.2f to %.2f)\n",
           added[ROUNDS / 2] * 1e6, added[0] * 1e6, added[ROUNDS - 1] * 1e6);
    PQfinish(c);
    snprintf(cmd, sizeof cmd, ROOT "/tests/db/pg_server.sh stop %s", dir);
    return system(cmd) != 0;
}
