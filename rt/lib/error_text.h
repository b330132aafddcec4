/* error_text.h — what the database integrations record of a server's error message. Servers
 * quote values back in their errors (a literal that did not parse, a bound parameter, a
 * duplicate key, a command's arguments); none of those may reach a document. */
#ifndef XRC_ERROR_TEXT_H
#define XRC_ERROR_TEXT_H

#include <stddef.h>

/* The message's first line (no DETAIL, HINT or statement quoted back), with each quoted part
 * ('…', "…", `…`) kept only when it is a name that `query` (the statement or command as
 * recorded) holds as a word, and `?` otherwise. MySQL's "near '…' at line N", which quotes the
 * statement itself, becomes "near ? at line N". */
void xrc_error_text(const char *message, const char *query, char *out, size_t outlen);

#endif
