/* map.h — the trace map: a node per service (segment name, with its origin) and per
 * downstream resource (aws and remote subsegments), edges with request count, average latency
 * and error and fault percentages. */
#ifndef XRAYCAP_MAP_H
#define XRAYCAP_MAP_H

#include "trace.h"

#include <stdio.h>

typedef struct map_edge {
    char from[160], to[160];
    long count, errors, faults;
    double total_s;
} map_edge;

typedef struct trace_map {
    map_edge *edges;
    int n, cap;
} trace_map;

void map_add_trace(trace_map *m, const trace *t);
void map_print_text(FILE *out, const trace_map *m);
void map_print_dot(FILE *out, const trace_map *m);
/* An SVG drawing: callers left, callees right; values escaped. */
void map_print_svg(FILE *out, const trace_map *m);
void map_free(trace_map *m);

#endif
