/* jsonbuf.c — see jsonbuf.h. */
#include "emit/jsonbuf.h"
#include "model/thread.h"
#include "model/id.h"
#include "model/sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xrc_buf_init(xrc_buf *b, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

void xrc_buf_free(xrc_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void xrc_buf_rewind(xrc_buf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
    b->over = false;
}

static bool reserve(xrc_buf *b, size_t n)
{
    if (b->over)
        return false;
    if (b->len + n > b->limit) {
        b->over = true;
        return false;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->over = true;
            return false;
        }
        b->p = p;
        b->cap = cap;
    }
    return true;
}

void xrc_buf_put(xrc_buf *b, const char *s, size_t n)
{
    if (reserve(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

void xrc_buf_puts(xrc_buf *b, const char *s) { xrc_buf_put(b, s, strlen(s)); }

void xrc_buf_putc(xrc_buf *b, char c)
{
    if (reserve(b, 1))
        b->p[b->len++] = c;
}

static void put_escaped(xrc_buf *b, unsigned char c)
{
    char esc[8];
    switch (c) {
    case '"': xrc_buf_put(b, "\\\"", 2); return;
    case '\\': xrc_buf_put(b, "\\\\", 2); return;
    case '\n': xrc_buf_put(b, "\\n", 2); return;
    case '\r': xrc_buf_put(b, "\\r", 2); return;
    case '\t': xrc_buf_put(b, "\\t", 2); return;
    default:
        snprintf(esc, sizeof esc, "\\u%04x", c);
        xrc_buf_put(b, esc, 6);
    }
}

void xrc_buf_str(xrc_buf *b, const char *s)
{
    xrc_buf_putc(b, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == '"' || c == '\\') {
            xrc_buf_put(b, run, (size_t)(p - run));
            put_escaped(b, c);
            run = p + 1;
        }
    }
    xrc_buf_put(b, run, strlen(run));
    xrc_buf_putc(b, '"');
}

void xrc_buf_name(xrc_buf *b, const char *s)
{
    /* The allowed characters need no JSON escaping. */
    char clean[XRC_NAME_BYTES];
    xrc_name_clean(s, clean);
    xrc_buf_putc(b, '"');
    xrc_buf_puts(b, clean);
    xrc_buf_putc(b, '"');
}

void xrc_buf_hex16(xrc_buf *b, uint64_t id)
{
    char out[18];
    out[0] = '"';
    xrc_hex16(out + 1, id);
    out[17] = '"';
    xrc_buf_put(b, out, 18);
}

static size_t utoa(char *end, unsigned long long v)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return (size_t)(end - p);
}

/* The seconds part of the last time written by this thread (in xrc_tls): the times of one
 * segment, and of segments ended close together, share it, so it is formatted once. */
void xrc_buf_time(xrc_buf *b, int64_t epoch_ns)
{
    xrc_thread *t = &xrc_tls;
    if (epoch_ns < 0)
        epoch_ns = 0;
    long long us = (epoch_ns + 500) / 1000, sec = us / 1000000;
    if (!t->sec_valid || sec != t->last_sec) {
        char tmp[24];
        t->last_len = utoa(tmp + sizeof tmp, (unsigned long long)sec);
        memcpy(t->last_digits, tmp + sizeof tmp - t->last_len, t->last_len);
        t->last_sec = sec;
        t->sec_valid = true;
    }
    size_t last_len = t->last_len;
    char text[32];
    memcpy(text, t->last_digits, last_len);
    char *frac = text + last_len;
    *frac++ = '.';
    long long f = us % 1000000;
    for (int i = 5; i >= 0; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    xrc_buf_put(b, text, last_len + 7);
}

void xrc_buf_llong(xrc_buf *b, long long v)
{
    char tmp[24], *end = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = utoa(end, u);
    if (v < 0)
        xrc_buf_putc(b, '-');
    xrc_buf_put(b, end - n, n);
}

void xrc_buf_double(xrc_buf *b, double v)
{
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
        xrc_buf_llong(b, (long long)v); /* counts, ids, sizes: the common case */
        return;
    }
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    xrc_buf_puts(b, text);
}
