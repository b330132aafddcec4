/* text_out.h — text written into a caller's fixed buffer by the SQL sanitizer and the error
 * cleaner: a character that does not fit is dropped, never waited for, so a reader of the
 * input always advances (the sanitizer once spun forever waiting for room). */
#ifndef XRC_TEXT_OUT_H
#define XRC_TEXT_OUT_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct xrc_text_out {
    char *p;
    size_t len, cap;
} xrc_text_out;

static inline void xrc_text_put(xrc_text_out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->p[o->len++] = c;
}

static inline bool xrc_word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

#endif
