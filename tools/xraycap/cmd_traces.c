/* cmd_traces.c — `xraycap traces`: the trace list, as the console shows it. */
#include "commands.h"
#include "view.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int cmd_traces(int argc, char **argv)
{
    options o;
    if (!view_parse(argc, argv, &o, false, "xraycap traces [--db FILE] [--since 15m] [--filter EXPR] [--limit 1000]"))
        return 2;
    char err[1024];
    filter *f = NULL;
    if (o.filter && !(f = filter_parse(o.filter, err, sizeof err)) && !strstr(o.filter, "group.")) {
        fprintf(stderr, "xraycap traces: %s\n", err); /* refused before any store is looked for */
        return 2;
    }
    store *s = view_open_store(&o);
    if (!s) {
        filter_free(f);
        return 1;
    }
    if (o.filter && !f && !(f = view_filter(s, o.filter, err, sizeof err))) { /* it names a group */
        fprintf(stderr, "xraycap traces: %s\n", err);
        store_close(s);
        return 2;
    }
    trace_list l = {.s = s, .f = f, .limit = o.limit};
    view_load(&l, o.since);
    printf("%-35s  %-8s  %10s  %-6s  %-40s  %6s  %-15s  %s\n", "TRACE ID", "START", "DURATION", "METHOD",
           "URL", "STATUS", "FLAGS", "ANNOTATIONS");
    for (int i = 0; i < l.n; i++) {
        trace *t = &l.v[i];
        char when[16], fl[32] = "", status[8] = "";
        time_t sec = (time_t)t->start;
        struct tm tm;
        if (!(t->start >= 0 && t->start < 1e10) || !localtime_r(&sec, &tm) ||
            !strftime(when, sizeof when, "%H:%M:%S", &tm))
            snprintf(when, sizeof when, "?"); /* stored before the daemon checked times */
        snprintf(fl, sizeof fl, "%s%s%s", t->fault ? "fault " : "", t->error ? "error " : "", t->throttle ? "throttle" : "");
        if (t->status)
            snprintf(status, sizeof status, "%d", t->status);
        printf("%-35s  %-8s  %7.1f ms  %-6s  %-40.40s  %6s  %-15s ", t->id, when, (t->end - t->start) * 1000,
               t->method ? t->method : "", t->url ? t->url : "", status, fl);
        const cJSON *a;
        cJSON_ArrayForEach(a, t->annotations) {
            char *v = cJSON_PrintUnformatted(a);
            printf(" %s=%s", a->string, v);
            cJSON_free(v);
        }
        putchar('\n');
    }
    if (l.total > l.n) /* the list stopped at its limit: say so, and how to see more */
        printf("%d trace(s) shown of %ld; see more with --limit %ld (or narrow with --since, --filter)\n",
               l.n, l.total, l.total);
    else
        printf("%d trace(s)\n", l.n);
    view_list_free(&l);
    filter_free(f);
    store_close(s);
    return 0;
}
