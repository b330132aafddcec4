/* stack.c — a thread's stack of open subsegments: a captured call or xray_begin_subsegment
 * opens one (recorded, or folded into a summary), xrc_close_from (stack.h) closes them. The
 * captured-call path runs down from here: capture.c → stack.c → record.c, and on close
 * stack.h → stack.c (fold accounting) → stream.c; nothing below calls back.
 *
 * Folding: after `fold_after` calls of the same captured site under the same parent in one
 * segment, further calls are not recorded one by one: they are counted into a summary
 * subsegment for that (site, parent) — first start, last end, calls, total, min and max
 * duration — so a captured function in a hot loop costs what a recorded call costs and the
 * segment stays one readable document. Calls made inside a folded call fold at once under
 * summaries of their own, so the nesting is kept. A call whose subsegment the user asks for
 * (to annotate it, flag an error) or that an exception unwinds is turned back into a recorded
 * subsegment ("materialized"): errors are never folded away. Only the thread that owns the
 * segment folds; threads it was handed to record every call. */
#include "core/stack.h"
#include "model/clock.h"

#include <pthread.h>
#include <string.h>

xray_token xrc_open(xrc_thread *t, const char *name, uint32_t flags)
{
    xrc_segment *s = t->seg;
    if (__builtin_expect(t->foreign, 0))
        return xrc_open_foreign(t, name, flags);
    if (__builtin_expect(t->depth >= XRC_MAX_DEPTH || xrc_recorded(s) >= s->max_sub, 0)) {
        s->dropped++;
        return 0;
    }
    xray_entity *e = xrc_arena_alloc(s, sizeof *e);
    if (__builtin_expect(!e, 0)) {
        s->dropped++;
        return 0;
    }
    t->tail_before[t->depth] = s->tail;
    xrc_entity_init(e, s, t->recording, name, xrc_rand64(), flags);
    xrc_link_own(s, e);
    t->stack[t->depth++] = e;
    t->recording = e;
    e->start_ns = xrc_mono_ns() - s->mono_base_ns;
    return xrc_token_make(t);
}

