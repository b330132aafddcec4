/* emit.c — from a finished segment to documents: one when it fits a datagram, otherwise the
 * segment plus subsegment documents for the subtrees that did not fit; then to each emitter
 * configured (daemon, file, X-Ray API, OTLP). Runs on the thread that ends the segment (or
 * streams part of it), never inside a captured call. */
#include "emit/emit.h"
#include "base/config.h"
#include "emit/http_queue.h"
#include "base/log.h"
#include "emit/serialize.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

xrc_counters xrc_stats;

static void note_dropped_subsegments(xrc_segment *s)
{
    cJSON *meta, *ns;
    s->dropped += s->foreign_dropped;
    if (!s->dropped)
        return;
    atomic_fetch_add(&xrc_stats.subsegments_dropped, s->dropped);
    xrc_log(XRAY_LOG_WARN, "segment '%s': %zu subsegment(s) not recorded (past the cap of %zu "
                           "subsegments per segment, nesting deeper than %d, or no memory)",
            s->ent.name, s->dropped, s->max_sub, XRC_MAX_DEPTH);
    if (s->facade) /* never sent: the count is in the statistics only */
        return;
    if ((!s->ent.extra && !(s->ent.extra = cJSON_CreateObject())))
        return;
    if (!(meta = cJSON_GetObjectItemCaseSensitive(s->ent.extra, "metadata")))
        meta = cJSON_AddObjectToObject(s->ent.extra, "metadata");
    if (meta && !(ns = cJSON_GetObjectItemCaseSensitive(meta, "xraycap")))
        ns = cJSON_AddObjectToObject(meta, "xraycap");
    else
        ns = meta ? cJSON_GetObjectItemCaseSensitive(meta, "xraycap") : NULL;
    if (ns) {
        cJSON_DeleteItemFromObjectCaseSensitive(ns, "dropped_subsegments");
        cJSON_AddNumberToObject(ns, "dropped_subsegments", (double)s->dropped);
    }
}

static __thread xrc_buf thread_buf;
static __thread xrc_spill thread_spill;

void xrc_emit_tree(xrc_segment *s, xray_entity *root)
{
    const size_t header = sizeof XRC_DAEMON_HEADER - 1;
    /* The buffers stay with the thread: a streaming segment emits many small documents. */
    xrc_buf b = thread_buf;
    xrc_spill spill = {.v = thread_spill.v, .cap = thread_spill.cap};
    if (!b.p)
        xrc_buf_init(&b, XRC_MAX_DATAGRAM);
    xrc_spill_push(&spill, root);
    while (spill.n) {
        xray_entity *e = spill.v[--spill.n];
        xrc_buf_rewind(&b, 0);
        xrc_buf_put(&b, XRC_DAEMON_HEADER, header);
        if (xrc_serialize_doc(&b, XRC_MAX_DATAGRAM, s, e, &spill)) {
            xrc_emit_doc(b.p, b.len, header);
            continue;
        }
        /* Not even its own fields fit: drop this one, but send its children on their own. */
        atomic_fetch_add(&xrc_stats.documents_dropped, 1);
        xrc_log(XRAY_LOG_ERROR, "'%s' does not fit in a %d-byte datagram even without its "
                                "metadata; dropped (its subsegments are still sent)",
                e->name, XRC_MAX_DATAGRAM);
        for (xray_entity *c = e->first_child; c; c = c->next_sibling)
            xrc_spill_push(&spill, c);
    }
    if (spill.oom)
        xrc_log(XRAY_LOG_ERROR, "segment '%s': out of memory while splitting; some subsegment "
                                "documents were not sent", s->ent.name);
    b.len = 0;
    b.over = false;
    thread_buf = b;
    thread_spill.v = spill.v;
    thread_spill.cap = spill.cap;
}

void xrc_emit_thread_exit(void)
{
    xrc_buf_free(&thread_buf);
    free(thread_spill.v);
    memset(&thread_spill, 0, sizeof thread_spill);
}

