/*
 * xray_capture/pq.h — PostgreSQL (libpq) statements as X-Ray subsegments, as the Python SDK
 * records psycopg2's.
 *
 * One subsegment per round trip: PQexec, PQexecParams, PQprepare and PQexecPrepared while they
 * run; the asynchronous PQsendQuery, PQsendQueryParams, PQsendPrepare and PQsendQueryPrepared
 * from the send to the PQgetResult that returns NULL (the statement's last result). It is named
 * `database@host`, in namespace "remote", and carries sql.url (postgresql://host:port/database:
 * never the user or the password), sql.database_type "PostgreSQL", sql.database_version (the
 * server's), sql.driver_version (libpq's), sql.user, sql.preparation ("call" for a plain query,
 * "statement" for one with parameters or prepared) and sql.sanitized_query: the SQL with its
 * literals replaced by `?` (XRAYCAP_SQL_SANITIZE=false records it as written); a prepared
 * statement's execution carries the SQL it was prepared with. An error result, a failed send or
 * a lost connection sets `fault`, with the server's message and SQLSTATE in `cause`
 * ("PostgreSQL error 42P01").
 *
 * Turn it on with -fplugin-arg-xraycap-patch=pq (or =all), with the link flags of
 * `pkg-config --variable=patch_ldflags xraycap`, or by calling these functions. Build with
 * libpq's flags: `pkg-config --cflags --libs libpq`.
 */
#ifndef XRAY_CAPTURE_PQ_H
#define XRAY_CAPTURE_PQ_H

#include <libpq-fe.h>
#include <xray_capture.h>
#include <xray_capture/patched.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XRAY_COMPILED_OUT
/* xray_PQexec, xray_PQsendQuery, ...: traced twins, with the same signatures and results, of
 * the libpq functions in XRAY_PATCHED_PQ (xray_capture/patched.h). */
XRAY_PATCHED_PQ(XRAY_PATCHED_DECLARE)
#else
XRAY_PATCHED_PQ(XRAY_PATCHED_FORWARD)
#endif

#ifdef __cplusplus
}
#endif

#endif
