/* xraycap — the local companion of the runtime. Commands:
 *   xraycap run [--json] [--udp HOST:PORT] -- COMMAND [ARGS...]
 *       runs COMMAND with AWS_XRAY_DAEMON_ADDRESS pointing at a private loopback port, receives
 *       every document it sends, and prints the traces as timelines (or the raw documents).
 *       Sampling is switched off for the command (every segment recorded) unless --sampling. */
#include "timeline.h"

#include <stdio.h>
#include <string.h>

int cmd_run(int argc, char **argv);

static void usage(FILE *out)
{
    fputs("usage: xraycap run [--json] [--sampling] [--udp HOST:PORT] -- COMMAND [ARGS...]\n"
          "  run   run COMMAND against a private X-Ray daemon port and print its traces;\n"
          "        every segment is recorded (XRAYCAP_SAMPLING=false) unless --sampling\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    fprintf(stderr, "xraycap: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
