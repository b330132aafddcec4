/* tracecontext.c — W3C Trace Context Level 1: the traceparent and tracestate headers, read as
 * the specification's own test suite checks them (optional white space, versions, lengths,
 * casing, all-zero ids, list limits) and written for outgoing calls. Incoming text is hostile:
 * anything malformed means "no context" with a reason, never a half-parsed one. */
#include "core/trace_header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRACESTATE_MEMBERS_MAX 32
#define TRACESTATE_KEEP_MAX 512     /* characters a vendor must be able to pass on */
#define TRACESTATE_LONG_MEMBER 128  /* members over this go first when the list is cut */

static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

static bool ows(char c) { return c == ' ' || c == '\t'; }

/* [s, e) without optional white space at either end. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && ows(**s))
        (*s)++;
    while (*e > *s && ows((*e)[-1]))
        (*e)--;
}

static unsigned hexval(char c) { return (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10); }

bool xrc_w3c_to_xray(const char *w3c, long long now, char out[XRC_TRACE_ID_LEN + 1])
{
    char head[9];
    memcpy(head, w3c, 8);
    head[8] = '\0';
    long long t = strtoll(head, NULL, 16);
    bool plausible = t >= now - 29LL * 86400 && t <= now + 300;
    if (plausible)
        snprintf(out, XRC_TRACE_ID_LEN + 1, "1-%.8s-%.24s", w3c, w3c + 8);
    else
        snprintf(out, XRC_TRACE_ID_LEN + 1, "1-%08llx-%.24s",
                 (unsigned long long)(now & 0xffffffffLL), w3c + 8);
    return plausible;
}

bool xrc_traceparent_parse(const char *text, xrc_trace_header *out, const char **why)
{
    const char *t = text, *end = text + strlen(text);
    trim(&t, &end);
    size_t n = (size_t)(end - t);
    /* version-format: lower-case hex only (upper case is invalid, as are other characters) */
    if (n < 55 || t[2] != '-' || t[35] != '-' || t[52] != '-' || !xrc_is_hex(t, 2) ||
        !xrc_is_hex(t + 3, 32) || !xrc_is_hex(t + 36, 16) || !xrc_is_hex(t + 53, 2))
        return *why = "traceparent is not <2 hex>-<32 hex>-<16 hex>-<2 hex>, lower case", false;
    if (!strncmp(t, "ff", 2))
        return *why = "traceparent version ff is invalid", false;
    /* version 00 is exactly 55 characters; a later version may add fields after a '-' (two
     * traceparent fields joined by a comma are invalid either way) */
    if (!strncmp(t, "00", 2) && n != 55)
        return *why = "traceparent version 00 has trailing data (or came twice)", false;
    if (n > 55 && t[55] != '-')
        return *why = "traceparent has trailing data (or came twice)", false;
    if (all_zero(t + 3, 32))
        return *why = "traceparent has an all-zero trace id", false;
    if (all_zero(t + 36, 16))
        return *why = "traceparent has an all-zero parent id", false;
    char w3c[33];
    memcpy(w3c, t + 3, 32);
    w3c[32] = '\0';
    memcpy(out->w3c_received, w3c, sizeof w3c);
    if (!xrc_w3c_to_xray(w3c, (long long)time(NULL), out->root))
        memcpy(out->w3c_trace, w3c, sizeof w3c);
    memcpy(out->parent, t + 36, 16);
    out->parent[16] = '\0';
    unsigned flags = hexval(t[53]) << 4 | hexval(t[54]);
    out->sampled = (flags & XRC_W3C_SAMPLED) ? XRC_SAMPLED_YES : XRC_SAMPLED_NO;
    out->w3c_flags = (unsigned char)(flags & XRC_W3C_RANDOM); /* Level 2: random is kept */
    out->from_w3c = true;
    return true;
}

/* key = simple-key / multi-tenant-key (W3C Trace Context, 3.3.1.3.1) */
static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' ||
           c == '/';
}

