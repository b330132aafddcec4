/* doccheck.c — the daemon's view of a datagram. Everything here is input from the network:
 * checked before anything is stored, with a reason for every refusal. The limits are those
 * of the official segment-document JSON schema (shared/XRAY-PROTOCOL.md lists them), so a
 * document the X-Ray service would refuse is refused here too; the runtime's own tests
 * receive every document through this same check. */
#include "doccheck.h"

#include <xray_capture/limits.h>

#include <ctype.h>
#include <locale.h>
#include <wchar.h>
#include <wctype.h>
#include <string.h>
#include <strings.h>

bool valid_utf8(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
        else return false;
        if (i + n > len)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

static bool hex_string(const cJSON *v, size_t n)
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)v->valuestring[i]))
            return false;
    return true;
}

static bool trace_id_ok(const cJSON *v)
{
    const char *t = cJSON_IsString(v) ? v->valuestring : "";
    if (strlen(t) != 35 || strncmp(t, "1-", 2) || t[10] != '-')
        return false;
    for (int i = 2; i < 35; i++)
        if (i != 10 && !isxdigit((unsigned char)t[i]))
            return false;
    return true;
}

/* Characters of UTF-8 text (code points). */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* \p{L}, \p{N} and \p{Z} by the C library's Unicode tables (C.UTF-8), plus the ASCII
 * punctuation the schema names. */
static bool name_char_ok(wint_t c)
{
    static locale_t utf8;
    static bool tried;
    if (c < 0x80)
        return isalnum((int)c) || (c && strchr(" _.:/%&#=+-@", (int)c));
    if (c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
        c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000)
        return true;
    if (!tried) {
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        tried = true;
    }
    return !utf8 || iswalnum_l(c, utf8);
}

/* The schema's name: 1–200 characters of letters, digits, space separators, _.:/%&#=+-@. */
static bool name_ok(const char *s)
{
    size_t n = 0, len = strlen(s);
    if (!valid_utf8(s, len))
        return false;
    while (len) {
        wchar_t c;
        unsigned cp;
        unsigned char b = (unsigned char)*s;
        size_t k = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        if (k > len)
            return false;
        cp = k == 1 ? b : b & (0xff >> (k + 1));
        for (size_t i = 1; i < k; i++)
            cp = (cp << 6) | ((unsigned char)s[i] & 0x3f);
        c = (wchar_t)cp;
        if (!name_char_ok((wint_t)c))
            return false;
        s += k;
        len -= k;
        n++;
    }
    return n >= 1 && n <= 200;
}

/* A string field of at most `max` characters, when present. */
static bool short_field(const cJSON *o, const char *key, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return !v || (cJSON_IsString(v) && chars(v->valuestring) <= max);
}

static bool annotation_key_ok(const char *k)
{
    size_t n = 0;
    for (; *k; k++, n++)
        if (!isalnum((unsigned char)*k) && *k != '_')
            return false;
    return n >= 1 && n <= 500;
}

/* The official schema's limits on the optional fields of one entity. */
static const char *field_problem(const cJSON *e)
{
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "http"), "request");
    if (!short_field(req, "method", 250) || !short_field(req, "url", 250) ||
        !short_field(req, "user_agent", 250) || !short_field(req, "client_ip", 250))
        return "http.request field over 250 characters";
    if (!short_field(e, "user", 250))
        return "user over 250 characters";
    if (!short_field(cJSON_GetObjectItemCaseSensitive(e, "sql"), "user", 250))
        return "sql.user over 250 characters";
    const cJSON *a, *ann = cJSON_GetObjectItemCaseSensitive(e, "annotations");
    if (ann && !cJSON_IsObject(ann))
        return "annotations is not an object";
    cJSON_ArrayForEach(a, ann) {
        if (!annotation_key_ok(a->string))
            return "bad annotation key";
        if (!cJSON_IsString(a) && !cJSON_IsNumber(a) && !cJSON_IsBool(a))
            return "annotation value is not a string, number or boolean";
        if (cJSON_IsString(a) && chars(a->valuestring) > 1000)
            return "annotation value over 1000 characters";
    }
    const cJSON *cause = cJSON_GetObjectItemCaseSensitive(e, "cause"), *x;
    if (cJSON_IsString(cause) && !hex_string(cause, 16))
        return "cause id is not 16 characters";
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cause, "exceptions"))
        if (!hex_string(cJSON_GetObjectItemCaseSensitive(x, "id"), 16))
            return "exception id is not 16 characters";
    return NULL;
}

