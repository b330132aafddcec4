/* http_queue.c — the background half of the HTTP emitters: a ring of document copies, one
 * thread per emitter that posts them in batches, retries with exponential backoff and jitter,
 * and a flush with a deadline when stopping. The program's threads only take the lock long
 * enough to append a pointer. */
#include "base/curl_api.h"
#include "emit/http_queue.h"
#include "base/config.h"
#include "emit/emit.h"
#include "model/clock.h"
#include "model/id.h"
#include "model/thread.h"
#include "base/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 2000
#define REQUEST_TIMEOUT_MS 10000
#define MAX_BATCH 64
#define LINGER_MS 100 /* how long a part batch waits for more documents */

/* Condition variables on the monotonic clock, so deadlines ignore wall-clock jumps. */
static void init_conds(xrc_http_queue *q)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->wake, &ca);
    pthread_cond_init(&q->idle, &ca);
    pthread_condattr_destroy(&ca);
    q->ready = true;
}

static struct timespec after_ms(long ms) { return xrc_deadline_ms(CLOCK_MONOTONIC, ms); }

void xrc_http_fail_log(xrc_http_queue *q, const char *fmt, ...)
{
    unsigned long n = atomic_fetch_add(&q->failures, 1) + 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long until = atomic_load(&q->quiet_until);
    if (n > 3 && (ts.tv_sec < until ||
                  !atomic_compare_exchange_strong(&q->quiet_until, &until, ts.tv_sec + 10))) {
        atomic_fetch_add(&q->held_back, 1);
        return;
    }
    if (n == 3)
        atomic_store(&q->quiet_until, ts.tv_sec + 10);
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long held = atomic_exchange(&q->held_back, 0);
    if (held)
        xrc_log(XRAY_LOG_ERROR, "%s emitter: %s (and %lu similar failure(s) in the last seconds)",
                q->what, msg, held);
    else
        xrc_log(XRAY_LOG_ERROR, "%s emitter: %s%s", q->what, msg,
                n == 3 ? " (from now on at most one line every 10 s)" : "");
}

bool xrc_http_queue_aborting(xrc_http_queue *q) { return atomic_load(&q->abort); }

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return xrc_http_queue_aborting(arg) ? 1 : 0;
}

#define MAX_ANSWER (1024 * 1024) /* a longer answer is cut off: none of ours is near it */

void xrc_http_setup(xrc_http_queue *q, CURL *curl)
{
    q->answer.len = 0;
    q->answer.max = MAX_ANSWER;
    if (q->answer.p)
        q->answer.p[0] = '\0';
    xrc_curl.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    xrc_curl.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    xrc_curl.easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    xrc_curl.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    xrc_curl.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    xrc_curl.easy_setopt(curl, CURLOPT_XFERINFODATA, q);
    xrc_curl.easy_setopt(curl, CURLOPT_WRITEFUNCTION, xrc_curl_collect);
    xrc_curl.easy_setopt(curl, CURLOPT_WRITEDATA, &q->answer);
    xrc_curl.easy_setopt(curl, CURLOPT_USERAGENT, "xraycap/" XRAY_CAPTURE_VERSION);
}

const char *xrc_http_answer(const xrc_http_queue *q) { return q->answer.p ? q->answer.p : ""; }

size_t xrc_http_answer_len(const xrc_http_queue *q) { return q->answer.p ? q->answer.len : 0; }

xrc_post_result xrc_http_perform(xrc_http_queue *q, CURL *curl, const char *url, long *status)
{
    CURLcode rc = xrc_curl.easy_perform(curl);
    *status = 0;
    xrc_curl.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_off_t retry_after = 0; /* seconds, from a Retry-After header (429, 503) */
    q->retry_after_ms = xrc_curl.easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
                                retry_after > 0
                            ? (long)(retry_after < BACKOFF_MAX_MS / 1000 ? retry_after * 1000 : BACKOFF_MAX_MS)
                            : 0;
    if (rc != CURLE_OK) {
        xrc_http_fail_log(q, "POST %.300s: %s", url, xrc_curl.easy_strerror(rc));
        return XRC_POST_RETRY;
    }
    if (*status >= 200 && *status < 300)
        return XRC_POST_OK;
    xrc_http_fail_log(q, "POST %.300s answered %ld: %.200s", url, *status, xrc_http_answer(q));
    return *status == 429 || *status >= 500 ? XRC_POST_RETRY : XRC_POST_REJECTED;
}

