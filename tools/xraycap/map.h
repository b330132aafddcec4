/* map.h — the trace map: a node per service (segment name, with its origin) and per
 * downstream resource (aws and remote subsegments), edges with request count, average latency
 * and error and fault percentages. */
#ifndef XRAYCAP_MAP_H
#define XRAYCAP_MAP_H

#include "trace.h"

#include <stdio.h>

typedef struct map_edge {
    char from[160], to[160];          /* the nodes: a name, with its origin for a service */
    char from_name[160], to_name[160], to_type[64]; /* as filters name them (type: the origin) */
    long count, errors, faults, throttles; /* errors include throttles, as the console counts */
    double total_s;
    durations calls;                  /* each call's, for the histograms */
} map_edge;

typedef struct trace_map {
    map_edge *edges;
    int n, cap;
} trace_map;

void map_add_trace(trace_map *m, const trace *t);
/* A node's health, from the calls it received (count 0: a client). */
typedef struct map_health {
    long count, errors, faults, throttles;
    double total_s;
} map_health;
map_health map_node_health(const trace_map *m, const char *node);
/* Each distinct node once, in order of appearance; a node's index is its id in the SVG
 * ("node-J"), an edge's index in m->edges its id ("edge-I"). */
int map_node_names(const trace_map *m, const char **names, int max);
#define MAP_MAX_NODES 256

void map_print_text(FILE *out, const trace_map *m);
/* Graphviz DOT: a node per service or resource, coloured by the health of the calls it
 * received (fault red, error orange, throttle purple, else green; the client grey), edges
 * labelled with requests and average latency (and error, fault and throttle shares when not
 * zero). */
void map_print_dot(FILE *out, const trace_map *m);
/* The DOT drawing laid out by Graphviz's dot as inline SVG (class "map"); without dot, a note
 * saying how to install it and the map as a table. */
void map_print_svg(FILE *out, const trace_map *m);
void map_free(trace_map *m);

#endif
