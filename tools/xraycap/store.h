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

/* What a write came to: STORE_OK (0), or why it failed — the disk (or the file size limit)
 * is full, the file system is read-only, or another database error. */
typedef enum store_status { STORE_OK = 0, STORE_FULL, STORE_READONLY, STORE_ERROR, STORE_EXISTS } store_status;
/* "store full", "read-only", "store error", "exists" */
const char *store_status_text(store_status st);

/* Stores one checked document; `text` is its JSON as received, `received` when it arrived
 * (epoch seconds; store_put: now). A failure inside a transaction may have rolled the whole
 * transaction back: store_in_transaction then says false. */
store_status store_put(store *s, const cJSON *doc, const char *text);
store_status store_put_at(store *s, const cJSON *doc, const char *text, double received);
store_status store_begin(store *s);
store_status store_commit(store *s); /* rolled back when it fails */
bool store_in_transaction(store *s);

/* Deletes whole traces, oldest first (a trace is as old as its first document's arrival),
 * one transaction of at most `max_traces`: while the store holds more than `max_bytes`
 * (> 0), else those that arrived before `cutoff` (epoch seconds, > 0). Returns how many
 * traces went (0: nothing to prune), -1 on a database error; adds the documents to
 * *documents. Small batches, so that a daemon can receive between them. */
int store_prune(store *s, double cutoff, long long max_bytes, int max_traces, long *documents);

/* Bytes the documents take in the file (pages in use), -1 on error. */
long long store_bytes(store *s);
/* SQLite's PRAGMA integrity_check: true for "ok", else false with its first finding. */
bool store_integrity_ok(store *s, char *why, size_t len);
/* Number of traces stored. */
long store_trace_count(store *s);

/* Every stored document of a trace (a JSON array of objects); NULL when there is none. */
cJSON *store_trace(store *s, const char *trace_id);

/* Trace ids with a document starting at or after `since` (epoch seconds), newest first. */
int store_traces_since(store *s, double since, void (*fn)(const char *trace_id, void *ctx), void *ctx);
/* The same, of those starting before `until` too (no bound when it is 0). */
int store_traces_between(store *s, double since, double until, void (*fn)(const char *trace_id, void *ctx),
                         void *ctx);

/* Number of stored documents. */
long store_count(store *s);

/* Groups, as X-Ray's CreateGroup, GetGroups and DeleteGroup keep them: a name and a filter
 * expression (checked by the caller). Put: STORE_EXISTS when the name is taken and not
 * `replace`. Get: 1 with the expression in filter, 0 when there is no such group, -1 on an
 * error. Delete: 1 deleted, 0 none, -1 error. store_groups: each in name order, or -1. */
store_status store_group_put(store *s, const char *name, const char *filter, bool replace);
int store_group_get(store *s, const char *name, char *filter, size_t len);
int store_group_delete(store *s, const char *name);
int store_groups(store *s, void (*fn)(const char *name, const char *filter, void *ctx), void *ctx);

#endif
