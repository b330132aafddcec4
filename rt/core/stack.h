/* stack.h — a thread's stack of open subsegments: opening, folding, closing (stack.c). */
#ifndef XRC_STACK_H
#define XRC_STACK_H

#include "core/record.h"
#include "core/stream.h"
#include "model/clock.h"
#include "model/thread.h"

/* The hook ABI: what __xraycap_enter returns and __xraycap_exit takes. A token is
 * (generation << XRC_TOKEN_DEPTH_BITS) | (stack index + 1); 0 means nothing was opened. Only
 * xrc_token_make and xrc_token_index encode and decode it. */
#define XRC_TOKEN_DEPTH_BITS 9
#define XRC_GEN_MASK (~0UL >> XRC_TOKEN_DEPTH_BITS)

/* The token for the entity just pushed on t's stack. */
static inline xray_token xrc_token_make(const xrc_thread *t)
{
    return (t->gen << XRC_TOKEN_DEPTH_BITS) | t->depth;
}

/* The stack index `token` opened, if it is still open on t's stack; false for 0, for a token
 * of an earlier generation (the segment ended), or one an outer exit already closed. */
static inline bool xrc_token_index(const xrc_thread *t, xray_token token, unsigned *idx)
{
    unsigned i = (unsigned)(token & ((1u << XRC_TOKEN_DEPTH_BITS) - 1)) - 1;
    if (!token || (token >> XRC_TOKEN_DEPTH_BITS) != t->gen || i >= t->depth)
        return false;
    *idx = i;
    return true;
}

/* A captured call (function or block) under t->recording (non-NULL): recorded, or folded
 * into its summary past fold_after calls (fold.c). Returns its token, 0 when not recorded. */
xray_token xrc_capture_open(xrc_thread *t, const char *name);

/* A folded call has ended at `now`: counted into its summary. */
void xrc_fold_account(xrc_summary *sum, int64_t now);

/* Stack entry idx as a subsegment of its own: a folded call turned back into a recorded one
 * (the user is about to annotate it, or an exception unwinds it). Returns the entry. */
xray_entity *xrc_fold_materialize(xrc_thread *t, unsigned idx);

/* A recorded captured call shorter than min_duration: moved into its summary when it is the
 * newest entity (nothing was recorded inside it). True when it was. */
bool xrc_fold_short_call(xrc_thread *t, xray_entity *e, xray_entity *before, int64_t now);

/* Opens a subsegment named `name` under t->recording (which must be non-NULL) and pushes it.
 * Returns its token, or 0 when a limit or memory stopped it (counted in the segment). */
xray_token xrc_open(xrc_thread *t, const char *name, uint32_t flags);

/* Opens a subsegment on a thread the segment was handed to (locks the segment). */
xray_token xrc_open_foreign(xrc_thread *t, const char *name, uint32_t flags);

/* Closes the stack entries from index `idx` up to the top, innermost first. */
static inline void xrc_close_from(xrc_thread *t, unsigned idx)
{
    xrc_segment *s = t->seg;
    int64_t now = xrc_mono_ns() - s->mono_base_ns;
    unsigned d = t->depth;
    while (d > idx) {
        xray_entity *e = t->stack[--d];
        e->end_ns = now;
        if (__builtin_expect(e->flags & XRC_F_SUMMARY, 0))
            xrc_fold_account((xrc_summary *)e, now);
        else if (__builtin_expect(s->min_duration_ns != 0, 0) && (e->flags & XRC_F_CAPTURED))
            xrc_fold_short_call(t, e, t->tail_before[d], now);
    }
    t->depth = d;
    t->phantom = 0; /* anything begun above idx without being recorded is over too */
    t->recording = t->depth ? t->stack[t->depth - 1] : t->base;
    /* Only the owner streams: the others must not even read what it rewrites there. */
    if (__builtin_expect(!t->foreign &&
                         (atomic_load_explicit(&s->nsub, memory_order_relaxed) > s->stream_at ||
                          (idx == 0 && s->facade)), 0))
        xrc_stream(t);
}

#endif
