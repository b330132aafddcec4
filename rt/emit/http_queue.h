/* http_queue.h — a bounded queue of documents drained by a background thread that posts them
 * in batches over HTTP (the X-Ray API and OTLP emitters). The traced program only copies a
 * document in; a full queue drops it and counts. Failed requests are retried with backoff;
 * stopping flushes within a deadline and then abandons what is left, counted. */
#ifndef XRC_HTTP_QUEUE_H
#define XRC_HTTP_QUEUE_H

#include "base/curl_api.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define XRC_QUEUE_MAX 4096           /* documents waiting, per emitter */
#define XRC_HTTP_ATTEMPTS 5          /* tries per batch */

typedef enum xrc_post_result {
    XRC_POST_OK,        /* accepted (maybe partly: the sender counted what was refused) */
    XRC_POST_RETRY,     /* network failure, 5xx, 429: try again after a pause */
    XRC_POST_REJECTED   /* refused for good (bad request, credentials): dropped */
} xrc_post_result;

typedef struct xrc_http_queue xrc_http_queue;

/* Posts docs[0..n) with `curl` (set up for the emitter's thread, reused between requests).
 * Sets *refused to the number the destination accepted the request for but refused. */
typedef xrc_post_result (*xrc_post_fn)(xrc_http_queue *q, CURL *curl, char **docs,
                                       const size_t *lens, size_t n, size_t *refused);

struct xrc_http_queue {
    const char *what;                 /* "xray-api", "otlp": for messages */
    size_t batch;                     /* documents per request */
    xrc_post_fn post;
    void *ctx;                        /* the emitter's settings; read by its thread only */
    void (*ctx_free)(void *ctx);

    pthread_mutex_t lock;             /* PTHREAD_MUTEX_INITIALIZER */
    bool ready;                       /* the condition variables are set up */
    pthread_cond_t wake;              /* work arrived, stop asked, abort */
    pthread_cond_t idle;              /* the thread took or finished a batch */
    char *docs[XRC_QUEUE_MAX];
    size_t lens[XRC_QUEUE_MAX];
    size_t head, n;
    bool running;                     /* the thread exists */
    bool busy;                        /* a batch is out */
    bool waiting;                     /* the thread sleeps until a document arrives */
    bool stopping;                    /* drain and exit */
    atomic_bool abort;                /* give up now (deadline passed) */
    pthread_t thread;
    atomic_ulong failures;            /* failures logged or held back, to thin out the log */
    atomic_long quiet_until;          /* monotonic second before which failures are only
                                         counted */
    atomic_ulong held_back;           /* failures not logged since the last line */
    atomic_ulong full_drops;          /* documents refused by a full queue */
    xrc_curl_body answer;             /* the last response body; its thread's alone */
    long retry_after_ms;              /* the last answer's Retry-After (0: none); its thread's */
};

/* The two emitters' queues (static, initialized with what, batch, post and the lock). */
extern xrc_http_queue xrc_xray_api_queue, xrc_otlp_queue;

/* Copies `prefix` (may be NULL) followed by `doc` in, as one entry; starts the thread at the
 * first one. Never waits on the network. */
void xrc_http_queue_push(xrc_http_queue *q, const char *prefix, size_t prefix_len,
                         const char *doc, size_t len);

/* Sends what is queued, waiting at most the flush deadline, then stops the thread; what could
 * not be sent is dropped and counted. Replaces ctx (NULL: none) for the next start. */
void xrc_http_queue_stop(xrc_http_queue *q, void *new_ctx, void (*ctx_free)(void *));

/* In a forked child: no thread, nothing queued (the parent sends its own). */
void xrc_http_queue_after_fork(xrc_http_queue *q);

/* For post functions: the HTTP status of the last transfer, and whether to abort now. */
bool xrc_http_queue_aborting(xrc_http_queue *q);

/* Common libcurl set-up for an emitter request: timeouts, no signals, abort on stop, the
 * response body into q->answer (read it with xrc_http_answer). */
void xrc_http_setup(xrc_http_queue *q, CURL *curl);

/* The body of the last answer, NUL-terminated ("" for none), and its length (it may hold
 * NUL bytes: a protobuf answer). */
const char *xrc_http_answer(const xrc_http_queue *q);
size_t xrc_http_answer_len(const xrc_http_queue *q);

/* Runs the request set up on `curl` (POST to url) and sorts the outcome: OK for 2xx (the
 * answer is in xrc_http_answer), RETRY for network failures, 429 and 5xx, REJECTED for the rest;
 * failures are logged. *status gets the HTTP status (0 without an answer). */
xrc_post_result xrc_http_perform(xrc_http_queue *q, CURL *curl, const char *url, long *status);

/* Logs a failure of this emitter: the first three, then at most one line every ten seconds
 * saying how many were held back. Any thread may call it. */
void xrc_http_fail_log(xrc_http_queue *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
