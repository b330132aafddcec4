/* entity.h — the segment/subsegment model. A segment owns an arena; its subsegments are
 * carved from that arena (no malloc per subsegment) and chained in creation order. Parent and
 * child links are made only when the segment is serialized, so creating a subsegment writes
 * nothing but the new entity and the list tail. */
#ifndef XRC_ENTITY_H
#define XRC_ENTITY_H

#include "model/id.h"
#include "xray_capture/limits.h"
#include "xray_capture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XRC_SIZE_CHECK_EVERY 256  /* by-size streaming: held subsegments between size checks */
#define XRC_MAX_DEPTH XRAY_MAX_NESTING /* open subsegments per thread; deeper: counted, not kept */

struct cJSON;
typedef struct xrc_segment xrc_segment;
typedef struct xrc_home xrc_home;

enum {
    XRC_F_ERROR = 1u << 0,
    XRC_F_FAULT = 1u << 1,
    XRC_F_THROTTLE = 1u << 2,
    XRC_F_SEGMENT = 1u << 4,
    XRC_F_MANUAL = 1u << 5,   /* begun by xray_begin_subsegment, so ended by xray_end_subsegment */
    XRC_F_SENT = 1u << 6,     /* streamed out before its segment ended (owner thread sets it) */
    XRC_F_CAPTURED = 1u << 7, /* opened by a captured function or block (may be folded) */
    XRC_F_SUMMARY = 1u << 8,  /* an xrc_summary: folded calls of one site under one parent */
};

/* An annotation, stored typed in the segment's memory (no cJSON, no malloc); the serializer
 * writes the `annotations` object from the entity's list. */
typedef struct xrc_ann {
    struct xrc_ann *next;          /* the entity's annotations, newest first */
    const char *key;               /* checked ([A-Za-z0-9_], 1-500), copied in the arena */
    enum { XRC_ANN_STRING, XRC_ANN_NUMBER, XRC_ANN_BOOL } type;
    union {
        const char *s;             /* valid UTF-8, at most 1000 characters, in the arena */
        double n;                  /* finite */
        bool b;
    } v;
} xrc_ann;

struct xray_entity {
    xrc_segment *seg;
    xray_entity *parent;           /* NULL for the segment */
    const char *name;              /* a literal of a call site, or a copy in the arena */
    uint64_t id;
    int64_t start_ns, end_ns;      /* monotonic ns since seg->mono_base_ns; end_ns -1: open */
    uint32_t flags;                /* XRC_F_SEGMENT, XRC_F_MANUAL: set once at creation */
    uint32_t marks;                /* XRC_F_ERROR/FAULT/THROTTLE, under seg->lock */
    struct cJSON *extra;           /* annotations, metadata, http, cause...; usually NULL */
    struct xrc_stack *stacks;      /* exceptions' stacks not yet symbolized; usually NULL */
    xrc_ann *ann;                  /* annotations; usually NULL */
    xray_entity *next;             /* creation order */
    xray_entity *first_child, *last_child, *next_sibling; /* set by the serializer */
};

/* The return addresses of an exception recorded in `extra` (cause.exceptions[]), kept as they
 * were taken: the emission thread turns them into frames when it writes the document
 * (emit/symbolize.c), so the thread that met the error does not open debug information. */
typedef struct xrc_stack {
    struct xrc_stack *next;
    struct cJSON *exception;       /* its object in extra's cause.exceptions */
    int n;
    void *pc[];                    /* innermost first; pc[0] is where the error was recorded */
} xrc_stack;

/* Frees e's pending stacks. */
void xrc_stacks_free(xray_entity *e);

/* A summary subsegment (fold.c): the calls of one captured site under one parent that were
 * counted instead of recorded. start_ns is the first folded call's start, end_ns the last
 * one's end (-1 while a folded call runs). Only the owner thread writes it. */
typedef struct xrc_summary {
    xray_entity ent;               /* first: a summary is an entity (XRC_F_SUMMARY) */
    uint64_t calls;                /* folded calls completed */
    int64_t total_ns, min_ns, max_ns;
    int64_t call_start;            /* start of the folded call in progress */
    int64_t last_end;              /* end of the last folded call */
} xrc_summary;

/* A summary that stands for no call (its only call was turned into a recorded one): it is
 * left out of documents. */
static inline bool xrc_entity_hidden(const xray_entity *e)
{
    return (e->flags & XRC_F_SUMMARY) && ((const xrc_summary *)e)->calls == 0;
}

typedef struct xrc_chunk {
    struct xrc_chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char mem[];
} xrc_chunk;

