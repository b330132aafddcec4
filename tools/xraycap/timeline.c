/* timeline.c — see timeline.h. */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

static cJSON *find_id(cJSON *e, const char *id)
{
    cJSON *eid = cJSON_GetObjectItem(e, "id"), *c;
    if (cJSON_IsString(eid) && !strcmp(eid->valuestring, id))
        return e;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(e, "subsegments")) {
        cJSON *found = find_id(c, id);
        if (found)
            return found;
    }
    return NULL;
}

cJSON *timeline_assemble(cJSON *docs)
{
    cJSON *roots = cJSON_CreateArray();
    int changed = 1;
    /* Attach until nothing moves: a streamed subsegment may arrive before its parent. */
    while (changed) {
        changed = 0;
        for (cJSON *d = docs->child, *next; d; d = next) {
            next = d->next;
            cJSON *type = cJSON_GetObjectItem(d, "type"), *pid = cJSON_GetObjectItem(d, "parent_id");
            if (!cJSON_IsString(type) || !cJSON_IsString(pid))
                continue;
            cJSON *parent = NULL;
            for (cJSON *o = docs->child; o && !parent; o = o->next)
                if (o != d)
                    parent = find_id(o, pid->valuestring);
            if (!parent)
                continue;
            cJSON_DetachItemViaPointer(docs, d);
            cJSON_DeleteItemFromObject(d, "type");
            cJSON_DeleteItemFromObject(d, "trace_id");
            cJSON_DeleteItemFromObject(d, "parent_id");
            cJSON *subs = cJSON_GetObjectItem(parent, "subsegments");
            if (!subs)
                subs = cJSON_AddArrayToObject(parent, "subsegments");
            cJSON_AddItemToArray(subs, d);
            changed = 1;
        }
    }
    while (docs->child)
        cJSON_AddItemToArray(roots, cJSON_DetachItemViaPointer(docs, docs->child));
    cJSON_Delete(docs);
    return roots;
}

static double num(const cJSON *e, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(e, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int by_start(const void *a, const void *b)
{
    double x = num(*(const cJSON *const *)a, "start_time"), y = num(*(const cJSON *const *)b, "start_time");
    return (x > y) - (x < y);
}

static void details(FILE *out, const cJSON *e, int depth)
{
    static const char *keys[] = {"metadata", "http", "aws", "sql", "user", "origin"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, keys[i]);
        if (!v)
            continue;
        char *text = cJSON_PrintUnformatted(v);
        fprintf(out, "%*s    %s: %s\n", depth * 2, "", keys[i], text ? text : "?");
        cJSON_free(text);
    }
    const cJSON *cause = cJSON_GetObjectItemCaseSensitive(e, "cause"), *x;
    if (cJSON_IsString(cause))
        fprintf(out, "%*s    cause: exception %s (recorded in an inner subsegment)\n", depth * 2, "", cause->valuestring);
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cause, "exceptions")) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(x, "type"), *msg = cJSON_GetObjectItemCaseSensitive(x, "message");
        fprintf(out, "%*s    exception %s: %s\n", depth * 2, "", cJSON_IsString(type) ? type->valuestring : "?",
                cJSON_IsString(msg) ? msg->valuestring : "");
        const cJSON *f; /* its stack, innermost frame first, as the console's Exceptions tab */
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(x, "stack")) {
            const cJSON *label = cJSON_GetObjectItemCaseSensitive(f, "label"),
                        *path = cJSON_GetObjectItemCaseSensitive(f, "path"),
                        *line = cJSON_GetObjectItemCaseSensitive(f, "line");
            fprintf(out, "%*s      at %s", depth * 2, "", cJSON_IsString(label) ? label->valuestring : "?");
            if (cJSON_IsString(path) && *path->valuestring)
                fprintf(out, " (%s%s%.0f)", path->valuestring, cJSON_IsNumber(line) ? ":" : "",
                        cJSON_IsNumber(line) ? line->valuedouble : 0);
            fputc('\n', out);
        }
    }
}

void timeline_label(const cJSON *e, char *out, size_t n)
{
    const cJSON *name = cJSON_GetObjectItem(e, "name");
    const cJSON *calls = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "metadata"), "xraycap"), "calls");
    const char *text = cJSON_IsString(name) ? name->valuestring : "?";
    if (!cJSON_IsNumber(calls) || calls->valuedouble < 0 || calls->valuedouble > 1e15) {
        snprintf(out, n, "%s", text);
        return;
    }
    char digits[32], grouped[48];
    snprintf(digits, sizeof digits, "%.0f", calls->valuedouble);
    size_t len = strlen(digits), o = 0;
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    snprintf(out, n, "%s \u00d7%s", text, grouped);
}

