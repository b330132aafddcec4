/* pq_trace.c — PostgreSQL round trips through libpq as subsegments (xray_capture/pq.h). A
 * synchronous call is a subsegment while it runs; an asynchronous statement (PQsend*) spans the
 * caller's own work until PQgetResult returns NULL, so it is recorded when it ends, with the
 * start time taken at the send, as SQLite's prepared statements are. */
#include "core/context.h"
#include "lib/lib_span.h"
#include "lib/error_text.h"
#include "lib/sql_text.h"
#include "model/attrs.h"
#include "xray_capture/pq.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_MAX 4096

/* ---- what a subsegment says about the connection and the statement ---------------------- */

static const char *or_empty(const char *s) { return s ? s : ""; }

/* "database@host", as the Python SDK names psycopg2's subsegments. */
static void conn_name(PGconn *conn, char *out, size_t len)
{
    snprintf(out, len, "%.100s@%.100s", or_empty(PQdb(conn)), or_empty(PQhost(conn)));
}

/* postgresql://host:port/database, or with a socket directory as its host parameter: never
 * the user or the password, which a connection string would carry. */
static void conn_url(PGconn *conn, char *out, size_t len)
{
    const char *host = or_empty(PQhost(conn));
    if (host[0] == '/')
        snprintf(out, len, "postgresql:///%.100s?host=%.200s&port=%.10s", or_empty(PQdb(conn)), host,
                 or_empty(PQport(conn)));
    else
        snprintf(out, len, "postgresql://%.200s:%.10s/%.100s", host, or_empty(PQport(conn)),
                 or_empty(PQdb(conn)));
}

/* 150020 → "15.20"; before version 10 the number had three parts (90624 → "9.6.24"). */
static void version_text(int v, char *out, size_t len)
{
    if (v <= 0)
        snprintf(out, len, "unknown");
    else if (v >= 100000)
        snprintf(out, len, "%d.%d", v / 10000, v % 10000);
    else
        snprintf(out, len, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

/* The statement as recorded: sanitized unless the user said otherwise. */
static void recorded_query(const char *sql, char *out, size_t len)
{
    if (xrc_sql_sanitizing())
        xrc_sql_sanitize(or_empty(sql), out, len, XRC_SQL_POSTGRES);
    else
        snprintf(out, len, "%s", or_empty(sql));
}

/* What an error says, without the values in it: the server's primary message (never its
 * DETAIL, HINT or the statement it quotes back), its quoted values removed, then the names the
 * server gives in their own fields; libpq's own message (no result) likewise. */
static void error_text(const PGresult *r, PGconn *conn, const char *sql, char *out, size_t len)
{
    char query[QUERY_MAX];
    recorded_query(sql, query, sizeof query);
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary)
        primary = r ? PQresultErrorMessage(r) : conn ? PQerrorMessage(conn) : NULL;
    xrc_error_text(primary && *primary ? primary : "no result", query, out, len);
    static const struct { int code; const char *label; } names[] = {
        {PG_DIAG_SCHEMA_NAME, "schema"}, {PG_DIAG_TABLE_NAME, "table"},
        {PG_DIAG_COLUMN_NAME, "column"}, {PG_DIAG_CONSTRAINT_NAME, "constraint"},
    };
    char given[300] = "";
    size_t k = 0;
    for (size_t i = 0; r && i < sizeof names / sizeof names[0]; i++) {
        const char *v = PQresultErrorField(r, names[i].code);
        if (v && *v && k < sizeof given)
            k += (size_t)snprintf(given + k, sizeof given - k, "%s%s %.63s", k ? ", " : "", names[i].label, v);
    }
    size_t n = strlen(out);
    if (given[0] && n < len)
        snprintf(out + n, len - n, " (%s)", given);
}

static void add_error(xray_entity *e, const char *sqlstate, const char *text)
{
    char type[64];
    snprintf(type, sizeof type, "PostgreSQL error %s", sqlstate && *sqlstate ? sqlstate : "(connection)");
    xray_add_exception(e, type, text, true);
}

static void describe(xray_entity *e, PGconn *conn, const char *sql, const char *preparation)
{
    char url[400], version[32], driver[32], query[QUERY_MAX];
    conn_url(conn, url, sizeof url);
    version_text(PQserverVersion(conn), version, sizeof version);
    char lib[16];
    version_text(PQlibVersion(), lib, sizeof lib);
    snprintf(driver, sizeof driver, "libpq %s", lib);
    recorded_query(sql, query, sizeof query);
    xray_set_namespace(e, "remote");
    xrc_put_field(e, "sql", NULL, "url", xrc_json_string(url, 1024));
    xrc_put_field(e, "sql", NULL, "database_type", cJSON_CreateString("PostgreSQL"));
    xrc_put_field(e, "sql", NULL, "database_version", cJSON_CreateString(version));
    xrc_put_field(e, "sql", NULL, "driver_version", cJSON_CreateString(driver));
    xrc_put_field(e, "sql", NULL, "user", xrc_json_string(or_empty(PQuser(conn)), 250));
    xrc_put_field(e, "sql", NULL, "preparation", cJSON_CreateString(preparation));
    xrc_put_field(e, "sql", NULL, "sanitized_query", xrc_json_string(query, QUERY_MAX));
}

static bool failed(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return !r || st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE;
}

/* ---- synchronous calls: a subsegment while the call runs ------------------------------- */

static void span_begin(xrc_lib_span *s, PGconn *conn)
{
    if (xrc_lib_span_enter(s) && conn) {
        char name[256];
        conn_name(conn, name, sizeof name);
        xrc_lib_span_open(s, name);
    }
}

static void span_end(xrc_lib_span *s, PGconn *conn, const char *sql, const char *preparation,
                     const PGresult *r)
{
    int saved = errno;
    if (s->e) {
        describe(s->e, conn, sql, preparation);
        if (failed(r)) {
            char text[1024];
            error_text(r, conn, sql, text, sizeof text);
            add_error(s->e, r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL, text);
        }
    }
    errno = saved;
    xrc_lib_span_leave(s);
}

PGresult *xray_PQexec(PGconn *conn, const char *query)
{
    xrc_lib_span s;
    span_begin(&s, conn);
    PGresult *r = PQexec(conn, query);
    span_end(&s, conn, query, "call", r);
    return r;
}

PGresult *xray_PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                            const char *const *paramValues, const int *paramLengths,
                            const int *paramFormats, int resultFormat)
{
    xrc_lib_span s;
    span_begin(&s, conn);
    PGresult *r = PQexecParams(conn, command, nParams, paramTypes, paramValues, paramLengths,
                               paramFormats, resultFormat);
    span_end(&s, conn, command, "statement", r);
    return r;
}

