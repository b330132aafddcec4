/* capture_bench.c — cost of a captured call, as ratios to baselines measured in the same run.
 *
 * Rows: the empty noinline function (baseline); the same with tracing compiled out (XRAY=0);
 * captured with no segment open; captured inside an unsampled segment; captured inside a
 * sampled segment; and the reference floor, -finstrument-functions with hooks that store two
 * CLOCK_REALTIME stamps in a thread-local ring. The sampled row runs 5,000 calls of one
 * captured function per segment with every setting at its default (so past 64 calls they are
 * folded into a summary); rows with a setting changed say so. Each row is the best of several rounds, so a
 * busy moment on the machine does not count against one row only. Segment begin/end (and
 * sending) happen outside the timed loops: they are not part of a captured call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xray_capture.h>

int target_plain(int);
int target_off(int);
int target_captured(int);
int target_instrumented(int);
int target_clang_plain(int);
int target_clang_captured(int);
int target_clang_instrumented(int);

#define BATCH 5000      /* calls per segment: a captured function in a request's hot loop */
#define BATCHES 400
#define ROUNDS 7

/* The floor: what any function-entry/exit tracer must at least do. */
typedef struct stamp { void *fn; struct timespec t; } stamp;
static __thread stamp ring[1024];
static __thread unsigned ring_pos;

void __attribute__((no_instrument_function)) __cyg_profile_func_enter(void *fn, void *site)
{
    (void)site;
    stamp *s = &ring[ring_pos++ & 1023];
    s->fn = fn;
    clock_gettime(CLOCK_REALTIME, &s->t);
}

void __attribute__((no_instrument_function)) __cyg_profile_func_exit(void *fn, void *site)
{
    (void)site;
    stamp *s = &ring[ring_pos++ & 1023];
    s->fn = fn;
    clock_gettime(CLOCK_REALTIME, &s->t);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef enum { NO_SEGMENT, UNSAMPLED, SAMPLED } context;

static volatile int sink;

/* ns per call of fn, best of `rounds` rounds of `batches` segments. */
static double measure_n(int (*fn)(int), context ctx, int rounds, int batches)
{
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double total = 0;
        for (int b = 0; b < batches; b++) {
            xray_segment_options o = {.sampling = ctx == SAMPLED ? XRAY_SAMPLING_SAMPLED
                                                                 : XRAY_SAMPLING_NOT_SAMPLED};
            if (ctx != NO_SEGMENT)
                xray_begin_segment_ex("bench", &o);
            double t0 = now_ns();
            int acc = 0;
            for (int i = 0; i < BATCH; i++)
                acc += fn(i);
            total += now_ns() - t0;
            sink = acc;
            if (ctx != NO_SEGMENT)
                xray_end_segment();
        }
        double per = total / ((double)BATCH * batches);
        if (per < best)
            best = per;
    }
    return best;
}

static double measure(int (*fn)(int), context ctx) { return measure_n(fn, ctx, ROUNDS, BATCHES); }

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    xray_config c = XRAY_CONFIG_INIT;
    c.context_missing = XRAY_CONTEXT_MISSING_IGNORE_ERROR;
    c.daemon_address = getenv("AWS_XRAY_DAEMON_ADDRESS") ? NULL : "127.0.0.1:9"; /* discard */
    /* Every other setting stays at its default: folding after 64 calls, streaming by size. */
    xray_recorder_configure(&c);

    measure(target_plain, NO_SEGMENT); /* warm up caches and the CPU clock */
    double base = measure(target_plain, NO_SEGMENT);
    double off = measure(target_off, NO_SEGMENT);
    double none = measure(target_captured, NO_SEGMENT);
    double unsampled = measure(target_captured, UNSAMPLED);
    double sampled = measure(target_captured, SAMPLED);
    double floor = measure(target_instrumented, NO_SEGMENT);
    /* Settings changed (not the headline): every call recorded, streamed by size; and the
     * Python SDK's count rule, 30, with every call recorded. */
    xray_config changed = XRAY_CONFIG_INIT;
    changed.fold_after = -1;
    xray_recorder_configure(&changed);
    /* microseconds a call: fewer segments suffice */
    double unfolded = measure_n(target_captured, SAMPLED, 2, 20);
    changed.streaming_threshold = 30;
    xray_recorder_configure(&changed);
    double streamed = measure_n(target_captured, SAMPLED, 2, 20);
    changed.streaming_threshold = -1;
    changed.fold_after = 64;
    xray_recorder_configure(&changed);

    printf("captured-call cost (%d x %d calls, best of %d rounds)\n", BATCHES, BATCH, ROUNDS);
    printf("%-46s %9s %14s %s\n", "row", "ns/call", "vs baseline", "target");
    printf("%-46s %9.2f %14s\n", "empty noinline function (baseline)", base, "1.00x");
    printf("%-46s %9.2f %+13.2f ns %s\n", "same, XRAY=0 (tracing compiled out)", off, off - base, "identical");
    printf("%-46s %9.2f %+13.2f ns %s\n", "captured, no segment open", none, none - base, "<= +2 ns");
    printf("%-46s %9.2f %+13.2f ns %s\n", "captured, unsampled segment", unsampled, unsampled - base, "<= +3 ns");
    printf("%-46s %9.2f %+13.2f ns\n", "captured, sampled segment (defaults)", sampled, sampled - base);
    printf("%-46s %9.2f %+13.2f ns\n", "floor: -finstrument-functions, 2 clock stamps", floor, floor - base);
    printf("sampled capture at the defaults / floor = %.2fx (target <= 1.30x)\n", sampled / floor);
    printf("settings changed, not the defaults:\n");
    printf("%-46s %9.2f %+13.2f ns  (%.2fx floor)\n", "  fold_after=-1 (every call recorded)", unfolded,
           unfolded - base, unfolded / floor);
    printf("%-46s %9.2f %+13.2f ns  (%.2fx floor)\n", "  fold_after=-1, streaming_threshold=30", streamed,
           streamed - base, streamed / floor);

    double cbase = measure(target_clang_plain, NO_SEGMENT);
    double cnone = measure(target_clang_captured, NO_SEGMENT);
    double cunsampled = measure(target_clang_captured, UNSAMPLED);
    double csampled = measure(target_clang_captured, SAMPLED);
    double cfloor = measure(target_clang_instrumented, NO_SEGMENT);
    printf("\nclang 14 with xraycap-clang.so\n");
    printf("%-46s %9.2f %14s\n", "empty noinline function (baseline)", cbase, "1.00x");
    printf("%-46s %9.2f %+13.2f ns %s\n", "captured, no segment open", cnone, cnone - cbase, "<= +2 ns");
    printf("%-46s %9.2f %+13.2f ns %s\n", "captured, unsampled segment", cunsampled, cunsampled - cbase, "<= +3 ns");
    printf("%-46s %9.2f %+13.2f ns\n", "captured, sampled segment", csampled, csampled - cbase);
    printf("%-46s %9.2f %+13.2f ns\n", "floor: -finstrument-functions, 2 clock stamps", cfloor, cfloor - cbase);
    printf("sampled capture / floor = %.2fx (target <= 1.30x)\n", csampled / cfloor);
    return 0;
}