static void count_dropped(size_t n)
{
    atomic_fetch_add(&xrc_stats.documents_dropped, n);
}

/* Sleeps up to ms unless an abort comes first; true when aborted. Called without the lock. */
static bool pause_ms(xrc_http_queue *q, long ms)
{
    struct timespec until = after_ms(ms);
    pthread_mutex_lock(&q->lock);
    while (!atomic_load(&q->abort) &&
           pthread_cond_timedwait(&q->wake, &q->lock, &until) != ETIMEDOUT)
        ;
    bool aborted = atomic_load(&q->abort);
    pthread_mutex_unlock(&q->lock);
    return aborted;
}

static void send_batch(xrc_http_queue *q, CURL *curl, char **docs, size_t *lens, size_t n)
{
    long backoff = BACKOFF_FIRST_MS;
    for (int attempt = 1;; attempt++) {
        size_t refused = 0;
        xrc_post_result r = q->post(q, curl, docs, lens, n, &refused);
        if (r == XRC_POST_OK) {
            atomic_fetch_add(&xrc_stats.documents_sent, n - refused);
            count_dropped(refused);
            return;
        }
        atomic_fetch_add(&xrc_stats.send_errors, 1);
        if (r == XRC_POST_REJECTED || attempt >= XRC_HTTP_ATTEMPTS || xrc_http_queue_aborting(q))
            break;
        /* Between half the step and the step, so many processes do not retry in step; no
         * sooner than the server's Retry-After (capped at the longest step). */
        long wait = backoff / 2 + (long)(xrc_rand64() % (uint64_t)(backoff / 2 + 1));
        if (wait < q->retry_after_ms)
            wait = q->retry_after_ms;
        if (pause_ms(q, wait))
            break;
        backoff = backoff * 2 < BACKOFF_MAX_MS ? backoff * 2 : BACKOFF_MAX_MS;
    }
    count_dropped(n);
    xrc_http_fail_log(q, "%zu document(s) dropped after failed attempts", n);
}

static void *worker(void *arg)
{
    xrc_http_queue *q = arg;
    xrc_thread_is_runtime();
    char *docs[MAX_BATCH];
    size_t lens[MAX_BATCH];
    CURL *curl = xrc_curl_load() ? xrc_curl.easy_init() : NULL;
    if (!curl)
        xrc_log(XRAY_LOG_ERROR, "%s emitter: libcurl cannot make a handle; documents are "
                                "dropped", q->what);
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->n && !q->stopping && !atomic_load(&q->abort)) {
            q->waiting = true;
            pthread_cond_wait(&q->wake, &q->lock);
            q->waiting = false;
        }
        /* A part batch waits a little for company: fewer, fuller requests. */
        struct timespec until = after_ms(LINGER_MS);
        while (q->n && q->n < q->batch && !q->stopping && !atomic_load(&q->abort) &&
               pthread_cond_timedwait(&q->wake, &q->lock, &until) != ETIMEDOUT)
            ;
        if (atomic_load(&q->abort) || !q->n)
            break;
        size_t most = q->batch < MAX_BATCH ? q->batch : MAX_BATCH;
        size_t k = q->n < most ? q->n : most;
        for (size_t i = 0; i < k; i++) {
            size_t slot = (q->head + i) % XRC_QUEUE_MAX;
            docs[i] = q->docs[slot];
            lens[i] = q->lens[slot];
            q->docs[slot] = NULL;
        }
        q->head = (q->head + k) % XRC_QUEUE_MAX;
        q->n -= k;
        q->busy = true;
        pthread_mutex_unlock(&q->lock);
        if (curl)
            send_batch(q, curl, docs, lens, k);
        else
            count_dropped(k);
        for (size_t i = 0; i < k; i++)
            free(docs[i]);
        pthread_mutex_lock(&q->lock);
        q->busy = false;
        pthread_cond_broadcast(&q->idle);
    }
    pthread_cond_broadcast(&q->idle);
    pthread_mutex_unlock(&q->lock);
    if (curl)
        xrc_curl.easy_cleanup(curl);
    free(q->answer.p);
    q->answer = (xrc_curl_body){0};
    return NULL;
}

