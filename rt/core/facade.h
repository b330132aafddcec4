/* facade.h — AWS Lambda's facade segment, the context of each invocation (facade.c). */
#ifndef XRC_FACADE_H
#define XRC_FACADE_H

#include "model/thread.h"

#include <stdbool.h>

/* Lambda: makes the facade for the current _X_AMZN_TRACE_ID this thread's context, replacing
 * an older one. Returns false outside Lambda (LAMBDA_TASK_ROOT unset). */
bool xrc_facade_ensure(xrc_thread *t);

/* Lambda: closes (and so sends) what is open under this thread's facade and drops it. */
void xrc_facade_leave(xrc_thread *t);

#endif
