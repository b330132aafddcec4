/* crash_probe.c — a traced program that crashes on purpose, for the crash-flush tests:
 *   crash_probe segv|abort|fpe|raise|exit [handler]
 * opens segment "crashy" with a finished subsegment "done" and the open frames "outer" >
 * "inner", then dies of the named signal. With "handler" it first installs its own SIGSEGV
 * handler (which must still run), and exits 42 from it. "exit" returns 3 from main with
 * "crashy" and "outer" still open. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xray_capture.h>

static void own_handler(int sig)
{
    (void)sig;
    static const char msg[] = "own handler ran\n";
    write(1, msg, sizeof msg - 1);
    _exit(42);
}

static volatile int zero = 0;

static int crash(const char *how)
{
    if (!strcmp(how, "segv"))
        return *(volatile int *)(zero ? &zero : NULL);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "fpe")) {
        volatile int seven = 7, r = seven / zero; /* (1 / x compiles to a comparison) */
        return r;
    }
    if (!strcmp(how, "raise"))
        raise(SIGSEGV);
    return 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "segv";
    if (argc > 2 && !strcmp(argv[2], "handler"))
        signal(SIGSEGV, own_handler);
    xray_begin_segment("crashy");
    xray_begin_subsegment("done");
    xray_end_subsegment();
    xray_begin_subsegment("outer");
    XRAY_CAPTURE_BLOCK("inner") {
        printf("about to crash\n");
        fflush(stdout);
        crash(how);
        if (!strcmp(how, "exit"))
            return 3;
    }
    xray_end_subsegment();
    xray_end_segment();
    return 0;
}
