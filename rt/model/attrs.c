/* attrs.c — annotations, metadata, flags, HTTP fields, user and namespace. Annotations, which
 * programs put on subsegment after subsegment, are stored typed in the segment's own memory,
 * without a lock when the thread that began the segment writes them and nobody else can; the
 * rest is kept in a cJSON object per entity (rarer, and metadata is cJSON in the API) that the
 * serializer prints as it is. Every string is made valid UTF-8 here, once. */
#include "model/attrs.h"
#include "base/config.h"
#include "base/log.h"
#include "model/sanitize.h"
#include "model/thread.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANNOTATIONS XRAY_MAX_ANNOTATIONS

/* A NULL entity, most often what xray_current_subsegment() gave with no subsegment open:
 * the message says what the calling thread does have open. */
static void no_entity(const char *what)
{
    const xrc_thread *t = &xrc_tls;
    char msg[400];
    if (!t->seg)
        snprintf(msg, sizeof msg, "%s: the entity is NULL, and no segment is open on this "
                                  "thread", what);
    else if (!t->depth && !t->phantom && t->base == &t->seg->ent)
        snprintf(msg, sizeof msg, "%s: the entity is NULL: no subsegment is open on this thread "
                                  "(segment '%.100s' is; xray_current_segment() returns it)",
                 what, t->seg->ent.name);
    else
        snprintf(msg, sizeof msg, "%s: the entity is NULL (on this thread '%.100s' is open; "
                                  "xray_current_subsegment() returns it)", what,
                 t->depth ? t->stack[t->depth - 1]->name : t->base->name);
    xrc_context_missing(msg);
}

/* xrc_edit_begin without the lock: false (with *status) when nothing is to be written. */
static bool edit_allowed(xray_entity *e, const char *what, xray_status *status)
{
    if (!e) {
        no_entity(what);
        *status = XRAY_ERR_NO_CONTEXT;
        return false;
    }
    *status = XRAY_OK;
    if (e == &e->seg->ent && e->seg->facade) {
        xrc_log(XRAY_LOG_WARN, "%s: the Lambda facade segment belongs to Lambda and is never "
                               "sent; put data on a subsegment", what);
        *status = XRAY_ERR_WRONG_KIND;
        return false;
    }
    return e->seg->sampled;
}

bool xrc_edit_begin(xray_entity *e, const char *what, xray_status *status)
{
    if (!edit_allowed(e, what, status))
        return false;
    pthread_mutex_lock(&e->seg->lock);
    return true;
}

void xrc_edit_end(xray_entity *e) { pthread_mutex_unlock(&e->seg->lock); }

cJSON *xrc_extra_object(xray_entity *e, const char *key)
{
    if (!e->extra && !(e->extra = cJSON_CreateObject()))
        return NULL;
    cJSON *o = cJSON_GetObjectItemCaseSensitive(e->extra, key);
    if (!o)
        o = cJSON_AddObjectToObject(e->extra, key);
    return o;
}

/* Puts `value` under `key` in `obj`, replacing an older value; frees value on failure. */
static xray_status put_item(cJSON *obj, const char *key, cJSON *value)
{
    if (!obj || !value) {
        cJSON_Delete(value);
        return XRAY_ERR_NO_MEMORY;
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value) ? XRAY_OK
                                                                       : XRAY_ERR_NO_MEMORY;
    return cJSON_AddItemToObject(obj, key, value) ? XRAY_OK : XRAY_ERR_NO_MEMORY;
}

static cJSON *utf8_string(const char *s, size_t max_chars)
{
    char *clean = xrc_utf8_dup(s, max_chars);
    if (!clean)
        return NULL;
    cJSON *v = cJSON_CreateString(clean);
    cJSON_free(clean);
    return v;
}

cJSON *xrc_json_string(const char *s, size_t max_chars) { return utf8_string(s, max_chars); }

/* An annotation to store: its type and value (a string not yet copied). */
typedef struct ann_value {
    int type;
    double n;
    bool b;
    const char *s;
} ann_value;

/* Memory for e's annotations: the owner's arena, or (locked) the arena of other threads. */
static void *ann_alloc(xray_entity *e, bool locked, size_t n)
{
    return locked ? xrc_foreign_alloc(e->seg, n) : xrc_arena_alloc(e->seg, n);
}

