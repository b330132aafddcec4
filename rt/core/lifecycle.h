/* lifecycle.h — recorder-wide control that reaches every layer (lifecycle.c). The public
 * side is in xray_capture.h: xray_recorder_configure, _stats, _shutdown, xray_status_str. */
#ifndef XRC_LIFECYCLE_H
#define XRC_LIFECYCLE_H

#include "model/thread.h"

/* Arms the fork handler (once per process); the recorder calls it when a segment begins. */
void xrc_lifecycle_start(void);

/* Arms the thread-exit destructor that ends a segment the thread left open and frees what it
 * kept in xrc_tls; the recorder calls it when the thread's first segment begins. */
void xrc_thread_register(xrc_thread *t);

#endif
