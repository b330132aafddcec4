/* store.c — see store.h. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct store {
    sqlite3 *db;
    sqlite3_stmt *put, *trace; /* trace: made at its first use, kept (the views load thousands) */
};

/* Julian days (SQLite's `received`) and Unix seconds. */
#define UNIX_EPOCH_JD 2440587.5
static double to_jd(double epoch) { return epoch / 86400.0 + UNIX_EPOCH_JD; }

void store_default_path(char *out, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(out, len, "%s/xraycap/traces.db", xdg);
    else
        snprintf(out, len, "%s/.local/share/xraycap/traces.db", home && *home ? home : ".");
}

static void make_parent_dirs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700); /* URLs, users, annotations: for this user only */
            *p = '/';
        }
}

static const char SCHEMA[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    /* reads from the file mapped, not copied page by page (the views read the whole range) */
    "PRAGMA mmap_size=268435456;"
    "CREATE TABLE IF NOT EXISTS documents("
    " trace_id TEXT NOT NULL, entity_id TEXT NOT NULL, start REAL NOT NULL,"
    " in_progress INTEGER NOT NULL, received REAL NOT NULL, body TEXT NOT NULL,"
    " PRIMARY KEY(trace_id, entity_id));"
    "CREATE INDEX IF NOT EXISTS documents_start ON documents(start);"
    "CREATE INDEX IF NOT EXISTS documents_received ON documents(received);"
    "CREATE TABLE IF NOT EXISTS groups(name TEXT PRIMARY KEY, filter TEXT NOT NULL);";

/* A new store gives the pages pruning frees back to the file system (auto_vacuum); the
 * setting is made before its first table, and never on a store that exists: changing it
 * while another connection writes breaks the file (PRAGMA integrity_check finds pages lost). */
static bool new_store_vacuums(store *s)
{
    sqlite3_stmt *q;
    bool empty = false;
    if (sqlite3_prepare_v2(s->db, "PRAGMA page_count", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        empty = sqlite3_column_int64(q, 0) == 0;
    sqlite3_finalize(q);
    return !empty || sqlite3_exec(s->db, "PRAGMA auto_vacuum=INCREMENTAL", NULL, NULL, NULL) == SQLITE_OK;
}

store *store_open(const char *path, char *err, size_t errlen)
{
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    make_parent_dirs(path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600); /* private before SQLite opens it */
    if (fd >= 0)
        close(fd);
    char *msg = NULL;
    /* the busy timeout first: other processes (a daemon, serve's workers) may be writing */
    if (sqlite3_open(path, &s->db) != SQLITE_OK || sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
        !new_store_vacuums(s) || sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO documents(trace_id, entity_id, start, in_progress, received, body)"
                           " VALUES(?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT(trace_id, entity_id) DO UPDATE SET"
                           "  start=excluded.start, in_progress=excluded.in_progress,"
                           "  received=excluded.received, body=excluded.body"
                           " WHERE excluded.in_progress = 0 OR documents.in_progress = 1",
                           -1, &s->put, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->put);
    sqlite3_finalize(s->trace);
    sqlite3_close(s->db);
    free(s);
}

/* What a failed write means for the store: SQLite's code, and the system's errno behind an
 * I/O error (a file system remounted read-only answers EROFS to a write). */
static store_status status_of(store *s, int rc)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE)
        return STORE_OK;
    int sys = sqlite3_system_errno(s->db);
    if ((rc & 0xff) == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT || sys == EFBIG)
        return STORE_FULL;
    if ((rc & 0xff) == SQLITE_READONLY || sys == EROFS)
        return STORE_READONLY;
    return STORE_ERROR;
}

const char *store_status_text(store_status st)
{
    return st == STORE_OK ? "ok" : st == STORE_FULL ? "store full" : st == STORE_READONLY ? "read-only"
         : st == STORE_EXISTS ? "exists" : "store error";
}

store_status store_begin(store *s) { return status_of(s, sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)); }