/* Registered after curl_global_init has set up OpenSSL (which cleans itself up from atexit):
 * handlers run in reverse order, so the queues are flushed while TLS and HMAC still work. */
static void register_exit_flush(void) { atexit(xrc_emit_stop_all); }

static void start(xrc_http_queue *q)
{
    static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
    /* The thread takes no signal meant for the program. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    xrc_curl_load();
    pthread_once(&exit_once, register_exit_flush);
    if (pthread_create(&q->thread, NULL, worker, q) == 0)
        q->running = true;
    else
        xrc_log(XRAY_LOG_ERROR, "%s emitter: cannot start its thread; documents are dropped",
                q->what);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void xrc_http_queue_push(xrc_http_queue *q, const char *prefix, size_t prefix_len,
                         const char *doc, size_t len)
{
    int saved = errno;
    bool queued = false, full;
    pthread_mutex_lock(&q->lock);
    if (!q->ready)
        init_conds(q);
    if (!q->running && !q->stopping)
        start(q);
    full = q->n == XRC_QUEUE_MAX;
    char *copy = !full && (q->running || q->stopping) ? malloc(prefix_len + len + 1) : NULL;
    if (copy) {
        if (prefix_len)
            memcpy(copy, prefix, prefix_len);
        memcpy(copy + prefix_len, doc, len);
        copy[prefix_len + len] = '\0';
        size_t slot = (q->head + q->n) % XRC_QUEUE_MAX;
        q->docs[slot] = copy;
        q->lens[slot] = prefix_len + len;
        q->n++;
        queued = true;
        /* Wake the thread only when it sleeps for want of work, or a batch is complete. */
        if (q->waiting || q->n == q->batch)
            pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->lock);
    if (!queued) {
        count_dropped(1);
        /* While the destination is away every document lands here: keep it cheap. */
        if (full && atomic_fetch_add_explicit(&q->full_drops, 1, memory_order_relaxed) % 1024 == 0)
            xrc_http_fail_log(q, "queue full (%d documents waiting); documents are dropped",
                              XRC_QUEUE_MAX);
    }
    errno = saved;
}

void xrc_http_queue_stop(xrc_http_queue *q, void *new_ctx, void (*ctx_free)(void *))
{
    int saved = errno;
    pthread_mutex_lock(&q->lock);
    if (q->running) {
        xrc_init();
        q->stopping = true;
        pthread_cond_broadcast(&q->wake);
        struct timespec until = after_ms(xrc_cfg.flush_timeout_ms);
        while ((q->n || q->busy) &&
               pthread_cond_timedwait(&q->idle, &q->lock, &until) != ETIMEDOUT)
            ;
        if (q->n || q->busy) {
            xrc_log(XRAY_LOG_WARN, "%s emitter: flush deadline (%ld ms) passed; giving up on "
                                   "%zu queued document(s)%s", q->what,
                    xrc_cfg.flush_timeout_ms, q->n, q->busy ? " and a request in flight"
                                                                    : "");
            atomic_store(&q->abort, true);
            pthread_cond_broadcast(&q->wake);
        }
        pthread_mutex_unlock(&q->lock);
        pthread_join(q->thread, NULL);
        pthread_mutex_lock(&q->lock);
        q->running = false;
    }
    if (q->n)
        count_dropped(q->n);
    for (; q->n; q->n--, q->head = (q->head + 1) % XRC_QUEUE_MAX) {
        free(q->docs[q->head]);
        q->docs[q->head] = NULL;
    }
    q->head = 0;
    q->stopping = false;
    atomic_store(&q->abort, false);
    if (q->ctx_free)
        q->ctx_free(q->ctx);
    q->ctx = new_ctx;
    q->ctx_free = ctx_free;
    atomic_store(&q->failures, 0);
    atomic_store(&q->quiet_until, 0);
    atomic_store(&q->held_back, 0);
    pthread_mutex_unlock(&q->lock);
    errno = saved;
}

void xrc_http_queue_after_fork(xrc_http_queue *q)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&q->lock, &fresh, sizeof fresh);
    init_conds(q);
    for (; q->n; q->n--, q->head = (q->head + 1) % XRC_QUEUE_MAX)
        free(q->docs[q->head]);
    q->head = 0;
    q->running = q->busy = q->stopping = false;
    atomic_store(&q->abort, false);
}
