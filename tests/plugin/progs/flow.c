/* flow.c — captured functions on every kind of control path. Prints each result and errno so
 * the traced build can be compared with the build with tracing compiled out. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <xray_capture.h>

XRAY_CAPTURE("leaf") static int __attribute__((noinline)) leaf(int x)
{
    if (x < 0) {
        errno = EDOM;
        return -1;
    }
    return x * 2;
}

XRAY_CAPTURE() int unnamed_capture(int x); /* attribute on the prototype only */
int unnamed_capture(int x) { return leaf(x) + 1; }

XRAY_CAPTURE("early_return") static int __attribute__((noinline)) early_return(int mode)
{
    if (mode == 0)
        return 10;
    if (mode == 1)
        return leaf(mode) + 20;
    for (int i = 0; i < 3; i++)
        if (i == mode)
            return 30 + i;
    return 40;
}

XRAY_CAPTURE("goto_chain") static int __attribute__((noinline)) goto_chain(int fail_at)
{
    int rc = -1;
    char *a = NULL, *b = NULL;
    if (fail_at == 1)
        goto out;
    if (!(a = malloc(16)))
        goto out;
    if (fail_at == 2)
        goto free_a;
    {
        int nested = leaf(fail_at);
        if (fail_at == 3 && nested > 0)
            goto free_a;
    }
    if (!(b = malloc(16)))
        goto free_a;
    rc = 0;
    free(b);
free_a:
    free(a);
out:
    return rc;
}

XRAY_CAPTURE("switcher") static int __attribute__((noinline)) switcher(int v)
{
    switch (v) {
    case 0: return 100;
    case 1: break;
    case 2: return leaf(2);
    default: v = -v; break;
    }
    return v;
}

XRAY_CAPTURE("recurse") static int __attribute__((noinline)) recurse(int depth)
{
    return depth == 0 ? 0 : 1 + recurse(depth - 1);
}

XRAY_CAPTURE("inlined") static inline int inlined(int v) { return v + 7; }

int main(void)
{
    xray_begin_segment("flow");
    errno = 0;
    printf("leaf %d errno %d\n", leaf(-1), errno);
    printf("unnamed %d\n", unnamed_capture(4));
    for (int m = 0; m < 5; m++)
        printf("early %d\n", early_return(m));
    for (int f = 0; f < 5; f++)
        printf("goto %d\n", goto_chain(f));
    for (int v = 0; v < 4; v++)
        printf("switch %d\n", switcher(v));
    printf("recurse %d\n", recurse(50));
    printf("inlined %d\n", inlined(1) + inlined(2));
    errno = ERANGE;
    xray_end_segment();
    printf("errno after end %d\n", errno);
    return 3; /* the exit code must survive tracing */
}
