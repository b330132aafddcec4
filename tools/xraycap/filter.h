/* filter.h — a subset of X-Ray filter expressions, for `xraycap traces --filter`:
 *   annotation.KEY = "v"   service("name")   responsetime > 0.5   duration >= 1
 *   http.status = 500   http.method = "POST"   http.url CONTAINS "users"
 *   fault   error   throttle   ok   (each also "= true"/"= false")
 * combined with AND, OR, NOT and parentheses. */
#ifndef XRAYCAP_FILTER_H
#define XRAYCAP_FILTER_H

#include "trace.h"

#include <stddef.h>

typedef struct filter filter;

/* NULL on a bad expression, with a message in err that shows the expression and points at
 * the offending token with a caret. */
filter *filter_parse(const char *text, char *err, size_t errlen);
bool filter_match(const filter *f, const trace *t);
void filter_free(filter *f);

#endif
