/* filter.c — recursive-descent parser and evaluator for filter.h's expressions. */
#include "filter.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { T_END, T_IDENT, T_STRING, T_NUMBER, T_OP, T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA,
               T_COLON, T_BANG } token_kind;

typedef struct token {
    token_kind kind;
    char text[256];
    size_t pos;
} token;

typedef enum { N_AND, N_OR, N_NOT, N_TEST } node_kind;
typedef enum { V_NONE, V_STRING, V_NUMBER, V_BOOL } value_kind;

struct filter {
    node_kind kind;
    struct filter *left, *right;
    struct filter *inner; /* service(...) { inner }, edge(...) { inner }, rootcause...service { inner } */
    char key[256];      /* "fault", "annotation.x", "annotation[svc].x", "service", "edge", ... */
    char s2[256];       /* service/id: the node's type ("" any); edge: the node called */
    char op[9];         /* "", "=", "!=", "<", "<=", ">", ">=", "CONTAINS" */
    value_kind vkind;
    char s[256];
    double n;
    int b;
};

typedef struct parser {
    const char *text;
    size_t pos;
    token tok;
    char *err;
    size_t errlen;
    bool failed;
    int depth;              /* parentheses and NOTs open */
    filter_group_fn groups; /* group.name = "x": where x's expression is found */
    void *groups_ctx;
    int group_depth;        /* groups inside groups being read */
} parser;

static void fail(parser *p, const char *what)
{
    if (p->failed)
        return;
    p->failed = true;
    size_t at = p->tok.pos;
    snprintf(p->err, p->errlen, "bad filter expression: %s at position %zu\n  %s\n  %*s^", what,
             at + 1, p->text, (int)at, "");
}

static void next(parser *p)
{
    const char *s = p->text;
    while (isspace((unsigned char)s[p->pos]))
        p->pos++;
    token *t = &p->tok;
    t->pos = p->pos;
    t->text[0] = '\0';
    char c = s[p->pos];
    if (!c) {
        t->kind = T_END;
    } else if (strchr("(){},:", c)) {
        t->kind = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : c == '{' ? T_LBRACE : c == '}' ? T_RBRACE
                : c == ',' ? T_COMMA : T_COLON;
        p->pos++;
    } else if (c == '"') {
        size_t n = 0;
        p->pos++;
        while (s[p->pos] && s[p->pos] != '"' && n < sizeof t->text - 1) {
            if (s[p->pos] == '\\' && s[p->pos + 1])
                p->pos++;
            t->text[n++] = s[p->pos++];
        }
        t->text[n] = '\0';
        t->kind = T_STRING;
        if (s[p->pos] != '"') {
            fail(p, "unterminated string");
            return;
        }
        p->pos++;
    } else if (strchr("=!<>", c)) {
        t->kind = T_OP;
        t->text[0] = c;
        t->text[1] = s[p->pos + 1] == '=' ? '=' : '\0';
        t->text[2] = '\0';
        p->pos += t->text[1] ? 2 : 1;
        if (!strcmp(t->text, "!")) /* the console's NOT */
            t->kind = T_BANG;
    } else if (isdigit((unsigned char)c) || c == '-' || c == '.') {
        char *end;
        strtod(s + p->pos, &end);
        size_t n = (size_t)(end - (s + p->pos));
        if (!n) {
            fail(p, "unexpected character");
            return;
        }
        snprintf(t->text, sizeof t->text, "%.*s", (int)n, s + p->pos);
        t->kind = T_NUMBER;
        p->pos += n;
    } else if (isalpha((unsigned char)c) || c == '_') {
        size_t n = 0;
        bool bracket = false; /* annotation[service name].key: anything but ']' inside */
        while ((bracket ? s[p->pos] && s[p->pos] != ']'
                        : isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_' || s[p->pos] == '.' ||
                              (s[p->pos] == '[' && n == 10 && !strncasecmp(t->text, "annotation", 10))) &&
               n < sizeof t->text - 2) {
            bracket |= s[p->pos] == '[';
            t->text[n++] = s[p->pos++];
            if (bracket && s[p->pos] == ']') {
                t->text[n++] = s[p->pos++];
                bracket = false;
            }
            t->text[n] = '\0';
        }
        t->text[n] = '\0';
        t->kind = T_IDENT;
        if (bracket)
            fail(p, "expected ']'");
    } else {
        fail(p, "unexpected character");
    }
}

