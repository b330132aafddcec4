/* handoff.c — the emission thread. A thread that ends a segment hands the finished tree over
 * through a bounded queue, O(1) whatever its size; the emission thread serializes it (and
 * symbolizes its stacks), sends the documents and frees the segment. A full queue drops the
 * whole segment and counts it; the count goes out in the next segment's metadata, as the
 * subsegments a segment could not record do. Parts streamed ahead of a long segment queue the
 * same way while few are waiting; a thread that streams faster than they are sent writes its
 * own (core/stream.c), so one hot thread neither loses its trace nor fills memory. */
#include "base/config.h"
#include "base/log.h"
#include "emit/emit.h"
#include "emit/plugins.h"
#include "model/clock.h"
#include "model/thread.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 1024 /* segments waiting; at 16 KiB or more each, a bound on held memory */
#define LINGER_MS 1    /* after running dry, how long the thread looks for more before sleeping */
#define PARTS_MAX 64   /* streamed parts waiting at most; past that their threads write them */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;   /* work for the emission thread */
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;   /* the queue ran dry */
static xrc_segment *queue[QUEUE_MAX];                    /* ring, oldest at head */
static size_t head, count;
static bool running;        /* the emission thread exists */
static bool waiting;        /* it sleeps on `wake` until signalled (not while it lingers) */
static int draining;        /* threads waiting in xrc_emit_drain: no lingering */
static bool busy;           /* it is emitting a segment taken off the queue */
static int parts;           /* streamed parts among the queued */
static pthread_t thread;
static atomic_ullong dropped_segments; /* dropped since the last document that reported them */

/* The next segment to go out reports the segments the queue had no room for. */
static void note_dropped_segments(xrc_segment *s)
{
    if (s->facade || s->part) /* not a segment document: the next one reports them */
        return;
    unsigned long long n = atomic_exchange(&dropped_segments, 0);
    if (!n)
        return;
    cJSON *meta = NULL, *ns = NULL;
    if (s->ent.extra || (s->ent.extra = cJSON_CreateObject()))
        meta = cJSON_GetObjectItemCaseSensitive(s->ent.extra, "metadata");
    if (s->ent.extra && !meta)
        meta = cJSON_AddObjectToObject(s->ent.extra, "metadata");
    if (meta && !(ns = cJSON_GetObjectItemCaseSensitive(meta, "xraycap")))
        ns = cJSON_AddObjectToObject(meta, "xraycap");
    if (ns)
        cJSON_AddNumberToObject(ns, "dropped_segments", (double)n);
    else
        atomic_fetch_add(&dropped_segments, n); /* no memory: the next one reports them */
}

static void *emission_thread(void *arg)
{
    (void)arg;
    xrc_thread_is_runtime();
    /* glibc loads its unwinder (libgcc_s) at the first backtrace(): done here, so the first
     * error a program records does not pay for it. */
    void *frames[2];
    backtrace(frames, 2);
    pthread_mutex_lock(&lock);
    for (;;) {
        if (!count && !draining) {
            /* A program ending segments one after another would wake this thread for each
             * (a system call on both sides): linger instead, and take what came meanwhile
             * in one go. Only a thread asleep for good is signalled. */
            struct timespec until = xrc_deadline_ms(CLOCK_REALTIME, LINGER_MS);
            pthread_cond_timedwait(&wake, &lock, &until);
        }
        while (!count) {
            waiting = true;
            pthread_cond_wait(&wake, &lock);
            waiting = false;
        }
        xrc_segment *s = queue[head];
        head = (head + 1) % QUEUE_MAX;
        count--;
        parts -= s->part;
        busy = true;
        pthread_mutex_unlock(&lock);
        note_dropped_segments(s);
        xrc_plugins_detect(); /* once per plugin set: here, never on the caller's thread */
        xrc_emit_segment(s);
        xrc_segment_free(s);
        pthread_mutex_lock(&lock);
        busy = false;
        if (!count)
            pthread_cond_broadcast(&idle);
    }
    return NULL;
}

/* Called with `lock` held. */
static void start(void)
{
    /* The thread takes no signal meant for the program. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    running = pthread_create(&thread, &attr, emission_thread, NULL) == 0;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!running)
        xrc_log(XRAY_LOG_ERROR, "cannot start the emission thread; segments are sent by the "
                                "threads that end them");
}

void xrc_emit_start(void)
{
    pthread_mutex_lock(&lock);
    if (!running)
        start();
    pthread_mutex_unlock(&lock);
}

void xrc_emit_handoff(xrc_segment *s)
{
    int saved = errno;
    if (xrc_emit_none()) {
        /* "none": nothing to deliver, so nothing to write */
        atomic_fetch_add_explicit(&xrc_stats.documents_sent, 1, memory_order_relaxed);
        xrc_segment_free(s);
        errno = saved;
        return;
    }
    pthread_mutex_lock(&lock);
    if (!running)
        start();
    if (!running) {
        pthread_mutex_unlock(&lock);
        xrc_emit_segment(s);
        xrc_segment_free(s);
        errno = saved;
        return;
    }
    if (s->part && (parts >= PARTS_MAX || count == QUEUE_MAX)) {
        /* The emission thread is behind a thread that streams: that thread writes its parts
         * itself until it catches up, which slows it but loses nothing and bounds memory. */
        pthread_mutex_unlock(&lock);
        xrc_emit_segment(s);
        xrc_segment_free(s);
        errno = saved;
        return;
    }
    if (count == QUEUE_MAX) {
        pthread_mutex_unlock(&lock);
        atomic_fetch_add(&xrc_stats.documents_dropped, 1);
        if (atomic_fetch_add(&dropped_segments, 1) == 0) /* once per run of drops */
            xrc_log(XRAY_LOG_WARN, "emission queue full (%d segments waiting to be sent): "
                                   "segment '%s' dropped, and others may follow (counted in "
                                   "documents_dropped and the next segment's metadata)",
                    QUEUE_MAX, s->ent.name);
        xrc_segment_free(s);
        errno = saved;
        return;
    }
    queue[(head + count) % QUEUE_MAX] = s;
    count++;
    parts += s->part;
    if (waiting)
        pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    errno = saved;
}

bool xrc_emit_drain(long timeout_ms)
{
    int saved = errno;
    pthread_mutex_lock(&lock);
    if (running && pthread_equal(pthread_self(), thread)) { /* a log sink asking, say */
        pthread_mutex_unlock(&lock);
        errno = saved;
        return false;
    }
    struct timespec until = xrc_deadline_ms(CLOCK_REALTIME, timeout_ms);
    int rc = 0;
    draining++;
    pthread_cond_signal(&wake); /* cut a linger short */
    while ((count || busy) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&idle, &lock, &until);
    draining--;
    bool done = !count && !busy;
    pthread_mutex_unlock(&lock);
    errno = saved;
    return done;
}

void xrc_handoff_after_fork(void)
{
    /* The parent's thread does not exist here and its queued segments are the parent's to
     * send: forget them (their memory is left, not freed twice). */
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    memcpy(&lock, &fresh, sizeof fresh);
    memcpy(&wake, &fresh_cond, sizeof fresh_cond);
    memcpy(&idle, &fresh_cond, sizeof fresh_cond);
    head = count = 0;
    parts = 0;
    running = waiting = busy = false;
    draining = 0;
}
