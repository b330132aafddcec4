/* thread.h — everything the runtime keeps per thread, in one struct (as uftrace keeps its
 * `mtd`): the recording context the capture hooks work on, the fold table, the id generator,
 * the memory kept for the thread's next segments, the traced-library guard and what
 * serializing on this thread reuses. One thread-local access reaches all of it, and a thread's
 * exit, a fork and shutdown are handled for all of it in one place (core/lifecycle.c).
 *
 * Each part is written only by the thread it belongs to; the files named beside the fields are
 * the ones that use them. */
#ifndef XRC_THREAD_H
#define XRC_THREAD_H

#include "model/entity.h"
#include "model/id.h"

#include <stdbool.h>
#include <stdint.h>

/* The fold table (core/fold.c): how often each (site name, parent) was called. */
#define XRC_FOLD_BITS 7
#define XRC_FOLD_SLOTS (1u << XRC_FOLD_BITS)
#define XRC_FOLD_PROBES 8

typedef struct xrc_fold_slot {
    const char *name;              /* the captured site's name literal */
    const xray_entity *parent;
    unsigned long gen;             /* the slot is live while gen and streams match */
    unsigned streams;
    unsigned count;                /* calls recorded one by one */
    xrc_summary *sum;              /* where further calls are folded, once made */
} xrc_fold_slot;

struct xrc_emit_bufs;              /* emit/split.c: a document buffer kept between segments */

typedef struct xrc_thread {
    /* The recording context (core/context.c, capture.c, fold.c). */
    xray_entity *recording;      /* current entity when the thread's segment is sampled, else NULL */
    xrc_segment *seg;            /* the segment this thread works in, sampled or not; NULL: none */
    xray_entity *base;           /* bottom of the stack: the segment, or the entity handed in */
    bool foreign;                /* the context was handed in (xray_context_set): not our segment */
    unsigned depth;              /* open subsegments on `stack` */
    unsigned phantom;            /* xray_begin_subsegment calls that recorded nothing, still open */
    unsigned long gen;           /* bumped whenever the stack is reset, so stale tokens are ignored */
    unsigned char probe;         /* hook calls without a segment left before the next check of
                                    the context-missing strategy (0: check at the next one;
                                    kept at 0 in Lambda, where each call looks for a facade) */
    bool registered;             /* thread-exit destructor armed (lifecycle.c) */
    void *unwinding;             /* C++ exception last seen unwinding a captured frame */
    uint64_t unwinding_id;       /* the id its `cause` entry got in the innermost frame */
    unsigned long unwinding_throw; /* `throws` when it was recorded (exception.c) */
    const xrc_segment *unwinding_seg; /* the segment it was recorded in */
    unsigned long throws;        /* C++ throws made on this thread (cxa_throw.c) */
    xray_entity *stack[XRC_MAX_DEPTH];
    xray_entity *tail_before[XRC_MAX_DEPTH]; /* the segment's newest entity when stack[i]
                                                was opened (to unrecord a short call) */
    xrc_fold_slot folds[XRC_FOLD_SLOTS];

    /* The id generator (id.h); seeded on first use and again after fork. */
    xrc_rng rng;

    /* Memory kept for this thread's next segments (entity.c). */
    struct {
        void *first;             /* one spare first block */
        xrc_chunk *chunks;       /* spare chunks */
        int nchunks;
        xrc_home *home;          /* where other threads return this thread's blocks */
    } mem;

    /* Inside the wrapper of a traced library (lib/lib_span.h): the calls the wrapper itself
     * makes, and every libcurl call of the runtime's own threads, go straight through. */
    int lib_inside;
    bool middleware_began;       /* a web middleware began this thread's segment (civetweb_trace.c) */

    /* Serializing on this thread (emit/): the seconds of the time last written, formatted
     * (jsonbuf.c; `sec_valid` false until the first), and the document buffer (split.c). */
    long long last_sec;
    bool sec_valid;
    size_t last_len;
    char last_digits[24];
    struct xrc_emit_bufs *emit_bufs;
} xrc_thread;

extern __thread xrc_thread xrc_tls; /* the calling thread's; only that thread touches it */

/* Marks the calling thread as one of the runtime's own (the emission thread, an HTTP emitter's,
 * the sampling poller): the library guard stays set, so its libcurl calls are never traced,
 * even where libxraycap-patch.so stands in front of libcurl. */
static inline void xrc_thread_is_runtime(void) { xrc_tls.lib_inside = 1; }

/* 64 random bits from this thread's generator, never 0. */
static inline uint64_t xrc_rand64(void) { return xrc_rng_next(&xrc_tls.rng); }

#endif
