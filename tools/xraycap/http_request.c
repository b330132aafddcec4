/* http_request.c — see http_request.h. Stateless: the caller keeps the bytes, this reads them
 * from the start each time, which costs little because a body is skipped by its lengths. */
#include "http_request.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_token(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The first CRLF in [p, end), or NULL. */
static const char *line_end(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

/* A whole decimal number in [p, end) after optional blanks; false on anything else. */
static bool decimal(const char *p, const char *end, size_t *out)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end || end - p > 12)
        return false;
    size_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    *out = v;
    return true;
}

/* The request line: METHOD SP PATH SP HTTP/1.x. */
static int request_line(const char *p, const char *end, request *r)
{
    size_t m = 0;
    while (p + m < end && is_token((unsigned char)p[m]))
        m++;
    if (m == 0 || m >= sizeof r->method || p + m >= end || p[m] != ' ')
        return 400;
    memcpy(r->method, p, m);
    p += m + 1;
    size_t u = 0;
    while (p + u < end && (unsigned char)p[u] > ' ' && p[u] != 0x7f)
        u++;
    if (u == 0 || p[0] != '/' || p + u >= end || p[u] != ' ')
        return 400;
    if (u >= sizeof r->path)
        return 414;
    memcpy(r->path, p, u);
    p += u + 1;
    if (end - p != 8 || (memcmp(p, "HTTP/1.1", 8) && memcmp(p, "HTTP/1.0", 8)))
        return 400;
    return 0;
}

/* A chunked body from p: its decoded length in *len (0 and 0 returned while incomplete), the
 * end of the message in *stop. */
static int chunked(const char *p, const char *end, size_t max_body, char *out, size_t *len, const char **stop)
{
    size_t total = 0;
    for (;;) {
        const char *eol = line_end(p, end);
        if (!eol || eol - p > 1024) /* a size line, extensions included, has a limit too */
            return (eol || end - p > 1024) ? 400 : 0;
        size_t size = 0, digits = 0;
        for (const char *c = p; c < eol && *c != ';'; c++, digits++) {
            int v = *c >= '0' && *c <= '9' ? *c - '0' : (*c | 0x20) >= 'a' && (*c | 0x20) <= 'f' ? (*c | 0x20) - 'a' + 10 : -1;
            if (v < 0 || digits >= 8)
                return 400;
            size = size * 16 + (size_t)v;
        }
        if (digits == 0)
            return 400;
        if (size > max_body - total)
            return 413;
        p = eol + 2;
        if (size == 0) { /* trailer fields, then an empty line */
            const char *trailer = p;
            for (;;) {
                const char *t = line_end(p, end);
                if ((t ? t : end) - trailer > HTTP_MAX_HEADER)
                    return 431;
                if (!t)
                    return 0;
                bool empty = t == p;
                p = t + 2;
                if (empty)
                    break;
            }
            *len = total;
            *stop = p;
            return 1;
        }
        if ((size_t)(end - p) < size + 2)
            return 0;
        if (p[size] != '\r' || p[size + 1] != '\n')
            return 400;
        if (out)
            memcpy(out + total, p, size);
        total += size;
        p += size + 2;
    }
}

int http_request_parse(const char *buf, size_t n, size_t max_body, request *r, size_t *used)
{
    memset(r, 0, sizeof *r);
    const char *end = buf + n, *head_end = NULL;
    for (const char *p = buf; p + 3 < end; p++)
        if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n') {
            head_end = p + 2; /* just past the last header line's CRLF */
            break;
        }
    if (!head_end) {
        /* what has come so far can already be refused */
        const char *eol = line_end(buf, end);
        request scratch;
        memset(&scratch, 0, sizeof scratch);
        if (eol) {
            int bad = request_line(buf, eol, &scratch);
            if (bad)
                return bad;
        } else if (n > sizeof r->path + sizeof r->method + 10) {
            return 414;
        }
        return n > HTTP_MAX_HEADER ? 431 : 0;
    }
    if ((size_t)(head_end - buf) > HTTP_MAX_HEADER)
        return 431;
    const char *eol = line_end(buf, end);
    int bad = request_line(buf, eol, r);
    if (bad)
        return bad;
    size_t length = 0;
    bool has_length = false, is_chunked = false;
    for (const char *line = eol + 2; line < head_end; line = line_end(line, end) + 2) {
        const char *le = line_end(line, end), *colon = memchr(line, ':', (size_t)(le - line));
        if (!colon || colon == line)
            return 400;
        for (const char *c = line; c < colon; c++)
            if (!is_token((unsigned char)*c))
                return 400;
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        size_t name = (size_t)(colon - line), vlen = (size_t)(le - v);
        if (name == 14 && !strncasecmp(line, "Content-Length", 14)) {
            size_t l;
            if (!decimal(v, le, &l) || (has_length && l != length))
                return 400;
            length = l, has_length = true;
        } else if (name == 17 && !strncasecmp(line, "Transfer-Encoding", 17)) {
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen != 7 || strncasecmp(v, "chunked", 7))
                return 501;
            is_chunked = true;
        } else if (name == 15 && !strncasecmp(line, "X-Amzn-Trace-Id", 15)) {
            if (vlen >= sizeof r->trace_header)
                return 400;
            memcpy(r->trace_header, v, vlen);
            r->trace_header[vlen] = '\0';
        }
    }
    if (has_length && is_chunked) /* which one frames the body is ambiguous: refused */
        return 400;
    const char *body = head_end + 2, *stop;
    size_t len;
    if (is_chunked) {
        int st = chunked(body, end, max_body, NULL, &len, &stop);
        if (st != 1)
            return st;
    } else {
        if (length > max_body)
            return 413;
        if ((size_t)(end - body) < length)
            return 0;
        len = length, stop = body + length;
    }
    r->body = malloc(len + 1);
    if (!r->body)
        return 413;
    if (is_chunked)
        chunked(body, end, max_body, r->body, &len, &stop);
    else
        memcpy(r->body, body, len);
    r->body[len] = '\0';
    r->body_len = len;
    *used = (size_t)(stop - buf);
    return 1;
}
