/* wrap_shim.h — link-time patching: with -Wl,--wrap=NAME (the flags that `pkg-config
 * --variable=patch_ldflags xraycap` prints) calls to NAME in code that was not recompiled land
 * in __wrap_NAME, which calls the tracing wrapper xray_NAME — or, when the wrapper itself is
 * calling the library (the library guard xrc_tls.lib_inside set), the real function
 * __real_NAME. The shims are
 * generated from xray_capture/patched.h by XRC_WRAP_SHIM; they exist only in libxraycap.a,
 * since __real_* resolve only in a --wrap link. */
#ifndef XRC_WRAP_SHIM_H
#define XRC_WRAP_SHIM_H

#include "model/thread.h"

#define XRC_WRAP_SHIM(lib, shape, ret, name, params, args) XRC_WRAP_SHIM_##shape(ret, name, params, args)

#define XRC_WRAP_SHIM_CALL(ret, name, params, args)                                           \
    ret __real_##name params;                                                                 \
    ret __wrap_##name params;                                                                 \
    ret __wrap_##name params { return xrc_tls.lib_inside ? __real_##name args : xray_##name args; }

#define XRC_WRAP_SHIM_VOID(ret, name, params, args)                                           \
    void __real_##name params;                                                                \
    void __wrap_##name params;                                                                \
    void __wrap_##name params                                                                 \
    {                                                                                         \
        if (xrc_tls.lib_inside)                                                               \
            __real_##name args;                                                               \
        else                                                                                  \
            xray_##name args;                                                                 \
    }

/* Variadic: declared here, written by hand beside the list's expansion. */
#define XRC_WRAP_SHIM_OWN(ret, name, params, args)                                            \
    ret __real_##name params;                                                                 \
    ret __wrap_##name params;

#endif
