/* context.h — the recording context of a thread (its part of xrc_tls, model/thread.h): which
 * segment the thread works in (context.c). Built on the thread's stack of open subsegments
 * (stack.h) and the entities of a segment (record.h), which it includes for its users. */
#ifndef XRC_CONTEXT_H
#define XRC_CONTEXT_H

#include "core/record.h"
#include "core/stack.h"
#include "model/entity.h"
#include "model/thread.h"

/* The innermost open entity of the thread's context (what xray_context_get returns, without
 * marking the segment as handed out), or NULL. */
xray_entity *xrc_context_entity(const xrc_thread *t);

/* Makes `s` the thread's own segment (s may be NULL to clear). */
void xrc_context_enter(xrc_thread *t, xrc_segment *s);

/* Closes the thread's context: what it left open is closed (and so sent), its own segment
 * ended, and its reference dropped — the last one sends the segment. For a segment handed to
 * the thread, only what this thread opened there is closed; a facade is left, not ended. */
void xrc_context_close(xrc_thread *t);

/* Drops one reference to s; the last one sends it (when sampled) and frees it. */
void xrc_segment_release(xrc_segment *s);

#endif
