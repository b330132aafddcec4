/* entity.c — segment allocation and the per-segment arena. A thread keeps the block of its
 * last freed segment and a few spare chunks, so a loop that begins and ends segments does not
 * call malloc once it has warmed up. A segment is usually freed by the emission thread: its
 * blocks then go back to the thread that made it (its `home`) through a lock-free list, so the
 * two threads never meet in the allocator. */
#include "model/entity.h"
#include "model/thread.h"
#include "base/config.h"
#include "base/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_BLOCK (16 * 1024)     /* segment header + first chunk */
#define CHUNK_SIZE (64 * 1024)      /* later chunks */
#define CACHE_CHUNKS 4

/* Each thread's spare blocks are in xrc_tls.mem (model/thread.h): one FIRST_BLOCK (first),
 * up to CACHE_CHUNKS spare CHUNK_SIZE chunks, and its home. */

/* Where another thread returns the blocks of this thread's segments. It outlives the thread
 * while segments of it are still to be freed: one reference for the thread, one per segment. */
struct xrc_home {
    _Atomic(struct returned *) returned;  /* pushed by any thread, taken whole by the owner */
    atomic_uint refs;
};

/* A returned block, its first bytes reused as the list link. */
typedef struct returned {
    struct returned *next;
    bool first;                           /* a FIRST_BLOCK, else a CHUNK_SIZE chunk */
} returned;


static void recycle_chunk(xrc_chunk *c);

/* Takes back what other threads returned, keeping what the caches hold and freeing the rest
 * (on this thread, which allocated it). */
static void take_returned(xrc_home *h)
{
    returned *r = atomic_exchange_explicit(&h->returned, NULL, memory_order_acquire);
    while (r) {
        returned *next = r->next;
        if (r->first && !xrc_tls.mem.first) {
            xrc_tls.mem.first = r;
        } else if (r->first) {
            free(r);
        } else {
            xrc_chunk *c = (xrc_chunk *)r;
            c->cap = CHUNK_SIZE - sizeof *c; /* the link overwrote it; only full chunks return */
            recycle_chunk(c);
        }
        r = next;
    }
}

static void home_release(xrc_home *h)
{
    if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* The thread is gone and so is every segment of it: free what is left here. */
    returned *r = atomic_exchange_explicit(&h->returned, NULL, memory_order_acquire);
    while (r) {
        returned *next = r->next;
        free(r);
        r = next;
    }
    free(h);
}

static void give_back(xrc_home *h, void *block, bool first)
{
    returned *r = block;
    r->first = first;
    r->next = atomic_load_explicit(&h->returned, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&h->returned, &r->next, r, memory_order_release,
                                                  memory_order_relaxed))
        ;
}

static void *cache_alloc_chunk(void)
{
    xrc_chunk *c = xrc_tls.mem.chunks;
    if (c) {
        xrc_tls.mem.chunks = c->next;
        xrc_tls.mem.nchunks--;
        return c;
    }
    return malloc(CHUNK_SIZE);
}