static bool is_word(const token *t, const char *w) { return t->kind == T_IDENT && !strcasecmp(t->text, w); }

static filter *node(node_kind k, filter *l, filter *r)
{
    filter *f = calloc(1, sizeof *f);
    if (f) {
        f->kind = k;
        f->left = l;
        f->right = r;
    }
    return f;
}

static filter *parse_or(parser *p);
static filter *parse_whole(parser *p);
static filter *parse_group(parser *p, size_t keypos, bool arn);

#define MAX_NESTING 64 /* parentheses and NOTs: deeper is refused, never a deep recursion */
#define MAX_GROUP_DEPTH 8 /* a group's expression naming a group ...: deeper is a loop */

static bool expect(parser *p, token_kind k, const char *what)
{
    if (p->tok.kind != k) {
        fail(p, what);
        return false;
    }
    next(p);
    return true;
}

static bool take_string(parser *p, char *out, size_t len, const char *what)
{
    if (p->tok.kind != T_STRING) {
        fail(p, what);
        return false;
    }
    snprintf(out, len, "%s", p->tok.text);
    next(p);
    return true;
}

/* (name: "x", type: "T") after id, either part optional but not both: a node's name and type. */
static bool parse_id_args(parser *p, filter *f)
{
    if (!expect(p, T_LPAREN, "id needs (name: \"x\", type: \"T\")"))
        return false;
    bool any = false;
    while (!p->failed && p->tok.kind == T_IDENT) {
        bool name = is_word(&p->tok, "name"), type = is_word(&p->tok, "type");
        if (!name && !type) {
            fail(p, "id takes name: and type:");
            return false;
        }
        next(p);
        if (!expect(p, T_COLON, "expected ':'") ||
            !take_string(p, name ? f->s : f->s2, sizeof f->s, "expected a \"string\""))
            return false;
        any = true;
        if (p->tok.kind == T_COMMA)
            next(p);
    }
    if (!any) {
        fail(p, "id needs name: or type:");
        return false;
    }
    return expect(p, T_RPAREN, "expected ')'");
}

/* An optional { expression } after a node: flags, times, http.*, annotation.*, name and type
 * of that node alone. */
static void parse_inner(parser *p, filter *f)
{
    if (p->failed || p->tok.kind != T_LBRACE)
        return;
    next(p);
    if (++p->depth > 64) {
        fail(p, "nested too deeply");
        return;
    }
    f->inner = parse_or(p);
    p->depth--;
    expect(p, T_RBRACE, "expected '}'");
}

static bool is_rootcause(const char *k)
{
    return !strcmp(k, "rootcause.fault.service") || !strcmp(k, "rootcause.error.service") ||
           !strcmp(k, "rootcause.throttle.service");
}

/* service("name"), service(id(...)), id(...), edge("from", "to"), rootcause.KIND.service, each
 * with an optional { inner }: true when the key is one of these (then parsed). The token after
 * the key is current. */
static bool parse_node(parser *p, filter *f)
{
    if (!strcmp(f->key, "id")) {
        snprintf(f->key, sizeof f->key, "service");
        if (parse_id_args(p, f))
            parse_inner(p, f);
        return true;
    }
    if (!strcmp(f->key, "service")) {
        if (!expect(p, T_LPAREN, "service needs (\"name\") or (id(name: \"x\", type: \"T\"))"))
            return true;
        if (is_word(&p->tok, "id")) {
            next(p);
            if (!parse_id_args(p, f))
                return true;
        } else if (!take_string(p, f->s, sizeof f->s, "service needs a \"name\" in quotes")) {
            return true;
        }
        if (expect(p, T_RPAREN, "expected ')'"))
            parse_inner(p, f);
        return true;
    }
    if (!strcmp(f->key, "edge")) {
        if (expect(p, T_LPAREN, "edge needs (\"from\", \"to\")") &&
            take_string(p, f->s, sizeof f->s, "edge needs the calling node's \"name\"") &&
            expect(p, T_COMMA, "expected ','") &&
            take_string(p, f->s2, sizeof f->s2, "edge needs the called node's \"name\"") &&
            expect(p, T_RPAREN, "expected ')'"))
            parse_inner(p, f);
        return true;
    }
    if (is_rootcause(f->key)) {
        parse_inner(p, f);
        return true;
    }
    return false;
}

