/* env_probe.c — a tiny traced program the config tests run with different environments,
 * since the recorder reads its environment once per process. Prints whether tracing was on. */
#include <stdio.h>
#include <string.h>
#include <xray_capture.h>

int main(int argc, char **argv)
{
    const char *name = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    xray_entity *seg = xray_begin_segment(name);
    xray_begin_subsegment("probe_sub");
    xray_end_subsegment();
    xray_end_segment();
    xray_end_subsegment(); /* misuse: shows the context-missing strategy */
    printf("%s\n", seg ? "enabled" : "disabled");
    return 0;
}
