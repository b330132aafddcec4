/*
 * xray_capture/sqlite3.h — SQLite statements as X-Ray subsegments.
 *
 * One subsegment per statement execution (not per row): sqlite3_exec, and each run of a
 * prepared statement from its first sqlite3_step to SQLITE_DONE, an error, or its reset or
 * finalize. It is named after the database file (its base name; "memory" for an in-memory
 * database) and carries sql.url (the file), sql.database_type "sqlite3",
 * sql.database_version, sql.driver_version, sql.preparation ("statement" or "call" for exec)
 * and sql.sanitized_query: the SQL with its literals replaced by `?` (set
 * XRAYCAP_SQL_SANITIZE=false, or call xray_sqlite3_sanitize(false), to record it as written).
 * An error sets `fault`, with SQLite's message in `cause`.
 *
 * Turn it on with -fplugin-arg-xraycap-patch=sqlite3 (or =all), with the link flags of
 * `pkg-config --variable=patch_ldflags xraycap`, or by calling these functions.
 */
#ifndef XRAY_CAPTURE_SQLITE3_H
#define XRAY_CAPTURE_SQLITE3_H

#include <sqlite3.h>
#include <stdbool.h>
#include <xray_capture.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
int xray_sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **),
                      void *arg, char **errmsg);
int xray_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int nbyte, sqlite3_stmt **stmt,
                            const char **tail);
int xray_sqlite3_step(sqlite3_stmt *stmt);
int xray_sqlite3_reset(sqlite3_stmt *stmt);
int xray_sqlite3_finalize(sqlite3_stmt *stmt);
/* Whether queries are recorded with their literals replaced by `?` (the default). */
void xray_sqlite3_sanitize(bool on);
/* The sanitizing itself: writes `sql` with literals replaced into out (cut to outlen). */
void xray_sql_sanitize(const char *sql, char *out, size_t outlen);
#else
#define xray_sqlite3_exec sqlite3_exec
#define xray_sqlite3_prepare_v2 sqlite3_prepare_v2
#define xray_sqlite3_step sqlite3_step
#define xray_sqlite3_reset sqlite3_reset
#define xray_sqlite3_finalize sqlite3_finalize
static inline void xray_sqlite3_sanitize(bool on) { (void)on; }
#endif

#ifdef __cplusplus
}
#endif

#endif