void xrc_emit_segment(xrc_segment *s)
{
    int saved = errno;
    note_dropped_subsegments(s);
    xrc_link_tree(s);
    /* A Lambda facade is never sent: its children go as subsegment documents instead. */
    if (!s->facade)
        xrc_emit_tree(s, &s->ent);
    /* So do subsegments whose parent was streamed out earlier, pointing to it. */
    XRC_FOR_EACH_ENTITY(s, e)
        if (e->parent && ((e->parent->flags & XRC_F_SENT) || (s->facade && e->parent == &s->ent)))
            xrc_emit_tree(s, e);
    xrc_emit_segment_done();
    errno = saved;
}

enum { EM_UDP = 1, EM_FILE = 2, EM_XRAY_API = 4, EM_OTLP = 8, EM_SET = 16 };
static atomic_int emit_mask;                     /* EM_*; EM_SET once the first set is applied */
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER; /* serializes set changes */

static void apply(const xrc_emitters *e)
{
    xrc_file_set(e->file);
    xrc_xray_api_set(e->xray_api);
    xrc_otlp_set(e->otlp);
    atomic_store(&emit_mask, EM_SET | (e->udp ? EM_UDP : 0) | (e->file[0] ? EM_FILE : 0) |
                                 (e->xray_api ? EM_XRAY_API : 0) | (e->otlp[0] ? EM_OTLP : 0));
}

static int mask(void)
{
    int m = atomic_load_explicit(&emit_mask, memory_order_acquire);
    if (__builtin_expect(!(m & EM_SET), 0)) {
        xrc_init();
        pthread_mutex_lock(&emit_lock);
        if (!(atomic_load(&emit_mask) & EM_SET))
            apply(&xrc_cfg.emit);
        pthread_mutex_unlock(&emit_lock);
        m = atomic_load(&emit_mask);
    }
    return m;
}

void xrc_emit_configure(const xrc_emitters *e)
{
    pthread_mutex_lock(&emit_lock);
    xrc_cfg.emit = *e;
    apply(e);
    pthread_mutex_unlock(&emit_lock);
}

static void count(bool ok)
{
    atomic_fetch_add_explicit(ok ? &xrc_stats.documents_sent : &xrc_stats.documents_dropped, 1,
                              memory_order_relaxed);
}

void xrc_emit_doc(const char *framed, size_t len, size_t header)
{
    int m = mask();
    if (m == EM_SET) {
        count(true); /* "none": delivered nowhere, on purpose */
        return;
    }
    if (m & EM_UDP)
        count(xrc_udp_send(framed, len));
    /* The file and HTTP emitters count when the document is written or answered. */
    if (m & EM_FILE)
        xrc_file_write(framed + header, len - header);
    if (m & EM_XRAY_API)
        xrc_http_queue_push(&xrc_xray_api_queue, framed + header, len - header);
    if (m & EM_OTLP)
        xrc_http_queue_push(&xrc_otlp_queue, framed + header, len - header);
}

void xrc_emit_segment_done(void)
{
    if (atomic_load_explicit(&emit_mask, memory_order_relaxed) & EM_FILE)
        xrc_file_flush();
}

void xrc_emit_stop_all(void)
{
    xrc_emitters off;
    memset(&off, 0, sizeof off);
    pthread_mutex_lock(&emit_lock);
    int m = atomic_load(&emit_mask);
    if (m & EM_SET) {
        /* Stop and flush; the next document starts them again from the configuration. */
        apply(&off);
        atomic_store(&emit_mask, 0);
    }
    pthread_mutex_unlock(&emit_lock);
}

/* At exit the file emitter writes what it holds. (The HTTP queues are flushed earlier, from
 * an atexit handler registered when their thread starts: see http_queue.c.) */
__attribute__((destructor)) static void emit_at_exit(void) { xrc_emit_stop_all(); }

void xrc_emit_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&emit_lock, &fresh, sizeof fresh);
    xrc_udp_after_fork();
    xrc_file_after_fork();
    xrc_http_queue_after_fork(&xrc_xray_api_queue);
    xrc_http_queue_after_fork(&xrc_otlp_queue);
}
