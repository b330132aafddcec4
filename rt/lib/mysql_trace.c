/* mysql_trace.c — MySQL and MariaDB round trips through MariaDB Connector/C as subsegments
 * (xray_capture/mysql.h): each call is a subsegment while it runs. */
#include "core/context.h"
#include "lib/lib_span.h"
#include "lib/error_text.h"
#include "lib/sql_text.h"
#include "model/attrs.h"
#include "xray_capture/mysql.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define QUERY_MAX 4096

static const char *or_empty(const char *s) { return s ? s : ""; }

/* "database@host", as for PostgreSQL ("localhost" for a Unix socket, as the server says). */
static void conn_name(const MYSQL *m, char *out, size_t len)
{
    snprintf(out, len, "%.100s@%.100s", or_empty(m->db), or_empty(m->host));
}

/* mysql://host:port/database: never the user or the password. */
static void conn_url(const MYSQL *m, char *out, size_t len)
{
    if (m->unix_socket && (!m->host || !strcmp(m->host, "localhost")))
        snprintf(out, len, "mysql:///%.100s?socket=%.200s", or_empty(m->db), m->unix_socket);
    else
        snprintf(out, len, "mysql://%.200s:%u/%.100s", or_empty(m->host), m->port, or_empty(m->db));
}

/* The statement as recorded (sql_len bytes of it): sanitized unless the user said otherwise. */
static void recorded_query(const char *sql, size_t sql_len, char *query, size_t len)
{
    char text[QUERY_MAX];
    snprintf(text, sizeof text, "%.*s", (int)(sql_len < sizeof text ? sql_len : sizeof text - 1), or_empty(sql));
    if (xrc_sql_sanitizing())
        xrc_sql_sanitize(text, query, len, XRC_SQL_MYSQL);
    else
        snprintf(query, len, "%s", text);
}

static void describe(xray_entity *e, MYSQL *m, const char *sql, size_t sql_len, const char *preparation)
{
    char url[400], driver[64], query[QUERY_MAX];
    conn_url(m, url, sizeof url);
    snprintf(driver, sizeof driver, "MariaDB Connector/C %s", or_empty(mysql_get_client_info()));
    recorded_query(sql, sql_len, query, sizeof query);
    xray_set_namespace(e, "remote");
    xrc_put_field(e, "sql", NULL, "url", xrc_json_string(url, 1024));
    xrc_put_field(e, "sql", NULL, "database_type", cJSON_CreateString("MySQL"));
    xrc_put_field(e, "sql", NULL, "database_version", xrc_json_string(or_empty(m->server_version), 100));
    xrc_put_field(e, "sql", NULL, "driver_version", cJSON_CreateString(driver));
    xrc_put_field(e, "sql", NULL, "user", xrc_json_string(or_empty(m->user), 250));
    xrc_put_field(e, "sql", NULL, "preparation", cJSON_CreateString(preparation));
    xrc_put_field(e, "sql", NULL, "sanitized_query", xrc_json_string(query, QUERY_MAX));
}

/* The server's error number and SQLSTATE, and its message without the values it quotes back
 * (a duplicate entry, a wrong value, the statement after a syntax error). */
static void add_error(xray_entity *e, unsigned number, const char *sqlstate, const char *message,
                      const char *sql, size_t sql_len)
{
    char type[64], query[QUERY_MAX], text[1024];
    snprintf(type, sizeof type, "MySQL error %u (%.5s)", number, or_empty(sqlstate));
    recorded_query(sql, sql_len, query, sizeof query);
    xrc_error_text(message && *message ? message : "error", query, text, sizeof text);
    xray_add_exception(e, type, text, true);
}

static void span_begin(xrc_lib_span *s, const MYSQL *m)
{
    if (xrc_lib_span_enter(s) && m) {
        char name[256];
        conn_name(m, name, sizeof name);
        xrc_lib_span_open(s, name);
    }
}

/* Describes a statement on connection m (rc its result) and ends its subsegment. */
static void span_end(xrc_lib_span *s, MYSQL *m, const char *sql, size_t sql_len, const char *preparation,
                     int rc, MYSQL_STMT *stmt)
{
    int saved = errno;
    if (s->e) {
        describe(s->e, m, sql, sql_len, preparation);
        if (rc && stmt)
            add_error(s->e, mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), sql, sql_len);
        else if (rc)
            add_error(s->e, mysql_errno(m), mysql_sqlstate(m), mysql_error(m), sql, sql_len);
    }
    errno = saved;
    xrc_lib_span_leave(s);
}

int xray_mysql_query(MYSQL *mysql, const char *q)
{
    xrc_lib_span s;
    span_begin(&s, mysql);
    int rc = mysql_query(mysql, q);
    span_end(&s, mysql, q, q ? strlen(q) : 0, "call", rc, NULL);
    return rc;
}

int xray_mysql_real_query(MYSQL *mysql, const char *q, unsigned long length)
{
    xrc_lib_span s;
    span_begin(&s, mysql);
    int rc = mysql_real_query(mysql, q, length);
    span_end(&s, mysql, q, q ? length : 0, "call", rc, NULL);
    return rc;
}

int xray_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *query, unsigned long length)
{
    xrc_lib_span s;
    MYSQL *m = stmt ? stmt->mysql : NULL;
    span_begin(&s, m);
    int rc = mysql_stmt_prepare(stmt, query, length);
    if (!rc && stmt)
        xrc_sql_remember(stmt, "", query, length < QUERY_MAX ? length : QUERY_MAX);
    span_end(&s, m, query, query ? length : 0, "statement", rc, stmt);
    return rc;
}

int xray_mysql_stmt_execute(MYSQL_STMT *stmt)
{
    xrc_lib_span s;
    MYSQL *m = stmt ? stmt->mysql : NULL;
    span_begin(&s, m);
    int rc = mysql_stmt_execute(stmt);
    char sql[QUERY_MAX] = "";
    if (s.e)
        xrc_sql_recall(stmt, "", sql, sizeof sql);
    span_end(&s, m, sql, strlen(sql), "statement", rc, stmt);
    return rc;
}

my_bool xray_mysql_stmt_close(MYSQL_STMT *stmt)
{
    xrc_tls.lib_inside++;
    xrc_sql_forget(stmt);
    my_bool rc = mysql_stmt_close(stmt);
    xrc_tls.lib_inside--;
    return rc;
}
