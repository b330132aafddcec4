/*
 * xray_capture/patched.h — the one list of library functions that xraycap traces.
 *
 * Everything that names these functions is generated from the lists below: the plugins'
 * `patch=` redirections, the `--wrap` link shims in libxraycap.a, the link flags that
 * `pkg-config --variable=patch_ldflags xraycap` prints, and the xray_* declarations in
 * xray_capture/curl.h and xray_capture/sqlite3.h. Adding a traced function is one line here
 * (plus its wrapper in the runtime, which the compiler then insists on).
 *
 * XRAY_PATCHED_LIBRARIES(L) calls L(lib, bit) for each library, where `lib` is the name that
 * `patch=` takes. Each XRAY_PATCHED_<LIB>(X) calls X(lib, shape, ret, name, params, args) for
 * each function of that library:
 *   shape   CALL  the wrapper returns the function's result
 *           VOID  the function returns nothing
 *           OWN   variadic: its link shim and compiled-out form are written by hand
 *   ret, name, params, args   the function's return type, name, (parameter list), (arguments)
 * This header only defines macros and includes nothing; the library's own header must be
 * included before a list is expanded into declarations.
 */
#ifndef XRAY_CAPTURE_PATCHED_H
#define XRAY_CAPTURE_PATCHED_H

#define XRAY_PATCHED_LIBRARIES(L) L(curl, 1) L(sqlite3, 2) L(pq, 4) L(redis, 8) L(mysql, 16) L(mhd, 32) L(civetweb, 64)

#define XRAY_PATCHED_CURL(X)                                                                  \
    X(curl, CALL, CURLcode, curl_easy_perform, (CURL *handle), (handle))                     \
    X(curl, OWN, CURLcode, curl_easy_setopt, (CURL *handle, CURLoption option, ...), ())      \
    X(curl, VOID, void, curl_easy_cleanup, (CURL *handle), (handle))                          \
    X(curl, VOID, void, curl_easy_reset, (CURL *handle), (handle))                            \
    X(curl, CALL, CURL *, curl_easy_duphandle, (CURL *handle), (handle))                      \
    X(curl, CALL, CURLMcode, curl_multi_add_handle, (CURLM *multi, CURL *handle),             \
      (multi, handle))                                                                        \
    X(curl, CALL, CURLMcode, curl_multi_remove_handle, (CURLM *multi, CURL *handle),          \
      (multi, handle))                                                                        \
    X(curl, CALL, CURLMsg *, curl_multi_info_read, (CURLM *multi, int *msgs_in_queue),        \
      (multi, msgs_in_queue))

#define XRAY_PATCHED_SQLITE3(X)                                                               \
    X(sqlite3, CALL, int, sqlite3_exec,                                                       \
      (sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **),          \
       void *arg, char **errmsg),                                                             \
      (db, sql, callback, arg, errmsg))                                                       \
    X(sqlite3, CALL, int, sqlite3_prepare_v2,                                                 \
      (sqlite3 *db, const char *sql, int nbyte, sqlite3_stmt **stmt, const char **tail),      \
      (db, sql, nbyte, stmt, tail))                                                           \
    X(sqlite3, CALL, int, sqlite3_step, (sqlite3_stmt *stmt), (stmt))                         \
    X(sqlite3, CALL, int, sqlite3_reset, (sqlite3_stmt *stmt), (stmt))                        \
    X(sqlite3, CALL, int, sqlite3_finalize, (sqlite3_stmt *stmt), (stmt))

#define XRAY_PATCHED_PQ(X)                                                                    \
    X(pq, CALL, PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query))          \
    X(pq, CALL, PGresult *, PQexecParams,                                                     \
      (PGconn *conn, const char *command, int nParams, const Oid *paramTypes,                 \
       const char *const *paramValues, const int *paramLengths, const int *paramFormats,      \
       int resultFormat),                                                                     \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,           \
       resultFormat))                                                                         \
    X(pq, CALL, PGresult *, PQprepare,                                                        \
      (PGconn *conn, const char *stmtName, const char *query, int nParams,                    \
       const Oid *paramTypes),                                                                \
      (conn, stmtName, query, nParams, paramTypes))                                           \
    X(pq, CALL, PGresult *, PQexecPrepared,                                                   \
      (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,       \
       const int *paramLengths, const int *paramFormats, int resultFormat),                   \
      (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))       \
    X(pq, CALL, int, PQsendQuery, (PGconn *conn, const char *query), (conn, query))           \
    X(pq, CALL, int, PQsendQueryParams,                                                       \
      (PGconn *conn, const char *command, int nParams, const Oid *paramTypes,                 \
       const char *const *paramValues, const int *paramLengths, const int *paramFormats,      \
       int resultFormat),                                                                     \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,           \
       resultFormat))                                                                         \
    X(pq, CALL, int, PQsendPrepare,                                                           \
      (PGconn *conn, const char *stmtName, const char *query, int nParams,                    \
       const Oid *paramTypes),                                                                \
      (conn, stmtName, query, nParams, paramTypes))                                           \
    X(pq, CALL, int, PQsendQueryPrepared,                                                     \
      (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,       \
       const int *paramLengths, const int *paramFormats, int resultFormat),                   \
      (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))       \
    X(pq, CALL, PGresult *, PQgetResult, (PGconn *conn), (conn))                              \
    X(pq, VOID, void, PQfinish, (PGconn *conn), (conn))

