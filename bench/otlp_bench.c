/* otlp_bench.c — what the OTLP emitter's body costs on the emission thread, per span, and how
 * many bytes a span takes: JSON (the baseline), protobuf (the default), protobuf + gzip, as
 * ratios measured in one run. The documents are real ones: 50 segments of 20 subsegments with
 * annotations and metadata, written by the runtime to a file and read back, converted in
 * batches of 50 documents as the emitter converts them. Nothing is asserted: the figures are
 * for docs/performance.md. */
#include "emit/gzip.h"
#include "emit/otlp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>

#define FILE_PATH "/tmp/xraycap-otlp-bench.jsonl"
#define ROUNDS 7
#define REPEAT 40

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef enum { JSON, PROTOBUF, PROTOBUF_GZIP } form;

/* One batch converted in `f`: the body's size. */
static size_t convert(char **entries, const size_t *lens, size_t n, form f, size_t *spans)
{
    size_t skipped, len = 0;
    cJSON *tree = xrc_otlp_build(entries, lens, n, spans, &skipped);
    if (f == JSON) {
        char *text = cJSON_PrintUnformatted(tree);
        len = strlen(text);
        cJSON_free(text);
    } else {
        unsigned char *body = xrc_otlp_protobuf(tree, &len), *zipped = NULL;
        size_t zlen = 0;
        if (f == PROTOBUF_GZIP && xrc_gzip(body, len, &zipped, &zlen))
            len = zlen;
        free(zipped);
        free(body);
    }
    cJSON_Delete(tree);
    return len;
}

int main(void)
{
    unlink(FILE_PATH);
    xray_config c = XRAY_CONFIG_INIT;
    c.emitters = "file:" FILE_PATH;
    c.sampling = XRAY_SWITCH_OFF;
    c.sampling_remote = XRAY_SWITCH_OFF;
    xray_recorder_configure(&c);
    for (int s = 0; s < 50; s++) {
        xray_begin_segment("orders-api");
        for (int i = 0; i < 20; i++) {
            xray_entity *e = xray_begin_subsegment(i % 2 ? "lookup" : "charge");
            xray_put_annotation(e, "customer", "c-1234");
            xray_put_annotation(e, "items", 3);
            xray_put_metadata_json(e, "cart", "{\"total\":42.5,\"currency\":\"EUR\"}", NULL);
            xray_end_subsegment();
        }
        xray_end_segment();
    }
    xray_recorder_shutdown();
    FILE *f = fopen(FILE_PATH, "r");
    char *entries[64], *line = NULL;
    size_t lens[64], n = 0, cap = 0;
    ssize_t got;
    while (f && n < 64 && (got = getline(&line, &cap, f)) > 0) {
        entries[n] = malloc((size_t)got + 16);
        int head = snprintf(entries[n], 16, "orders-api%c%c", 0, 0);
        memcpy(entries[n] + head, line, (size_t)got);
        lens[n++] = (size_t)head + (size_t)got;
    }
    free(line);
    if (f)
        fclose(f);
    unlink(FILE_PATH);
    if (!n) {
        fprintf(stderr, "otlp_bench: no documents were written\n");
        return 1;
    }
    static const char *names[] = {"JSON (http/json, the baseline)", "protobuf (the default)",
                                  "protobuf + gzip"};
    double ns[3];
    size_t bytes[3], spans = 0;
    for (form fm = JSON; fm <= PROTOBUF_GZIP; fm++) {
        double best = 1e9;
        for (int r = 0; r < ROUNDS; r++) {
            double t0 = now_s();
            for (int k = 0; k < REPEAT; k++)
                bytes[fm] = convert(entries, lens, n, fm, &spans);
            double t = (now_s() - t0) / REPEAT;
            if (t < best)
                best = t;
        }
        ns[fm] = best * 1e9 / (double)spans;
    }
    printf("== OTLP request bodies: %zu documents, %zu spans a batch (best of %d rounds)\n", n, spans, ROUNDS);
    for (form fm = JSON; fm <= PROTOBUF_GZIP; fm++)
        printf("  %-32s %7.0f ns/span (%.2fx JSON)  %6.1f bytes/span (%.2fx JSON)\n", names[fm], ns[fm],
               ns[fm] / ns[JSON], (double)bytes[fm] / (double)spans, (double)bytes[fm] / (double)bytes[JSON]);
    for (size_t i = 0; i < n; i++)
        free(entries[i]);
    return 0;
}
