/* exception.h — errors recorded as causes (exception.c); the public side is
 * xray_add_exception. */
#ifndef XRC_EXCEPTION_H
#define XRC_EXCEPTION_H

#include "xray_capture.h"

#include <stdbool.h>

/* As xray_add_exception, but marks the entity `error` instead of `fault`: a request the remote
 * side refused (a Redis error reply), not a failure (exception.c). */
xray_status xrc_add_error_cause(xray_entity *e, const char *type, const char *message, bool remote);

#endif
