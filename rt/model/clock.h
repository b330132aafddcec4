/* clock.h — time stamps. Entities store nanoseconds on the monotonic clock relative to their
 * segment's start; the segment also keeps the wall-clock time of that start. So durations
 * never go backwards when NTP steps the clock, and each event costs one vDSO clock read. */
#ifndef XRC_CLOCK_H
#define XRC_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t xrc_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t xrc_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