#define XRAY_PATCHED_REDIS(X)                                                                 \
    X(redis, OWN, void *, redisCommand, (redisContext *c, const char *format, ...), ())        \
    X(redis, CALL, void *, redisvCommand, (redisContext *c, const char *format, va_list ap),   \
      (c, format, ap))                                                                        \
    X(redis, CALL, void *, redisCommandArgv,                                                  \
      (redisContext *c, int argc, const char **argv, const size_t *argvlen),                  \
      (c, argc, argv, argvlen))                                                               \
    X(redis, OWN, int, redisAppendCommand, (redisContext *c, const char *format, ...), ())     \
    X(redis, CALL, int, redisvAppendCommand, (redisContext *c, const char *format, va_list ap), \
      (c, format, ap))                                                                        \
    X(redis, CALL, int, redisAppendCommandArgv,                                               \
      (redisContext *c, int argc, const char **argv, const size_t *argvlen),                  \
      (c, argc, argv, argvlen))                                                               \
    X(redis, CALL, int, redisGetReply, (redisContext *c, void **reply), (c, reply))           \
    X(redis, VOID, void, redisFree, (redisContext *c), (c))

#define XRAY_PATCHED_MYSQL(X)                                                                 \
    X(mysql, CALL, int, mysql_query, (MYSQL *mysql, const char *q), (mysql, q))                \
    X(mysql, CALL, int, mysql_real_query, (MYSQL *mysql, const char *q, unsigned long length), \
      (mysql, q, length))                                                                     \
    X(mysql, CALL, int, mysql_stmt_prepare,                                                   \
      (MYSQL_STMT *stmt, const char *query, unsigned long length), (stmt, query, length))     \
    X(mysql, CALL, int, mysql_stmt_execute, (MYSQL_STMT *stmt), (stmt))                       \
    X(mysql, CALL, my_bool, mysql_stmt_close, (MYSQL_STMT *stmt), (stmt))

#define XRAY_PATCHED_MHD(X)                                                                   \
    X(mhd, CALL, enum MHD_Result, MHD_queue_response,                                         \
      (struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response), \
      (connection, status_code, response))

#define XRAY_PATCHED_CIVETWEB(X)                                                              \
    X(civetweb, CALL, int, mg_response_header_send, (struct mg_connection *conn), (conn))

#define XRAY_PATCHED_ALL(X)                                                                   \
    XRAY_PATCHED_CURL(X) XRAY_PATCHED_SQLITE3(X) XRAY_PATCHED_PQ(X) XRAY_PATCHED_REDIS(X)     \
    XRAY_PATCHED_MYSQL(X) XRAY_PATCHED_MHD(X) XRAY_PATCHED_CIVETWEB(X)

/* X for the lists above: declares xray_NAME with the function's own signature. */
#define XRAY_PATCHED_DECLARE(lib, shape, ret, name, params, args) ret xray_##name params;

/* X for the lists above, for builds with tracing compiled out: xray_NAME calls NAME. */
#define XRAY_PATCHED_FORWARD(lib, shape, ret, name, params, args)                             \
    XRAY_PATCHED_FORWARD_##shape(ret, name, params, args)
#define XRAY_PATCHED_FORWARD_CALL(ret, name, params, args)                                    \
    static inline ret xray_##name params { return name args; }
#define XRAY_PATCHED_FORWARD_VOID(ret, name, params, args)                                    \
    static inline void xray_##name params { name args; }
#define XRAY_PATCHED_FORWARD_OWN(ret, name, params, args)

#endif
