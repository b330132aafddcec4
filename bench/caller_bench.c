/* caller_bench.c — what tracing costs the thread that does the work, at the defaults a user
 * leaves alone (UDP emitter to the daemon's address; each segment sampled, as an incoming
 * Sampled=1 header makes it), measured in one run:
 *   W  segments of 100 xray_begin_subsegment / xray_put_annotation_number / xray_end_subsegment,
 *      from begin to the segment ended: ns per subsegment of the calling thread's CPU time
 *      (and of wall time, which on 2 cores also holds the emission thread's turns), against the
 *      same loop untraced and against the Node.js X-Ray SDK's same workload (npm
 *      aws-xray-sdk-core, when npm could install it);
 *   W without the annotation;
 *   the emission thread's throughput: W's subsegments per second of the emission thread's CPU
 *      time (the process's CPU time less the calling thread's), serialized and sent;
 *   the first and the 100th xray_add_exception on the caller (the first used to open debug
 *      information: now the emission thread does).
 * Nothing is asserted: the figures go to docs/performance.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xray_capture.h>

#ifndef ROOT
#define ROOT "."
#endif
#define NODE_MODULES ROOT "/build/npm-bench/node_modules"
#define PER_SEGMENT 100

static double clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static volatile double sink;

/* The loop of W with no tracing at all: the baseline. */
static double untraced(int segments)
{
    double t0 = now_ns();
    for (int k = 0; k < segments; k++)
        for (int i = 0; i < PER_SEGMENT; i++)
            sink = sink + i;
    return (now_ns() - t0) / ((double)segments * PER_SEGMENT);
}

/* W on the calling thread: ns per subsegment of this thread's CPU time (what the caller
 * pays, whether or not the emission thread shares its core), and of wall time in *wall. */
static double traced_wall(int segments, bool annotate, double *wall)
{
    xray_segment_options o = {.sampling = XRAY_SAMPLING_SAMPLED};
    double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns();
    for (int k = 0; k < segments; k++) {
        xray_begin_segment_ex("bench", &o);
        for (int i = 0; i < PER_SEGMENT; i++) {
            xray_entity *sub = xray_begin_subsegment("work");
            if (annotate)
                xray_put_annotation_number(sub, "n", i);
            sink = sink + i;
            xray_end_subsegment();
        }
        xray_end_segment();
    }
    double n = (double)segments * PER_SEGMENT;
    if (wall)
        *wall = (now_ns() - t0) / n;
    return (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / n;
}

static double traced(int segments, bool annotate) { return traced_wall(segments, annotate, NULL); }

static double node_w(int segments)
{
    if (access(NODE_MODULES "/aws-xray-sdk-core/package.json", R_OK) != 0)
        return 0;
    char cmd[512], out[256] = "";
    snprintf(cmd, sizeof cmd, "node %s/bench/node_xray_bench.js %s annotate %d %d 2000 2>/dev/null",
             ROOT, NODE_MODULES, PER_SEGMENT, segments);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    if (!fgets(out, sizeof out, p))
        out[0] = '\0';
    pclose(p);
    const char *v = strstr(out, "ns_per_subsegment");
    return v ? atof(v + 19) : 0;
}

static double exception_us(void)
{
    xray_segment_options o = {.sampling = XRAY_SAMPLING_SAMPLED};
    xray_begin_segment_ex("errors", &o);
    xray_entity *sub = xray_begin_subsegment("failing");
    double t0 = now_ns();
    xray_add_exception(sub, "demo_error", "something failed", false);
    double us = (now_ns() - t0) / 1e3;
    xray_end_subsegment();
    xray_end_segment();
    return us;
}

#define ROUNDS 7

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof *v, by_value);
    return v[ROUNDS / 2];
}

int main(void)
{
    /* Defaults, but quiet: nothing listens on 127.0.0.1:2000 here. */
    xray_config c = XRAY_CONFIG_INIT;
    c.log_level = XRAY_LOG_ERROR;
    xray_recorder_configure(&c);

    const int segments = 5000; /* per round; each figure is the median of ROUNDS rounds */
    traced(2000, true); /* warm up: arena blocks, the emission thread */
    xray_recorder_flush();
    double base[ROUNDS], w[ROUNDS], w_wall[ROUNDS], w_plain[ROUNDS], rate[ROUNDS], drained[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        base[r] = untraced(segments);
        /* The emission thread's rate: W's subsegments over the CPU time it spent on them
         * (the process's CPU time less this thread's; nothing else runs). */
        double cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), mine0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        w[r] = traced_wall(segments, true, &w_wall[r]);
        double t_end = now_ns();
        xray_recorder_flush();
        drained[r] = now_ns() - t_end;
        double emission_cpu = (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) -
                              (clock_ns(CLOCK_THREAD_CPUTIME_ID) - mine0);
        rate[r] = (double)segments * PER_SEGMENT / (emission_cpu / 1e9);
        w_plain[r] = traced(segments, false);
        xray_recorder_flush();
    }

    double first = exception_us(), hundredth = 0;
    for (int i = 2; i <= 100; i++)
        hundredth = exception_us();
    xray_recorder_flush();

    double node = node_w(2000);
    double wm = median(w);
    printf("caller_bench: workload W (%d segments of %d subsegments, defaults, sampled; "
           "medians of %d rounds)\n", segments, PER_SEGMENT, ROUNDS);
    printf("  untraced loop                  %8.1f ns per iteration\n", median(base));
    printf("  W, one number annotation       %8.1f ns per subsegment of the caller's CPU time "
           "(%.1f ns of wall time)\n", wm, median(w_wall));
    printf("  W, no annotation               %8.1f ns per subsegment of the caller's CPU time\n",
           median(w_plain));
    printf("  emission thread                %8.2f M subsegments per CPU second, serialized and "
           "sent (W)\n", median(rate) / 1e6);
    printf("  left to emit after W ended     %8.1f ms\n", median(drained) / 1e6);
    if (node > 0)
        printf("  Node.js SDK, same W            %8.1f ns per subsegment: xraycap %.1fx cheaper\n",
               node, node / wm);
    else
        printf("  Node.js SDK: skipped (aws-xray-sdk-core not installed in build/npm-bench)\n");
    printf("  xray_add_exception: first %.1f us, 100th %.1f us on the caller\n", first, hundredth);
    return 0;
}
