/* trace.h — one trace assembled from its stored documents, with what the console's trace list
 * shows about it. */
#ifndef XRAYCAP_TRACE_H
#define XRAYCAP_TRACE_H

#include "store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

typedef struct trace {
    char id[40];
    cJSON *roots;            /* assembled documents (segments with their subsegments) */
    const cJSON *root;       /* the entry segment: the one without a parent in this trace */
    double start, end;       /* earliest start, latest end of any entity */
    const char *method, *url;
    int status;              /* 0 when the entry segment has no response */
    bool fault, error, throttle; /* as TraceSummary's HasFault, HasError (the entry segment's
                                    own flags) and HasThrottle (any entity's) */
    cJSON *annotations;      /* every entity's annotations, merged */
} trace;

/* Loads and assembles; false when the store has no such trace. */
bool trace_load(store *s, const char *id, trace *t);
void trace_free(trace *t);

/* Calls fn on every entity of the trace (depth-first), with its depth and its segment. */
void trace_walk(const trace *t, void (*fn)(const cJSON *e, int depth, const cJSON *segment, void *ctx), void *ctx);

double entity_duration(const cJSON *e);

/* A growing list of durations (seconds), for histograms. An addition that finds no memory is
 * left out. */
typedef struct durations {
    double *v;
    long n, cap;
} durations;
void durations_add(durations *d, double seconds);
void durations_free(durations *d);

#endif
