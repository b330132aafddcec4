/* context.c — which segment a thread works in: entering one (its own, a facade, or one handed
 * to it), the innermost open entity, and closing the context again, which ends or leaves the
 * segment and drops the thread's reference to it. Closing runs down: the stack's close
 * (stack.h), then the emission layer; nothing here is called back. */
#include "core/context.h"
#include "emit/emit.h"

#include <stdint.h>

void xrc_context_enter(xrc_thread *t, xrc_segment *s)
{
    t->seg = s;
    t->base = s ? &s->ent : NULL;
    t->foreign = false;
    t->depth = 0;
    t->phantom = 0;
    t->gen = (t->gen + 1) & XRC_GEN_MASK;
    t->recording = s && s->sampled ? &s->ent : NULL;
}

xray_entity *xrc_context_entity(const xrc_thread *t)
{
    if (!t->seg)
        return NULL;
    return t->depth ? t->stack[t->depth - 1] : t->base;
}

void xrc_context_close(xrc_thread *t)
{
    xrc_segment *s = t->seg;
    if (!s)
        return;
    bool own = !t->foreign && !s->facade;
    if (own)
        s->stream_at = SIZE_MAX; /* all of it goes out in a moment: no streaming on the way */
    if (t->recording && (own || t->depth || t->foreign))
        xrc_close_from(t, 0); /* a facade's subsegments are sent as they close */
    if (own)
        s->ent.end_ns = xrc_mono_ns() - s->mono_base_ns;
    xrc_context_enter(t, NULL);
    xrc_segment_release(s);
}

void xrc_segment_release(xrc_segment *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (s->sampled)
        xrc_emit_handoff(s); /* sent and freed by the emission thread */
    else
        xrc_segment_free(s);
}
