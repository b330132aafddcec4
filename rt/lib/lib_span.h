/* lib_span.h — the two shapes a traced library call takes, shared by the database wrappers:
 *   a span: a subsegment open while one call runs (PQexec, redisCommand);
 *   a later: a call that spans the caller's own work (PQsendQuery ... PQgetResult, a pipelined
 *   Redis command), recorded once it ends as a closed subsegment under the entity that was
 *   current when it began, if that segment is still this thread's.
 * Both keep errno as the library left it and mark the thread as inside a wrapper (the library
 * guard, xrc_tls.lib_inside: model/thread.h) so that the library calls they make go straight
 * through. */
#ifndef XRC_LIB_SPAN_H
#define XRC_LIB_SPAN_H

#include "core/context.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The guard for the interposition library, which cannot read xrc_tls (exported). */
int __xraycap_lib_busy(void);

typedef struct xrc_lib_span {
    xray_token tok;
    xray_entity *e;       /* the open subsegment, NULL when not recorded */
} xrc_lib_span;

/* Enters the wrapper; true when this call is to be recorded: name it with xrc_lib_span_open. */
bool xrc_lib_span_enter(xrc_lib_span *s);
void xrc_lib_span_open(xrc_lib_span *s, const char *name);
/* Ends the subsegment (after the caller has described it) and leaves the wrapper. */
void xrc_lib_span_leave(xrc_lib_span *s);

typedef struct xrc_lib_later {
    xrc_segment *seg;
    unsigned long gen;
    xray_entity *parent;
    unsigned streams;     /* the parent's segment had streamed this often */
    int64_t start_ns;
} xrc_lib_later;

/* Whether a call that ends later is to be recorded; if so, notes where and when it began. Does
 * not enter the wrapper. */
bool xrc_lib_later_begin(xrc_lib_later *l);
/* The closed subsegment `name` for a call begun at `l`, ended now; NULL (counted, warned with
 * `what`) when its segment has ended or this is another thread. Call xrc_lib_later_done once
 * it is described. */
xray_entity *xrc_lib_later_end(const xrc_lib_later *l, const char *name, const char *what);
void xrc_lib_later_done(void);

/* Calls that end later, waiting by the connection they were made on (a PGconn, a
 * redisContext): a struct of the integration's own that begins with an xrc_pending. */
typedef struct xrc_pending {
    const void *conn;
    struct xrc_pending *next;
} xrc_pending;

typedef struct xrc_pending_list {
    pthread_mutex_t lock;
    xrc_pending *head;            /* oldest first */
} xrc_pending_list;

#define XRC_PENDING_LIST_INIT {PTHREAD_MUTEX_INITIALIZER, NULL}

/* Adds p, made on conn, after the others. */
void xrc_pending_add(xrc_pending_list *l, xrc_pending *p, const void *conn);
/* The oldest call made on conn, taken off the list, or NULL. */
xrc_pending *xrc_pending_take(xrc_pending_list *l, const void *conn);
/* Runs fn on every call made on conn, under the list's lock. */
void xrc_pending_each(xrc_pending_list *l, const void *conn, void (*fn)(xrc_pending *, void *),
                      void *arg);

#endif
