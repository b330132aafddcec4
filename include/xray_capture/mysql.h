/*
 * xray_capture/mysql.h — MySQL and MariaDB statements through MariaDB Connector/C as X-Ray
 * subsegments.
 *
 * One subsegment per round trip while it runs: mysql_query, mysql_real_query,
 * mysql_stmt_prepare and mysql_stmt_execute. It is named `database@host`, in namespace
 * "remote", and carries sql.url (mysql://host:port/database: never the user or the password),
 * sql.database_type "MySQL", sql.database_version (the server's, as it reports it),
 * sql.driver_version ("MariaDB Connector/C" and its version), sql.user, sql.preparation
 * ("call" for a query, "statement" for a prepared statement) and sql.sanitized_query: the SQL
 * with its literals (in single or double quotes, numbers) replaced by `?`
 * (XRAYCAP_SQL_SANITIZE=false records it as written); an execution carries the SQL its
 * statement was prepared with. An error sets `fault`, with the server's message, its error
 * number and SQLSTATE in `cause` ("MySQL error 1146 (42S02)").
 *
 * Turn it on with -fplugin-arg-xraycap-patch=mysql (or =all), with the link flags of
 * `pkg-config --variable=patch_ldflags xraycap`, or by calling these functions. Build with
 * the connector's flags: `pkg-config --cflags --libs libmariadb`.
 */
#ifndef XRAY_CAPTURE_MYSQL_H
#define XRAY_CAPTURE_MYSQL_H

#include <mysql.h>
#include <xray_capture.h>
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
/* xray_mysql_query, xray_mysql_stmt_execute, ...: traced twins, with the same signatures and
 * results, of the connector's functions in XRAY_PATCHED_MYSQL (xray_capture/patched.h). */
XRAY_PATCHED_MYSQL(XRAY_PATCHED_DECLARE)
#else
XRAY_PATCHED_MYSQL(XRAY_PATCHED_FORWARD)
#endif

#ifdef __cplusplus
}
#endif

#endif