static bool take_value(parser *p, filter *f)
{
    if (p->tok.kind == T_STRING) {
        f->vkind = V_STRING;
        snprintf(f->s, sizeof f->s, "%s", p->tok.text);
    } else if (p->tok.kind == T_NUMBER) {
        f->vkind = V_NUMBER;
        f->n = strtod(p->tok.text, NULL);
    } else if (is_word(&p->tok, "true") || is_word(&p->tok, "false")) {
        f->vkind = V_BOOL;
        f->b = is_word(&p->tok, "true");
    } else {
        fail(p, "expected a value (a \"string\", a number, true or false)");
        return false;
    }
    next(p);
    return true;
}

static filter *parse_test(parser *p)
{
    if (p->tok.kind != T_IDENT) {
        fail(p, "expected a condition");
        return NULL;
    }
    filter *f = node(N_TEST, NULL, NULL);
    if (!f)
        return NULL;
    snprintf(f->key, sizeof f->key, "%s", p->tok.text);
    bool annotation = !strncasecmp(f->key, "annotation.", 11) || !strncasecmp(f->key, "annotation[", 11);
    for (char *c = f->key; *c && !annotation; c++)
        *c = (char)tolower((unsigned char)*c);
    if (annotation)
        memcpy(f->key, "annotation", 10);
    size_t keypos = p->tok.pos;
    next(p);
    if (!strcmp(f->key, "group.name") || !strcmp(f->key, "group.arn")) {
        bool arn = f->key[6] == 'a';
        filter_free(f);
        return parse_group(p, keypos, arn);
    }
    static const char *flags[] = {"fault", "error", "throttle", "ok"};
    static const char *numeric[] = {"responsetime", "duration", "http.status"};
    static const char *text[] = {"http.method", "http.url", "name", "type"};
    bool is_flag = false, is_num = false, is_text = false;
    for (int i = 0; i < 4; i++) is_flag |= !strcmp(f->key, flags[i]);
    for (int i = 0; i < 3; i++) is_num |= !strcmp(f->key, numeric[i]);
    for (int i = 0; i < 4; i++) is_text |= !strcmp(f->key, text[i]);
    const char *dot = strstr(f->key, "].");
    bool is_ann = (!strncmp(f->key, "annotation.", 11) && f->key[11]) ||
                  (!strncmp(f->key, "annotation[", 11) && dot && dot > f->key + 11 && dot[2]);
    if (parse_node(p, f))
        return f;
    if (!is_flag && !is_num && !is_text && !is_ann) {
        p->tok.pos = keypos;
        fail(p, "unknown key (known: annotation.KEY, annotation[SERVICE].KEY, service(\"name\"), id(name: "
                "\"x\", type: \"T\"), edge(\"a\", \"b\"), rootcause.fault|error|throttle.service, responsetime, "
                "duration, http.status, http.method, http.url, name, type, fault, error, throttle, ok)");
        return f;
    }
    if (p->tok.kind == T_OP || is_word(&p->tok, "CONTAINS")) {
        snprintf(f->op, sizeof f->op, "%.8s", p->tok.kind == T_OP ? p->tok.text : "CONTAINS");
        next(p);
        if (!take_value(p, f))
            return f;
        if (is_flag && (f->vkind != V_BOOL || (strcmp(f->op, "=") && strcmp(f->op, "!="))))
            fail(p, "flags compare with = true or = false");
        else if (is_num && f->vkind != V_NUMBER)
            fail(p, "this key compares with a number");
        else if (is_text && f->vkind != V_STRING)
            fail(p, "this key compares with a \"string\"");
        else if (!strcmp(f->op, "CONTAINS") && f->vkind != V_STRING)
            fail(p, "CONTAINS takes a \"string\"");
    } else if (p->tok.kind == T_BANG) {
        fail(p, "'!' must be '!=' here ('!' alone negates the condition after it)");
    } else if (!is_flag) {
        fail(p, "expected an operator (=, !=, <, <=, >, >=, CONTAINS)");
    }
    return f;
}


