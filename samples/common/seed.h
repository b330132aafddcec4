/* seed.h — the seed's first two samples, which the samples run (manual, users-api, lambda). */
#ifndef SAMPLES_SEED_H
#define SAMPLES_SEED_H

/* Under the current segment: subsegment_1 (an annotation, JSON metadata) holding
 * subsegment_2, which holds subsegment_3-1 (1 ms) and subsegment_3-2 (2 ms); made with the
 * manual recorder API. */
void xray_function_sample1(void);

/* A captured function (xray_function_sample2) holding a captured block (subsegment_1, 10 ms):
 * traced when compiled with the plugin. */
void xray_function_sample2(void);

#endif
