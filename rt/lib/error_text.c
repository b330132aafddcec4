/* error_text.c — a server's error message made fit to record: see error_text.h. */
#include "lib/error_text.h"
#include "lib/text_out.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* Whether `word` (n bytes) stands in `text` as a whole word. */
static bool has_word(const char *text, const char *word, size_t n)
{
    for (const char *p = text; *p; p++)
        if (!strncmp(p, word, n) && (p == text || !xrc_word_char(p[-1])) && !xrc_word_char(p[n]))
            return true;
    return false;
}

/* Whether a quoted part of an error message names something the recorded statement names:
 * identifier-shaped, and its last part ("shop.items": items) a word of the statement. */
static bool names_identifier(const char *s, size_t n, const char *query)
{
    if (n == 0 || n > 128 || !query)
        return false;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            last = i + 1;
        else if (!xrc_word_char(s[i]) && s[i] != '$')
            return false;
    }
    return last < n && has_word(query, s + last, n - last);
}

void xrc_error_text(const char *message, const char *query, char *out, size_t outlen)
{
    xrc_text_out o = {out, 0, outlen};
    const char *p = message ? message : "", *end = p + strcspn(p, "\r\n");
    while (p < end) {
        char q = *p;
        /* a quote opens only where a word does not go on ("doesn't" holds none) */
        if ((q != '\'' && q != '"' && q != '`') || (p > message && xrc_word_char(p[-1]))) {
            xrc_text_put(&o, *p++);
            continue;
        }
        /* and closes only where a word does not go on either: a value holding the quote
         * ("ab"cd") is taken whole */
        const char *open = p + 1, *close = open;
        while ((close = memchr(close, q, (size_t)(end - close))) && close + 1 < end && xrc_word_char(close[1]))
            close++;
        /* MySQL's "near '…' at line N" quotes the statement from the error on: quotes inside */
        if (q == '\'' && open - message >= 6 && !strncmp(open - 6, "near ", 5)) {
            const char *at = NULL;
            for (const char *s = open; (s = strstr(s, "' at line ")) && s < end; s++)
                at = s;
            close = at ? at : close;
        }
        if (close && names_identifier(open, (size_t)(close - open), query)) {
            for (const char *c = p; c <= close; c++)
                xrc_text_put(&o, *c);
        } else {
            xrc_text_put(&o, '?');
        }
        p = close ? close + 1 : end;
    }
    out[o.len] = '\0';
}
