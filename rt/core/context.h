/* context.h — the recording context of a thread (its part of xrc_tls, model/thread.h): which
 * segment the thread works in and its stack of open subsegments, and the operations on it. */
#ifndef XRC_CONTEXT_H
#define XRC_CONTEXT_H

#include "model/clock.h"
#include "model/entity.h"
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

/* Fills e (memory from the owner's arena) and appends it to the owner's list, counted. */
void xrc_entity_add(xrc_segment *s, xray_entity *e, xray_entity *parent, const char *name,
                    uint32_t flags);

/* Takes back the count of the owner's newest entity (after unlinking it), or gives it back. */
void xrc_uncount_own(xrc_segment *s);
void xrc_entity_add_back(xrc_segment *s);

/* Opens a subsegment named `name` under t->recording (which must be non-NULL) and pushes it.
 * Returns its token, or 0 when a limit or memory stopped it (counted in the segment). */
xray_token xrc_open(xrc_thread *t, const char *name, uint32_t flags);

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

/* `parent` as remembered by an operation that began before the segment last streamed:
 * itself when it is still held, else the segment (it was sent and its memory reused). */
xray_entity *xrc_parent_alive(xrc_segment *s, xray_entity *parent, unsigned streams);

/* Subsegments recorded in s so far, by every thread (for the cap). */
static inline size_t xrc_recorded(xrc_segment *s)
{
    return atomic_load_explicit(&s->nsub, memory_order_relaxed) +
           atomic_load_explicit(&s->foreign_nsub, memory_order_relaxed);
}

/* Lambda: makes the facade for the current _X_AMZN_TRACE_ID this thread's context, replacing
 * an older one. Returns false outside Lambda (LAMBDA_TASK_ROOT unset). */
bool xrc_facade_ensure(xrc_thread *t);

/* Lambda: closes (and so sends) what is open under this thread's facade and drops it. */
void xrc_facade_leave(xrc_thread *t);

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

/* Records a finished subsegment under `parent` after the fact (a curl_multi transfer, a
 * SQLite statement run over several calls): not pushed on the stack. `name` must live as long
 * as the segment. Returns it, or NULL when a limit or memory stopped it (counted). */
xray_entity *xrc_add_closed(xrc_thread *t, xray_entity *parent, const char *name, uint64_t id,
                            int64_t start_ns);

/* A copy of `name` in the memory of the thread's segment (locked when handed in), or NULL. */
char *xrc_copy_name(xrc_thread *t, const char *name);

/* As xray_add_exception, but marks the entity `error` instead of `fault`: a request the remote
 * side refused (a Redis error reply), not a failure (exception.c). */
xray_status xrc_add_error_cause(xray_entity *e, const char *type, const char *message, bool remote);

/* The innermost open entity of the thread's context (what xray_context_get returns, without
 * marking the segment as handed out), or NULL. */
xray_entity *xrc_context_entity(const xrc_thread *t);

/* Makes `s` the thread's own segment (s may be NULL to clear). */
void xrc_context_enter(xrc_thread *t, xrc_segment *s);

/* Opens a subsegment on a thread the segment was handed to (locks the segment). */
xray_token xrc_open_foreign(xrc_thread *t, const char *name, uint32_t flags);

/* Leaves a handed-in context: closes what this thread left open there, drops its reference. */
void xrc_context_leave(xrc_thread *t);

/* Drops one reference to s; the last one sends it (when sampled) and frees it. */
void xrc_segment_release(xrc_segment *s);

#endif