xray_token xrc_open_foreign(xrc_thread *t, const char *name, uint32_t flags)
{
    xrc_segment *s = t->seg;
    pthread_mutex_lock(&s->lock);
    xray_entity *e = t->depth < XRC_MAX_DEPTH && xrc_recorded(s) < s->max_sub
                         ? xrc_foreign_alloc(s, sizeof *e) : NULL;
    if (!e) {
        s->foreign_dropped++;
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    xrc_entity_init(e, s, t->recording, name, xrc_rand64(), flags);
    xrc_link_foreign(s, e);
    pthread_mutex_unlock(&s->lock);
    t->stack[t->depth++] = e;
    t->recording = e;
    e->start_ns = xrc_mono_ns() - s->mono_base_ns;
    return xrc_token_make(t);
}

/* The slot of (name, parent) in the thread's table, made for this segment if need be; NULL
 * when the probe window is full (the call is then recorded as usual). */
static xrc_fold_slot *slot_of(xrc_thread *t, const char *name, const xray_entity *parent)
{
    uint64_t h = ((uint64_t)(uintptr_t)name ^ ((uint64_t)(uintptr_t)parent * 31)) *
                 0x9e3779b97f4a7c15ULL;
    unsigned i = (unsigned)(h >> (64 - XRC_FOLD_BITS));
    unsigned streams = t->seg->streams;
    for (unsigned probe = 0; probe < XRC_FOLD_PROBES; probe++, i = (i + 1) & (XRC_FOLD_SLOTS - 1)) {
        xrc_fold_slot *s = &t->folds[i];
        bool live = s->gen == t->gen && s->streams == streams;
        if (live && s->name == name && s->parent == parent) {
            if (s->sum && (s->sum->ent.flags & XRC_F_SENT))
                s->sum = NULL; /* streamed out: the next folded call starts a new one */
            return s;
        }
        if (!live) {
            s->name = name;
            s->parent = parent;
            s->gen = t->gen;
            s->streams = streams;
            s->count = 0;
            s->sum = NULL;
            return s;
        }
    }
    return NULL;
}

/* The summary of a slot, made on its first folded call (starting then). */
static xrc_summary *summary_of(xrc_thread *t, xrc_fold_slot *slot, int64_t now)
{
    if (slot->sum)
        return slot->sum;
    xrc_segment *s = t->seg;
    if (xrc_recorded(s) >= s->max_sub)
        return NULL;
    xrc_summary *sum = xrc_arena_alloc(s, sizeof *sum);
    if (!sum)
        return NULL;
    memset(sum, 0, sizeof *sum);
    xrc_entity_add(s, &sum->ent, (xray_entity *)slot->parent, slot->name, XRC_F_CAPTURED | XRC_F_SUMMARY);
    sum->ent.start_ns = now;
    sum->min_ns = INT64_MAX;
    slot->sum = sum;
    return sum;
}

xray_token xrc_capture_open(xrc_thread *t, const char *name)
{
    xrc_segment *s = t->seg;
    /* Threads the segment was handed to record every call (and must not read the flags the
     * owner writes): only the owner folds. */
    if (t->foreign || !s->fold_after)
        return xrc_open(t, name, XRC_F_CAPTURED);
    xray_entity *parent = t->recording;
    bool inside_folded = parent->flags & XRC_F_SUMMARY;
    xrc_fold_slot *slot = slot_of(t, name, parent);
    if (!slot || (!inside_folded && slot->count < s->fold_after)) {
        if (slot)
            slot->count++;
        return xrc_open(t, name, XRC_F_CAPTURED);
    }
    int64_t now = xrc_mono_ns() - s->mono_base_ns;
    xrc_summary *sum = t->depth < XRC_MAX_DEPTH ? summary_of(t, slot, now) : NULL;
    if (!sum) {
        s->dropped++;
        return 0;
    }
    sum->call_start = now;
    sum->ent.end_ns = -1; /* open while the call runs: streaming keeps it */
    t->stack[t->depth++] = &sum->ent;
    t->recording = &sum->ent;
    return xrc_token_make(t);
}

void xrc_fold_account(xrc_summary *sum, int64_t now)
{
    int64_t d = now - sum->call_start;
    sum->calls++;
    sum->last_end = now;
    sum->total_ns += d;
    if (d < sum->min_ns)
        sum->min_ns = d;
    if (d > sum->max_ns)
        sum->max_ns = d;
}

xray_entity *xrc_fold_materialize(xrc_thread *t, unsigned idx)
{
    xray_entity *e = t->stack[idx];
    if (!(e->flags & XRC_F_SUMMARY))
        return e;
    xrc_summary *sum = (xrc_summary *)e;
    xrc_segment *s = t->seg;
    xray_entity *call = xrc_recorded(s) < s->max_sub ? xrc_arena_alloc(s, sizeof *call) : NULL;
    if (!call) /* no room: the call stays folded (and counted) in its summary */
        return e;
    xrc_entity_add(s, call, e->parent, e->name, XRC_F_CAPTURED);
    call->start_ns = sum->call_start;
    /* What this call made so far belongs to it, not to the summary. */
    for (xray_entity *c = e->next; c && c != call; c = c->next)
        if (c->parent == e && c->start_ns >= sum->call_start)
            c->parent = call;
    for (unsigned i = idx + 1; i < t->depth; i++)
        if (t->stack[i]->parent == e)
            t->stack[i]->parent = call;
    /* closed again at its last folded call (hidden from documents if it has none) */
    e->end_ns = sum->calls ? sum->last_end : e->start_ns;
    t->stack[idx] = call;
    if (idx + 1 == t->depth)
        t->recording = call;
    return call;
}

bool xrc_fold_short_call(xrc_thread *t, xray_entity *e, xray_entity *before, int64_t now)
{
    xrc_segment *s = t->seg;
    if (now - e->start_ns >= s->min_duration_ns || s->tail != e || e->extra || e->marks ||
        t->foreign || !s->fold_after)
        return false;
    xrc_fold_slot *slot = slot_of(t, e->name, e->parent);
    if (!slot)
        return false;
    /* Unrecord e (the newest entity: nothing was made after it), then count it instead. */
    before->next = NULL;
    s->tail = before;
    xrc_uncount_own(s);
    xrc_summary *sum = summary_of(t, slot, e->start_ns);
    if (!sum) { /* no room for a summary: e stays recorded */
        before->next = e;
        s->tail = e;
        xrc_entity_add_back(s);
        return false;
    }
    sum->call_start = e->start_ns;
    sum->ent.end_ns = now;
    xrc_fold_account(sum, now);
    return true;
}
