/* wrap_pq.c — the --wrap shims for libpq, generated from its list (wrap_shim.h). */
#include "lib/wrap_shim.h"
#include "xray_capture/pq.h"

XRAY_PATCHED_PQ(XRC_WRAP_SHIM)
