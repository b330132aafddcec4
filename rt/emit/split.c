/* split.c — from a finished segment to documents: one when it fits a datagram, otherwise the
 * segment plus subsegment documents for the subtrees that did not fit (never a document cut
 * in the middle). Also where a segment's own accounting (subsegments not recorded) is written
 * into it before it goes out. */
#include "base/log.h"
#include "emit/emit.h"
#include "model/thread.h"
#include "emit/serialize.h"
#include "model/sanitize.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

/* A thread's document buffer and its stack of subtrees still to send, kept from one segment to
 * the next (a streaming segment emits many small documents). Every thread's are also on a
 * global list, so that a forked child, in which the emission thread no longer runs, still
 * reaches them. */
typedef struct xrc_emit_bufs {
    xrc_buf b;
    xrc_spill spill;
    struct xrc_emit_bufs *prev, *next;
} emit_bufs;

static pthread_mutex_t bufs_lock = PTHREAD_MUTEX_INITIALIZER; /* guards all_bufs */
static emit_bufs *all_bufs;

static emit_bufs *bufs(void)
{
    if (xrc_tls.emit_bufs)
        return xrc_tls.emit_bufs;
    emit_bufs *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    xrc_buf_init(&m->b, XRC_MAX_DATAGRAM);
    pthread_mutex_lock(&bufs_lock);
    m->next = all_bufs;
    if (all_bufs)
        all_bufs->prev = m;
    all_bufs = m;
    pthread_mutex_unlock(&bufs_lock);
    return xrc_tls.emit_bufs = m;
}

void xrc_emit_tree(xrc_segment *s, xray_entity *root)
{
    const size_t header = sizeof XRC_DAEMON_HEADER - 1;
    if (xrc_emit_none()) { /* delivered nowhere, on purpose: not even written */
        atomic_fetch_add_explicit(&xrc_stats.documents_sent, 1, memory_order_relaxed);
        return;
    }
    emit_bufs *m = bufs();
    if (!m) {
        atomic_fetch_add(&xrc_stats.documents_dropped, 1);
        xrc_log(XRAY_LOG_ERROR, "segment '%s': no memory for a document buffer; not sent",
                s->ent.name);
        return;
    }
    xrc_buf *b = &m->b;
    xrc_spill *spill = &m->spill;
    spill->n = 0;
    spill->oom = false;
    xrc_otlp_tag tag = {.len = 0};
    if (xrc_emit_wants_otlp()) /* the name is cleaned only for OTLP */
        xrc_otlp_tag_make(s, &tag);
    xrc_spill_push(spill, root);
    while (spill->n) {
        xray_entity *e = spill->v[--spill->n];
        xrc_buf_rewind(b, 0);
        xrc_buf_put(b, XRC_DAEMON_HEADER, header);
        if (xrc_serialize_doc(b, XRC_MAX_DATAGRAM, s, e, spill)) {
            xrc_emit_doc(b->p, b->len, header, &tag);
            continue;
        }
        /* Not even its own fields fit: drop this one, but send its children on their own. */
        atomic_fetch_add(&xrc_stats.documents_dropped, 1);
        xrc_log(XRAY_LOG_ERROR, "'%s' does not fit in a %d-byte datagram even without its "
                                "metadata; dropped (its subsegments are still sent)",
                e->name, XRC_MAX_DATAGRAM);
        for (xray_entity *c = e->first_child; c; c = c->next_sibling)
            xrc_spill_push(spill, c);
    }
    if (spill->oom)
        xrc_log(XRAY_LOG_ERROR, "segment '%s': out of memory while splitting; some subsegment "
                                "documents were not sent", s->ent.name);
    b->len = 0;
    b->over = false;
}

void xrc_emit_thread_exit(void)
{
    emit_bufs *m = xrc_tls.emit_bufs;
    if (!m)
        return;
    xrc_tls.emit_bufs = NULL;
    pthread_mutex_lock(&bufs_lock);
    if (m->prev)
        m->prev->next = m->next;
    else
        all_bufs = m->next;
    if (m->next)
        m->next->prev = m->prev;
    pthread_mutex_unlock(&bufs_lock);
    xrc_buf_free(&m->b);
    free(m->spill.v);
    free(m);
}

void xrc_emit_segment(xrc_segment *s)
{
    int saved = errno;
    note_dropped_subsegments(s);
    xrc_link_tree(s);
    /* A Lambda facade is never sent: its children go as subsegment documents instead; nor is
     * a streamed part, whose entities under stand-ins go the same way. */
    if (!s->facade && !s->part)
        xrc_emit_tree(s, &s->ent);
    /* So do subsegments whose parent was streamed out earlier, pointing to it. */
    XRC_FOR_EACH_ENTITY(s, e)
        if (e->parent && !xrc_entity_hidden(e) &&
            ((e->parent->flags & XRC_F_SENT) || (s->facade && e->parent == &s->ent)))
            xrc_emit_tree(s, e);
    xrc_emit_segment_done();
    errno = saved;
}