static filter *parse_unary(parser *p)
{
    if (p->failed)
        return NULL; /* the token did not advance: stop here, do not recurse on it */
    if (++p->depth > MAX_NESTING) {
        fail(p, "nested too deeply");
        return NULL;
    }
    if (is_word(&p->tok, "NOT") || p->tok.kind == T_BANG) {
        next(p);
        filter *f = node(N_NOT, parse_unary(p), NULL);
        p->depth--;
        return f;
    }
    if (p->tok.kind == T_LPAREN) {
        next(p);
        filter *f = parse_or(p);
        p->depth--;
        if (p->tok.kind != T_RPAREN)
            fail(p, "expected ')'");
        else
            next(p);
        return f;
    }
    p->depth--;
    return parse_test(p);
}

/* group.name = "NAME": the group's own expression, read in place (as the console applies a
 * group); its errors are reported at the name. */
static filter *parse_group(parser *p, size_t keypos, bool arn)
{
    if (arn) {
        p->tok.pos = keypos;
        fail(p, "group.arn: local groups have no ARN; name the group with group.name = \"NAME\"");
        return NULL;
    }
    if (p->tok.kind != T_OP || strcmp(p->tok.text, "=")) {
        fail(p, "group.name takes = \"NAME\"");
        return NULL;
    }
    next(p);
    size_t at = p->tok.pos;
    char name[256], expr[2048], sub_err[1024];
    if (!take_string(p, name, sizeof name, "expected a group's \"name\""))
        return NULL;
    token after = p->tok;
    p->tok.pos = at;
    if (!p->groups || !p->groups(name, expr, sizeof expr, p->groups_ctx)) {
        fail(p, "no such group (xraycap group list shows them)");
        return NULL;
    }
    if (p->group_depth >= MAX_GROUP_DEPTH) {
        fail(p, "groups name each other in a loop");
        return NULL;
    }
    parser q = {.text = expr, .err = sub_err, .errlen = sizeof sub_err, .groups = p->groups,
                .groups_ctx = p->groups_ctx, .group_depth = p->group_depth + 1};
    filter *g = parse_whole(&q);
    if (!g) {
        fail(p, strstr(sub_err, "loop") ? "groups name each other in a loop" : "the group's filter expression is bad");
        return NULL;
    }
    p->tok = after;
    return g;
}

static filter *parse_and(parser *p)
{
    filter *f = parse_unary(p);
    while (!p->failed && is_word(&p->tok, "AND")) {
        next(p);
        f = node(N_AND, f, parse_unary(p));
    }
    return f;
}

static filter *parse_or(parser *p)
{
    filter *f = parse_and(p);
    while (!p->failed && is_word(&p->tok, "OR")) {
        next(p);
        f = node(N_OR, f, parse_and(p));
    }
    return f;
}

static filter *parse_whole(parser *p)
{
    next(p);
    filter *f = parse_or(p);
    if (!p->failed && p->tok.kind != T_END)
        fail(p, "expected AND, OR or the end");
    if (p->failed) {
        filter_free(f);
        return NULL;
    }
    return f;
}

filter *filter_parse_groups(const char *text, filter_group_fn groups, void *ctx, char *err, size_t errlen)
{
    parser p = {.text = text, .err = err, .errlen = errlen, .groups = groups, .groups_ctx = ctx};
    return parse_whole(&p);
}

filter *filter_parse(const char *text, char *err, size_t errlen)
{
    return filter_parse_groups(text, NULL, NULL, err, errlen);
}

void filter_free(filter *f)
{
    if (!f)
        return;
    filter_free(f->left);
    filter_free(f->right);
    filter_free(f->inner);
    free(f);
}

static bool compare_num(double a, const char *op, double b)
{
    if (!strcmp(op, "=")) return fabs(a - b) < 1e-9;
    if (!strcmp(op, "!=")) return fabs(a - b) >= 1e-9;
    if (!strcmp(op, "<")) return a < b;
    if (!strcmp(op, "<=")) return a <= b;
    if (!strcmp(op, ">")) return a > b;
    return a >= b;
}

