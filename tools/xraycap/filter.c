/* filter.c — recursive-descent parser and evaluator for filter.h's expressions. */
#include "filter.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { T_END, T_IDENT, T_STRING, T_NUMBER, T_OP, T_LPAREN, T_RPAREN } token_kind;

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
    char key[256];      /* "fault", "annotation.x", "service", "http.status", ... */
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
    } else if (c == '(' || c == ')') {
        t->kind = c == '(' ? T_LPAREN : T_RPAREN;
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
        if (!strcmp(t->text, "!")) {
            fail(p, "'!' must be '!='");
            return;
        }
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
        while ((isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_' || s[p->pos] == '.') &&
               n < sizeof t->text - 1)
            t->text[n++] = s[p->pos++];
        t->text[n] = '\0';
        t->kind = T_IDENT;
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
    for (char *c = f->key; *c && strncmp(f->key, "annotation.", 11); c++)
        *c = (char)tolower((unsigned char)*c);
    if (!strncasecmp(f->key, "annotation.", 11))
        memcpy(f->key, "annotation.", 11);
    size_t keypos = p->tok.pos;
    next(p);
    static const char *flags[] = {"fault", "error", "throttle", "ok"};
    static const char *numeric[] = {"responsetime", "duration", "http.status"};
    static const char *text[] = {"http.method", "http.url"};
    bool is_flag = false, is_num = false, is_text = false;
    for (int i = 0; i < 4; i++) is_flag |= !strcmp(f->key, flags[i]);
    for (int i = 0; i < 3; i++) is_num |= !strcmp(f->key, numeric[i]);
    for (int i = 0; i < 2; i++) is_text |= !strcmp(f->key, text[i]);
    bool is_ann = !strncmp(f->key, "annotation.", 11) && f->key[11];
    if (!strcmp(f->key, "service")) {
        if (p->tok.kind != T_LPAREN) { fail(p, "service needs (\"name\")"); return f; }
        next(p);
        if (p->tok.kind != T_STRING) { fail(p, "service needs a \"name\" in quotes"); return f; }
        snprintf(f->s, sizeof f->s, "%s", p->tok.text);
        f->vkind = V_STRING;
        next(p);
        if (p->tok.kind != T_RPAREN) { fail(p, "expected ')'"); return f; }
        next(p);
        return f;
    }
    if (!is_flag && !is_num && !is_text && !is_ann) {
        p->tok.pos = keypos;
        fail(p, "unknown key (known: annotation.KEY, service(\"name\"), responsetime, duration, "
                "http.status, http.method, http.url, fault, error, throttle, ok)");
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
    } else if (!is_flag) {
        fail(p, "expected an operator (=, !=, <, <=, >, >=, CONTAINS)");
    }
    return f;
}

#define MAX_NESTING 64 /* parentheses and NOTs: deeper is refused, never a deep recursion */

static filter *parse_unary(parser *p)
{
    if (p->failed)
        return NULL; /* the token did not advance: stop here, do not recurse on it */
    if (++p->depth > MAX_NESTING) {
        fail(p, "nested too deeply");
        return NULL;
    }
    if (is_word(&p->tok, "NOT")) {
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

filter *filter_parse(const char *text, char *err, size_t errlen)
{
    parser p = {.text = text, .err = err, .errlen = errlen};
    next(&p);
    filter *f = parse_or(&p);
    if (!p.failed && p.tok.kind != T_END)
        fail(&p, "expected AND, OR or the end");
    if (p.failed) {
        filter_free(f);
        return NULL;
    }
    return f;
}

void filter_free(filter *f)
{
    if (!f)
        return;
    filter_free(f->left);
    filter_free(f->right);
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

typedef struct named { const char *name; bool found; } named;

static void find_name(const cJSON *e, int depth, const cJSON *seg, void *ctx)
{
    (void)depth;
    (void)seg;
    named *n = ctx;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    n->found |= cJSON_IsString(name) && !strcmp(name->valuestring, n->name);
}

static bool test(const filter *f, const trace *t)
{
    const char *k = f->key;
    if (!strcmp(k, "service")) {
        named n = {f->s, false};
        trace_walk(t, find_name, &n);
        return n.found;
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
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->annotations, k + 11);
    if (!v)
        return false;
    if (f->vkind == V_STRING)
        return cJSON_IsString(v) && compare_str(v->valuestring, f->op, f->s);
    if (f->vkind == V_NUMBER)
        return cJSON_IsNumber(v) && compare_num(v->valuedouble, f->op, f->n);
    return cJSON_IsBool(v) && (strcmp(f->op, "!=") ? cJSON_IsTrue(v) == (bool)f->b : cJSON_IsTrue(v) != (bool)f->b);
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