store_status store_commit(store *s)
{
    store_status st = status_of(s, sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL));
    if (st != STORE_OK && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

bool store_in_transaction(store *s) { return !sqlite3_get_autocommit(s->db); }

store_status store_put(store *s, const cJSON *doc, const char *text)
{
    return store_put_at(s, doc, text, (double)time(NULL));
}

store_status store_put_at(store *s, const cJSON *doc, const char *text, double received)
{
    const cJSON *trace = cJSON_GetObjectItemCaseSensitive(doc, "trace_id");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(doc, "start_time");
    bool in_progress = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "in_progress"));
    /* the callers store checked documents; one without its keys is refused, not stored */
    if (!cJSON_IsString(trace) || !cJSON_IsString(id) || !cJSON_IsNumber(start) || !text)
        return STORE_ERROR;
    sqlite3_reset(s->put);
    sqlite3_bind_text(s->put, 1, trace->valuestring, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->put, 2, id->valuestring, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s->put, 3, start->valuedouble);
    sqlite3_bind_int(s->put, 4, in_progress);
    sqlite3_bind_double(s->put, 5, to_jd(received));
    sqlite3_bind_text(s->put, 6, text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->put);
    sqlite3_reset(s->put);
    return status_of(s, rc);
}

static long long one_value(store *s, const char *sql)
{
    sqlite3_stmt *q;
    long long v = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

long long store_bytes(store *s)
{
    long long pages = one_value(s, "PRAGMA page_count"), free_pages = one_value(s, "PRAGMA freelist_count");
    long long size = one_value(s, "PRAGMA page_size");
    return pages < 0 || free_pages < 0 || size < 0 ? -1 : (pages - free_pages) * size;
}

/* The oldest traces (by their first document's arrival), at most `max` of them; with
 * cutoff > 0 only those that arrived before it. Read by the `received` index, a page of
 * documents at a time: never a scan of the whole store. */
static int oldest_traces(store *s, double cutoff, char ids[][64], int max)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, cutoff > 0 ? "SELECT trace_id FROM documents WHERE received < ? ORDER BY received LIMIT ?"
                                             : "SELECT trace_id FROM documents ORDER BY received LIMIT ?",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    int arg = 1;
    if (cutoff > 0)
        sqlite3_bind_double(q, arg++, to_jd(cutoff));
    sqlite3_bind_int(q, arg, max * 8);
    int n = 0;
    while (n < max && sqlite3_step(q) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        bool seen = false;
        for (int i = 0; i < n && !seen; i++)
            seen = !strcmp(ids[i], id);
        if (!seen && id && strlen(id) < 64)
            strcpy(ids[n++], id);
    }
    sqlite3_finalize(q);
    return n;
}

int store_prune(store *s, double cutoff, long long max_bytes, int max_traces, long *documents)
{
    char (*ids)[64] = calloc((size_t)max_traces, 64);
    if (!ids)
        return -1;
    bool over = max_bytes > 0 && store_bytes(s) > max_bytes;
    int n = oldest_traces(s, over ? 0 : cutoff, ids, max_traces);
    if (n <= 0 || (!over && cutoff <= 0)) {
        free(ids);
        return n < 0 ? -1 : 0;
    }
    sqlite3_stmt *del;
    int done = -1;
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(s->db, "DELETE FROM documents WHERE trace_id = ?", -1, &del, NULL) == SQLITE_OK) {
        long docs = 0;
        for (int i = 0; i < n; i++) {
            sqlite3_bind_text(del, 1, ids[i], -1, SQLITE_STATIC);
            if (sqlite3_step(del) == SQLITE_DONE)
                docs += sqlite3_changes(s->db);
            sqlite3_reset(del);
        }
        sqlite3_finalize(del);
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
            done = n;
            if (documents)
                *documents += docs;
        }
    }
    if (done < 0 && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    /* the pages freed go back to the file system (a store made before auto_vacuum: no-op) */
    sqlite3_exec(s->db, "PRAGMA incremental_vacuum(2000)", NULL, NULL, NULL);
    free(ids);
    return done;
}

bool store_integrity_ok(store *s, char *why, size_t len)
{
    sqlite3_stmt *q;
    bool ok = false;
    snprintf(why, len, "cannot run the check");
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        ok = r && !strcmp(r, "ok");
        snprintf(why, len, "%s", r ? r : "?");
    }
    sqlite3_finalize(q);
    return ok;
}

