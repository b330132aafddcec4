/* stream.c — keeps a long segment's memory bounded: once it holds more subsegments than the
 * streaming threshold (or more than one document would carry), the finished subtrees are
 * moved into a "part" that the emission thread sends as `type: subsegment` documents (with
 * parent_id pointing into the open part), dropped from the segment, and the arena chunks they
 * filled go back to the thread's cache. Only the open subsegments stay. Runs on the owner
 * thread when a subsegment closes, about once per `threshold` subsegments; it copies, it does
 * not serialize. */
#include "core/stream.h"
#include "core/context.h"
#include "base/log.h"
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

/* ---- handing finished subtrees to the emission thread ------------------------------------ */

/* During a hand-over, an entity's next_sibling (free scratch until the serializer links the
 * tree) forwards to its copy in the part, or to the stand-in of an entity left behind. */
static xray_entity **forward(xray_entity *e) { return &e->next_sibling; }

static void append(xrc_segment *part, xray_entity *c)
{
    part->tail->next = c;
    part->tail = c;
}

/* What stands for `p` in the part: its copy when it was moved, else a stand-in (p is open,
 * was sent before, or is the segment) of which only the id counts, as the parent_id of the
 * subsegment documents under it. */
static xray_entity *in_part(xrc_segment *part, xray_entity *p)
{
    if (*forward(p))
        return *forward(p);
    xray_entity *st = xrc_arena_alloc(part, sizeof *st);
    if (!st)
        return NULL;
    memset(st, 0, sizeof *st);
    st->seg = part;
    st->name = "";
    st->id = p->id;
    st->flags = XRC_F_SENT; /* "sent already": the serializer writes nothing of it */
    append(part, st);
    return *forward(p) = st;
}

static xrc_ann *copy_annotations(xrc_segment *part, const xrc_ann *a)
{
    xrc_ann *head = NULL, **at = &head;
    for (; a; a = a->next) {
        xrc_ann *c = xrc_arena_alloc(part, sizeof *c);
        if (!c || !(c->key = xrc_arena_strdup(part, a->key)))
            return NULL;
        c->type = a->type;
        c->v = a->v;
        if (a->type == XRC_ANN_STRING && !(c->v.s = xrc_arena_strdup(part, a->v.s)))
            return NULL;
        c->next = NULL;
        *at = c;
        at = &c->next;
    }
    return head;
}

/* A copy of finished entity e in the part, its optional data moved there; false when memory
 * ran out. */
static bool move_entity(xrc_segment *part, xray_entity *e)
{
    size_t size = e->flags & XRC_F_SUMMARY ? sizeof(xrc_summary) : sizeof(xray_entity);
    xray_entity *c = xrc_arena_alloc(part, size);
    xray_entity *p = e->parent;
    xray_entity *parent = c ? in_part(part, p) : NULL; /* its copy, moved before it, or a stand-in */
    if (!parent)
        return false;
    memcpy(c, e, size);
    c->seg = part;
    c->parent = parent;
    c->next = NULL;
    c->first_child = c->last_child = c->next_sibling = NULL;
    if (!(c->name = xrc_arena_strdup(part, e->name)) ||
        (e->ann && !(c->ann = copy_annotations(part, e->ann))))
        return false;
    e->extra = NULL; /* moved: freed with the part */
    e->stacks = NULL;
    append(part, c);
    *forward(e) = c;
    return true;
}

/* A part: what the emission thread needs of s to write subsegment documents for it. */
static xrc_segment *new_part(const xrc_segment *s)
{
    xrc_segment *part = xrc_segment_new();
    if (!part)
        return NULL;
    memcpy(part->trace_id, s->trace_id, sizeof part->trace_id);
    part->ent.id = s->ent.id;
    part->real_base_ns = s->real_base_ns;
    part->mono_base_ns = s->mono_base_ns;
    part->service_version = s->service_version;
    part->sampled = true;
    part->part = true;
    part->ent.name = xrc_arena_strdup(part, s->ent.name);
    part->w3c_trace = s->w3c_trace ? xrc_arena_strdup(part, s->w3c_trace) : NULL;
    if (!part->ent.name || (s->w3c_trace && !part->w3c_trace)) {
        xrc_segment_free(part);
        return NULL;
    }
    return part;
}

/* Moves every finished (closed, shown) owner entity of s into a part for the emission thread,
 * which sends each finished subtree as a subsegment document under its open (or already sent)
 * parent. Called with s->lock held. Returns the number not handed over (no memory). */
static size_t hand_over_finished(xrc_segment *s)
{
    for (xray_entity *e = &s->ent; e; e = e->next)
        *forward(e) = NULL;
    xrc_segment *part = new_part(s);
    size_t moved = 0, lost = 0;
    for (xray_entity *e = s->ent.next; e; e = e->next) {
        if (!closed(e) || xrc_entity_hidden(e))
            continue;
        if (part && move_entity(part, e))
            moved++;
        else
            lost++;
    }
    for (xray_entity *e = &s->ent; e; e = e->next)
        *forward(e) = NULL;
    if (part && moved)
        xrc_emit_handoff(part);
    else if (part)
        xrc_segment_free(part);
    return lost;
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
    size_t lost = hand_over_finished(s);
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
    if (lost) {
        atomic_fetch_add(&xrc_stats.documents_dropped, lost);
        xrc_log(XRAY_LOG_ERROR, "segment '%s': out of memory while handing %zu finished "
                                "subsegment(s) to the emission thread; not sent", s->ent.name, lost);
    }

    /* Next time after about `threshold` more, but not on every close when many stay open. */
    size_t gap = s->threshold > kept ? s->threshold - kept : 0;
    if (gap < s->threshold / 2)
        gap = s->threshold / 2;
    if (!s->threshold)
        gap = XRC_SIZE_CHECK_EVERY;
    s->stream_at = atomic_load_explicit(&s->nsub, memory_order_relaxed) + gap;
    errno = saved;
}
