/* app.c — a program built against an installed xraycap, by pkg-config and by CMake. */
#include <xray_capture.h>
#include <xray_capture/curl.h>
#include <xray_capture/sqlite3.h>

#include <stdio.h>

#if !defined(XRAYCAP_VERSION_NUM) || XRAYCAP_VERSION_NUM < 100
#error "xray_capture.h should define XRAYCAP_VERSION_NUM"
#endif

XRAY_CAPTURE("installed_capture")
static int twice(int x) { return 2 * x; }

int main(void)
{
    xray_begin_segment("installed_app");
    int r = twice(21);
    xray_end_segment();
    xray_recorder_shutdown();
    printf("%s %d\n", XRAYCAP_VERSION, r);
    return r == 42 ? 0 : 1;
}
