/* attrs.h — helpers shared by the modules that attach data to an entity. */
#ifndef XRC_ATTRS_H
#define XRC_ATTRS_H

#include "model/entity.h"

/* Checks `e` for an edit by `what`: NULL entity → context-missing strategy and
 * XRAY_ERR_NO_CONTEXT; unsampled → nothing to do. On true the segment's lock is held and the
 * caller must call xrc_edit_end(). */
bool xrc_edit_begin(xray_entity *e, const char *what, xray_status *status);
void xrc_edit_end(xray_entity *e);

/* The object `key` inside e->extra (created on demand); NULL when out of memory. */
struct cJSON *xrc_extra_object(xray_entity *e, const char *key);

/* Sets extra[outer][inner][key] (inner NULL: extra[outer][key]) = value, taking ownership;
 * locks the segment. For the library integrations. */
xray_status xrc_put_field(xray_entity *e, const char *outer, const char *inner, const char *key,
                          struct cJSON *value);

/* A cJSON string of s, made valid UTF-8 and cut to max_chars; NULL when out of memory. */
struct cJSON *xrc_json_string(const char *s, size_t max_chars);

#endif
