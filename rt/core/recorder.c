/* recorder.c — the public segment/subsegment API (xray_begin_segment and friends): argument
 * checks, names, and which misuse is reported (the strategy itself is in base/log.c). The shared mechanics of
 * opening and closing live in context.c so captured calls and manual calls behave alike. */
#include "base/config.h"
#include "core/context.h"
#include "core/facade.h"
#include "core/lifecycle.h"
#include "base/log.h"
#include "sampling/sampling.h"
#include "sampling/sampling_remote.h"
#include "model/sanitize.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *checked_name(const char *name, const char *kind)
{
    if (!name || !*name)
        return NULL;
    if (!xrc_name_is_clean(name))
        xrc_log(XRAY_LOG_WARN, "%s name '%.210s' has characters X-Ray does not accept or more "
                               "than 200 characters; they are removed", kind, name);
    return name;
}

static void apply_options(xrc_segment *s, const xray_segment_options *o)
{
    if (o->trace_id) {
        if (xrc_trace_id_valid(o->trace_id))
            memcpy(s->trace_id, o->trace_id, XRC_TRACE_ID_LEN + 1);
        else
            xrc_log(XRAY_LOG_WARN, "trace id '%.80s' is not of the form 1-xxxxxxxx-<24 hex>; "
                                   "starting a new trace", o->trace_id);
    }
    if (o->parent_id) {
        if (!xrc_entity_id_parse(o->parent_id, &s->parent_id))
            xrc_log(XRAY_LOG_WARN, "parent id '%.80s' is not 16 lower-case hex digits; ignored",
                    o->parent_id);
    }
}

/* The sampling decision: forced by the caller, else the rules (unless sampling is off). */
static bool decide(const char *name, const xray_segment_options *o, char rule[65])
{
    if (o && o->sampling != XRAY_SAMPLING_DECIDE)
        return o->sampling == XRAY_SAMPLING_SAMPLED;
    if (!xrc_cfg.sampling)
        return true;
    return xrc_sampling_decide(name, o ? o->host : NULL, o ? o->method : NULL, o ? o->path : NULL,
                               rule);
}

xray_entity *xray_begin_segment(const char *name) { return xray_begin_segment_ex(name, NULL); }

xray_entity *xray_begin_segment_ex(const char *name, const xray_segment_options *options)
{
    int saved = errno;
    xrc_init();
    xrc_lifecycle_start();
    xrc_thread *t = &xrc_tls;
    if (!xrc_cfg.enabled)
        return NULL;
    if (xrc_cfg.lambda) {
        xrc_log(XRAY_LOG_WARN, "Cannot create segments inside Lambda function. Discarded.");
        errno = saved;
        return NULL;
    }
    if (t->foreign) {
        xrc_log(XRAY_LOG_WARN, "xray_begin_segment('%s'): this thread was working in a segment "
                               "handed to it; leaving that context first", name ? name : "");
        xrc_context_close(t);
    }
    if (t->seg) {
        xrc_log(XRAY_LOG_WARN, "xray_begin_segment('%s'): segment '%s' is still open on this "
                               "thread; ending it first", name ? name : "", t->seg->ent.name);
        xray_end_segment();
    }
    xrc_segment *s = xrc_segment_new();
    if (!s) {
        xrc_log(XRAY_LOG_ERROR, "xray_begin_segment: out of memory; not tracing this request");
        errno = saved;
        return NULL;
    }
    const char *n = checked_name(name, "segment");
    s->ent.name = xrc_arena_strdup(s, n ? n : xrc_cfg.service_name);
    s->real_base_ns = xrc_real_ns();
    s->mono_base_ns = xrc_mono_ns();
    s->ent.id = xrc_rand64();
    xrc_new_trace_id(s->trace_id, s->real_base_ns / 1000000000);
    s->sampled = decide(s->ent.name, options, s->sampling_rule);
    if (options)
        apply_options(s, options);
    xrc_thread_register(t);
    xrc_context_enter(t, s);
    errno = saved;
    return &s->ent;
}

void xray_end_segment(void)
{
    int saved = errno;
    xrc_thread *t = &xrc_tls;
    xrc_segment *s = t->seg;
    if ((s && s->facade) || (!s && xrc_cfg.lambda)) {
        xrc_log(XRAY_LOG_WARN, "Cannot end segment inside Lambda function. Ignored.");
        errno = saved;
        return;
    }
    if (!s) {
        xrc_init();
        if (xrc_cfg.enabled)
            xrc_context_missing("xray_end_segment: no segment is open on this thread");
        errno = saved;
        return;
    }
    if (t->foreign) {
        xrc_context_missing("xray_end_segment: this thread only works in a segment handed to it "
                            "(xray_context_set); the thread that began the segment ends it");
        errno = saved;
        return;
    }
    if (t->depth)
        xrc_log(XRAY_LOG_DEBUG, "xray_end_segment: closing %u subsegment(s) still open",
                t->depth);
    xrc_context_close(t);
    errno = saved;
}