xrc_segment *xrc_segment_new(void)
{
    if (!xrc_tls.mem.home) {
        if (!(xrc_tls.mem.home = calloc(1, sizeof *xrc_tls.mem.home)))
            return NULL;
        atomic_init(&xrc_tls.mem.home->refs, 1);
    }
    if (!xrc_tls.mem.first || !xrc_tls.mem.chunks)
        take_returned(xrc_tls.mem.home);
    void *block = xrc_tls.mem.first;
    xrc_tls.mem.first = NULL;
    if (!block && !(block = malloc(FIRST_BLOCK)))
        return NULL;
    xrc_segment *s = block;
    memset(s, 0, sizeof *s);
    size_t head = (sizeof *s + 15) & ~(size_t)15;
    xrc_chunk *c = (xrc_chunk *)((char *)block + head);
    c->next = NULL;
    c->used = 0;
    c->cap = FIRST_BLOCK - head - sizeof *c;
    s->arena = c;
    s->tail = &s->ent;
    s->ent.seg = s;
    s->ent.flags = XRC_F_SEGMENT;
    s->ent.end_ns = -1;
    s->home = xrc_tls.mem.home;
    atomic_fetch_add_explicit(&xrc_tls.mem.home->refs, 1, memory_order_relaxed);
    s->service_version = xrc_cfg.service_version;
    /* The settings as they are now, in the segment's working form (entity.h: 0 is "off"). */
    s->max_sub = (size_t)xrc_cfg.max_subsegments;
    s->threshold = xrc_cfg.streaming_threshold < 0 ? 0 : (size_t)xrc_cfg.streaming_threshold;
    s->stream_at = s->threshold ? s->threshold : XRC_SIZE_CHECK_EVERY;
    s->fold_after = xrc_cfg.fold_after < 0 ? 0 : (unsigned)xrc_cfg.fold_after;
    s->min_duration_ns = xrc_cfg.min_duration_us < 0 ? 0 : (int64_t)xrc_cfg.min_duration_us * 1000;
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void *xrc_arena_grow(xrc_segment *s, size_t n)
{
    int saved = errno;
    size_t want = n + sizeof(xrc_chunk);
    xrc_chunk *c = want <= CHUNK_SIZE ? cache_alloc_chunk() : malloc(want);
    errno = saved;
    if (!c)
        return NULL;
    c->cap = (want <= CHUNK_SIZE ? CHUNK_SIZE : want) - sizeof *c;
    c->used = n;
    c->next = s->arena;
    if (n > CHUNK_SIZE / 2 && s->arena->next != NULL) {
        /* A big one-off string: keep filling the current chunk afterwards. */
        c->next = s->arena->next;
        s->arena->next = c;
    } else {
        s->arena = c;
    }
    return c->mem;
}

char *xrc_arena_strdup(xrc_segment *s, const char *str)
{
    size_t n = strlen(str) + 1;
    char *p = xrc_arena_alloc(s, n);
    if (p)
        memcpy(p, str, n);
    return p;
}

void *xrc_foreign_alloc(xrc_segment *s, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    xrc_chunk *c = s->foreign_arena;
    if (c && c->used + n <= c->cap) {
        void *p = c->mem + c->used;
        c->used += n;
        return p;
    }
    int saved = errno;
    size_t want = n + sizeof *c > CHUNK_SIZE ? n + sizeof *c : CHUNK_SIZE;
    c = malloc(want);
    errno = saved;
    if (!c)
        return NULL;
    c->cap = want - sizeof *c;
    c->used = n;
    c->next = s->foreign_arena;
    s->foreign_arena = c;
    return c->mem;
}

static void recycle_chunk(xrc_chunk *c)
{
    if (c->cap + sizeof *c == CHUNK_SIZE && xrc_tls.mem.nchunks < CACHE_CHUNKS) {
        c->next = xrc_tls.mem.chunks;
        xrc_tls.mem.chunks = c;
        xrc_tls.mem.nchunks++;
    } else {
        free(c);
    }
}

static bool chunk_holds(const xrc_chunk *c, const void *const *keep, size_t nkeep)
{
    for (size_t i = 0; i < nkeep; i++) {
        const unsigned char *p = keep[i];
        if (p >= c->mem && p < c->mem + c->cap)
            return true;
    }
    return false;
}

void xrc_arena_reclaim(xrc_segment *s, const void *const *keep, size_t nkeep)
{
    xrc_chunk *prev = s->arena;
    while (prev->next && prev->next->next) { /* the last chunk is in the segment's block */
        xrc_chunk *c = prev->next;
        if (chunk_holds(c, keep, nkeep)) {
            prev = c;
            continue;
        }
        prev->next = c->next;
        recycle_chunk(c);
    }
}

bool xrc_segment_mine(const xrc_segment *s) { return s->home == xrc_tls.mem.home && xrc_tls.mem.home; }

void xrc_stacks_free(xray_entity *e)
{
    for (xrc_stack *st = e->stacks, *next; st; st = next) {
        next = st->next;
        free(st);
    }
    e->stacks = NULL;
}

void xrc_segment_free(xrc_segment *s)
{
    XRC_FOR_EACH_ENTITY(s, e) {
        if (e->extra)
            cJSON_Delete(e->extra);
        if (e->stacks)
            xrc_stacks_free(e);
    }
    for (xrc_chunk *c = s->foreign_arena, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_mutex_destroy(&s->lock);
    xrc_home *h = s->home;
    bool home = h == xrc_tls.mem.home; /* freed on the thread that made it: into its caches */
    /* The first chunk lives inside the segment's own block. */
    for (xrc_chunk *c = s->arena, *next; c; c = next) {
        next = c->next;
        if (!next)
            break;
        if (home)
            recycle_chunk(c);
        else if (c->cap + sizeof *c == CHUNK_SIZE)
            give_back(h, c, false);
        else
            free(c);
    }
    if (!home)
        give_back(h, s, true);
    else if (!xrc_tls.mem.first)
        xrc_tls.mem.first = s;
    else
        free(s);
    home_release(h);
}

void xrc_arena_cache_drop(void)
{
    if (xrc_tls.mem.home) {
        take_returned(xrc_tls.mem.home);
        xrc_home *h = xrc_tls.mem.home;
        xrc_tls.mem.home = NULL;
        home_release(h);
    }
    free(xrc_tls.mem.first);
    xrc_tls.mem.first = NULL;
    while (xrc_tls.mem.chunks) {
        xrc_chunk *c = xrc_tls.mem.chunks;
        xrc_tls.mem.chunks = c->next;
        free(c);
    }
    xrc_tls.mem.nchunks = 0;
}
