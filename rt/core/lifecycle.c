/* lifecycle.c — the recorder as a whole: configuration at run time, statistics, shutdown, and
 * what a forked child must forget. Each of these reaches every layer below (settings, sampling,
 * emitters), so they live here, above them, and the layers never call back up. */
#include "core/lifecycle.h"
#include "base/settings.h"
#include "base/log.h"
#include "core/context.h"
#include "core/facade.h"
#include "core/crash_flush.h"
#include "emit/emit.h"
#include "emit/symbolize.h"
#include "sampling/sampling.h"
#include "sampling/sampling_remote.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER; /* serializes configure() */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;             /* the atfork and crash handlers, once */

/* Thread exit, process exit and fork, for everything a thread keeps in xrc_tls. */

static pthread_key_t exit_key;            /* its destructor runs at thread exit */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT; /* exit_key is made once */

/* Ends what the calling thread left open (`who` says how it ended) and sends it. */
static void end_left_open(xrc_thread *t, const char *who)
{
    if (t->seg && !t->foreign && !t->seg->facade)
        xrc_log(XRAY_LOG_WARN, "%s with segment '%s' open; ending and sending it (end it with "
                               "xray_end_segment)", who, t->seg->ent.name);
    xrc_context_close(t);
}

static void thread_exit(void *arg)
{
    xrc_thread *t = arg;
    if (t == &xrc_tls)
        end_left_open(t, "thread exited");
    xrc_arena_cache_drop();
    xrc_emit_thread_exit();
}

/* exit() (and a return from main) runs no thread-exit destructor: the thread that calls it
 * ends its open segment here. The emitters may have been flushed by an earlier exit handler;
 * the segment starts them again, so they are flushed once more. */
static void process_exit(void)
{
    xrc_thread *t = &xrc_tls;
    if (!t->seg && !t->foreign)
        return;
    end_left_open(t, "the program exited");
    xrc_emit_stop_all();
}

static void make_key(void)
{
    pthread_key_create(&exit_key, thread_exit);
    atexit(process_exit);
}

void xrc_thread_register(xrc_thread *t)
{
    if (t->registered)
        return;
    pthread_once(&exit_key_once, make_key);
    pthread_setspecific(exit_key, t);
    t->registered = true;
}

static void child_after_fork(void)
{
    /* The child must not finish (or send) the parent's segment, nor reuse its id sequence.
     * The parent's segment memory is left alone: the child's code may still hold pointers. */
    xrc_thread *t = &xrc_tls;
    xrc_context_enter(t, NULL);
    t->registered = false;
    t->rng.seeded = 0;
    xrc_emit_after_fork();
    xrc_symbolize_after_fork();
    xrc_remote_after_fork();
}

static void start_once(void)
{
    pthread_atfork(NULL, NULL, child_after_fork);
    xrc_crash_flush_install();
    xrc_emit_start();
}

void xrc_lifecycle_start(void) { pthread_once(&fork_once, start_once); }

/* What changing a setting means beyond its value: the layers that act on it are told. */
static xray_status take(const xrc_setting *s, const char *source, const char *text)
{
    xrc_value v;
    if (xrc_setting_read(s, source, text, &v) != XRAY_OK)
        return XRAY_ERR_INVALID;
    switch (s->kind) {
    case XRC_SET_EMITTERS:
        xrc_emit_configure(&v.emit); /* under the emitters' lock: the emission thread reads them */
        return XRAY_OK;
    case XRC_SET_RULES:
        if (xrc_sampling_load_file(v.text) != XRAY_OK)
            return XRAY_ERR_INVALID;
        break;
    default:
        break;
    }
    xrc_setting_store(s, &v);
    if (s->kind == XRC_SET_ADDRESS)
        xrc_emit_reset();
    return XRAY_OK;
}

xray_status xray_recorder_configure(const xray_config *c)
{
    int saved = errno;
    xray_status st = XRAY_OK;
    xrc_init();
    /* Segments already ended are sent with the settings they were ended under. */
    xrc_emit_drain(xrc_cfg.flush_timeout_ms);
    if (!c)
        return XRAY_OK;
    pthread_mutex_lock(&config_lock);
    if (c->log_fn)
        xrc_log_set_sink(c->log_fn, c->log_ctx);
    for (size_t i = 0; i < xrc_nsettings; i++) {
        const xrc_setting *s = &xrc_settings[i];
        char buf[32], source[64];
        const char *text;
        if (!xrc_setting_text(s, c, buf, sizeof buf, &text))
            continue;
        snprintf(source, sizeof source, "xray_config.%s", s->field);
        if (take(s, source, text) != XRAY_OK)
            st = XRAY_ERR_INVALID;
    }
    xrc_context_missing_reset();
    if (xrc_cfg.crash_flush)
        xrc_crash_flush_install(); /* (again: the daemon or the emitters may have changed) */
    pthread_mutex_unlock(&config_lock);
    errno = saved;
    return st;
}

const char *xray_status_str(xray_status status)
{
    switch (status) {
    case XRAY_OK: return "success";
    case XRAY_ERR_NO_CONTEXT: return "no entity or no open segment";
    case XRAY_ERR_INVALID: return "invalid argument";
    case XRAY_ERR_LIMIT: return "limit reached";
    case XRAY_ERR_NO_MEMORY: return "out of memory";
    case XRAY_ERR_WRONG_KIND: return "wrong kind of entity (segment vs subsegment)";
    }
    return "unknown status";
}

void xray_recorder_shutdown(void)
{
    int saved = errno;
    xrc_remote_stop();
    xrc_emit_stop_all();
    xrc_emit_reset();
    errno = saved;
}

void xray_recorder_flush(void)
{
    int saved = errno;
    if (!xrc_emit_drain(xrc_cfg.flush_timeout_ms))
        xrc_log(XRAY_LOG_WARN, "xray_recorder_flush: segments still waiting after %ld ms "
                               "(flush_timeout_ms)", xrc_cfg.flush_timeout_ms);
    xrc_emit_segment_done();
    errno = saved;
}

void xray_recorder_stats(xray_stats *out)
{
    /* The counts include the segments ended before this call. */
    xrc_emit_drain(xrc_cfg.flush_timeout_ms);
    out->documents_sent = atomic_load(&xrc_stats.documents_sent);
    out->documents_dropped = atomic_load(&xrc_stats.documents_dropped);
    out->subsegments_dropped = atomic_load(&xrc_stats.subsegments_dropped);
    out->send_errors = atomic_load(&xrc_stats.send_errors);
}
