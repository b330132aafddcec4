/* record.h — entities made in a segment's memory, linked and counted (record.c). */
#ifndef XRC_RECORD_H
#define XRC_RECORD_H

#include "model/entity.h"
#include "model/thread.h"

#include <pthread.h>

/* The inline steps, shared with stack.c's opening of a subsegment (the hot path). */

/* Only the owner thread writes nsub: a plain increment, published for the others' cap check. */
static inline void xrc_count_own(xrc_segment *s)
{
    atomic_store_explicit(&s->nsub, atomic_load_explicit(&s->nsub, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline void xrc_count_foreign(xrc_segment *s)
{
    atomic_store_explicit(&s->foreign_nsub,
                          atomic_load_explicit(&s->foreign_nsub, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* Fills a new entity; the caller links it into its segment's list. */
static inline void xrc_entity_init(xray_entity *e, xrc_segment *s, xray_entity *parent,
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
static inline void xrc_link_own(xrc_segment *s, xray_entity *e)
{
    s->tail->next = e;
    s->tail = e;
    xrc_count_own(s);
}

static inline void xrc_link_foreign(xrc_segment *s, xray_entity *e)
{
    if (s->foreign_tail)
        s->foreign_tail->next = e;
    else
        s->foreign_head = e;
    s->foreign_tail = e;
    xrc_count_foreign(s);
}

/* Fills e (memory from the owner's arena) and appends it to the owner's list, counted. */
void xrc_entity_add(xrc_segment *s, xray_entity *e, xray_entity *parent, const char *name,
                    uint32_t flags);

/* Takes back the count of the owner's newest entity (after unlinking it), or gives it back. */
void xrc_uncount_own(xrc_segment *s);
void xrc_entity_add_back(xrc_segment *s);

/* `parent` as remembered by an operation that began before the segment last streamed:
 * itself when it is still held, else the segment (it was sent and its memory reused). */
xray_entity *xrc_parent_alive(xrc_segment *s, xray_entity *parent, unsigned streams);

/* Subsegments recorded in s so far, by every thread (for the cap). */
static inline size_t xrc_recorded(xrc_segment *s)
{
    return atomic_load_explicit(&s->nsub, memory_order_relaxed) +
           atomic_load_explicit(&s->foreign_nsub, memory_order_relaxed);
}

/* Records a finished subsegment under `parent` after the fact (a curl_multi transfer, a
 * SQLite statement run over several calls): not pushed on the stack. `name` must live as long
 * as the segment. Returns it, or NULL when a limit or memory stopped it (counted). */
xray_entity *xrc_add_closed(xrc_thread *t, xray_entity *parent, const char *name, uint64_t id,
                            int64_t start_ns);

/* A copy of `name` in the memory of the thread's segment (locked when handed in), or NULL. */
char *xrc_copy_name(xrc_thread *t, const char *name);

#endif
