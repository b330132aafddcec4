/* doccheck.c — the daemon's view of a datagram. Everything here is input from the network:
 * checked before anything is stored, with a reason for every refusal. */
#include "doccheck.h"

#include <ctype.h>
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

static const char *entity_problem(const cJSON *e, bool top, int depth)
{
    if (depth > 64)
        return "nested too deeply";
    if (!cJSON_IsObject(e))
        return "subsegment is not an object";
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (!cJSON_IsString(name) || !name->valuestring[0])
        return "missing name";
    if (strlen(name->valuestring) > 200 * 4)
        return "name too long";
    if (!hex_string(cJSON_GetObjectItemCaseSensitive(e, "id"), 16))
        return "bad id";
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_time");
    if (!cJSON_IsNumber(st))
        return "missing start_time";
    const cJSON *et = cJSON_GetObjectItemCaseSensitive(e, "end_time");
    const cJSON *ip = cJSON_GetObjectItemCaseSensitive(e, "in_progress");
    if (et && !cJSON_IsNumber(et))
        return "end_time is not a number";
    if (!et && !cJSON_IsTrue(ip))
        return "neither end_time nor in_progress";
    if (top) {
        if (!trace_id_ok(cJSON_GetObjectItemCaseSensitive(e, "trace_id")))
            return "bad trace_id";
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
        if (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "subsegment")))
            return "bad type";
        if (type && !hex_string(cJSON_GetObjectItemCaseSensitive(e, "parent_id"), 16))
            return "subsegment without parent_id";
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
