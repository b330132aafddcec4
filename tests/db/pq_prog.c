/* pq_prog.c — a libpq client for the PostgreSQL tracing tests, built four ways (GCC plugin with
 * patch=pq, Clang plugin, --wrap link, explicit xray_PQ* calls: -DEXPLICIT). Inside segment
 * "pq-test" it runs each kind of round trip once:
 *   pq_prog CONNINFO            plain, parameters, prepare + execute, errors quoting values back,
 *                               an error, async, async error,
 *                               an async statement whose connection is closed before its result
 *   pq_prog CONNINFO lost       one query, then waits for a line on stdin (the test kills the
 *                               server meanwhile), then queries again: it must fail, not crash
 * and prints what the queries answered, so the test can check that tracing changed nothing. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <xray_capture.h>

#ifdef EXPLICIT
#include <xray_capture/pq.h>
#define PQ(f) xray_##f
#else
#define PQ(f) f
#endif

/* Prints the first value of a result (or its error's SQLSTATE) and frees it. */
static void show(const char *what, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0)
        printf("%s: %s\n", what, PQgetvalue(r, 0, PQnfields(r) - 1));
    else if (st == PGRES_COMMAND_OK)
        printf("%s: ok\n", what);
    else {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        printf("%s: error %s\n", what, state ? state : r ? "without SQLSTATE" : "no result");
    }
    PQclear(r);
}

/* Every result of an asynchronous statement, up to the NULL that ends it. */
static void drain(const char *what, PGconn *c)
{
    PGresult *r;
    while ((r = PQ(PQgetResult)(c)))
        show(what, r);
}

static int lost(PGconn *c)
{
    show("before", PQ(PQexec)(c, "SELECT 1"));
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    show("after", PQ(PQexec)(c, "SELECT 2"));
    show("again", PQ(PQexec)(c, "SELECT 3"));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    PGconn *c = PQconnectdb(argv[1]);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pq_prog: %s", PQerrorMessage(c));
        return 1;
    }
    xray_begin_segment("pq-test");
    int rc = 0;
    if (argc > 2 && !strcmp(argv[2], "lost")) {
        rc = lost(c);
    } else {
        show("plain", PQ(PQexec)(c, "SELECT 1 + 41 AS answer, 'secret-literal' AS hidden, 42"));
        /* PostgreSQL's other literals: dollar-quoted, escape strings, array elements */
        show("literals", PQ(PQexec)(c, "SELECT length($$dollar-secret$$ || $t$tag-secret$t$ || "
                                        "E'it\\'s e-secret' || (ARRAY['arr-secret'])[1])"));
        const char *v[1] = {"21"};
        show("params", PQ(PQexecParams)(c, "SELECT $1::int * 2", 1, NULL, v, NULL, NULL, 0));
        show("prepare", PQ(PQprepare)(c, "twice", "SELECT $1::text || 'x'", 1, NULL));
        const char *a[1] = {"a"};
        show("prepared", PQ(PQexecPrepared)(c, "twice", 1, a, NULL, NULL, 0));
        /* errors that quote values back: a literal, a duplicate key (in DETAIL), a parameter */
        show("cast", PQ(PQexec)(c, "SELECT 'cast-secret'::int"));
        show("create", PQ(PQexec)(c, "CREATE TEMP TABLE keys (id text PRIMARY KEY)"));
        show("insert", PQ(PQexec)(c, "INSERT INTO keys VALUES ('dup-secret')"));
        show("duplicate", PQ(PQexec)(c, "INSERT INTO keys VALUES ('dup-secret')"));
        const char *p[1] = {"param-secret"};
        show("bad-param", PQ(PQexecParams)(c, "SELECT $1::int", 1, NULL, p, NULL, NULL, 0));
        show("missing", PQ(PQexec)(c, "SELECT * FROM no_such_table"));
        if (PQ(PQsendQuery)(c, "SELECT pg_sleep(0.01), 7"))
            drain("async", c);
        const char *z[1] = {"0"};
        if (PQ(PQsendQueryParams)(c, "SELECT 1 / $1::int", 1, NULL, z, NULL, NULL, 0))
            drain("async-error", c);
        /* a statement sent on a connection closed before its result is read */
        PGconn *other = PQconnectdb(argv[1]);
        if (PQ(PQsendQuery)(other, "SELECT 5"))
            PQ(PQfinish)(other);
        printf("abandoned: sent\n");
    }
    xray_end_segment();
    PQ(PQfinish)(c);
    return rc;
}