static bool compare_str(const char *a, const char *op, const char *b)
{
    if (!strcmp(op, "CONTAINS")) return strstr(a, b) != NULL;
    int c = strcmp(a, b);
    if (!strcmp(op, "=")) return c == 0;
    if (!strcmp(op, "!=")) return c != 0;
    if (!strcmp(op, "<")) return c < 0;
    if (!strcmp(op, "<=")) return c <= 0;
    if (!strcmp(op, ">")) return c > 0;
    return c >= 0;
}

static bool flag_of(const cJSON *e, const char *k) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, k)); }

static const char *text_of(const cJSON *e, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A node's type, as the map names it: its origin; a call out without one is "remote", or
 * "AWS::NAME" for an AWS call. */
static void node_type(const cJSON *e, char *out, size_t n)
{
    const char *origin = text_of(e, "origin"), *ns = text_of(e, "namespace");
    if (*origin)
        snprintf(out, n, "%s", origin);
    else if (!strcmp(ns, "aws"))
        snprintf(out, n, "AWS::%s", text_of(e, "name"));
    else
        snprintf(out, n, "%s", ns);
}

/* One entity seen as a trace, for what stands inside { }. */
static void entity_view(const cJSON *e, trace *v)
{
    memset(v, 0, sizeof *v);
    v->root = e;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_time");
    v->start = cJSON_IsNumber(st) ? st->valuedouble : 0;
    v->end = v->start + entity_duration(e);
    v->fault = flag_of(e, "fault");
    v->error = flag_of(e, "error");
    v->throttle = flag_of(e, "throttle");
    const cJSON *http = cJSON_GetObjectItemCaseSensitive(e, "http");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(http, "request");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(http, "response"), "status");
    v->method = *text_of(req, "method") ? text_of(req, "method") : NULL;
    v->url = *text_of(req, "url") ? text_of(req, "url") : NULL;
    v->status = cJSON_IsNumber(status) && status->valuedouble >= 100 && status->valuedouble <= 599 ? (int)status->valuedouble : 0;
    v->annotations = cJSON_GetObjectItemCaseSensitive(e, "annotations");
}

static bool node_matches(const filter *f, const cJSON *node)
{
    trace v;
    entity_view(node, &v);
    return !f->inner || filter_match(f->inner, &v);
}

/* What each node form looks for while walking the trace. */
typedef struct search {
    const filter *f;
    const trace *t;
    bool found;
} search;

static void find_service(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    (void)depth, (void)seg;
    search *q = ctx;
    char type[160];
    node_type(e, type, sizeof type);
    if (!q->found && (!q->f->s[0] || !strcmp(text_of(e, "name"), q->f->s)) &&
        (!q->f->s2[0] || !strcmp(type, q->f->s2)))
        q->found = node_matches(q->f, e);
}

/* The segment that holds the entity with this id ("" when none does). */
typedef struct owner { const char *id, *segment; } owner;

static void find_owner(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    (void)depth;
    owner *o = ctx;
    if (!o->segment && !strcmp(text_of(e, "id"), o->id))
        o->segment = text_of(seg, "name");
}

/* edge("from", "to"): a call named "to" made in a segment named "from", or a segment named
 * "to" whose parent is in a segment named "from". */
static void find_edge(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    search *q = ctx;
    if (q->found || strcmp(text_of(e, "name"), q->f->s2))
        return;
    const char *from = depth > 0 ? text_of(seg, "name") : "";
    if (depth == 0 && *text_of(e, "parent_id")) {
        owner o = {text_of(e, "parent_id"), NULL};
        trace_walk(q->t, find_owner, &o);
        from = o.segment ? o.segment : "";
    }
    if (!strcmp(from, q->f->s))
        q->found = node_matches(q->f, e);
}

static bool flag_below(const cJSON *e, const char *k)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(e, "subsegments"))
        if (flag_of(c, k) || flag_below(c, k))
            return true;
    return false;
}

/* A segment of the trace called from the entity with this id that carries the flag. */
static bool flag_downstream(const trace *t, const cJSON *e, const char *k)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, t->roots)
        if (flag_of(r, k) && !strcmp(text_of(r, "parent_id"), text_of(e, "id")) && *text_of(e, "id"))
            return true;
    return false;
}

