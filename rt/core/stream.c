/* stream.c — keeps a long segment's memory bounded: once it holds more subsegments than the
 * streaming threshold, the finished subtrees are sent as `type: subsegment` documents (with
 * parent_id pointing into the open part), dropped from the segment, and the arena chunks they
 * filled go back to the thread's cache. Only the open subsegments stay. Runs on the owner
 * thread when a subsegment closes, about once per `threshold` subsegments. */
#include "core/context.h"
#include "emit/emit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

/* Open entities are those on the owner's stack (<= XRC_MAX_DEPTH); each pins itself and its
 * name, and the segment pins its own strings; annotations of open entities pin their records
 * and strings (when there are more than keep[] holds, nothing is reclaimed this time). */
#define MAX_KEEP (2 * XRC_MAX_DEPTH + 8 + 3 * 64)

static bool closed(const xray_entity *e) { return e->end_ns >= 0; }

/* Pins what an open entity's annotations hold in the arena; false when keep[] is full. */
static bool keep_annotations(const xray_entity *e, const void **keep, size_t *nkeep)
{
    for (const xrc_ann *a = e->ann; a; a = a->next) {
        if (*nkeep + 3 > MAX_KEEP)
            return false;
        keep[(*nkeep)++] = a;
        keep[(*nkeep)++] = a->key;
        if (a->type == XRC_ANN_STRING)
            keep[(*nkeep)++] = a->v.s;
    }
    return true;
}

/* Links the owner's held entities into trees; children of an entity already sent stay roots. */
static void link_held(xrc_segment *s)
{
    for (xray_entity *e = &s->ent; e; e = e->next)
        e->first_child = e->last_child = e->next_sibling = NULL;
    for (xray_entity *e = s->ent.next; e; e = e->next) {
        xray_entity *p = e->parent;
        if ((p->flags & XRC_F_SENT) || xrc_entity_hidden(e))
            continue;
        if (p->last_child)
            p->last_child->next_sibling = e;
        else
            p->first_child = e;
        p->last_child = e;
    }
}

/* About what the owner's held entities would take in a document: the fixed fields of each
 * (ids, times: ~100 bytes), its name, and its optional data as printed. */
static size_t held_bytes(const xrc_segment *s)
{
    size_t n = 0;
    for (const xray_entity *e = &s->ent; e; e = e->next) {
        n += 100 + strlen(e->name);
        for (const xrc_ann *a = e->ann; a; a = a->next)
            n += strlen(a->key) + (a->type == XRC_ANN_STRING ? strlen(a->v.s) + 8 : 28);
        if (e->extra) {
            char *text = cJSON_PrintUnformatted(e->extra);
            n += text ? strlen(text) : 0;
            cJSON_free(text);
        }
    }
    return n;
}

void xrc_stream(xrc_thread *t)
{
    xrc_segment *s = t->seg;
    int saved = errno;
    /* By size (the default): nothing goes ahead while what is held still fits one document. */
    if (!s->threshold && !s->facade) {
        pthread_mutex_lock(&s->lock);
        size_t bytes = held_bytes(s);
        pthread_mutex_unlock(&s->lock);
        if (bytes < XRC_MAX_DATAGRAM - 4096) {
            s->stream_at = atomic_load_explicit(&s->nsub, memory_order_relaxed) + XRC_SIZE_CHECK_EVERY;
            errno = saved;
            return;
        }
    }
    const void *keep[MAX_KEEP];
    size_t nkeep = 0, kept = 0;
    bool room = true;

    pthread_mutex_lock(&s->lock); /* other threads may still annotate through a pointer */
    link_held(s);
    for (xray_entity *e = s->ent.next; e; e = e->next) {
        xray_entity *p = e->parent;
        if (closed(e) && (!closed(p) || (p->flags & XRC_F_SENT)) && !xrc_entity_hidden(e))
            xrc_emit_tree(s, e);
    }
    /* Keep the open ones, in creation order; forget the rest. */
    xray_entity *tail = &s->ent;
    for (xray_entity *e = s->ent.next, *next; e; e = next) {
        next = e->next;
        if (closed(e)) {
            e->flags |= XRC_F_SENT;
            if (e->extra) {
                cJSON_Delete(e->extra);
                e->extra = NULL;
            }
            xrc_stacks_free(e);
            continue;
        }
        tail->next = e;
        tail = e;
        kept++;
        if (nkeep + 2 <= MAX_KEEP) {
            keep[nkeep++] = e;
            keep[nkeep++] = e->name;
            room = room && keep_annotations(e, keep, &nkeep);
        } else {
            room = false;
        }
    }
    tail->next = NULL;
    s->tail = tail;
    room = room && keep_annotations(&s->ent, keep, &nkeep) && nkeep + 8 <= MAX_KEEP;
    if (room && !atomic_load_explicit(&s->shared, memory_order_acquire)) {
        keep[nkeep++] = s->ent.name;
        if (s->header_extra)
            keep[nkeep++] = s->header_extra;
        if (s->facade_header)
            keep[nkeep++] = s->facade_header;
        if (s->w3c_trace)
            keep[nkeep++] = s->w3c_trace;
        if (s->tracestate)
            keep[nkeep++] = s->tracestate;
        xrc_arena_reclaim(s, keep, nkeep);
        s->streams++;
    }
    pthread_mutex_unlock(&s->lock);

    /* Next time after about `threshold` more, but not on every close when many stay open. */
    size_t gap = s->threshold > kept ? s->threshold - kept : 0;
    if (gap < s->threshold / 2)
        gap = s->threshold / 2;
    if (!s->threshold)
        gap = XRC_SIZE_CHECK_EVERY;
    s->stream_at = atomic_load_explicit(&s->nsub, memory_order_relaxed) + gap;
    errno = saved;
}
