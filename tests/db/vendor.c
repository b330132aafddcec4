/* vendor.c — libvendor.so, a shared library of "someone else's" that calls libcurl, libpq,
 * hiredis and MariaDB Connector/C itself, built without the plugin and without --wrap: only
 * run-time interposition (libxraycap-patch.so) can see its calls. */
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <stdlib.h>

int vendor_fetch(const char *url);
int vendor_query(const char *conninfo);
int vendor_redis(int port);
int vendor_mysql(int port);

int vendor_fetch(const char *url)
{
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    return rc == CURLE_OK ? 0 : -1;
}

int vendor_query(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r = PQexec(c, "SELECT 40 + 2");
    int v = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    return v;
}

/* INCR on a fresh key: 1 */
int vendor_redis(int port)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err)
        return -1;
    freeReplyObject(redisCommand(c, "DEL %s", "vendor-counter"));
    redisReply *r = redisCommand(c, "INCR %s", "vendor-counter");
    int v = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

int vendor_mysql(int port)
{
    MYSQL *m = mysql_init(NULL);
    int v = -1;
    if (mysql_real_connect(m, "127.0.0.1", "xraycap", "s3cret-pw", "shop", (unsigned)port, NULL, 0) &&
        mysql_query(m, "SELECT 40 + 2") == 0) {
        MYSQL_RES *res = mysql_store_result(m);
        MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
        v = row && row[0] ? atoi(row[0]) : -1;
        if (res)
            mysql_free_result(res);
    }
    mysql_close(m);
    return v;
}