long store_trace_count(store *s)
{
    return (long)one_value(s, "SELECT COUNT(DISTINCT trace_id) FROM documents");
}

typedef struct timed_doc {
    double start;
    size_t order; /* as read: equal starts keep it */
    cJSON *doc;
} timed_doc;

static int by_start(const void *a, const void *b)
{
    const timed_doc *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->order > y->order) - (x->order < y->order);
}

cJSON *store_trace(store *s, const char *trace_id)
{
    /* in start order, sorted here: a trace has a few documents, and SQLite's sorter costs more
     * than the rest of the query (the views load thousands of traces) */
    if (!s->trace && sqlite3_prepare_v2(s->db, "SELECT start, body FROM documents WHERE trace_id = ?", -1, &s->trace,
                                        NULL) != SQLITE_OK)
        return NULL;
    sqlite3_stmt *q = s->trace;
    sqlite3_bind_text(q, 1, trace_id, -1, SQLITE_TRANSIENT);
    timed_doc *v = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        cJSON *d = cJSON_Parse((const char *)sqlite3_column_text(q, 1));
        if (!d)
            continue;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 8;
            timed_doc *w = realloc(v, sizeof *w * c);
            if (!w) {
                cJSON_Delete(d);
                break;
            }
            v = w;
            cap = c;
        }
        v[n] = (timed_doc){sqlite3_column_double(q, 0), n, d};
        n++;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (n)
        qsort(v, n, sizeof *v, by_start);
    cJSON *docs = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(docs, v[i].doc);
    free(v);
    if (!cJSON_GetArraySize(docs)) {
        cJSON_Delete(docs);
        return NULL;
    }
    return docs;
}

int store_traces_since(store *s, double since, void (*fn)(const char *, void *), void *ctx)
{
    return store_traces_between(s, since, 0, fn, ctx);
}

int store_traces_between(store *s, double since, double until, void (*fn)(const char *, void *), void *ctx)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT trace_id, MIN(start) AS first FROM documents"
                                  " GROUP BY trace_id HAVING first >= ?1 AND (?2 <= 0 OR first < ?2) ORDER BY first DESC",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_double(q, 1, since);
    sqlite3_bind_double(q, 2, until);
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        fn((const char *)sqlite3_column_text(q, 0), ctx);
        n++;
    }
    sqlite3_finalize(q);
    return n;
}

long store_count(store *s)
{
    sqlite3_stmt *q;
    long n = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT COUNT(*) FROM documents", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* One statement with text parameters, stepped once: SQLite's result code. */
static int run_with(store *s, const char *sql, const char *a, const char *b, sqlite3_stmt **keep)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(q, 1, a, -1, SQLITE_TRANSIENT);
    if (b)
        sqlite3_bind_text(q, 2, b, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(q);
    if (keep && rc == SQLITE_ROW) {
        *keep = q;
        return rc;
    }
    sqlite3_finalize(q);
    return rc;
}

store_status store_group_put(store *s, const char *name, const char *filter, bool replace)
{
    int rc = run_with(s, replace ? "INSERT OR REPLACE INTO groups(name, filter) VALUES(?, ?)"
                                 : "INSERT INTO groups(name, filter) VALUES(?, ?)", name, filter, NULL);
    return rc == SQLITE_DONE ? STORE_OK : rc == SQLITE_CONSTRAINT ? STORE_EXISTS : status_of(s, rc);
}

int store_group_get(store *s, const char *name, char *filter, size_t len)
{
    sqlite3_stmt *q = NULL;
    int rc = run_with(s, "SELECT filter FROM groups WHERE name = ?", name, NULL, &q);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : -1;
    snprintf(filter, len, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return 1;
}

int store_group_delete(store *s, const char *name)
{
    int rc = run_with(s, "DELETE FROM groups WHERE name = ?", name, NULL, NULL);
    return rc != SQLITE_DONE ? -1 : sqlite3_changes(s->db) > 0;
}

int store_groups(store *s, void (*fn)(const char *name, const char *filter, void *ctx), void *ctx)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT name, filter FROM groups ORDER BY name", -1, &q, NULL) != SQLITE_OK)
        return -1;
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        fn((const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1), ctx);
        n++;
    }
    sqlite3_finalize(q);
    return n;
}
