/* html.h — the web view's pages: trace list with a filter box, timeline as SVG with a details
 * panel, trace map as SVG. Self-contained (no CDN); every value is escaped. */
#ifndef XRAYCAP_HTML_H
#define XRAYCAP_HTML_H

#include "trace.h"

#include <stdio.h>

struct trace_map;

void html_escape(FILE *out, const char *s);
/* `root` is the relative path from the page to the server's top ("" or "../"); NULL for a
 * standalone page (xraycap html), which has no links to other pages. */
void html_begin(FILE *out, const char *title, const char *root);
void html_end(FILE *out);
/* The list's filter box: the expression shown, and the group and time range it keeps. */
typedef struct html_form {
    const char *filter, *group, *since, *from, *to;
} html_form;
/* Where a page's links go: `root` as for html_begin, and the time range they keep as query
 * parameters (`range`: "&since=1d", URL-encoded; "" for none). A NULL html_links: no links. */
typedef struct html_links {
    const char *root, *range;
} html_links;
/* A table row per trace; the filter box when `form` is not NULL, and `error` (when not NULL)
 * above the table. */
void html_trace_list(FILE *out, trace *traces, int n, const html_form *form, const char *error,
                     const char *root);
/* A form's hidden field carrying a value on (nothing when the value is empty). */
void html_hidden(FILE *out, const char *name, const char *value);
/* The URL of the trace list narrowed by `filter`, in links' range and group (HTML-escaped, for
 * an href). */
void html_list_url(FILE *out, const html_links *links, const char *filter);
/* text as a URL's query value: letters and digits as they are, every other byte %XX. */
void html_url_encode(FILE *out, const char *text);
/* The response-time distribution of the matching traces (their entry segments' durations,
 * `rt`; listed or not), as the console draws it above the list: ten buckets from 0 to a round
 * ceiling, each a link to the list narrowed to its range (the filter kept); nothing when there
 * is no trace. */
void html_histogram(FILE *out, const double *rt, long n, const char *filter, const char *range);
/* The same for any durations (seconds): a bucket links to root + "./?filter=" + prefix
 * "responsetime >= A AND responsetime < B" suffix + range (no links when `links` is NULL); the
 * page's script turns a drag across buckets into the filter of their whole range. */
void html_histogram_of(FILE *out, const double *values, int n, const html_links *links, const char *prefix,
                       const char *suffix);
/* JSON inside <script>: "<" written as \u003c so no "</script>" can close it early. */
void html_script_json(FILE *out, const cJSON *v);

/* html_timeline.c: the segments timeline on one time axis, a group per segment labelled with
 * its name and origin, a status per row, subtrees that fold, and the details panel with the
 * console's tabs (Overview, Resources, Annotations, Metadata, Exceptions, Raw). */
void html_timeline(FILE *out, const trace *t);
/* html_map.c: the trace map with health rings and a legend, pan and zoom, and a panel per
 * node and edge (health counts, response-time histogram, a link to its traces unless `links`
 * is NULL). */
void html_map(FILE *out, const struct trace_map *m, const html_links *links);
/* html_script.c: the one script every page carries, wiring what the page has (histogram
 * drags, the map, the timeline). */
void html_script(FILE *out);

#endif
