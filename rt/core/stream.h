/* stream.h — finished subtrees of a long segment sent ahead (stream.c). */
#ifndef XRC_STREAM_H
#define XRC_STREAM_H

#include "model/thread.h"

/* Sends the finished subtrees of the thread's own segment as subsegment documents and frees
 * their memory (stream.c). Called when a subsegment closes and the segment holds more than
 * its streaming threshold, and in Lambda whenever a direct child of the facade closes. */
void xrc_stream(xrc_thread *t);

/* For subsegments recorded after the fact (xrc_add_closed): streams when the segment holds
 * more than its threshold. Call it once the new entity is complete: it may be sent at once. */
static inline void xrc_stream_if_due(xrc_thread *t)
{
    if (!t->foreign && t->seg &&
        atomic_load_explicit(&t->seg->nsub, memory_order_relaxed) > t->seg->stream_at)
        xrc_stream(t);
}

#endif