struct xrc_segment {
    xray_entity ent;               /* first, so a segment is an entity */
    char trace_id[XRC_TRACE_ID_LEN + 1];
    uint64_t parent_id;            /* caller's subsegment id, 0 for none */
    const char *header_extra;      /* other trace-header keys to pass on (Lineage=…), or NULL */
    const char *w3c_trace;         /* the W3C trace id continued, when trace_id could not be
                                      it (a random W3C id: see xrc_w3c_to_xray), or NULL */
    const char *tracestate;        /* the incoming W3C tracestate, passed on, or NULL */
    unsigned char w3c_flags;       /* incoming traceparent flags passed on (Level 2 random) */
    int64_t real_base_ns;          /* wall clock at the start */
    int64_t mono_base_ns;          /* monotonic clock at the start */
    bool sampled;
    const char *service_version;   /* the configured service.version when it began, or NULL */
    char sampling_rule[65];        /* the centralized rule that sampled it, or "" */
    bool facade;                   /* Lambda: stands for the function's segment, never sent */
    bool part;                     /* finished subtrees streamed ahead (core/stream.c): only its
                                      entities whose parent is a stand-in are sent */
    const char *facade_header;     /* the _X_AMZN_TRACE_ID it was made from */
    xrc_chunk *arena;              /* newest chunk first */
    xrc_home *home;                /* the thread that made it, where its blocks go back */
    xray_entity *tail;             /* last entity in creation order */
    _Atomic size_t nsub;           /* subsegments recorded by the owner thread (written by it
                                      alone; other threads read it for the cap) */
    size_t dropped;                /* subsegments not recorded (limits, memory) */
    size_t max_sub;                /* cap on nsub + foreign_nsub (max_subsegments) */
    size_t stream_at;              /* stream finished subsegments once nsub passes this */
    size_t threshold;              /* streaming_threshold, as it was when the segment began
                                      (0: stream by size, when what is held would not fit
                                      one document) */
    unsigned fold_after;           /* fold_after, as it was when the segment began (0: never) */
    int64_t min_duration_ns;       /* min_duration_us in ns, as it was (0: off) */
    unsigned streams;              /* times finished subsegments were streamed out and freed */
    atomic_bool shared;            /* handed to another thread: its entities may be pointed to
                                      from there, so streaming frees no memory */
    atomic_uint refs;              /* 1 while open + 1 per thread it is handed to; the last
                                      release sends and frees */
    pthread_mutex_t lock;          /* guards `extra`, `marks` and everything foreign_* */
    xrc_chunk *foreign_arena;      /* entities made by threads the segment was handed to */
    xray_entity *foreign_head, *foreign_tail;
    _Atomic size_t foreign_nsub;   /* written under lock; the owner reads it for the cap */
    size_t foreign_dropped;
};

/* Allocates a segment (reusing this thread's cached block when it has one). NULL: no memory. */
xrc_segment *xrc_segment_new(void);
/* True when the calling thread made s (began it): the one thread that may take memory from
 * its own arena. */
bool xrc_segment_mine(const xrc_segment *s);

/* Frees the segment, its arena and every entity's extra data: into the calling thread's
 * caches when it made the segment, else back to the thread that did. Any thread. */
void xrc_segment_free(xrc_segment *s);

void *xrc_arena_grow(xrc_segment *s, size_t n);

/* n bytes, 16-aligned, from the segment's arena; NULL when out of memory. */
static inline void *xrc_arena_alloc(xrc_segment *s, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    xrc_chunk *c = s->arena;
    if (__builtin_expect(c->used + n <= c->cap, 1)) {
        void *p = c->mem + c->used;
        c->used += n;
        return p;
    }
    return xrc_arena_grow(s, n);
}

/* n bytes from the arena for other threads' entities; the caller holds s->lock. */
void *xrc_foreign_alloc(xrc_segment *s, size_t n);

/* A loop over every entity of the segment, binding `e`: the owner's in creation order, then
 * those other threads made. */
#define XRC_FOR_EACH_ENTITY(s, e)                                                             \
    for (int xrc_pass_ = 0; xrc_pass_ < 2; xrc_pass_++)                                       \
        for (xray_entity *e = xrc_pass_ ? (s)->foreign_head : &(s)->ent; e; e = e->next)

/* Frees the chunks of the owner's arena that hold none of the `keep` addresses (the first
 * block and the chunk being filled always stay): memory of subsegments already sent. */
void xrc_arena_reclaim(xrc_segment *s, const void *const *keep, size_t nkeep);

/* A copy of s in the arena, or NULL. */
char *xrc_arena_strdup(xrc_segment *s, const char *str);

/* Frees this thread's cache of arena blocks (thread exit). */
void xrc_arena_cache_drop(void);

#endif
