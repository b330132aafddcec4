/* nosegment.c — captured calls with no segment open: the program behaves as without tracing;
 * the context-missing strategy decides what goes to stderr. */
#include <errno.h>
#include <stdio.h>
#include <xray_capture.h>

XRAY_CAPTURE("lonely") static int __attribute__((noinline)) lonely(int x)
{
    errno = EAGAIN;
    return x + 1;
}

int main(void)
{
    int sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += lonely(i);
    printf("sum %d errno %d\n", sum, errno);
    return 0;
}
