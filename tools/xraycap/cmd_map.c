/* cmd_map.c — `xraycap map`: the trace map as text or Graphviz DOT. */
#include "commands.h"
#include "view.h"

#include <stdio.h>

int cmd_map(int argc, char **argv)
{
    options o;
    int rc;
    store *s = view_start(argc, argv, &o, false, "xraycap map [--db FILE] [--since 15m] [--dot]", &rc);
    if (!s)
        return rc;
    trace_map m = {0};
    view_build_map(s, o.since, &m);
    if (o.dot)
        map_print_dot(stdout, &m);
    else
        map_print_text(stdout, &m);
    map_free(&m);
    store_close(s);
    return 0;
}
