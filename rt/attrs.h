/* attrs.h — helpers shared by the modules that attach data to an entity. */
#ifndef XRC_ATTRS_H
#define XRC_ATTRS_H

#include "entity.h"

/* Checks `e` for an edit by `what`: NULL entity → context-missing strategy and
 * XRAY_ERR_NO_CONTEXT; unsampled → nothing to do. On true the segment's lock is held and the
 * caller must call xrc_edit_end(). */
bool xrc_edit_begin(xray_entity *e, const char *what, xray_status *status);
void xrc_edit_end(xray_entity *e);

/* The object `key` inside e->extra (created on demand); NULL when out of memory. */
struct cJSON *xrc_extra_object(xray_entity *e, const char *key);

#endif
