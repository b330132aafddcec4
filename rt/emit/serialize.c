/* serialize.c — writes segment documents. The fixed fields are written by hand (fast, no
 * allocation per entity); the optional data in `extra` is printed by cJSON. A document never
 * exceeds the datagram size: subtrees that do not fit are split off into documents of their
 * own, and are never cut in the middle. */
#include "emit/serialize.h"
#include "emit/plugins.h"
#include "emit/symbolize.h"
#include "base/config.h"
#include "model/sanitize.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOSING_RESERVE 600 /* room for the "]}" of every nesting level (<= 257) */

void xrc_spill_push(xrc_spill *sp, xray_entity *e)
{
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 64;
        xray_entity **v = realloc(sp->v, cap * sizeof *v);
        if (!v) {
            sp->oom = true;
            return;
        }
        sp->v = v;
        sp->cap = cap;
    }
    sp->v[sp->n++] = e;
}

void xrc_link_tree(xrc_segment *s)
{
    XRC_FOR_EACH_ENTITY(s, e)
        e->first_child = e->last_child = e->next_sibling = NULL;
    XRC_FOR_EACH_ENTITY(s, e) {
        xray_entity *p = e->parent;
        if (!p || (p->flags & XRC_F_SENT) || xrc_entity_hidden(e))
            continue; /* a parent streamed out earlier: sent on its own (split.c) */
        if (p->last_child)
            p->last_child->next_sibling = e;
        else
            p->first_child = e;
        p->last_child = e;
    }
}

/* Writes with the hard limit, for closing brackets that must always fit. */
static void put_closing(xrc_buf *b, size_t hard, const char *s)
{
    size_t soft = b->limit;
    b->limit = hard;
    xrc_buf_puts(b, s);
    b->limit = soft;
}

/* ,"key": */
static void put_key(xrc_buf *b, const char *key)
{
    xrc_buf_putc(b, ',');
    xrc_buf_str(b, key);
    xrc_buf_putc(b, ':');
}

/* ,"key": and `made`, JSON text already (`raw`) or a string to quote, then released; NULL
 * (out of memory) marks the buffer over. */
static void put_made(xrc_buf *b, const char *key, char *made, bool raw, void (*release)(void *))
{
    if (!made) {
        b->over = true;
        return;
    }
    put_key(b, key);
    if (raw)
        xrc_buf_puts(b, made);
    else
        xrc_buf_str(b, made);
    release(made);
}

static void put_json(xrc_buf *b, const char *key, const cJSON *value)
{
    put_made(b, key, cJSON_PrintUnformatted(value), true, cJSON_free);
}

/* The metadata of an entity whose metadata did not fit: xraycap's numbers (subsegments not
 * recorded, folded calls) survive, the user's data is replaced by its size. */
static void put_truncated_metadata(xrc_buf *b, const cJSON *own, size_t omitted)
{
    cJSON *meta = cJSON_CreateObject(), *ns = cJSON_AddObjectToObject(meta, "xraycap");
    if (!ns) {
        cJSON_Delete(meta);
        b->over = true;
        return;
    }
    for (const cJSON *k = own ? own->child : NULL; k; k = k->next)
        if (cJSON_IsNumber(k) && strcmp(k->string, "omitted_bytes"))
            cJSON_AddNumberToObject(ns, k->string, k->valuedouble);
    cJSON_AddTrueToObject(ns, "truncated");
    cJSON_AddNumberToObject(ns, "omitted_bytes", (double)omitted);
    put_json(b, "metadata", meta);
    cJSON_Delete(meta);
}

/* What a summary stands for: its folded calls, their total, shortest and longest duration. */
static void put_summary(xrc_buf *b, const xrc_summary *sum)
{
    char text[200];
    snprintf(text, sizeof text, ",\"metadata\":{\"xraycap\":{\"calls\":%llu,\"total_ms\":%.3f,"
                                "\"min_ms\":%.3f,\"max_ms\":%.3f}}",
             (unsigned long long)sum->calls, (double)sum->total_ns / 1e6,
             (double)(sum->calls ? sum->min_ns : 0) / 1e6, (double)sum->max_ns / 1e6);
    xrc_buf_puts(b, text);
}

/* ,"annotations":{...} in the order they were first put (the list is newest first). */
static void put_annotations(xrc_buf *b, const xrc_ann *list)
{
    const xrc_ann *in_order[XRAY_MAX_ANNOTATIONS];
    size_t n = 0;
    for (const xrc_ann *a = list; a && n < XRAY_MAX_ANNOTATIONS; a = a->next)
        in_order[n++] = a;
    xrc_buf_puts(b, ",\"annotations\":{");
    while (n) {
        const xrc_ann *a = in_order[--n];
        xrc_buf_str(b, a->key);
        xrc_buf_putc(b, ':');
        if (a->type == XRC_ANN_STRING)
            xrc_buf_str(b, a->v.s);
        else if (a->type == XRC_ANN_NUMBER)
            xrc_buf_double(b, a->v.n);
        else
            xrc_buf_puts(b, a->v.b ? "true" : "false");
        if (n)
            xrc_buf_putc(b, ',');
    }
    xrc_buf_putc(b, '}');
}

/* Defined (weak, = 1) by the plugins in C++ units with a captured function. */
extern const int __xraycap_cplusplus __attribute__((weak));

/* ,"key":"value" with value made valid UTF-8 and cut to 250 characters. */
static void put_clean(xrc_buf *b, const char *key, const char *value)
{
    put_made(b, key, xrc_utf8_dup(value, XRC_HTTP_FIELD_MAX), false, free);
}

