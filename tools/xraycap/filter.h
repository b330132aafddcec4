/* filter.h — X-Ray filter expressions, for `xraycap traces --filter` and `serve`'s filter box:
 *   annotation.KEY = "v"   annotation[SERVICE].KEY = "v"   responsetime > 0.5   duration >= 1
 *   http.status = 500   http.method = "POST"   http.url CONTAINS "users"
 *   fault   error   throttle   ok   (each also "= true"/"= false")
 *   service("name")   service(id(name: "x", type: "AWS::Lambda::Function"))   id(...)
 *   edge("from", "to")   rootcause.fault.service   rootcause.error.service   rootcause.throttle.service
 * the node forms each with an optional { expression } about that node alone (its flags,
 * responsetime, http.*, annotation.*, name, type), combined with AND, OR, NOT (or !) and
 * parentheses. A node's type is its origin; a call out without one is "remote", or "AWS::NAME"
 * for an AWS call. group.name = "NAME" stands for that group's expression (xraycap group).
 * Not supported: group.arn (local groups have none), rootcause.*.entity and the inferred-node
 * keywords. */
#ifndef XRAYCAP_FILTER_H
#define XRAYCAP_FILTER_H

#include "trace.h"

#include <stddef.h>

typedef struct filter filter;

/* NULL on a bad expression, with a message in err that shows the expression and points at
 * the offending token with a caret. */
filter *filter_parse(const char *text, char *err, size_t errlen);
/* Where group.name = "NAME" finds the group's expression: true with it in expr. */
typedef bool (*filter_group_fn)(const char *name, char *expr, size_t len, void *ctx);
/* filter_parse, with the groups `groups` finds (group.name is refused when it is NULL). */
filter *filter_parse_groups(const char *text, filter_group_fn groups, void *ctx, char *err, size_t errlen);
bool filter_match(const filter *f, const trace *t);
void filter_free(filter *f);

#endif
