/* wrap_sqlite.c — the --wrap shims for SQLite, generated from its list (wrap_shim.h). */
#include "lib/wrap_shim.h"
#include "xray_capture/sqlite3.h"

XRAY_PATCHED_SQLITE3(XRC_WRAP_SHIM)
