/* thread.c — the per-thread struct itself (thread.h). Zero at a thread's start is its
 * initial state; lifecycle.c handles exit and fork. */
#include "model/thread.h"

__thread xrc_thread xrc_tls;
