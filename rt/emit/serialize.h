/* serialize.h — X-Ray segment documents, written by hand into an xrc_buf. */
#ifndef XRC_SERIALIZE_H
#define XRC_SERIALIZE_H

#include "model/entity.h"
#include "emit/jsonbuf.h"

/* Entities waiting for a document of their own. */
typedef struct xrc_spill {
    xray_entity **v;
    size_t n, cap;
    bool oom;
} xrc_spill;

/* Sets first_child/last_child/next_sibling of every entity from the parent links. */
void xrc_link_tree(xrc_segment *s);

/*
 * Appends the document of `e`: the segment document when e is the segment, else an
 * independent subsegment document (type, trace_id, parent_id). Descendants are nested as long
 * as the document stays within `hard_limit` bytes of b; a child subtree that does not fit is
 * left out and pushed on `spill`. When e's own fields do not fit, its metadata is replaced by
 * a note of how much was left out; when even that does not fit, returns false.
 */
bool xrc_serialize_doc(xrc_buf *b, size_t hard_limit, const xrc_segment *s, xray_entity *e,
                       xrc_spill *spill);

void xrc_spill_push(xrc_spill *sp, xray_entity *e);

#endif
