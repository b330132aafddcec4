/* sqlite_trace.c — SQLite statement executions as subsegments. An execution of a prepared
 * statement spans several sqlite3_step calls with the caller's row handling in between, so it
 * is recorded when it ends, with the start time taken at its first step. */
#include "model/attrs.h"
#include "base/config.h"
#include "core/context.h"
#include "emit/emit.h"
#include "lib/error_text.h"
#include "lib/sql_text.h"
#include "base/log.h"
#include "xray_capture/sqlite3.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 127
#define QUERY_MAX 4096

/* name: base name of the database file, "memory" for in-memory and temporary databases */
static void db_name(sqlite3 *db, char *name, size_t nlen, const char **file)
{
    const char *f = db ? sqlite3_db_filename(db, "main") : NULL;
    *file = f && *f ? f : ":memory:";
    const char *base = f && *f ? strrchr(f, '/') : NULL;
    snprintf(name, nlen, "%s", f && *f ? (base ? base + 1 : f) : "memory");
}

static void record_sql(xray_entity *e, sqlite3 *db, const char *sql, const char *preparation,
                       int rc)
{
    const char *file;
    char name[256], query[QUERY_MAX];
    db_name(db, name, sizeof name, &file);
    if (xrc_sql_sanitizing())
        xray_sql_sanitize(sql ? sql : "", query, sizeof query);
    else
        snprintf(query, sizeof query, "%s", sql ? sql : "");
    xrc_put_field(e, "sql", NULL, "url", xrc_json_string(file, 1024));
    xrc_put_field(e, "sql", NULL, "database_type", cJSON_CreateString("sqlite3"));
    xrc_put_field(e, "sql", NULL, "database_version", cJSON_CreateString(sqlite3_libversion()));
    xrc_put_field(e, "sql", NULL, "driver_version", cJSON_CreateString("SQLite C API " SQLITE_VERSION));
    xrc_put_field(e, "sql", NULL, "preparation", cJSON_CreateString(preparation));
    xrc_put_field(e, "sql", NULL, "sanitized_query", xrc_json_string(query, QUERY_MAX));
    xray_set_namespace(e, "remote");
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        char type[64];
        snprintf(type, sizeof type, "SQLite error %d (%s)", rc, sqlite3_errstr(rc));
        char text[1024]; /* without a value quoted back ("near "'secret'": syntax error") */
        xrc_error_text(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), query, text, sizeof text);
        xray_add_exception(e, type, text, true);
    }
}

int xray_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                      void *arg, char **errmsg)
{
    xrc_thread *t = &xrc_tls;
    if (xrc_tls.lib_inside || !t->recording) {
        xrc_tls.lib_inside++;
        int rc = sqlite3_exec(db, sql, cb, arg, errmsg);
        xrc_tls.lib_inside--;
        return rc;
    }
    int saved = errno;
    xrc_tls.lib_inside++;
    const char *file;
    char name[256];
    db_name(db, name, sizeof name, &file);
    char *copy = xrc_copy_name(t, name);
    xray_token tok = copy ? xrc_open(t, copy, 0) : 0;
    xray_entity *e = tok ? t->recording : NULL;
    errno = saved;
    int rc = sqlite3_exec(db, sql, cb, arg, errmsg);
    saved = errno;
    if (e) {
        record_sql(e, db, sql, "call", rc);
        __xraycap_exit(tok);
    }
    xrc_tls.lib_inside--;
    errno = saved;
    return rc;
}

int xray_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int nbyte, sqlite3_stmt **stmt,
                            const char **tail)
{
    xrc_tls.lib_inside++;
    int rc = sqlite3_prepare_v2(db, sql, nbyte, stmt, tail);
    xrc_tls.lib_inside--;
    return rc;
}

/* Executions in progress, by statement. */
typedef struct running {
    sqlite3_stmt *stmt;
    xrc_segment *seg;
    unsigned long gen;
    xray_entity *parent;
    unsigned streams;              /* parent's segment had streamed this often */
    int64_t start_ns;
    struct running *next;
} running;

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER; /* guards `runs` */
static running *runs[BUCKETS];   /* statements being stepped, hashed by statement */

static size_t slot(sqlite3_stmt *s) { return ((uintptr_t)s >> 4) % BUCKETS; }

static running *take(sqlite3_stmt *s)
{
    running *r = NULL;
    pthread_mutex_lock(&running_lock);
    for (running **p = &runs[slot(s)]; *p; p = &(*p)->next)
        if ((*p)->stmt == s) {
            r = *p;
            *p = r->next;
            break;
        }
    pthread_mutex_unlock(&running_lock);
    return r;
}

static void finish(sqlite3_stmt *s, int rc)
{
    running *r = take(s);
    if (!r)
        return;
    xrc_thread *t = &xrc_tls;
    if (t->seg == r->seg && t->gen == r->gen && t->recording) {
        const char *file;
        char name[256];
        sqlite3 *db = sqlite3_db_handle(s);
        db_name(db, name, sizeof name, &file);
        char *copy = xrc_copy_name(t, name);
        xray_entity *parent = xrc_parent_alive(t->seg, r->parent, r->streams);
        xray_entity *e = copy ? xrc_add_closed(t, parent, copy, xrc_rand64(), r->start_ns) : NULL;
        if (e)
            record_sql(e, db, sqlite3_sql(s), "statement", rc);
        xrc_stream_if_due(t);
    } else {
        atomic_fetch_add(&xrc_stats.subsegments_dropped, 1);
        xrc_log(XRAY_LOG_WARN, "an SQLite statement finished after its segment ended (or on another "
                               "thread); not recorded");
    }
    free(r);
}

int xray_sqlite3_step(sqlite3_stmt *s)
{
    xrc_thread *t = &xrc_tls;
    if (xrc_tls.lib_inside || !s) {
        xrc_tls.lib_inside++;
        int rc = sqlite3_step(s);
        xrc_tls.lib_inside--;
        return rc;
    }
    int saved = errno;
    xrc_tls.lib_inside++;
    if (t->recording && !sqlite3_stmt_busy(s)) {
        running *old = take(s); /* a run that ended without us seeing it */
        free(old);
        running *r = calloc(1, sizeof *r);
        if (r) {
            r->stmt = s;
            r->seg = t->seg;
            r->gen = t->gen;
            r->parent = t->recording;
            r->streams = t->seg->streams;
            r->start_ns = xrc_mono_ns() - t->seg->mono_base_ns;
            pthread_mutex_lock(&running_lock);
            r->next = runs[slot(s)];
            runs[slot(s)] = r;
            pthread_mutex_unlock(&running_lock);
        }
    }
    errno = saved;
    int rc = sqlite3_step(s);
    saved = errno;
    if (rc != SQLITE_ROW)
        finish(s, rc);
    xrc_tls.lib_inside--;
    errno = saved;
    return rc;
}

int xray_sqlite3_reset(sqlite3_stmt *s)
{
    int saved = errno;
    xrc_tls.lib_inside++;
    if (s)
        finish(s, SQLITE_DONE); /* stopped early by the caller: recorded as it went */
    errno = saved;
    int rc = sqlite3_reset(s);
    xrc_tls.lib_inside--;
    return rc;
}

int xray_sqlite3_finalize(sqlite3_stmt *s)
{
    int saved = errno;
    xrc_tls.lib_inside++;
    if (s)
        finish(s, SQLITE_DONE);
    errno = saved;
    int rc = sqlite3_finalize(s);
    xrc_tls.lib_inside--;
    return rc;
}