xray_entity *xray_begin_subsegment(const char *name)
{
    int saved = errno;
    xrc_thread *t = &xrc_tls;
    xray_entity *result = NULL;
    if (!t->seg || t->seg->facade)
        xrc_facade_ensure(t);
    if (!t->seg) {
        xrc_init();
        if (xrc_cfg.enabled) {
            char what[300];
            snprintf(what, sizeof what, "xray_begin_subsegment('%.200s'): no segment is open "
                                        "on this thread", name ? name : "");
            xrc_context_missing(what);
        }
    } else if (!t->recording || t->phantom) {
        t->phantom++; /* unsampled, or past a limit: records nothing */
        if (t->recording && t->foreign) {
            pthread_mutex_lock(&t->seg->lock);
            t->seg->foreign_dropped++;
            pthread_mutex_unlock(&t->seg->lock);
        } else if (t->recording) {
            t->seg->dropped++;
        }
        else
            result = &t->seg->ent; /* a stand-in on which every call is a no-op */
    } else {
        if (t->depth && !t->foreign) /* inside a folded call: record that call */
            xrc_fold_materialize(t, t->depth - 1);
        const char *n = checked_name(name, "subsegment");
        char *copy = xrc_copy_name(t, n ? n : "unnamed");
        xray_token tok = copy ? xrc_open(t, copy, XRC_F_MANUAL) : 0;
        if (tok) {
            result = t->recording;
        } else {
            t->phantom++;
            /* Past the cap every call lands here: the count goes into the segment, and the
             * log says it once per segment (split.c sums it up at the end). */
            if (xrc_recorded(t->seg) < t->seg->max_sub)
                xrc_log(XRAY_LOG_WARN, "xray_begin_subsegment('%.200s'): %s; not recorded",
                        name ? name : "", t->depth >= XRC_MAX_DEPTH ? "nesting deeper than 256"
                                                                   : "out of memory");
        }
    }
    errno = saved;
    return result;
}

void xray_end_subsegment(void)
{
    int saved = errno;
    xrc_thread *t = &xrc_tls;
    if (!t->seg) {
        xrc_init();
        if (xrc_cfg.enabled)
            xrc_context_missing("xray_end_subsegment: no segment is open on this thread");
    } else if (t->phantom) {
        t->phantom--;
    } else if (!t->depth) {
        xrc_context_missing("xray_end_subsegment: no subsegment is open on this thread");
    } else if (!(t->stack[t->depth - 1]->flags & XRC_F_MANUAL)) {
        char what[400];
        snprintf(what, sizeof what, "xray_end_subsegment: the current subsegment '%.200s' "
                                    "belongs to a captured function or block; not ending it",
                 t->stack[t->depth - 1]->name);
        xrc_context_missing(what);
    } else {
        xrc_close_from(t, t->depth - 1);
    }
    errno = saved;
}

xray_entity *xray_current_segment(void)
{
    xrc_thread *t = &xrc_tls;
    if (!t->seg || t->seg->facade)
        xrc_facade_ensure(t);
    return t->seg ? &t->seg->ent : NULL;
}

xray_entity *xray_current_subsegment(void)
{
    xrc_thread *t = &xrc_tls;
    if (!t->seg)
        return NULL;
    if (!t->recording)
        return t->phantom ? &t->seg->ent : NULL;
    if (t->depth) /* a folded call asked for becomes a recorded one: it may get data */
        return xrc_fold_materialize(t, t->depth - 1);
    return t->base != &t->seg->ent ? t->base : NULL; /* a subsegment handed to this thread */
}

xray_entity *xray_context_get(void)
{
    xrc_thread *t = &xrc_tls;
    if (!t->seg)
        return NULL;
    /* Another thread will point into this segment: streaming must stop freeing its memory. */
    atomic_store_explicit(&t->seg->shared, true, memory_order_release);
    if (t->depth && !t->foreign)
        xrc_fold_materialize(t, t->depth - 1);
    return xrc_context_entity(t);
}

void xray_context_set(xray_entity *entity)
{
    int saved = errno;
    xrc_thread *t = &xrc_tls;
    if (t->seg && !t->foreign) {
        if (entity && entity->seg == t->seg) {
            errno = saved;
            return; /* handing a thread its own segment: nothing to do */
        }
        xrc_context_missing("xray_context_set: this thread has its own segment open; end it "
                            "before working in another");
        errno = saved;
        return;
    }
    xrc_context_close(t);
    if (entity) {
        xrc_segment *s = entity->seg;
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
        atomic_store_explicit(&s->shared, true, memory_order_release);
        xrc_thread_register(t);
        xrc_context_enter(t, s);
        t->base = entity;
        t->foreign = true;
        t->recording = s->sampled ? entity : NULL;
    }
    errno = saved;
}

bool xray_is_sampled(void) { return xrc_tls.recording != NULL; }
