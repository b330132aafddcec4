/* sql_text.h — what the SQL libraries' tracing shares: whether queries are recorded with their
 * literals replaced by `?` (XRAYCAP_SQL_SANITIZE, xray_sqlite3_sanitize), and the replacing
 * itself (xray_sql_sanitize, in xray_capture/sqlite3.h), both in sqlite_trace.c. */
#ifndef XRC_SQL_TEXT_H
#define XRC_SQL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

bool xrc_sql_sanitizing(void);
void xray_sql_sanitize(const char *sql, char *out, size_t outlen);

#endif
