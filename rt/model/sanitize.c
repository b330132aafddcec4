/* sanitize.c — validation and cleaning of user text. X-Ray rejects whole documents over one
 * bad character, so cleaning happens here, once, instead of losing a segment later. */
#include "model/sanitize.h"

#include <cjson/cJSON.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

static locale_t utf8_locale;   /* C.UTF-8 for Unicode classes, made once; 0 if unavailable */
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void make_utf8_locale(void) { utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

/* \p{Z}: the space separators, line and paragraph separators. */
static bool unicode_separator(unsigned cp)
{
    return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The ASCII characters names may have: every name is checked when it is given and cleaned
 * when it is written, most of them plain ASCII. */
static const bool ascii_allowed[128] = {
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, [' '] = 1, ['_'] = 1,
    ['.'] = 1, [':'] = 1, ['/'] = 1, ['%'] = 1, ['&'] = 1, ['#'] = 1, ['='] = 1, ['+'] = 1,
    ['-'] = 1, ['@'] = 1,
};

bool xrc_name_char_allowed(unsigned cp)
{
    if (cp < 0x80)
        return ascii_allowed[cp];
    if (unicode_separator(cp))
        return true;
    pthread_once(&utf8_once, make_utf8_locale);
    /* Without the locale, non-ASCII letters cannot be told from symbols: keep them (a name
     * of another script is more useful than an empty one). */
    return !utf8_locale || iswalnum_l((wint_t)cp, utf8_locale);
}

unsigned xrc_utf8_decode(const unsigned char *s, size_t n)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    unsigned cp = s[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

size_t xrc_utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
    else return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool xrc_name_is_clean(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t len = strlen(name), chars = 0;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; chars++) {
        if (s[i] < 0x80) {
            if (!ascii_allowed[s[i]])
                return false;
            i++;
            continue;
        }
        size_t n = xrc_utf8_seq(s + i, len - i);
        if (n == 0 || !xrc_name_char_allowed(xrc_utf8_decode(s + i, n)))
            return false;
        i += n;
    }
    return chars <= XRC_NAME_MAX;
}

void xrc_name_clean(const char *name, char out[XRC_NAME_BYTES])
{
    const unsigned char *u = (const unsigned char *)name;
    size_t len = strlen(name), chars = 0, o = 0;
    for (size_t i = 0; i < len && chars < XRC_NAME_MAX;) {
        if (u[i] < 0x80) {
            if (ascii_allowed[u[i]]) {
                out[o++] = name[i];
                chars++;
            }
            i++;
            continue;
        }
        size_t n = xrc_utf8_seq(u + i, len - i);
        if (n == 0) {
            i++;
            continue;
        }
        if (xrc_name_char_allowed(xrc_utf8_decode(u + i, n))) {
            memcpy(out + o, name + i, n);
            o += n;
            chars++;
        }
        i += n;
    }
    out[o] = '\0';
    if (!o)
        strcpy(out, "unnamed");
}

bool xrc_annotation_key_ok(const char *key)
{
    size_t n = 0;
    for (const char *p = key; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return n >= 1 && n <= XRC_ANNOTATION_KEY_MAX;
}

char *xrc_utf8_dup(const char *in, size_t max_chars)
{
    size_t len = strlen(in);
    char *out = malloc(len * 3 + 1); /* every bad byte may become 3 bytes */
    if (out)
        xrc_utf8_copy(in, len, max_chars, out);
    return out;
}

size_t xrc_utf8_copy(const char *in, size_t len, size_t max_chars, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, chars = 0;
    for (size_t i = 0; i < len && (!max_chars || chars < max_chars); chars++) {
        size_t n = xrc_utf8_seq(s + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return o;
}

static bool needs_fix(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = xrc_utf8_seq(u + i, len - i);
        if (!n)
            return true;
        i += n;
    }
    return false;
}

/* Replaces *text by a valid UTF-8 copy when it needs one, freeing the old one unless the item
 * does not own it (`borrowed`, a cJSON flag then cleared). False when out of memory. */
static bool fix_string(cJSON *item, char **text, int borrowed)
{
    if (!*text || !needs_fix(*text))
        return true;
    char *fixed = xrc_utf8_dup(*text, 0);
    if (!fixed)
        return false;
    if (!(item->type & borrowed))
        cJSON_free(*text);
    *text = fixed;
    item->type &= ~borrowed;
    return true;
}

bool xrc_json_make_utf8(cJSON *item)
{
    for (; item; item = item->next) {
        if (!fix_string(item, &item->string, cJSON_StringIsConst) ||
            (cJSON_IsString(item) && !fix_string(item, &item->valuestring, cJSON_IsReference)))
            return false;
        if (item->child && !xrc_json_make_utf8(item->child))
            return false;
    }
    return true;
}
