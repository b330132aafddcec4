/* wrap_civetweb.c — the --wrap shim for CivetWeb, generated from its list (wrap_shim.h). */
#include "lib/wrap_shim.h"
#include "xray_capture/civetweb.h"

XRAY_PATCHED_CIVETWEB(XRC_WRAP_SHIM)
