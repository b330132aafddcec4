/* vendor.c — libvendor.so, a shared library of "someone else's" that calls libcurl and libpq
 * itself, built without the plugin and without --wrap: only run-time interposition
 * (libxraycap-patch.so) can see its calls. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdlib.h>

int vendor_fetch(const char *url);
int vendor_query(const char *conninfo);

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
