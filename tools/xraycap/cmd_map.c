/* cmd_map.c — `xraycap map`: the trace map as text or Graphviz DOT. */
#include "commands.h"
#include "view.h"

#include <stdio.h>

int cmd_map(int argc, char **argv)
{
    options o;
    int rc;
    store *s = view_start(argc, argv, &o, false, "xraycap map [--db FILE] [--since 15m] [--filter EXPR] [--dot]", &rc);
    if (!s)
        return rc;
    char err[1024];
    filter *f = NULL;
    if (o.filter && !(f = view_filter(s, o.filter, err, sizeof err))) { /* the map of the traces it keeps */
        fprintf(stderr, "xraycap map: %s\n", err);
        store_close(s);
        return 2;
    }
    trace_map m = {0};
    view_build_map(s, o.since, 0, f, &m);
    filter_free(f);
    if (o.dot)
        map_print_dot(stdout, &m);
    else
        map_print_text(stdout, &m);
    map_free(&m);
    store_close(s);
    return 0;
}
