/* sql_text.h — what the SQL libraries' tracing shares: whether queries are recorded with their
 * literals replaced by `?` (XRAYCAP_SQL_SANITIZE, xray_sqlite3_sanitize) and the replacing
 * itself (xray_sql_sanitize, in xray_capture/sqlite3.h), both in sql_text.c, and the SQL of
 * prepared statements (sql_prepared.c). None of it needs a database library. */
#ifndef XRC_SQL_TEXT_H
#define XRC_SQL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

bool xrc_sql_sanitizing(void);
void xray_sql_sanitize(const char *sql, char *out, size_t outlen);
/* The SQL dialects the sanitizer reads: where a string, an identifier and a number end differ. */
typedef enum xrc_sql_dialect {
    XRC_SQL_SQLITE,      /* '…' strings; "…", `…`, […] identifiers; x'…' blobs */
    XRC_SQL_POSTGRES,    /* '…', E'…' (backslash escapes), $$…$$ and $tag$…$tag$ strings; "…"
                            identifiers; [ is a subscript (ARRAY['a'], data['k']) */
    XRC_SQL_MYSQL,       /* '…' and "…" strings with backslash escapes; `…` identifiers */
} xrc_sql_dialect;

/* SQL with every literal replaced by `?`, read in `dialect` (xray_sql_sanitize reads SQLite's). */
void xrc_sql_sanitize(const char *sql, char *out, size_t outlen, xrc_sql_dialect dialect);

/* Prepared statements' SQL (sql_prepared.c), by owner (a connection, a statement handle) and
 * name: kept up to `len` bytes, recalled into out ("" when unknown), forgotten with the owner. */
void xrc_sql_remember(const void *owner, const char *name, const char *sql, size_t len);
void xrc_sql_recall(const void *owner, const char *name, char *out, size_t len);
void xrc_sql_forget(const void *owner);

#endif