static xray_status store_annotation(xray_entity *e, bool locked, const char *key,
                                    const ann_value *v)
{
    xrc_ann *a = NULL;
    int count = 0;
    for (xrc_ann *x = e->ann; x && !a; x = x->next, count++)
        if (!strcmp(x->key, key))
            a = x;
    if (!a && count >= MAX_ANNOTATIONS) {
        xrc_log(XRAY_LOG_WARN, "annotation '%s' rejected: '%s' already has %d annotations", key,
                e->name, MAX_ANNOTATIONS);
        return XRAY_ERR_LIMIT;
    }
    const char *text = NULL;
    if (v->type == XRC_ANN_STRING) {
        /* at most 1000 characters of at most 4 bytes: nothing past that is read */
        size_t len = strnlen(v->s, 4 * XRC_ANNOTATION_VALUE_MAX);
        char *copy = ann_alloc(e, locked, len * 3 + 1);
        if (!copy)
            return XRAY_ERR_NO_MEMORY;
        xrc_utf8_copy(v->s, len, XRC_ANNOTATION_VALUE_MAX, copy);
        text = copy;
    }
    if (!a) {
        size_t klen = strlen(key) + 1;
        a = ann_alloc(e, locked, sizeof *a);
        char *k = a ? ann_alloc(e, locked, klen) : NULL;
        if (!k)
            return XRAY_ERR_NO_MEMORY;
        memcpy(k, key, klen);
        a->key = k;
        a->next = e->ann;
        e->ann = a;
    }
    a->type = v->type;
    if (v->type == XRC_ANN_STRING)
        a->v.s = text;
    else if (v->type == XRC_ANN_NUMBER)
        a->v.n = v->n;
    else
        a->v.b = v->b;
    return XRAY_OK;
}

static xray_status put_annotation(xray_entity *e, const char *key, const ann_value *v)
{
    int saved = errno;
    xray_status st;
    if (!edit_allowed(e, "xray_put_annotation", &st)) {
        errno = saved;
        return st;
    }
    if (!key || !xrc_annotation_key_ok(key)) {
        xrc_log(XRAY_LOG_WARN, "annotation key '%.100s' rejected: keys are 1-500 characters of "
                               "letters, digits and _", key ? key : "(null)");
        errno = saved;
        return XRAY_ERR_INVALID;
    }
    /* The thread that began the segment writes its arena without a lock, as long as the
     * segment was not handed to other threads (which then lock to write). */
    xrc_segment *s = e->seg;
    bool locked = !xrc_segment_mine(s) || atomic_load_explicit(&s->shared, memory_order_acquire);
    if (locked)
        pthread_mutex_lock(&s->lock);
    st = store_annotation(e, locked, key, v);
    if (locked)
        pthread_mutex_unlock(&s->lock);
    errno = saved;
    return st;
}

xray_status xray_put_annotation_string(xray_entity *e, const char *key, const char *value)
{
    if (!value) {
        xrc_log(XRAY_LOG_WARN, "annotation '%.100s' rejected: NULL string", key ? key : "");
        return XRAY_ERR_INVALID;
    }
    ann_value v = {.type = XRC_ANN_STRING, .s = value};
    return put_annotation(e, key, &v);
}

xray_status xray_put_annotation_number(xray_entity *e, const char *key, double value)
{
    if (!isfinite(value)) {
        xrc_log(XRAY_LOG_WARN, "annotation '%.100s' rejected: %f is not a JSON number",
                key ? key : "", value);
        return XRAY_ERR_INVALID;
    }
    ann_value v = {.type = XRC_ANN_NUMBER, .n = value};
    return put_annotation(e, key, &v);
}

xray_status xray_put_annotation_bool(xray_entity *e, const char *key, bool value)
{
    ann_value v = {.type = XRC_ANN_BOOL, .b = value};
    return put_annotation(e, key, &v);
}

/* Levels of objects and arrays in v (a scalar is 0); stops counting past the limit. */
static int json_depth(const cJSON *v, int above)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return 0;
    if (above > XRAY_MAX_METADATA_DEPTH)
        return 1;
    int deepest = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        int d = json_depth(c, above + 1);
        if (d > deepest)
            deepest = d;
    }
    return deepest + 1;
}

