/* stack.c — an exception recorded three calls deep, for the stack frames in `cause`: with
 * debug information each frame names its function (static ones too), file and line; stripped,
 * a module+offset that does not change between runs. */
#include <xray_capture.h>

static void __attribute__((noinline)) fail_here(int depth)
{
    if (depth)
        fail_here(depth - 1);
    else
        xray_add_exception(xray_current_subsegment(), "Boom", "on purpose", false);
}

static void __attribute__((noinline)) caller(void) { fail_here(2); }

int main(void)
{
    xray_begin_segment("stack");
    xray_begin_subsegment("work");
    caller();
    xray_end_subsegment();
    xray_end_segment();
    xray_recorder_shutdown();
    return 0;
}
