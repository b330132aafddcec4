// throw_bench.cc — a C++ exception thrown through a captured frame: what the first one and the
// 100th cost the throwing thread, against the same throw through an uncaptured frame measured
// in the same run (the unwinder's own cost). Built with the GCC plugin by `make bench`.
#include <xray_capture.h>

#include <cstdio>
#include <stdexcept>
#include <time.h>

static double now_us()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

__attribute__((noinline)) static void plain_fails(int i)
{
    throw std::runtime_error("plain failure " + std::to_string(i));
}

XRAY_CAPTURE("captured_fails")
__attribute__((noinline)) static void captured_fails(int i)
{
    throw std::runtime_error("captured failure " + std::to_string(i));
}

template <class F> static double one_throw(F f, int i)
{
    double t0 = now_us();
    try {
        f(i);
    } catch (const std::exception &) {
    }
    return now_us() - t0;
}

int main()
{
    xray_config c = XRAY_CONFIG_INIT;
    c.log_level = XRAY_LOG_ERROR;
    xray_recorder_configure(&c);
    xray_segment_options o = {};
    o.sampling = XRAY_SAMPLING_SAMPLED;
    xray_begin_segment_ex("throws", &o);
    double plain_first = one_throw(plain_fails, 0); // the unwinder's first use, untraced
    double captured_first = one_throw(captured_fails, 0);
    double plain = 0, captured = 0;
    for (int i = 1; i < 100; i++) {
        plain = one_throw(plain_fails, i);
        captured = one_throw(captured_fails, i);
    }
    xray_end_segment();
    xray_recorder_flush();
    std::printf("throw_bench: C++ exception through a captured frame (defaults, sampled)\n");
    std::printf("  first: %.1f us captured, %.1f us uncaptured (the unwinder's first use)\n",
                captured_first, plain_first);
    std::printf("  100th: %.1f us captured, %.1f us uncaptured\n", captured, plain);
    return 0;
}
