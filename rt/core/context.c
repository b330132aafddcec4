/* context.c — thread-local context: opening subsegments, resetting the stack, and cleaning up
 * what a thread leaves open when it exits or when the process forks. */
#include "core/context.h"
#include "emit/emit.h"
#include "base/log.h"

#include <pthread.h>
#include <string.h>

__thread xrc_thread xrc_tls;

static pthread_key_t exit_key;            /* its destructor runs at thread exit */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

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
    e->seg = s;
    e->parent = t->recording;
    e->name = name;
    e->id = xrc_rand64();
    e->end_ns = -1;
    e->flags = flags;
    e->marks = 0;
    e->extra = NULL;
    e->next = NULL;
    s->tail->next = e;
    s->tail = e;
    count_own(s);
    t->stack[t->depth++] = e;
    t->recording = e;
    e->start_ns = xrc_mono_ns() - s->mono_base_ns;
    return (t->gen << XRC_TOKEN_DEPTH_BITS) | t->depth;
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
    memset(e, 0, sizeof *e);
    e->seg = s;
    e->parent = t->recording;
    e->name = name;
    e->id = xrc_rand64();
    e->end_ns = -1;
    e->flags = flags;
    if (s->foreign_tail)
        s->foreign_tail->next = e;
    else
        s->foreign_head = e;
    s->foreign_tail = e;
    count_foreign(s);
    pthread_mutex_unlock(&s->lock);
    t->stack[t->depth++] = e;
    t->recording = e;
    e->start_ns = xrc_mono_ns() - s->mono_base_ns;
    return (t->gen << XRC_TOKEN_DEPTH_BITS) | t->depth;
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
    if (t->foreign) {
        pthread_mutex_lock(&s->lock);
        e = full ? NULL : xrc_foreign_alloc(s, sizeof *e);
        if (e) {
            memset(e, 0, sizeof *e);
            if (s->foreign_tail)
                s->foreign_tail->next = e;
            else
                s->foreign_head = e;
            s->foreign_tail = e;
            count_foreign(s);
        } else {
            s->foreign_dropped++;
        }
        pthread_mutex_unlock(&s->lock);
    } else {
        e = full ? NULL : xrc_arena_alloc(s, sizeof *e);
        if (e) {
            memset(e, 0, sizeof *e);
            s->tail->next = e;
            s->tail = e;
            count_own(s);
        } else {
            s->dropped++;
        }
    }
    if (!e)
        return NULL;
    e->seg = s;
    e->parent = parent;
    e->name = name;
    e->id = id;
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
        xrc_emit_segment(s);
    xrc_segment_free(s);
}

static void thread_exit(void *arg)
{
    xrc_thread *t = arg;
    if (t == &xrc_tls && t->foreign)
        xrc_context_leave(t);
    if (t == &xrc_tls && t->seg && t->seg->facade)
        xrc_facade_leave(t);
    if (t == &xrc_tls && t->seg) {
        xrc_log(XRAY_LOG_WARN, "thread exited with segment '%s' open; ending and sending it",
                t->seg->ent.name);
        xray_end_segment();
    }
    xrc_arena_cache_drop();
    xrc_emit_thread_exit();
}

static void make_key(void) { pthread_key_create(&exit_key, thread_exit); }

void xrc_context_register(xrc_thread *t)
{
    if (t->registered)
        return;
    pthread_once(&exit_key_once, make_key);
    pthread_setspecific(exit_key, t);
    t->registered = true;
}
