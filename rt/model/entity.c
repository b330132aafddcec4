/* entity.c — segment allocation and the per-segment arena. A thread keeps the block of its
 * last freed segment and a few spare chunks, so a loop that begins and ends segments does not
 * call malloc once it has warmed up. */
#include "model/entity.h"
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

static __thread void *cached_first;                 /* one spare FIRST_BLOCK */
static __thread xrc_chunk *cached_chunks;           /* spare CHUNK_SIZE chunks */
static __thread int ncached_chunks;                 /* entries in cached_chunks */

static void *cache_alloc_chunk(void)
{
    xrc_chunk *c = cached_chunks;
    if (c) {
        cached_chunks = c->next;
        ncached_chunks--;
        return c;
    }
    return malloc(CHUNK_SIZE);
}

xrc_segment *xrc_segment_new(void)
{
    void *block = cached_first;
    cached_first = NULL;
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
    s->max_sub = xrc_cfg.max_subsegments;
    s->threshold = xrc_cfg.streaming_threshold;
    s->stream_at = s->threshold ? s->threshold : XRC_SIZE_CHECK_EVERY;
    s->fold_after = (unsigned)xrc_cfg.fold_after;
    s->min_duration_ns = (int64_t)xrc_cfg.min_duration_us * 1000;
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
    if (c->cap + sizeof *c == CHUNK_SIZE && ncached_chunks < CACHE_CHUNKS) {
        c->next = cached_chunks;
        cached_chunks = c;
        ncached_chunks++;
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

void xrc_segment_free(xrc_segment *s)
{
    XRC_FOR_EACH_ENTITY(s, e)
        if (e->extra)
            cJSON_Delete(e->extra);
    for (xrc_chunk *c = s->foreign_arena, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_mutex_destroy(&s->lock);
    /* The first chunk lives inside the segment's own block. */
    for (xrc_chunk *c = s->arena, *next; c; c = next) {
        next = c->next;
        if (!next)
            break;
        recycle_chunk(c);
    }
    if (!cached_first)
        cached_first = s;
    else
        free(s);
}

void xrc_arena_cache_drop(void)
{
    free(cached_first);
    cached_first = NULL;
    while (cached_chunks) {
        xrc_chunk *c = cached_chunks;
        cached_chunks = c->next;
        free(c);
    }
    ncached_chunks = 0;
}
