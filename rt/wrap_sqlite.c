/* wrap_sqlite.c — link-time patching of SQLite (see wrap_curl.c). */
#include "lib_guard.h"
#include "xray_capture/sqlite3.h"

int __real_sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
int __real_sqlite3_prepare_v2(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
int __real_sqlite3_step(sqlite3_stmt *);
int __real_sqlite3_reset(sqlite3_stmt *);
int __real_sqlite3_finalize(sqlite3_stmt *);

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **err)
{
    return xrc_lib_inside ? __real_sqlite3_exec(db, sql, cb, arg, err)
                          : xray_sqlite3_exec(db, sql, cb, arg, err);
}

int __wrap_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **s, const char **tail)
{
    return xrc_lib_inside ? __real_sqlite3_prepare_v2(db, sql, n, s, tail)
                          : xray_sqlite3_prepare_v2(db, sql, n, s, tail);
}

int __wrap_sqlite3_step(sqlite3_stmt *s)
{
    return xrc_lib_inside ? __real_sqlite3_step(s) : xray_sqlite3_step(s);
}

int __wrap_sqlite3_reset(sqlite3_stmt *s)
{
    return xrc_lib_inside ? __real_sqlite3_reset(s) : xray_sqlite3_reset(s);
}

int __wrap_sqlite3_finalize(sqlite3_stmt *s)
{
    return xrc_lib_inside ? __real_sqlite3_finalize(s) : xray_sqlite3_finalize(s);
}
