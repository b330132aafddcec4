/* trace.c — see trace.h. */
#include "trace.h"
#include "doccheck.h"
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

static double num(const cJSON *e, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

double entity_duration(const cJSON *e)
{
    double st = num(e, "start_time"), et = num(e, "end_time");
    return et > st ? et - st : 0;
}

static void walk(const cJSON *e, int depth, const cJSON *seg,
                 void (*fn)(const cJSON *, int, const cJSON *, void *), void *ctx)
{
    fn(e, depth, seg, ctx);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(e, "subsegments")) walk(c, depth + 1, seg, fn, ctx);
}

void trace_walk(const trace *t, void (*fn)(const cJSON *, int, const cJSON *, void *), void *ctx)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, t->roots) walk(r, 0, r, fn, ctx);
}

static void summarise(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    (void)depth;
    (void)seg;
    trace *t = ctx;
    double st = num(e, "start_time"), et = num(e, "end_time");
    if (!t->start || st < t->start)
        t->start = st;
    if (et > t->end)
        t->end = et;
    t->throttle |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "throttle"));
    const cJSON *a;
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(e, "annotations");
    if (!cJSON_IsObject(ann))
        ann = NULL; /* an array (or anything else) has no keys to list */
    cJSON_ArrayForEach(a, ann) {
        if (!cJSON_HasObjectItem(t->annotations, a->string))
            cJSON_AddItemToObject(t->annotations, a->string, cJSON_Duplicate(a, 1));
    }
}

bool trace_load(store *s, const char *id, trace *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    cJSON *docs = store_trace(s, id);
    if (!docs)
        return false;
    /* A store written by an older daemon may hold documents today's check refuses (times no
     * clock can have): they are left out, not drawn. */
    for (cJSON *d = docs->child, *next; d; d = next) {
        next = d->next;
        if (doc_problem(d))
            cJSON_Delete(cJSON_DetachItemViaPointer(docs, d));
    }
    if (!docs->child) {
        cJSON_Delete(docs);
        return false;
    }
    t->roots = timeline_assemble(docs);
    t->annotations = cJSON_CreateObject();
    const cJSON *r;
    cJSON_ArrayForEach(r, t->roots) {
        if (!t->root && !cJSON_HasObjectItem(r, "type") && !cJSON_HasObjectItem(r, "parent_id"))
            t->root = r;
    }
    if (!t->root)
        t->root = cJSON_GetArrayItem(t->roots, 0);
    const cJSON *http = cJSON_GetObjectItemCaseSensitive(t->root, "http");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(http, "request");
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(http, "response");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(req, "method"), *u = cJSON_GetObjectItemCaseSensitive(req, "url");
    t->method = cJSON_IsString(m) ? m->valuestring : NULL;
    t->url = cJSON_IsString(u) ? u->valuestring : NULL;
    double status = num(resp, "status");
    t->status = status >= 100 && status <= 599 ? (int)status : 0;
    trace_walk(t, summarise, t);
    /* as the X-Ray API's trace summaries: HasFault and HasError are the root segment's own,
     * HasThrottle is any document's */
    t->fault = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t->root, "fault"));
    t->error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t->root, "error"));
    return true;
}

void trace_free(trace *t)
{
    cJSON_Delete(t->roots);
    cJSON_Delete(t->annotations);
    memset(t, 0, sizeof *t);
}

void durations_add(durations *d, double seconds)
{
    if (d->n == d->cap) {
        long cap = d->cap ? d->cap * 2 : 16;
        double *v = realloc(d->v, sizeof *v * (size_t)cap);
        if (!v)
            return;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = seconds;
}

void durations_free(durations *d)
{
    free(d->v);
    memset(d, 0, sizeof *d);
}