/* service and aws.xray of a segment: what wrote it, as the SDKs say it. */
/* The platform's origin and aws fields (emit/plugins.c), on a segment. */
static void put_platform(const xrc_platform *p, void *ctx)
{
    xrc_buf *b = ctx;
    if (p->aws_text) {
        xrc_buf_putc(b, ',');
        xrc_buf_puts(b, p->aws_text);
    }
}

static void put_origin(const xrc_platform *p, void *ctx)
{
    if (p->origin[0]) {
        xrc_buf_puts(ctx, ",\"origin\":");
        xrc_buf_str(ctx, p->origin);
    }
}

static void put_identity(xrc_buf *b, const xrc_segment *s)
{
    xrc_buf_puts(b, &__xraycap_cplusplus ? ",\"service\":{\"runtime\":\"C++\""
                                        : ",\"service\":{\"runtime\":\"C\"");
    xrc_buf_puts(b, ",\"runtime_version\":\"" __VERSION__ "\"");
    if (s->service_version)
        put_clean(b, "version", s->service_version);
    xrc_buf_puts(b, "},\"aws\":{\"xray\":{\"sdk\":\"X-Ray for C\",\"sdk_version\":\""
                    XRAY_CAPTURE_VERSION "\",\"package\":\"xraycap\"");
    if (s->sampling_rule[0])
        put_clean(b, "sampling_rule_name", s->sampling_rule);
    xrc_buf_putc(b, '}');
    xrc_platform_with(put_platform, b);
    xrc_buf_putc(b, '}');
    xrc_platform_with(put_origin, b);
}

static void put_fields(xrc_buf *b, const xrc_segment *s, const xray_entity *e, bool top,
                       bool drop_metadata)
{
    xrc_buf_puts(b, "{\"name\":");
    xrc_buf_name(b, e->name);
    xrc_buf_puts(b, ",\"id\":");
    xrc_buf_hex16(b, e->id);
    bool segment = e->flags & XRC_F_SEGMENT;
    if (top) {
        if (!segment)
            xrc_buf_puts(b, ",\"type\":\"subsegment\"");
        xrc_buf_puts(b, ",\"trace_id\":\"");
        xrc_buf_puts(b, s->trace_id);
        xrc_buf_putc(b, '"');
        if (!segment) {
            xrc_buf_puts(b, ",\"parent_id\":");
            xrc_buf_hex16(b, e->parent->id);
        } else if (s->parent_id) {
            xrc_buf_puts(b, ",\"parent_id\":");
            xrc_buf_hex16(b, s->parent_id);
        }
    }
    xrc_buf_puts(b, ",\"start_time\":");
    xrc_buf_time(b, s->real_base_ns + e->start_ns);
    if (e->end_ns >= 0) {
        xrc_buf_puts(b, ",\"end_time\":");
        xrc_buf_time(b, s->real_base_ns + e->end_ns);
    } else {
        xrc_buf_puts(b, ",\"in_progress\":true");
    }
    if (e->marks & XRC_F_ERROR)
        xrc_buf_puts(b, ",\"error\":true");
    if (e->marks & XRC_F_FAULT)
        xrc_buf_puts(b, ",\"fault\":true");
    if (e->marks & XRC_F_THROTTLE)
        xrc_buf_puts(b, ",\"throttle\":true");
    if (segment)
        put_identity(b, s);
    if (e->flags & XRC_F_SUMMARY)
        put_summary(b, (const xrc_summary *)e);
    if (e->ann)
        put_annotations(b, e->ann);
    if (!e->extra)
        return;
    size_t omitted = 0;
    const cJSON *own = NULL; /* xraycap's own accounting, kept through any truncation */
    for (const cJSON *item = e->extra->child; item; item = item->next) {
        if (drop_metadata && !strcmp(item->string, "metadata")) {
            char *text = cJSON_PrintUnformatted(item);
            omitted = text ? strlen(text) : 1;
            cJSON_free(text);
            own = cJSON_GetObjectItemCaseSensitive(item, "xraycap");
            continue;
        }
        put_json(b, item->string, item);
    }
    if (omitted)
        put_truncated_metadata(b, own, omitted);
}

/* Writes e and its subtree; children that do not fit go to spill. False if e itself doesn't. */
static bool put_entity(xrc_buf *b, size_t hard, const xrc_segment *s, xray_entity *e, bool top,
                       bool drop_metadata, xrc_spill *spill)
{
    if (e->stacks)
        xrc_stacks_resolve(e);
    put_fields(b, s, e, top, drop_metadata);
    if (b->over)
        return false;
    bool opened = false;
    for (xray_entity *c = e->first_child; c; c = c->next_sibling) {
        size_t mark = b->len, spilled = spill->n;
        xrc_buf_puts(b, opened ? "," : ",\"subsegments\":[");
        if (!b->over && put_entity(b, hard, s, c, false, false, spill) && !b->over) {
            opened = true;
            continue;
        }
        xrc_buf_rewind(b, mark);
        spill->n = spilled;
        xrc_spill_push(spill, c);
    }
    put_closing(b, hard, opened ? "]}" : "}");
    return true;
}

bool xrc_serialize_doc(xrc_buf *b, size_t hard_limit, const xrc_segment *s, xray_entity *e,
                       xrc_spill *spill)
{
    size_t start = b->len, spilled = spill->n;
    b->limit = hard_limit - CLOSING_RESERVE;
    bool ok = put_entity(b, hard_limit, s, e, true, false, spill) && !b->over;
    if (!ok) {
        xrc_buf_rewind(b, start);
        spill->n = spilled;
        ok = put_entity(b, hard_limit, s, e, true, true, spill) && !b->over;
    }
    b->limit = hard_limit;
    if (!ok) {
        xrc_buf_rewind(b, start);
        spill->n = spilled;
    }
    return ok;
}
