/* wrap_mysql.c — the --wrap shims for MariaDB Connector/C, generated from its list (wrap_shim.h). */
#include "lib/wrap_shim.h"
#include "xray_capture/mysql.h"

XRAY_PATCHED_MYSQL(XRC_WRAP_SHIM)
