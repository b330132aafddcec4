/* sql_text.c — SQL text that the database integrations share: whether queries are recorded
 * sanitized, and the sanitizer that replaces literals with `?`. It needs no database library,
 * so a program tracing only PostgreSQL does not pull SQLite's wrappers in with it. */
#include "lib/sql_text.h"
#include "xray_capture/sqlite3.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int sanitize_mode = -1; /* -1: not read from the environment yet */

void xray_sqlite3_sanitize(bool on) { sanitize_mode = on; }

bool xrc_sql_sanitizing(void)
{
    if (sanitize_mode < 0) {
        const char *v = getenv("XRAYCAP_SQL_SANITIZE");
        sanitize_mode = !(v && (!strcmp(v, "false") || !strcmp(v, "0")));
    }
    return sanitize_mode != 0;
}

void xray_sql_sanitize(const char *sql, char *out, size_t outlen)
{
    xrc_sql_sanitize(sql, out, outlen, false);
}

/* The output so far and its room: a character that does not fit is dropped, never waited
 * for, so the input always advances. */
typedef struct sql_out {
    char *p;
    size_t len, cap;
} sql_out;

static void put(sql_out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->p[o->len++] = c;
}

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

void xrc_sql_sanitize(const char *sql, char *out, size_t outlen, bool double_quoted_strings)
{
    sql_out o = {out, 0, outlen};
    const char *p = sql;
    if (!outlen)
        return;
    while (*p) {
        char c = *p;
        char quote = c == '"' && double_quoted_strings ? '"' : '\'';
        if (c == quote || ((c == 'x' || c == 'X') && p[1] == '\'' &&
                           (p == sql || !word_char(p[-1])))) {
            /* a string or blob literal: '...' with '' inside (and \' in MySQL's) */
            p += c == quote ? 1 : 2;
            while (*p && !(*p == quote && p[1] != quote))
                p += *p == quote || (*p == '\\' && double_quoted_strings && p[1]) ? 2 : 1;
            if (*p)
                p++;
            put(&o, '?');
        } else if (c == '"' || c == '`' || c == '[') {
            /* a quoted identifier: kept */
            char close = c == '[' ? ']' : c;
            put(&o, *p++);
            while (*p && *p != close)
                put(&o, *p++);
            if (*p)
                put(&o, *p++);
        } else if ((isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p[1]))) &&
                   (p == sql || !(word_char(p[-1]) || p[-1] == '$'))) {
            /* a number: 42, 3.14, 1e-5, 0x1F */
            if (c == '0' && (p[1] == 'x' || p[1] == 'X'))
                for (p += 2; isxdigit((unsigned char)*p); p++)
                    ;
            else
                while (isalnum((unsigned char)*p) || *p == '.' ||
                       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                    p++;
            put(&o, '?');
        } else {
            put(&o, *p++);
        }
    }
    out[o.len] = '\0';
}
