/* store.h — documents kept in SQLite (WAL), one row per entity id and trace: an in_progress
 * document is replaced by the finished one, never the other way round. */
#ifndef XRAYCAP_STORE_H
#define XRAYCAP_STORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct store store;

/* Opens (creating the file, its directory and the schema); NULL with a message in err. */
store *store_open(const char *path, char *err, size_t errlen);
void store_close(store *s);

/* The default database: $XDG_DATA_HOME/xraycap/traces.db (~/.local/share when unset). */
void store_default_path(char *out, size_t len);

/* Stores one checked document; `text` is its JSON as received. 0, or -1 on a database error. */
int store_put(store *s, const cJSON *doc, const char *text);
int store_begin(store *s);
int store_commit(store *s);

/* Every stored document of a trace (a JSON array of objects); NULL when there is none. */
cJSON *store_trace(store *s, const char *trace_id);

/* Trace ids with a document starting at or after `since` (epoch seconds), newest first. */
int store_traces_since(store *s, double since, void (*fn)(const char *trace_id, void *ctx), void *ctx);

/* Number of stored documents. */
long store_count(store *s);

#endif