PGresult *xray_PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
                         const Oid *paramTypes)
{
    xrc_lib_span s;
    span_begin(&s, conn);
    PGresult *r = PQprepare(conn, stmtName, query, nParams, paramTypes);
    if (!failed(r))
        xrc_sql_remember(conn, stmtName, query, QUERY_MAX);
    span_end(&s, conn, query, "statement", r);
    return r;
}

PGresult *xray_PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
                              const char *const *paramValues, const int *paramLengths,
                              const int *paramFormats, int resultFormat)
{
    xrc_lib_span s;
    span_begin(&s, conn);
    PGresult *r = PQexecPrepared(conn, stmtName, nParams, paramValues, paramLengths, paramFormats,
                                 resultFormat);
    char sql[QUERY_MAX] = "";
    if (s.e)
        xrc_sql_recall(conn, stmtName, sql, sizeof sql);
    span_end(&s, conn, sql, "statement", r);
    return r;
}

/* ---- asynchronous statements: from the send to the last result ------------------------- */

typedef struct pending {
    xrc_pending link;             /* first: on `sent`, by connection */
    xrc_lib_later at;             /* where and when it was sent */
    const char *preparation;
    char *sql;
    char sqlstate[6];
    char *error;                  /* the first error result's text, as error_text makes it */
} pending;

static xrc_pending_list sent = XRC_PENDING_LIST_INIT; /* statements whose last result is unread */

static pending *take_pending(PGconn *conn) { return (pending *)xrc_pending_take(&sent, conn); }

static void free_pending(pending *p)
{
    if (p) {
        free(p->sql);
        free(p->error);
        free(p);
    }
}

/* Records the statement's subsegment, ended now, under the entity that was current at the
 * send. */
static void finish_pending(pending *p, PGconn *conn)
{
    char name[256];
    conn_name(conn, name, sizeof name);
    xray_entity *e = xrc_lib_later_end(&p->at, name, "a PostgreSQL statement");
    if (e) {
        describe(e, conn, p->sql, p->preparation);
        if (p->error)
            add_error(e, p->sqlstate, p->error);
    }
    xrc_lib_later_done();
    free_pending(p);
}

