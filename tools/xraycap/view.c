/* view.c — option parsing, store access and trace loading for the reading commands. */
#include "view.h"
#include "html.h"
#include "timeline.h"
#include "units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool view_parse(int argc, char **argv, options *o, bool positional, const char *usage)
{
    memset(o, 0, sizeof *o);
    store_default_path(o->db, sizeof o->db);
    o->since = (double)time(NULL) - 15 * 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--db") && i + 1 < argc)
            snprintf(o->db, sizeof o->db, "%s", argv[++i]);
        else if (!strcmp(a, "--since") && i + 1 < argc) {
            double d = units_duration(argv[++i]);
            if (d < 0) {
                fprintf(stderr, "xraycap: --since '%s' is not a duration like 15m, 2h, 30s\n", argv[i]);
                return false;
            }
            o->since = (double)time(NULL) - d;
        } else if (!strcmp(a, "--filter") && i + 1 < argc)
            o->filter = argv[++i];
        else if (!strcmp(a, "--http") && i + 1 < argc)
            o->http = argv[++i];
        else if (!strcmp(a, "-v"))
            o->verbose = 1;
        else if (!strcmp(a, "--dot"))
            o->dot = 1;
        else if (!strcmp(a, "--limit") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 1 || v > VIEW_LIMIT_MAX) {
                fprintf(stderr, "xraycap: --limit '%s' is not a number of traces from 1 to %d\n", argv[i],
                        VIEW_LIMIT_MAX);
                return false;
            }
            o->limit = (int)v;
        }
        else if (positional && a[0] != '-' && !o->trace_id)
            o->trace_id = a;
        else {
            fprintf(stderr, "xraycap: unexpected argument '%s'\nusage: %s\n", a, usage);
            return false;
        }
    }
    if (positional && !o->trace_id) {
        fprintf(stderr, "usage: %s\n", usage);
        return false;
    }
    return true;
}

/* The reading commands never create a store: a mistyped --db is an error, not an empty list. */
store *view_open_store(const options *o)
{
    char err[512];
    if (access(o->db, F_OK) != 0) {
        fprintf(stderr, "xraycap: the store %s does not exist (%s); `xraycap daemon --db %s` "
                        "creates it, or give the right --db\n", o->db, strerror(errno), o->db);
        return NULL;
    }
    store *s = store_open(o->db, err, sizeof err);
    if (!s)
        fprintf(stderr, "xraycap: cannot open the store: %s\n", err);
    return s;
}

store *view_start(int argc, char **argv, options *o, bool positional, const char *usage, int *rc)
{
    *rc = 2;
    if (!view_parse(argc, argv, o, positional, usage))
        return NULL;
    *rc = 1;
    return view_open_store(o);
}

static void collect_trace(const char *id, void *arg)
{
    trace_list *l = arg;
    if (l->n >= (l->limit ? l->limit : VIEW_LIMIT) && !l->f && !l->response_times) { /* only counted */
        l->total++;
        return;
    }
    trace t;
    if (!trace_load(l->s, id, &t))
        return;
    if (!filter_match(l->f, &t)) {
        trace_free(&t);
        return;
    }
    l->total++;
    if (l->response_times)
        durations_add(&l->rt, entity_duration(t.root));
    if (l->n >= (l->limit ? l->limit : VIEW_LIMIT)) {
        trace_free(&t);
        return;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        trace *v = realloc(l->v, sizeof *v * (size_t)cap);
        if (!v) {
            trace_free(&t);
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = t;
}

void view_list_free(trace_list *l)
{
    for (int i = 0; i < l->n; i++)
        trace_free(&l->v[i]);
    free(l->v);
    durations_free(&l->rt);
}

void view_load(trace_list *l, double since) { store_traces_between(l->s, since, l->until, collect_trace, l); }

typedef struct map_ctx {
    store *s;
    const filter *f;
    trace_map *m;
    int traces;
} map_ctx;

/* Each trace added as it is loaded and freed at once: a map holds counts, not traces. */
static void map_trace(const char *id, void *arg)
{
    map_ctx *c = arg;
    trace t;
    if (c->traces >= VIEW_MAP_TRACES || !trace_load(c->s, id, &t))
        return;
    if (filter_match(c->f, &t))
        map_add_trace(c->m, &t);
    trace_free(&t);
    c->traces++;
}

void view_build_map(store *s, double since, double until, const filter *f, trace_map *m)
{
    map_ctx c = {s, f, m, 0};
    store_traces_between(s, since, until, map_trace, &c);
}

bool view_trace_page(FILE *out, store *s, const char *id, const char *root)
{
    trace t;
    bool found = trace_load(s, id, &t);
    html_begin(out, id, root);
    if (found) {
        html_trace_list(out, &t, 1, NULL, NULL, root);
        html_timeline(out, &t);
        trace_map m = {0};
        map_add_trace(&m, &t);
        html_map(out, &m, root ? &(html_links){root, ""} : NULL);
        map_free(&m);
        trace_free(&t);
    } else {
        fputs("<p class=\"err\">No such trace: ", out);
        html_escape(out, id);
        fputs("</p>", out);
    }
    html_end(out);
    return found;
}

static bool group_of(const char *name, char *expr, size_t len, void *ctx)
{
    return store_group_get(ctx, name, expr, len) == 1;
}

filter *view_filter(store *s, const char *text, char *err, size_t errlen)
{
    return filter_parse_groups(text, group_of, s, err, errlen);
}