static const char *entity_problem(const cJSON *e, bool top, int depth)
{
    if (depth > XRAY_MAX_NESTING)
        return "nested too deeply";
    if (!cJSON_IsObject(e))
        return "subsegment is not an object";
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (!cJSON_IsString(name) || !name->valuestring[0])
        return "missing name";
    if (!name_ok(name->valuestring))
        return "name has characters the schema does not allow, or over 200";
    if (!hex_string(cJSON_GetObjectItemCaseSensitive(e, "id"), 16))
        return "bad id";
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_time");
    if (!cJSON_IsNumber(st))
        return "missing start_time";
    /* epoch seconds between 1970 and 2286: anything else (1e18, inf) is no time */
    if (!(st->valuedouble >= 0 && st->valuedouble < 1e10))
        return "start_time out of range";
    const cJSON *et = cJSON_GetObjectItemCaseSensitive(e, "end_time");
    const cJSON *ip = cJSON_GetObjectItemCaseSensitive(e, "in_progress");
    if (et && !cJSON_IsNumber(et))
        return "end_time is not a number";
    if (et && !(et->valuedouble >= 0 && et->valuedouble < 1e10))
        return "end_time out of range";
    if (!et && !cJSON_IsTrue(ip))
        return "neither end_time nor in_progress";
    const char *fp = field_problem(e);
    if (fp)
        return fp;
    if (top) {
        if (!trace_id_ok(cJSON_GetObjectItemCaseSensitive(e, "trace_id")))
            return "bad trace_id";
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
        if (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "subsegment")))
            return "bad type";
        if (type && !hex_string(cJSON_GetObjectItemCaseSensitive(e, "parent_id"), 16))
            return "subsegment without parent_id";
        const cJSON *parent = cJSON_GetObjectItemCaseSensitive(e, "parent_id");
        if (parent && !hex_string(parent, 16))
            return "parent_id is not 16 hex digits";
    }
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(e, "subsegments"), *c;
    if (subs && !cJSON_IsArray(subs))
        return "subsegments is not an array";
    cJSON_ArrayForEach(c, subs) {
        const char *p = entity_problem(c, false, depth + 1);
        if (p)
            return p;
    }
    return NULL;
}

const char *doc_problem(const cJSON *doc) { return entity_problem(doc, true, 0); }

cJSON *doc_from_datagram(const char *data, size_t len, const char **why)
{
    if (len > DATAGRAM_MAX)
        return *why = "too large", NULL;
    if (memchr(data, '\0', len))
        return *why = "NUL byte", NULL;
    const char *nl = memchr(data, '\n', len);
    if (!nl)
        return *why = "no header line", NULL;
    cJSON *head = cJSON_ParseWithLength(data, (size_t)(nl - data));
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(head, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(head, "version");
    bool ok = cJSON_IsObject(head) && cJSON_IsString(fmt) && !strcasecmp(fmt->valuestring, "json") &&
              cJSON_IsNumber(ver) && ver->valuedouble == 1;
    cJSON_Delete(head);
    if (!ok)
        return *why = "bad header", NULL;
    const char *body = nl + 1;
    size_t blen = len - (size_t)(body - data);
    if (!valid_utf8(body, blen))
        return *why = "invalid UTF-8", NULL;
    if (memchr(body, '\0', blen))
        return *why = "NUL byte", NULL;
    cJSON *doc = cJSON_ParseWithLength(body, blen);
    if (!doc)
        return *why = "not JSON", NULL;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return *why = "not a JSON object", NULL;
    }
    const char *p = doc_problem(doc);
    if (p) {
        cJSON_Delete(doc);
        return *why = p, NULL;
    }
    return doc;
}