/* The items of `array` in start order (malloc'ed; NULL with *n 0 when there are none). */
const cJSON **timeline_in_start_order(const cJSON *array, int *n)
{
    *n = cJSON_GetArraySize(array);
    const cJSON **v = *n > 0 ? malloc(sizeof *v * (size_t)*n) : NULL, *c;
    if (!v) {
        *n = 0;
        return NULL;
    }
    int i = 0;
    cJSON_ArrayForEach(c, array) v[i++] = c;
    qsort(v, (size_t)*n, sizeof *v, by_start);
    return v;
}

static int bar_column(double x, int width)
{
    return !(x > 0) ? 0 : x >= width ? width : (int)x;
}

static void row(FILE *out, const cJSON *e, int depth, double t0, double span, int width, int verbose)
{
    double st = num(e, "start_time"), et = num(e, "end_time");
    int open = cJSON_IsTrue(cJSON_GetObjectItem(e, "in_progress"));
    if (open)
        et = st;
    char label[320], text[256];
    timeline_label(e, text, sizeof text);
    snprintf(label, sizeof label, "%*s%s", depth * 2, "", text);
    char bar[256];
    /* clamped before conversion: a document may end before it starts, or far from the rest */
    int from = span > 0 ? bar_column((st - t0) / span * width, width) : 0;
    int to = span > 0 ? bar_column((et - t0) / span * width + 0.5, width) : width;
    if (to <= from)
        to = from + 1;
    if (to > width)
        to = width;
    for (int i = 0; i < width; i++)
        bar[i] = i >= from && i < to ? '#' : '.';
    bar[width] = '\0';
    fprintf(out, "%-40.40s |%s| %9.3f ms", label, bar, (et - st) * 1000);
    static const char *flags[] = {"error", "fault", "throttle", "in_progress"};
    for (int i = 0; i < 4; i++)
        if (cJSON_IsTrue(cJSON_GetObjectItem(e, flags[i])))
            fprintf(out, " %s", flags[i]);
    const cJSON *ns = cJSON_GetObjectItem(e, "namespace"), *a;
    if (cJSON_IsString(ns))
        fprintf(out, " [%s]", ns->valuestring);
    const cJSON *op = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "aws"), "operation");
    if (cJSON_IsString(op))
        fprintf(out, " %s", op->valuestring);
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(e, "annotations")) {
        char *v = cJSON_PrintUnformatted(a);
        fprintf(out, " %s=%s", a->string, v ? v : "?");
        cJSON_free(v);
    }
    fputc('\n', out);
    if (verbose)
        details(out, e, depth);
    int n;
    const cJSON **kids = timeline_in_start_order(cJSON_GetObjectItem(e, "subsegments"), &n);
    for (int i = 0; i < n; i++)
        row(out, kids[i], depth + 1, t0, span, width, verbose);
    free(kids);
}

void timeline_group_label(const cJSON *segment, char *out, size_t n)
{
    const cJSON *name = cJSON_GetObjectItem(segment, "name"), *origin = cJSON_GetObjectItem(segment, "origin");
    snprintf(out, n, "%s%s%s%s", cJSON_IsString(name) ? name->valuestring : "?", cJSON_IsString(origin) ? " (" : "",
             cJSON_IsString(origin) ? origin->valuestring : "", cJSON_IsString(origin) ? ")" : "");
}

void timeline_print_trace(FILE *out, const cJSON *roots, int width, int verbose)
{
    int n;
    const cJSON **segs = timeline_in_start_order(roots, &n);
    if (!n)
        return;
    double t0 = num(segs[0], "start_time"), t1 = t0;
    for (int i = 0; i < n; i++) {
        double et = cJSON_IsTrue(cJSON_GetObjectItem(segs[i], "in_progress")) ? num(segs[i], "start_time")
                                                                               : num(segs[i], "end_time");
        t1 = et > t1 ? et : t1;
    }
    const cJSON *tid = cJSON_GetObjectItem(segs[0], "trace_id");
    fprintf(out, "trace %s: %d segment(s), %.3f ms\n", cJSON_IsString(tid) ? tid->valuestring : "?", n,
            (t1 - t0) * 1000);
    for (int i = 0; i < n; i++) { /* a group per segment, labelled as the console labels it */
        char group[320];
        timeline_group_label(segs[i], group, sizeof group);
        fprintf(out, "== %s\n", group);
        row(out, segs[i], 0, t0, t1 - t0, width > 200 ? 200 : width, verbose);
    }
    free(segs);
}

void timeline_print(FILE *out, const cJSON *root, int width, int verbose)
{
    const cJSON *tid = cJSON_GetObjectItem(root, "trace_id");
    fprintf(out, "trace %s\n", cJSON_IsString(tid) ? tid->valuestring : "?");
    double t0 = num(root, "start_time"), span = num(root, "end_time") - t0;
    row(out, root, 0, t0, span, width > 200 ? 200 : width, verbose);
}
