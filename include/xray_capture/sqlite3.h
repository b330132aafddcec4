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
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
/* xray_sqlite3_exec, _prepare_v2, _step, _reset, _finalize: traced twins, with the same
 * signatures and results, of the SQLite functions in XRAY_PATCHED_SQLITE3
 * (xray_capture/patched.h). */
XRAY_PATCHED_SQLITE3(XRAY_PATCHED_DECLARE)
/* Whether queries are recorded with their literals replaced by `?` (the default). */
void xray_sqlite3_sanitize(bool on);
/* The sanitizing itself: writes `sql` with literals replaced into out (cut to outlen). */
void xray_sql_sanitize(const char *sql, char *out, size_t outlen);
#else
XRAY_PATCHED_SQLITE3(XRAY_PATCHED_FORWARD)
static inline void xray_sqlite3_sanitize(bool on) { (void)on; }
#endif

#ifdef __cplusplus
}
#endif

#endif