static bool key_ok(const char *k, size_t n)
{
    const char *at = memchr(k, '@', n);
    if (!at) { /* lcalpha 0*255(key chars) */
        if (n < 1 || n > 256 || !(k[0] >= 'a' && k[0] <= 'z'))
            return false;
        for (size_t i = 1; i < n; i++)
            if (!key_char(k[i]))
                return false;
        return true;
    }
    /* tenant-id "@" system-id: (lcalpha / DIGIT) 0*240(...) "@" lcalpha 0*13(...) */
    size_t tn = (size_t)(at - k), sn = n - tn - 1;
    if (tn < 1 || tn > 241 || sn < 1 || sn > 14)
        return false;
    if (!((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= '0' && k[0] <= '9')) ||
        !(at[1] >= 'a' && at[1] <= 'z'))
        return false;
    for (size_t i = 1; i < tn; i++)
        if (!key_char(k[i]))
            return false;
    for (size_t i = 2; i <= sn; i++)
        if (!key_char(at[i]))
            return false;
    return true;
}

/* value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E */
static bool value_ok(const char *v, size_t n)
{
    if (n < 1 || n > 256 || v[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c > 0x7e || c == ',' || c == '=')
            return false;
    }
    return true;
}

typedef struct member {
    const char *s;
    size_t n, key_len;
} member;

bool xrc_tracestate_parse(const char *text, char out[XRC_TRACESTATE_MAX + 1], const char **why)
{
    member m[TRACESTATE_MEMBERS_MAX];
    size_t count = 0;
    out[0] = '\0';
    for (const char *p = text;;) {
        const char *comma = strchr(p, ','), *e = comma ? comma : p + strlen(p), *s = p;
        trim(&s, &e);
        if (s < e) { /* empty list-members are allowed and skipped */
            const char *eq = memchr(s, '=', (size_t)(e - s));
            if (!eq)
                return *why = "a tracestate member has no key=value form", false;
            if (!key_ok(s, (size_t)(eq - s)))
                return *why = "a tracestate key is malformed", false;
            if (!value_ok(eq + 1, (size_t)(e - eq - 1)))
                return *why = "a tracestate value is malformed", false;
            if (count == TRACESTATE_MEMBERS_MAX)
                return *why = "tracestate has more than 32 members", false;
            for (size_t i = 0; i < count; i++)
                if (m[i].key_len == (size_t)(eq - s) && !memcmp(m[i].s, s, m[i].key_len))
                    return *why = "a tracestate key appears twice", false;
            m[count++] = (member){s, (size_t)(e - s), (size_t)(eq - s)};
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    /* Keep what fits in 512 characters: long members go first, then from the end. */
    bool keep[TRACESTATE_MEMBERS_MAX];
    size_t total = 0, kept = 0;
    for (size_t i = 0; i < count; i++) {
        keep[i] = true;
        total += m[i].n + (i ? 1 : 0);
    }
    for (size_t i = count; i-- > 0 && total > TRACESTATE_KEEP_MAX;)
        if (m[i].n > TRACESTATE_LONG_MEMBER) {
            keep[i] = false;
            total -= m[i].n + 1;
        }
    for (size_t i = count; i-- > 0 && total > TRACESTATE_KEEP_MAX;)
        if (keep[i]) {
            keep[i] = false;
            total -= m[i].n + 1;
        }
    size_t o = 0;
    for (size_t i = 0; i < count; i++) {
        if (!keep[i])
            continue;
        if (kept++)
            out[o++] = ',';
        memcpy(out + o, m[i].s, m[i].n);
        o += m[i].n;
    }
    out[o] = '\0';
    return true;
}

int xrc_traceparent_write(char *buf, size_t len, const xrc_segment *s, uint64_t id)
{
    char hex[17];
    xrc_hex16(hex, id);
    hex[16] = '\0';
    unsigned flags = (s->w3c_flags & XRC_W3C_RANDOM) | (s->sampled ? XRC_W3C_SAMPLED : 0);
    return s->w3c_trace
               ? snprintf(buf, len, "00-%s-%s-%02x", s->w3c_trace, hex, flags)
               : snprintf(buf, len, "00-%.8s%.24s-%s-%02x", s->trace_id + 2, s->trace_id + 11,
                          hex, flags);
}
