/* xraycap — the local companion of the runtime: a daemon that stores what programs send, and
 * the console's three views (trace list, timeline, trace map) in the terminal and in a web
 * browser, with no AWS account. `xraycap` without arguments lists the commands. */
#include "commands.h"

#include <xray_capture/version.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>


static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"daemon", cmd_daemon, "daemon [--udp 127.0.0.1:2000] [--db FILE] [--retain 30d] [--max-size SIZE]\n"
                           "        [--forward HOST:PORT] [--import FILE]...\n"
                           "        receive segment documents like the X-Ray daemon and store them"},
    {"prune", cmd_prune, "prune [--db FILE] [--retain 30d] [--max-size SIZE]\n"
                         "        remove whole traces past their retention or beyond a size, oldest first"},
    {"traces", cmd_traces, "traces [--db FILE] [--since 15m] [--filter EXPR] [--limit 1000]\n        the trace list"},
    {"show", cmd_show, "show [--db FILE] [-v] TRACE_ID\n        a trace's timeline"},
    {"map", cmd_map, "map [--db FILE] [--since 15m] [--filter EXPR] [--dot]\n        the trace map (of the traces EXPR keeps)"},
    {"group", cmd_group, "group [--db FILE] create|update NAME EXPR | delete NAME | list\n"
                         "        named filter expressions, as X-Ray's groups (group.name = \"NAME\" in a filter)"},
    {"serve", cmd_serve, "serve [--db FILE] [--since 15m] [--limit 1000] [--http 127.0.0.1:8080]\n        the same in a web browser"},
    {"export", cmd_export, "export [--db FILE] TRACE_ID\n        the trace as BatchGetTraces returns it"},
    {"html", cmd_html, "html [--db FILE] TRACE_ID\n        one trace as a self-contained HTML page"},
    {"import", cmd_import, "import [--db FILE] FILE...\n        store documents from JSON-lines files"},
    {"local-api", cmd_local_api, "local-api --bootstrap PATH [--http 127.0.0.1:3000] [--udp 127.0.0.1:2000]\n"
                                 "        [--stage dev] [--function users] [--api users-api] [--tracing api|lambda|sdk]\n"
                                 "        API Gateway and a Lambda Runtime API on loopback, running PATH as Lambda does"},
    {"run", cmd_run, "run [--json FILE] [--sampling] [--udp HOST:PORT] -- COMMAND [ARGS...]\n"
                     "        run COMMAND against a private daemon port and print its traces\n"
                     "        (--json: also write the documents received to FILE, e.g. /dev/fd/3)"},
};

static void usage(FILE *out)
{
    fputs("usage: xraycap COMMAND ...\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  xraycap %s\n", commands[i].help);
    fputs("The store defaults to $XDG_DATA_HOME/xraycap/traces.db.\n", out);
}

/* `xraycap COMMAND --help` (or -h) anywhere before a `--`: that command's usage, exit 0. */
static bool wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("xraycap " XRAYCAP_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            if (wants_help(argc, argv)) {
                printf("usage: xraycap %s\n", commands[i].help);
                return 0;
            }
            return commands[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "xraycap: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
