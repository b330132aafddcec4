/* context.c — the thread-local context: opening subsegments, resetting the stack, releasing
 * segments, and cleaning up what a thread leaves open when it exits. (What a forked child
 * forgets is in lifecycle.c.) */
#include "core/context.h"
#include "emit/emit.h"
#include "base/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>



/* Only the owner thread writes nsub: a plain increment, published for the others' cap check. */
static inline void count_own(xrc_segment *s)
{
    atomic_store_explicit(&s->nsub, atomic_load_explicit(&s->nsub, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline void count_foreign(xrc_segment *s)
{
    atomic_store_explicit(&s->foreign_nsub,
                          atomic_load_explicit(&s->foreign_nsub, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* Fills a new entity; the caller links it into its segment's list. */
static inline void entity_init(xray_entity *e, xrc_segment *s, xray_entity *parent,
                               const char *name, uint64_t id, uint32_t flags)
{
    e->seg = s;
    e->parent = parent;
    e->name = name;
    e->id = id;
    e->start_ns = 0;
    e->end_ns = -1;
    e->flags = flags;
    e->marks = 0;
    e->extra = NULL;
    e->stacks = NULL;
    e->ann = NULL;
    e->next = NULL; /* child links are made by the serializer (and stream.c) when needed */
}

/* Appends e to the owner's list, or (under s->lock) to the list of entities other threads made. */
static inline void link_own(xrc_segment *s, xray_entity *e)
{
    s->tail->next = e;
    s->tail = e;
    count_own(s);
}

static inline void link_foreign(xrc_segment *s, xray_entity *e)
{
    if (s->foreign_tail)
        s->foreign_tail->next = e;
    else
        s->foreign_head = e;
    s->foreign_tail = e;
    count_foreign(s);
}

void xrc_entity_add(xrc_segment *s, xray_entity *e, xray_entity *parent, const char *name,
                    uint32_t flags)
{
    entity_init(e, s, parent, name, xrc_rand64(), flags);
    link_own(s, e);
}

void xrc_uncount_own(xrc_segment *s)
{
    atomic_store_explicit(&s->nsub, atomic_load_explicit(&s->nsub, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

void xrc_entity_add_back(xrc_segment *s) { count_own(s); }

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
    entity_init(e, s, t->recording, name, xrc_rand64(), flags);
    link_own(s, e);
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
    entity_init(e, s, t->recording, name, xrc_rand64(), flags);
    link_foreign(s, e);
    pthread_mutex_unlock(&s->lock);
    t->stack[t->depth++] = e;
    t->recording = e;
    e->start_ns = xrc_mono_ns() - s->mono_base_ns;
    return xrc_token_make(t);
}

char *xrc_copy_name(xrc_thread *t, const char *name)
{
    xrc_segment *s = t->seg;
    size_t n = strlen(name) + 1;
    char *p;
    if (t->foreign) {
        pthread_mutex_lock(&s->lock);
        p = xrc_foreign_alloc(s, n);
        pthread_mutex_unlock(&s->lock);
    } else {
        p = xrc_arena_alloc(s, n);
    }
    if (p)
        memcpy(p, name, n);
    return p;
}

xray_entity *xrc_add_closed(xrc_thread *t, xray_entity *parent, const char *name, uint64_t id,
                            int64_t start_ns)
{
    xrc_segment *s = t->seg;
    xray_entity *e;
    bool full = xrc_recorded(s) >= s->max_sub;
    bool foreign = t->foreign; /* entities of a handed-in segment are made under its lock */
    if (foreign)
        pthread_mutex_lock(&s->lock);
    e = full ? NULL : foreign ? xrc_foreign_alloc(s, sizeof *e) : xrc_arena_alloc(s, sizeof *e);
    if (e) {
        entity_init(e, s, parent, name, id, 0);
        if (foreign)
            link_foreign(s, e);
        else
            link_own(s, e);
    } else {
        *(foreign ? &s->foreign_dropped : &s->dropped) += 1;
    }
    if (foreign)
        pthread_mutex_unlock(&s->lock);
    if (!e)
        return NULL;
    e->start_ns = start_ns;
    e->end_ns = xrc_mono_ns() - s->mono_base_ns;
    return e;
}

xray_entity *xrc_parent_alive(xrc_segment *s, xray_entity *parent, unsigned streams)
{
    if (s->streams == streams || parent == &s->ent)
        return parent;
    for (xray_entity *e = s->ent.next; e; e = e->next)
        if (e == parent)
            return parent;
    return &s->ent;
}

void xrc_context_leave(xrc_thread *t)
{
    xrc_segment *s = t->seg;
    if (!s || !t->foreign)
        return;
    if (t->recording)
        xrc_close_from(t, 0);
    t->foreign = false;
    xrc_context_enter(t, NULL);
    xrc_segment_release(s);
}

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

void xrc_segment_release(xrc_segment *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (s->sampled)
        xrc_emit_handoff(s); /* sent and freed by the emission thread */
    else
        xrc_segment_free(s);
}
