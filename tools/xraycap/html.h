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
/* A table row per trace; the filter box when `filter` is not NULL, and `error` (when not NULL)
 * above the table. */
void html_trace_list(FILE *out, trace *traces, int n, const char *filter, const char *error,
                     const char *root);
/* text as a URL's query value: letters and digits as they are, every other byte %XX. */
void html_url_encode(FILE *out, const char *text);
/* The response-time distribution of the listed traces (their entry segments), as the console
 * draws it above the list: ten buckets from 0 to a round ceiling, each a link to the list
 * narrowed to its range (the filter kept); nothing when there is no trace. */
void html_histogram(FILE *out, const trace *traces, int n, const char *filter);
void html_timeline(FILE *out, const trace *t);
void html_map(FILE *out, const struct trace_map *m);

#endif
