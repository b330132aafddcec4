/* emit_sink.h — the shared side of the emitter tests (emit_sink.c). */
#ifndef TEST_EMIT_SINK_H
#define TEST_EMIT_SINK_H

#include "fake_http.h"

#include <CUnit/CUnit.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <xray_capture.h>

/* How the destination answers. */
typedef enum mode { OK, FAIL_500, FAIL_429, REFUSE_403, HANG, FAIL_TWICE } mode;

typedef struct sink {
    mode mode;
    pthread_mutex_t lock;
    int requests;
    cJSON *bodies;              /* every request body, parsed (NULL entries when unparsable) */
    char last_headers[4096];
    char last_path[512];
} sink;

extern sink the_sink;          /* the destination of the running test */
extern fake_http H;            /* its server (H.address is host:port) */

void sink_start(mode m);       /* starts a fresh destination */
void sink_stop(void);          /* stops it; what it recorded stays readable */
void sink_free(void);          /* frees what it recorded */
int sink_requests(void);       /* requests it got (after sink_stop) */

void use_emitters(const char *emitters, long flush_ms);
void restore_emitters(void);   /* back to udp, 2 s flush */
/* A fresh destination answering OK, and OTLP sent to it after the emitters in `first` ("" or
 * "udp,"), with a 5 s flush deadline. */
void use_otlp_sink(const char *first);
void send_segments(int n, int subsegments);

extern unsigned long long delta_sent, delta_dropped, delta_errors;
void stats_mark(void);         /* remembers xray_recorder_stats */
void stats_delta(void);        /* sets the deltas since stats_mark */

void xray_api_env(void);       /* points the xray-api emitter at H, with test credentials */
cJSON *all_spans(void);        /* every span the OTLP destination received */
cJSON *span_named(cJSON *spans, const char *name);

/* Each file adds its tests to the one "emitters" suite. */
void add_emit_file_tests(CU_pSuite s);
void add_emit_xray_api_tests(CU_pSuite s);
void add_emit_otlp_tests(CU_pSuite s);
void add_emit_queue_tests(CU_pSuite s);

#endif
