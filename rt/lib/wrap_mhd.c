/* wrap_mhd.c — the --wrap shim for libmicrohttpd, generated from its list (wrap_shim.h). */
#include "lib/wrap_shim.h"
#include "xray_capture/microhttpd.h"

XRAY_PATCHED_MHD(XRC_WRAP_SHIM)
