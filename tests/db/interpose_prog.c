/* interpose_prog.c — a program whose library calls are made inside libvendor.so, for the
 * run-time interposition tests. Inside segment "interpose-test" the vendor library does its
 * work, then the program makes one call of its own (which the plugin build also patches: it
 * must still be recorded once):
 *   interpose_prog CONNINFO          a fetch and a PostgreSQL query; own: a query
 *   interpose_prog PORT redis        an INCR (after a DEL outside nothing: both traced); own: GET
 *   interpose_prog PORT mysql        a query; own: a query
 * Prints what it got. */
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xray_capture.h>

int vendor_fetch(const char *url);
int vendor_query(const char *conninfo);
int vendor_redis(int port);
int vendor_mysql(int port);

static void postgres(const char *conninfo)
{
    printf("fetch: %d\n", vendor_fetch("http://127.0.0.1:9/"));
    printf("vendor query: %d\n", vendor_query(conninfo));
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r = PQexec(c, "SELECT 7");
    printf("own query: %s\n", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "error");
    PQclear(r);
    PQfinish(c);
}

static void redis(int port)
{
    printf("vendor incr: %d\n", vendor_redis(port));
    redisContext *c = redisConnect("127.0.0.1", port);
    redisReply *r = c && !c->err ? redisCommand(c, "GET %s", "vendor-counter") : NULL;
    printf("own get: %s\n", r && r->str ? r->str : "error");
    freeReplyObject(r);
    redisFree(c);
}

static void maria(int port)
{
    printf("vendor query: %d\n", vendor_mysql(port));
    MYSQL *m = mysql_init(NULL);
    int ok = mysql_real_connect(m, "127.0.0.1", "xraycap", "s3cret-pw", "shop", (unsigned)port, NULL, 0) &&
             mysql_query(m, "SELECT 7") == 0;
    if (ok)
        mysql_free_result(mysql_store_result(m));
    printf("own query: %s\n", ok ? "7" : "error");
    mysql_close(m);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *mode = argc > 2 ? argv[2] : "";
    xray_begin_segment("interpose-test");
    if (!strcmp(mode, "redis"))
        redis(atoi(argv[1]));
    else if (!strcmp(mode, "mysql"))
        maria(atoi(argv[1]));
    else
        postgres(argv[1]);
    xray_end_segment();
    return 0;
}
