/* timeline.h — printing traces as indented timelines in a terminal. */
#ifndef XRAYCAP_TIMELINE_H
#define XRAYCAP_TIMELINE_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* Joins documents of type "subsegment" onto the entity their parent_id names (when it is among
 * the documents) and returns an array of the root documents, one per printed tree. Takes
 * ownership of `docs`. */
cJSON *timeline_assemble(cJSON *docs);

/* An entity's label: its name, and for a summary of folded calls (metadata.xraycap.calls) the
 * count they stand for, "hot ×999,936". */
void timeline_label(const cJSON *e, char *out, size_t n);

/* The entities of a JSON array sorted by start time (malloc'd; *n of them, NULL when none). */
const cJSON **timeline_in_start_order(const cJSON *array, int *n);

/* A segment's group label, as the console's segments timeline writes it: "users
 * (AWS::Lambda::Function)", or the name alone when it has no origin. */
void timeline_group_label(const cJSON *segment, char *out, size_t n);

/* Prints one tree: a row per entity, indented by nesting, with a bar scaled to the root's
 * duration, the duration in ms, flags and annotations; with `verbose`, also each entity's
 * metadata, http, aws and sql fields and exceptions with their stacks. */
void timeline_print(FILE *out, const cJSON *root, int width, int verbose);

/* Prints a whole trace as the console's segments timeline: one time axis for every segment
 * (so a downstream segment's bar starts under the call that reached it), a group per segment
 * labelled with its name and origin ("== users (AWS::Lambda::Function)"), in start order. */
void timeline_print_trace(FILE *out, const cJSON *roots, int width, int verbose);

#endif
