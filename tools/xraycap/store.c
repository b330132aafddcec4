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

struct store {
    sqlite3 *db;
    sqlite3_stmt *put;
};

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
    "CREATE TABLE IF NOT EXISTS documents("
    " trace_id TEXT NOT NULL, entity_id TEXT NOT NULL, start REAL NOT NULL,"
    " in_progress INTEGER NOT NULL, received REAL NOT NULL, body TEXT NOT NULL,"
    " PRIMARY KEY(trace_id, entity_id));"
    "CREATE INDEX IF NOT EXISTS documents_start ON documents(start);";

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
    if (sqlite3_open(path, &s->db) != SQLITE_OK ||
        sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO documents(trace_id, entity_id, start, in_progress, received, body)"
                           " VALUES(?, ?, ?, ?, julianday('now'), ?)"
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
    sqlite3_busy_timeout(s->db, 5000);
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->put);
    sqlite3_close(s->db);
    free(s);
}

int store_begin(store *s) { return sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }
int store_commit(store *s) { return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }

int store_put(store *s, const cJSON *doc, const char *text)
{
    const cJSON *trace = cJSON_GetObjectItemCaseSensitive(doc, "trace_id");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(doc, "start_time");
    bool in_progress = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "in_progress"));
    /* the callers store checked documents; one without its keys is refused, not stored */
    if (!cJSON_IsString(trace) || !cJSON_IsString(id) || !cJSON_IsNumber(start) || !text)
        return -1;
    sqlite3_reset(s->put);
    sqlite3_bind_text(s->put, 1, trace->valuestring, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->put, 2, id->valuestring, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s->put, 3, start->valuedouble);
    sqlite3_bind_int(s->put, 4, in_progress);
    sqlite3_bind_text(s->put, 5, text, -1, SQLITE_TRANSIENT);
    return sqlite3_step(s->put) == SQLITE_DONE ? 0 : -1;
}

cJSON *store_trace(store *s, const char *trace_id)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT body FROM documents WHERE trace_id = ? ORDER BY start",
                           -1, &q, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(q, 1, trace_id, -1, SQLITE_TRANSIENT);
    cJSON *docs = cJSON_CreateArray();
    while (sqlite3_step(q) == SQLITE_ROW) {
        cJSON *d = cJSON_Parse((const char *)sqlite3_column_text(q, 0));
        if (d)
            cJSON_AddItemToArray(docs, d);
    }
    sqlite3_finalize(q);
    if (!cJSON_GetArraySize(docs)) {
        cJSON_Delete(docs);
        return NULL;
    }
    return docs;
}

int store_traces_since(store *s, double since, void (*fn)(const char *, void *), void *ctx)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT trace_id, MIN(start) AS first FROM documents"
                                  " GROUP BY trace_id HAVING first >= ? ORDER BY first DESC",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_double(q, 1, since);
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
