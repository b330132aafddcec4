/* interpose_prog.c — a program whose library calls are made inside libvendor.so, for the
 * run-time interposition tests (test_pq.c). Inside segment "interpose-test" it has the vendor
 * library fetch a URL and run a query, then runs one query of its own (which the plugin build
 * also patches: it must still be recorded once). Prints what it got. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <xray_capture.h>

int vendor_fetch(const char *url);
int vendor_query(const char *conninfo);

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    xray_begin_segment("interpose-test");
    printf("fetch: %d\n", vendor_fetch("http://127.0.0.1:9/"));
    printf("vendor query: %d\n", vendor_query(argv[1]));
    PGconn *c = PQconnectdb(argv[1]);
    PGresult *r = PQexec(c, "SELECT 7");
    printf("own query: %s\n", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "error");
    PQclear(r);
    PQfinish(c);
    xray_end_segment();
    return 0;
}
