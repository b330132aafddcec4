/* view.h — what the commands that read the store share: their options, opening the store,
 * loading the traces that match, and the one-trace page that `html` and `serve` both show. */
#ifndef XRAYCAP_VIEW_H
#define XRAYCAP_VIEW_H

#include "filter.h"
#include "map.h"
#include "store.h"
#include "trace.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct options {
    char db[4096];
    double since;           /* epoch seconds */
    const char *filter, *http, *trace_id;
    int verbose, dot;
    int limit;              /* --limit: traces listed at most (VIEW_LIMIT) */
} options;

#define VIEW_LIMIT 1000     /* traces a list shows unless --limit says otherwise */
#define VIEW_LIMIT_MAX 1000000

/* Common options; false (with a message) on a bad one. `positional` takes a TRACE_ID. */
bool view_parse(int argc, char **argv, options *o, bool positional, const char *usage);

/* The store named by the options, or NULL after saying why. */
store *view_open_store(const options *o);

/* view_parse, then view_open_store: the store, or NULL with *rc set to the exit status
 * (2: bad arguments, 1: no store). */
store *view_start(int argc, char **argv, options *o, bool positional, const char *usage, int *rc);

/* A filter expression read with the store's groups (group.name = "NAME"); NULL with the
 * message in err, as filter_parse. */
filter *view_filter(store *s, const char *text, char *err, size_t errlen);

/* Traces loaded from the store (those `f` matches; all when f is NULL), newest first, at most
 * `limit` of them (VIEW_LIMIT when 0); `total` counts every match, so a list that stops at
 * its limit can say "n shown of total". */
typedef struct trace_list {
    store *s;
    const filter *f;
    int limit;
    trace *v;
    int n, cap;
    long total;
    double until;           /* epoch seconds: only traces starting before it (0: no bound) */
    bool response_times;    /* keep every match's response time in rt, listed or not (for a
                               histogram: every trace in the range is then loaded) */
    durations rt;
} trace_list;

/* Loads the traces since `since` into l (whose s, f and limit are set). */
void view_load(trace_list *l, double since);
void view_list_free(trace_list *l);

/* The trace map of the traces since `since` (and before `until` unless it is 0) that f
 * matches, of the newest VIEW_MAP_TRACES. */
#define VIEW_MAP_TRACES 100000
void view_build_map(store *s, double since, double until, const filter *f, trace_map *m); /* f NULL: all */

/* A page with everything about one trace: list row, timeline, map. */
/* One trace's page (list row, timeline, map); false, with a page saying so, when there is no
 * such trace. `root` as for html_begin. */
bool view_trace_page(FILE *out, store *s, const char *id, const char *root);

#endif