xray_status xray_put_metadata(xray_entity *e, const char *key, cJSON *value, const char *ns)
{
    int saved = errno;
    xray_status st;
    if (!xrc_edit_begin(e, "xray_put_metadata", &st)) {
        cJSON_Delete(value);
        errno = saved;
        return st;
    }
    if (!ns)
        ns = "default";
    if (!key || !*key || !*ns) {
        xrc_log(XRAY_LOG_WARN, "metadata rejected: empty %s", !key || !*key ? "key" : "namespace");
        st = XRAY_ERR_INVALID;
    } else if (!strncmp(ns, "AWS.", 4)) {
        xrc_log(XRAY_LOG_WARN, "metadata '%.100s' rejected: namespace '%.100s' is reserved "
                               "for AWS", key, ns);
        st = XRAY_ERR_INVALID;
    } else if (!value) {
        xrc_log(XRAY_LOG_WARN, "metadata '%.100s' rejected: NULL value", key);
        st = XRAY_ERR_INVALID;
    } else if (json_depth(value, 0) > XRAY_MAX_METADATA_DEPTH) {
        xrc_log(XRAY_LOG_WARN, "metadata '%.100s' rejected: nested deeper than %d levels", key,
                XRAY_MAX_METADATA_DEPTH);
        st = XRAY_ERR_INVALID;
    } else if (!xrc_json_make_utf8(value)) {
        st = XRAY_ERR_NO_MEMORY;
    } else {
        char *ckey = xrc_utf8_dup(key, 0), *cns = xrc_utf8_dup(ns, 0);
        cJSON *meta = ckey && cns ? xrc_extra_object(e, "metadata") : NULL;
        cJSON *space = meta ? cJSON_GetObjectItemCaseSensitive(meta, cns) : NULL;
        if (meta && !space)
            space = cJSON_AddObjectToObject(meta, cns);
        st = space ? put_item(space, ckey, value) : XRAY_ERR_NO_MEMORY;
        if (!space)
            cJSON_Delete(value);
        value = NULL;
        cJSON_free(ckey);
        cJSON_free(cns);
    }
    cJSON_Delete(value);
    xrc_edit_end(e);
    errno = saved;
    return st;
}

xray_status xray_put_metadata_json(xray_entity *e, const char *key, const char *json,
                                   const char *ns)
{
    if (!e) {
        no_entity("xray_put_metadata_json");
        return XRAY_ERR_NO_CONTEXT;
    }
    if (!e->seg->sampled)
        return XRAY_OK;
    const char *end = NULL;
    cJSON *value = json ? cJSON_ParseWithOpts(json, &end, true) : NULL; /* nothing after it */
    if (!value) {
        int saved = errno;
        xrc_log(XRAY_LOG_WARN, "metadata '%.100s' rejected: the value is not JSON: '%.60s'",
                key ? key : "", json ? json : "(null)");
        errno = saved;
        return XRAY_ERR_INVALID;
    }
    return xray_put_metadata(e, key, value, ns);
}

static xray_status add_marks(xray_entity *e, uint32_t marks, const char *what)
{
    int saved = errno;
    xray_status st;
    if (xrc_edit_begin(e, what, &st)) {
        e->marks |= marks;
        xrc_edit_end(e);
    }
    errno = saved;
    return st;
}

xray_status xray_add_error_flag(xray_entity *e) { return add_marks(e, XRC_F_ERROR, "xray_add_error_flag"); }
xray_status xray_add_fault_flag(xray_entity *e) { return add_marks(e, XRC_F_FAULT, "xray_add_fault_flag"); }
xray_status xray_add_throttle_flag(xray_entity *e) { return add_marks(e, XRC_F_THROTTLE, "xray_add_throttle_flag"); }

/* Sets extra[outer][inner][key] = value. */
static xray_status put_nested(xray_entity *e, const char *outer, const char *inner,
                              const char *key, cJSON *value)
{
    cJSON *o = xrc_extra_object(e, outer);
    cJSON *i = o ? cJSON_GetObjectItemCaseSensitive(o, inner) : NULL;
    if (o && !i)
        i = cJSON_AddObjectToObject(o, inner);
    if (!i) {
        cJSON_Delete(value);
        return XRAY_ERR_NO_MEMORY;
    }
    return put_item(i, key, value);
}

