/* longjmp.c — longjmp out of captured frames skips their exits; the frames it leaves stay
 * open until an enclosing captured frame (or the segment's end) closes them. */
#include <setjmp.h>
#include <stdio.h>
#include <xray_capture.h>

static jmp_buf env;

XRAY_CAPTURE("jumper") static void __attribute__((noinline)) jumper(int n)
{
    if (n == 0)
        longjmp(env, 1);
    if (n > 0)
        jumper(n - 1);
}

XRAY_CAPTURE("catcher") static int __attribute__((noinline)) catcher(void)
{
    if (setjmp(env) == 0) {
        jumper(2);
        return 0;
    }
    return 1;
}

int main(void)
{
    xray_begin_segment("jumps");
    int r = catcher();
    XRAY_CAPTURE_BLOCK("after") { printf("caught %d\n", r); }
    xray_end_segment();
    return 0;
}
