/* sql_text.c — SQL text that the database integrations share: whether queries are recorded
 * sanitized, and the sanitizer that replaces literals with `?`. It needs no database library,
 * so a program tracing only PostgreSQL does not pull SQLite's wrappers in with it. */
#include "lib/sql_text.h"
#include "lib/text_out.h"
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
    xrc_sql_sanitize(sql, out, outlen, XRC_SQL_SQLITE);
}

/* A PostgreSQL dollar quote's opening at p ("$$" or "$tag$", the tag an identifier that does
 * not start with a digit: "$1" is a parameter): its length, or 0. */
static size_t dollar_tag(const char *p)
{
    if (*p != '$')
        return 0;
    size_t n = 1;
    if (isdigit((unsigned char)p[1]))
        return 0;
    while (xrc_word_char(p[n]))
        n++;
    return p[n] == '$' ? n + 1 : 0;
}

void xrc_sql_sanitize(const char *sql, char *out, size_t outlen, xrc_sql_dialect dialect)
{
    xrc_text_out o = {out, 0, outlen};
    const char *p = sql;
    bool mysql = dialect == XRC_SQL_MYSQL, pg = dialect == XRC_SQL_POSTGRES;
    if (!outlen)
        return;
    while (*p) {
        char c = *p;
        char quote = c == '"' && mysql ? '"' : '\'';
        size_t tag = pg && (p == sql || !xrc_word_char(p[-1])) ? dollar_tag(p) : 0;
        bool escape_string = pg && (c == 'e' || c == 'E') && p[1] == '\'' && (p == sql || !xrc_word_char(p[-1]));
        if (tag) {
            /* $tag$ ... $tag$: nothing inside ends it but the same tag */
            const char *end = p + tag;
            for (; *end && strncmp(end, p, tag); end++)
                ;
            p = *end ? end + tag : end;
            xrc_text_put(&o, '?');
        } else if (c == quote || escape_string ||
                   ((c == 'x' || c == 'X') && p[1] == '\'' && (p == sql || !xrc_word_char(p[-1])))) {
            /* a string or blob literal: '...' with '' inside (and \' in MySQL's and E'...') */
            bool backslash = mysql || escape_string;
            p += c == quote ? 1 : 2;
            while (*p && !(*p == quote && p[1] != quote))
                p += *p == quote || (*p == '\\' && backslash && p[1]) ? 2 : 1;
            if (*p)
                p++;
            xrc_text_put(&o, '?');
        } else if (c == '"' || c == '`' || (c == '[' && dialect == XRC_SQL_SQLITE)) {
            /* a quoted identifier: kept */
            char close = c == '[' ? ']' : c;
            xrc_text_put(&o, *p++);
            while (*p && *p != close)
                xrc_text_put(&o, *p++);
            if (*p)
                xrc_text_put(&o, *p++);
        } else if ((isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p[1]))) &&
                   (p == sql || !(xrc_word_char(p[-1]) || p[-1] == '$'))) {
            /* a number: 42, 3.14, 1e-5, 0x1F, 1_000 */
            if (c == '0' && (p[1] == 'x' || p[1] == 'X'))
                for (p += 2; isxdigit((unsigned char)*p) || *p == '_'; p++)
                    ;
            else
                while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' ||
                       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                    p++;
            xrc_text_put(&o, '?');
        } else {
            xrc_text_put(&o, *p++);
        }
    }
    out[o.len] = '\0';
}