xray_status xray_put_http_request(xray_entity *e, const char *method, const char *url)
{
    int saved = errno;
    xray_status st;
    if (!xrc_edit_begin(e, "xray_put_http_request", &st)) {
        errno = saved;
        return st;
    }
    if (method)
        st = put_nested(e, "http", "request", "method", utf8_string(method, 32));
    if (url && st == XRAY_OK) {
        /* scheme, host and path, as the SDKs record it: a query or fragment often carries a
         * token, so it is cut unless the user asked to keep it */
        size_t n = xrc_cfg.keep_url_query ? strlen(url) : strcspn(url, "?#");
        char *cut = strndup(url, n);
        st = cut ? put_nested(e, "http", "request", "url", utf8_string(cut, XRC_HTTP_FIELD_MAX))
                 : XRAY_ERR_NO_MEMORY;
        free(cut);
    }
    xrc_edit_end(e);
    errno = saved;
    return st;
}

xray_status xray_put_http_response(xray_entity *e, int status, long long content_length)
{
    int saved = errno;
    xray_status st;
    if (status < 100 || status > 599) {
        xrc_log(XRAY_LOG_WARN, "xray_put_http_response: status %d is not an HTTP status", status);
        return XRAY_ERR_INVALID;
    }
    if (!xrc_edit_begin(e, "xray_put_http_response", &st)) {
        errno = saved;
        return st;
    }
    st = put_nested(e, "http", "response", "status", cJSON_CreateNumber(status));
    if (content_length >= 0 && st == XRAY_OK)
        st = put_nested(e, "http", "response", "content_length",
                        cJSON_CreateNumber((double)content_length));
    if (status == 429)
        e->marks |= XRC_F_THROTTLE | XRC_F_ERROR;
    else if (status >= 400 && status < 500)
        e->marks |= XRC_F_ERROR;
    else if (status >= 500)
        e->marks |= XRC_F_FAULT;
    xrc_edit_end(e);
    errno = saved;
    return st;
}

static xray_status put_top_string(xray_entity *e, const char *key, const char *value,
                                  size_t max_chars, const char *what)
{
    int saved = errno;
    xray_status st;
    if (!xrc_edit_begin(e, what, &st)) {
        errno = saved;
        return st;
    }
    if (!e->extra && !(e->extra = cJSON_CreateObject()))
        st = XRAY_ERR_NO_MEMORY;
    else
        st = put_item(e->extra, key, utf8_string(value, max_chars));
    xrc_edit_end(e);
    errno = saved;
    return st;
}

xray_status xray_set_user(xray_entity *e, const char *user)
{
    if (e && !(e->flags & XRC_F_SEGMENT)) {
        xrc_log(XRAY_LOG_WARN, "xray_set_user: '%s' is a subsegment; only segments have users",
                e->name);
        return XRAY_ERR_WRONG_KIND;
    }
    if (!user || !*user) {
        xrc_log(XRAY_LOG_WARN, "xray_set_user: empty user");
        return XRAY_ERR_INVALID;
    }
    return put_top_string(e, "user", user, XRC_HTTP_FIELD_MAX, "xray_set_user");
}

xray_status xray_set_namespace(xray_entity *e, const char *ns)
{
    if (e && (e->flags & XRC_F_SEGMENT)) {
        xrc_log(XRAY_LOG_WARN, "xray_set_namespace: '%s' is a segment; only subsegments have "
                               "a namespace", e->name);
        return XRAY_ERR_WRONG_KIND;
    }
    if (!ns || (strcmp(ns, "aws") && strcmp(ns, "remote"))) {
        xrc_log(XRAY_LOG_WARN, "xray_set_namespace: '%.40s' is neither \"aws\" nor \"remote\"",
                ns ? ns : "(null)");
        return XRAY_ERR_INVALID;
    }
    return put_top_string(e, "namespace", ns, 64, "xray_set_namespace");
}

xray_status xrc_put_field(xray_entity *e, const char *outer, const char *inner, const char *key,
                          cJSON *value)
{
    xray_status st;
    if (!xrc_edit_begin(e, "xrc_put_field", &st)) {
        cJSON_Delete(value);
        return st;
    }
    if (inner)
        st = put_nested(e, outer, inner, key, value);
    else
        st = put_item(xrc_extra_object(e, outer), key, value);
    xrc_edit_end(e);
    return st;
}