/* After a send: the statement is pending until its last result; a send that failed is a
 * finished statement with libpq's message. */
static void after_send(PGconn *conn, int ok, const char *sql, const char *preparation,
                       const xrc_lib_later *at, bool traced)
{
    if (!traced || !conn)
        return;
    pending *p = calloc(1, sizeof *p);
    if (!p || !(p->sql = strndup(or_empty(sql), QUERY_MAX))) {
        free(p);
        return;
    }
    p->at = *at;
    p->preparation = preparation;
    if (!ok) {
        char text[1024];
        error_text(NULL, conn, sql, text, sizeof text);
        p->error = strdup(text);
        finish_pending(p, conn);
        return;
    }
    free_pending(take_pending(conn)); /* one statement in flight per connection */
    xrc_pending_add(&sent, &p->link, conn);
}

/* Whether a send is traced (noting where and when); enters the wrapper. */
static bool send_begins(xrc_lib_later *at)
{
    bool traced = xrc_lib_later_begin(at);
    xrc_tls.lib_inside++;
    return traced;
}

int xray_PQsendQuery(PGconn *conn, const char *query)
{
    xrc_lib_later at;
    bool traced = send_begins(&at);
    int ok = PQsendQuery(conn, query);
    int saved = errno;
    after_send(conn, ok, query, "call", &at, traced);
    xrc_tls.lib_inside--;
    errno = saved;
    return ok;
}

int xray_PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                           const char *const *paramValues, const int *paramLengths,
                           const int *paramFormats, int resultFormat)
{
    xrc_lib_later at;
    bool traced = send_begins(&at);
    int ok = PQsendQueryParams(conn, command, nParams, paramTypes, paramValues, paramLengths,
                               paramFormats, resultFormat);
    int saved = errno;
    after_send(conn, ok, command, "statement", &at, traced);
    xrc_tls.lib_inside--;
    errno = saved;
    return ok;
}

int xray_PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
                       const Oid *paramTypes)
{
    xrc_lib_later at;
    bool traced = send_begins(&at);
    int ok = PQsendPrepare(conn, stmtName, query, nParams, paramTypes);
    int saved = errno;
    if (ok)
        xrc_sql_remember(conn, stmtName, query, QUERY_MAX);
    after_send(conn, ok, query, "statement", &at, traced);
    xrc_tls.lib_inside--;
    errno = saved;
    return ok;
}

int xray_PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams,
                             const char *const *paramValues, const int *paramLengths,
                             const int *paramFormats, int resultFormat)
{
    xrc_lib_later at;
    bool traced = send_begins(&at);
    int ok = PQsendQueryPrepared(conn, stmtName, nParams, paramValues, paramLengths, paramFormats,
                                 resultFormat);
    int saved = errno;
    char sql[QUERY_MAX] = "";
    if (traced)
        xrc_sql_recall(conn, stmtName, sql, sizeof sql);
    after_send(conn, ok, sql, "statement", &at, traced);
    xrc_tls.lib_inside--;
    errno = saved;
    return ok;
}

/* The statement's first error result, kept for when it ends. */
static void note_error(xrc_pending *link, void *result)
{
    pending *p = (pending *)link;
    if (p->error)
        return;
    const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    snprintf(p->sqlstate, sizeof p->sqlstate, "%s", or_empty(state));
    char text[1024];
    error_text(result, NULL, p->sql, text, sizeof text);
    p->error = strdup(text);
}

PGresult *xray_PQgetResult(PGconn *conn)
{
    bool outer = !xrc_tls.lib_inside++;
    PGresult *r = PQgetResult(conn);
    int saved = errno;
    if (outer && conn) {
        if (r && failed(r)) {
            xrc_pending_each(&sent, conn, note_error, r);
        } else if (!r) {
            pending *p = take_pending(conn);
            if (p)
                finish_pending(p, conn);
        }
    }
    xrc_tls.lib_inside--;
    errno = saved;
    return r;
}

void xray_PQfinish(PGconn *conn)
{
    xrc_tls.lib_inside++;
    pending *p = conn ? take_pending(conn) : NULL;
    if (p) /* sent, its last result never read: it ends here */
        finish_pending(p, conn);
    xrc_sql_forget(conn);
    PQfinish(conn);
    xrc_tls.lib_inside--;
}
