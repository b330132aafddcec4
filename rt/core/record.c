/* record.c — entities made in a segment: filled, given an id, linked into the owner's list
 * (or, under the segment's lock, into the list of what threads it was handed to made) and
 * counted for the cap. Everything that records an entity comes here; this file calls nothing
 * of core/ itself. */
#include "core/record.h"
#include "model/clock.h"

#include <pthread.h>
#include <string.h>

void xrc_entity_add(xrc_segment *s, xray_entity *e, xray_entity *parent, const char *name,
                    uint32_t flags)
{
    xrc_entity_init(e, s, parent, name, xrc_rand64(), flags);
    xrc_link_own(s, e);
}

void xrc_uncount_own(xrc_segment *s)
{
    atomic_store_explicit(&s->nsub, atomic_load_explicit(&s->nsub, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

void xrc_entity_add_back(xrc_segment *s) { xrc_count_own(s); }

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
        xrc_entity_init(e, s, parent, name, id, 0);
        if (foreign)
            xrc_link_foreign(s, e);
        else
            xrc_link_own(s, e);
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