/* rootcause.KIND.service: an entity with the flag none of whose calls has it is a root cause;
 * its service is the entity itself when it is a segment or a call out, else its segment. */
static void find_rootcause(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    search *q = ctx;
    const char *kind = q->f->key + 10; /* "fault.service" */
    char k[16];
    snprintf(k, sizeof k, "%.*s", (int)strcspn(kind, "."), kind);
    if (q->found || !flag_of(e, k) || flag_below(e, k) || flag_downstream(q->t, e, k))
        return;
    const char *ns = text_of(e, "namespace");
    const cJSON *service = depth == 0 || !strcmp(ns, "aws") || !strcmp(ns, "remote") ? e : seg;
    q->found = node_matches(q->f, service);
}

static bool annotation_matches(const filter *f, const cJSON *annotations, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(annotations, key);
    if (!v)
        return false;
    if (f->vkind == V_STRING)
        return cJSON_IsString(v) && compare_str(v->valuestring, f->op, f->s);
    if (f->vkind == V_NUMBER)
        return cJSON_IsNumber(v) && compare_num(v->valuedouble, f->op, f->n);
    return cJSON_IsBool(v) && (strcmp(f->op, "!=") ? cJSON_IsTrue(v) == (bool)f->b : cJSON_IsTrue(v) != (bool)f->b);
}

/* annotation[SERVICE].KEY: the annotations of the entities named SERVICE. */
static void find_service_annotation(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    (void)depth, (void)seg;
    search *q = ctx;
    const char *k = q->f->key + 11, *close = strstr(k, "].");
    if (!q->found && close && strlen(text_of(e, "name")) == (size_t)(close - k) &&
        !strncmp(text_of(e, "name"), k, (size_t)(close - k)))
        q->found = annotation_matches(q->f, cJSON_GetObjectItemCaseSensitive(e, "annotations"), close + 2);
}

static bool test(const filter *f, const trace *t)
{
    const char *k = f->key;
    search q = {f, t, false};
    if (!strcmp(k, "service") || !strcmp(k, "edge") || is_rootcause(k) || !strncmp(k, "annotation[", 11)) {
        trace_walk(t, !strcmp(k, "service") ? find_service : !strcmp(k, "edge") ? find_edge
                      : is_rootcause(k) ? find_rootcause : find_service_annotation, &q);
        return q.found;
    }
    bool flag = !strcmp(k, "fault") ? t->fault : !strcmp(k, "error") ? t->error
              : !strcmp(k, "throttle") ? t->throttle : !strcmp(k, "ok") ? !(t->fault || t->error || t->throttle) : false;
    if (!strcmp(k, "fault") || !strcmp(k, "error") || !strcmp(k, "throttle") || !strcmp(k, "ok"))
        return !f->op[0] ? flag : (!strcmp(f->op, "=") ? flag == (bool)f->b : flag != (bool)f->b);
    if (!strcmp(k, "responsetime") || !strcmp(k, "duration")) {
        double d = !strcmp(k, "responsetime") ? entity_duration(t->root) : t->end - t->start;
        return compare_num(d, f->op, f->n);
    }
    if (!strcmp(k, "http.status"))
        return t->status && compare_num(t->status, f->op, f->n);
    if (!strcmp(k, "http.method"))
        return t->method && compare_str(t->method, f->op, f->s);
    if (!strcmp(k, "http.url"))
        return t->url && compare_str(t->url, f->op, f->s);
    if (!strcmp(k, "name") || !strcmp(k, "type")) {
        char type[160];
        node_type(t->root, type, sizeof type);
        return compare_str(!strcmp(k, "name") ? text_of(t->root, "name") : type, f->op, f->s);
    }
    return annotation_matches(f, t->annotations, k + 11);
}

bool filter_match(const filter *f, const trace *t)
{
    if (!f)
        return true;
    switch (f->kind) {
    case N_AND: return filter_match(f->left, t) && filter_match(f->right, t);
    case N_OR: return filter_match(f->left, t) || filter_match(f->right, t);
    case N_NOT: return !filter_match(f->left, t);
    default: return test(f, t);
    }
}
