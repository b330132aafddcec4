/* target.c — the function under measurement, compiled several ways (see bench.mk): plain,
 * captured by the plugin, under -finstrument-functions, and with tracing compiled out. TARGET
 * names the copy so one program can hold them all. */
#include <xray_capture.h>

XRAY_CAPTURE("bench_target") int __attribute__((noinline)) TARGET(int x)
{
    __asm__ volatile("" ::: "memory"); /* keep the call and its body */
    return x + 1;
}
