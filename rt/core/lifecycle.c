/* lifecycle.c — the recorder as a whole: configuration at run time, statistics, shutdown, and
 * what a forked child must forget. Each of these reaches every layer below (settings, sampling,
 * emitters), so they live here, above them, and the layers never call back up. */
#include "core/lifecycle.h"
#include "base/config.h"
#include "base/log.h"
#include "core/context.h"
#include "core/crash_flush.h"
#include "emit/emit.h"
#include "emit/symbolize.h"
#include "sampling/sampling.h"
#include "sampling/sampling_remote.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER; /* serializes configure() */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;             /* the atfork and crash handlers, once */

static void child_after_fork(void)
{
    /* The child must not finish (or send) the parent's segment, nor reuse its id sequence.
     * The parent's segment memory is left alone: the child's code may still hold pointers. */
    xrc_thread *t = &xrc_tls;
    xrc_context_enter(t, NULL);
    t->registered = false;
    xrc_rng_reset();
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

/* A count from xray_config: 0 keeps the current value, negatives and huge ones are refused. */
static void set_count(const char *name, long v, size_t *out, xray_status *st)
{
    if (v < 0 || v > XRC_MAX_COUNT) {
        xrc_log(XRAY_LOG_ERROR, "%s %ld is out of range (0 for the default, up to %d); keeping "
                                "%zu", name, v, XRC_MAX_COUNT, *out);
        *st = XRAY_ERR_INVALID;
    } else if (v) {
        *out = (size_t)v;
    }
}

xray_status xray_recorder_configure(const xray_config *c)
{
    int saved = errno;
    xray_status st = XRAY_OK;
    xrc_init();
    /* Segments already ended are sent with the settings they were ended under. */
    xrc_emit_drain((long)xrc_cfg.flush_timeout_ms);
    if (!c)
        return XRAY_OK;
    pthread_mutex_lock(&config_lock);
    if (c->log_level != XRAY_LOG_DEFAULT || c->log_fn)
        xrc_log_configure(c->log_level, c->log_fn, c->log_ctx);
    if (c->enabled != XRAY_SWITCH_DEFAULT)
        xrc_cfg.enabled = c->enabled == XRAY_SWITCH_ON;
    if (c->context_missing != XRAY_CONTEXT_MISSING_DEFAULT)
        xrc_cfg.context_missing = c->context_missing;
    xrc_context_missing_reset();
    if (c->sampling != XRAY_SWITCH_DEFAULT)
        xrc_cfg.sampling = c->sampling == XRAY_SWITCH_ON;
    if (c->sampling_remote != XRAY_SWITCH_DEFAULT)
        xrc_cfg.sampling_remote = c->sampling_remote == XRAY_SWITCH_ON;
    if (c->sampling_rules && xrc_sampling_load_file(c->sampling_rules) != XRAY_OK)
        st = XRAY_ERR_INVALID;
    if (c->service_version)
        xrc_cfg_set_version(c->service_version);
    if (c->propagators) {
        char why[200];
        if (xrc_parse_propagators(c->propagators, &xrc_cfg.propagate_xray,
                                  &xrc_cfg.propagate_w3c, why, sizeof why) != XRAY_OK) {
            xrc_log(XRAY_LOG_ERROR, "propagators '%.100s': %s; keeping the previous ones",
                    c->propagators, why);
            st = XRAY_ERR_INVALID;
        }
    }
    if (c->keep_url_query != XRAY_SWITCH_DEFAULT)
        xrc_cfg.keep_url_query = c->keep_url_query == XRAY_SWITCH_ON;
    if (c->downstream_traced != XRAY_SWITCH_DEFAULT)
        xrc_cfg.downstream_traced = c->downstream_traced == XRAY_SWITCH_ON;
    if (c->crash_flush != XRAY_SWITCH_DEFAULT)
        xrc_cfg.crash_flush = c->crash_flush == XRAY_SWITCH_ON;
    if (c->service_name && *c->service_name)
        snprintf(xrc_cfg.service_name, sizeof xrc_cfg.service_name, "%s", c->service_name);
    if (c->streaming_threshold == -1)
        xrc_cfg.streaming_threshold = 0; /* by size */
    else
        set_count("streaming_threshold", c->streaming_threshold, &xrc_cfg.streaming_threshold, &st);
    set_count("max_subsegments", c->max_subsegments, &xrc_cfg.max_subsegments, &st);
    if (c->fold_after == -1)
        xrc_cfg.fold_after = 0;
    else
        set_count("fold_after", c->fold_after, &xrc_cfg.fold_after, &st);
    if (c->min_duration_us == -1) {
        xrc_cfg.min_duration_us = 0;
    } else if (c->min_duration_us < 0 || c->min_duration_us > 60000000) {
        xrc_log(XRAY_LOG_ERROR, "min_duration_us %ld is out of range (0 to 60000000); keeping "
                                "%zu", c->min_duration_us, xrc_cfg.min_duration_us);
        st = XRAY_ERR_INVALID;
    } else if (c->min_duration_us) {
        xrc_cfg.min_duration_us = (size_t)c->min_duration_us;
    }
    if (c->flush_timeout_ms > 600000) {
        xrc_log(XRAY_LOG_ERROR, "flush_timeout_ms %ld is over 600000; keeping %zu",
                c->flush_timeout_ms, xrc_cfg.flush_timeout_ms);
        st = XRAY_ERR_INVALID;
    } else {
        set_count("flush_timeout_ms", c->flush_timeout_ms, &xrc_cfg.flush_timeout_ms, &st);
    }
    if (c->emitters) {
        char why[200];
        xrc_emitters e;
        if (xrc_parse_emitters(c->emitters, &e, why, sizeof why) != XRAY_OK) {
            xrc_log(XRAY_LOG_ERROR, "emitters '%.200s': %s; keeping the previous ones",
                    c->emitters, why);
            st = XRAY_ERR_INVALID;
        } else {
            xrc_emit_configure(&e);
        }
    }
    if (c->daemon_address) {
        if (xrc_parse_daemon_address(c->daemon_address, &xrc_cfg.udp, &xrc_cfg.tcp) != XRAY_OK) {
            xrc_log(XRAY_LOG_ERROR, "daemon address '%.100s' is not host:port or "
                                    "'tcp:host:port udp:host:port'; keeping %s",
                    c->daemon_address, xrc_cfg.udp.text);
            st = XRAY_ERR_INVALID;
        } else {
            xrc_emit_reset();
        }
    }
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
    if (!xrc_emit_drain((long)xrc_cfg.flush_timeout_ms))
        xrc_log(XRAY_LOG_WARN, "xray_recorder_flush: segments still waiting after %zu ms "
                               "(flush_timeout_ms)", xrc_cfg.flush_timeout_ms);
    xrc_emit_segment_done();
    errno = saved;
}

void xray_recorder_stats(xray_stats *out)
{
    /* The counts include the segments ended before this call. */
    xrc_emit_drain((long)xrc_cfg.flush_timeout_ms);
    out->documents_sent = atomic_load(&xrc_stats.documents_sent);
    out->documents_dropped = atomic_load(&xrc_stats.documents_dropped);
    out->subsegments_dropped = atomic_load(&xrc_stats.subsegments_dropped);
    out->send_errors = atomic_load(&xrc_stats.send_errors);
}
