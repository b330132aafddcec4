/* exports.h — what libxraycap exports, said to the compiler. The runtime is compiled with
 * -fvisibility=hidden and with this file included first (-include, Makefile RT_VISIBILITY):
 * every declaration of the public headers made here, inside the pragma, is visible outside
 * the library; everything else, the xrc_* internals, is not, and calls between them need no
 * PLT. rt/exports.map says the same to the linker. */
#ifndef XRC_EXPORTS_H
#define XRC_EXPORTS_H

#pragma GCC visibility push(default)
#include "xray_capture.h"
#include "xray_capture/civetweb.h"
#include "xray_capture/curl.h"
#include "xray_capture/lambda.h"
#include "xray_capture/microhttpd.h"
#include "xray_capture/mysql.h"
#include "xray_capture/pq.h"
#include "xray_capture/redis.h"
#include "xray_capture/sqlite3.h"

/* The library guard, for the interposition library (lib/lib_span.c). */
int __xraycap_lib_busy(void);

/* The C++ runtime's, counted and passed on (core/cxa_throw.c). */
void __cxa_throw(void *obj, void *type, void (*destroy)(void *));
#pragma GCC visibility pop

#endif
