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

/* The time `ms` milliseconds from now on `clock`, as pthread_cond_timedwait takes it. */
static inline struct timespec xrc_deadline_ms(clockid_t clock, long ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
