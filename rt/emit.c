/* emit.c — from a finished segment to datagrams: one document when it fits, otherwise the
 * segment plus subsegment documents for the subtrees that did not fit. Runs on the thread that
 * ends the segment, after the traced work, never inside a captured call. */
#include "emit.h"
#include "log.h"
#include "serialize.h"

#include <cjson/cJSON.h>
#include <errno.h>
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
    xrc_log(XRAY_LOG_WARN, "segment '%s': %zu subsegment(s) not recorded (nesting or memory "
                           "limits)", s->ent.name, s->dropped);
}

/* Sends `root` (with as much of its subtree as fits per document) and what did not fit. */
static void emit_from(xrc_segment *s, xray_entity *root)
{
    const size_t header = sizeof XRC_DAEMON_HEADER - 1;
    xrc_buf b;
    xrc_spill spill = {0};
    xrc_buf_init(&b, XRC_MAX_DATAGRAM);
    xrc_spill_push(&spill, root);
    while (spill.n) {
        xray_entity *e = spill.v[--spill.n];
        xrc_buf_rewind(&b, 0);
        xrc_buf_put(&b, XRC_DAEMON_HEADER, header);
        if (xrc_serialize_doc(&b, XRC_MAX_DATAGRAM, s, e, &spill)) {
            if (xrc_udp_send(b.p, b.len))
                atomic_fetch_add(&xrc_stats.documents_sent, 1);
            else
                atomic_fetch_add(&xrc_stats.documents_dropped, 1);
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
    free(spill.v);
    xrc_buf_free(&b);
}

void xrc_emit_segment(xrc_segment *s)
{
    int saved = errno;
    note_dropped_subsegments(s);
    xrc_link_tree(s);
    emit_from(s, &s->ent);
    errno = saved;
}

void xrc_emit_subtree(xrc_segment *s, xray_entity *root)
{
    int saved = errno;
    /* Entities made on this thread after root, while it was open, are its descendants. */
    for (xray_entity *e = root; e; e = e->next)
        e->first_child = e->last_child = e->next_sibling = NULL;
    for (xray_entity *e = root->next; e; e = e->next) {
        xray_entity *p = e->parent;
        if (p->last_child)
            p->last_child->next_sibling = e;
        else
            p->first_child = e;
        p->last_child = e;
    }
    emit_from(s, root);
    errno = saved;
}

void xray_recorder_stats(xray_stats *out)
{
    out->documents_sent = atomic_load(&xrc_stats.documents_sent);
    out->documents_dropped = atomic_load(&xrc_stats.documents_dropped);
    out->subsegments_dropped = atomic_load(&xrc_stats.subsegments_dropped);
    out->send_errors = atomic_load(&xrc_stats.send_errors);
}
