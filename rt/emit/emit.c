/* emit.c — dispatch: each document goes to every emitter configured (daemon, file, X-Ray API,
 * OTLP), and the set of emitters changes under a lock while documents keep flowing. Runs on
 * the thread that ends a segment (or streams part of it), never inside a captured call. */
#include "emit/emit.h"
#include "base/config.h"
#include "base/curl_api.h"
#include "emit/http_queue.h"
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

xrc_counters xrc_stats; /* behind xray_recorder_stats; every thread adds, atomically */

enum { EM_UDP = 1, EM_FILE = 2, EM_XRAY_API = 4, EM_OTLP = 8, EM_SET = 16 };
static atomic_int emit_mask;                     /* EM_*; EM_SET once the first set is applied */
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER; /* serializes set changes */

static void apply(const xrc_emitters *e)
{
    /* libcurl (and the TLS library under it) set up on the thread that configures, not on
     * the emission thread: a forked child, where that thread does not run, still reaches
     * what the set-up allocated. */
    if (e->xray_api || e->otlp[0])
        xrc_curl_load();
    xrc_file_set(e->file);
    xrc_xray_api_set(e->xray_api);
    xrc_otlp_set(e->otlp);
    atomic_store(&emit_mask, EM_SET | (e->udp ? EM_UDP : 0) | (e->file[0] ? EM_FILE : 0) |
                                 (e->xray_api ? EM_XRAY_API : 0) | (e->otlp[0] ? EM_OTLP : 0));
}

static int mask(void)
{
    int m = atomic_load_explicit(&emit_mask, memory_order_acquire);
    if (__builtin_expect(!(m & EM_SET), 0)) {
        xrc_init();
        pthread_mutex_lock(&emit_lock);
        if (!(atomic_load(&emit_mask) & EM_SET))
            apply(&xrc_cfg.emit);
        pthread_mutex_unlock(&emit_lock);
        m = atomic_load(&emit_mask);
    }
    return m;
}

bool xrc_emit_wants_otlp(void) { return mask() & EM_OTLP; }

bool xrc_emit_none(void) { return mask() == EM_SET; }

void xrc_emit_configure(const xrc_emitters *e)
{
    pthread_mutex_lock(&emit_lock);
    xrc_cfg.emit = *e;
    apply(e);
    pthread_mutex_unlock(&emit_lock);
}

static void count(bool ok)
{
    atomic_fetch_add_explicit(ok ? &xrc_stats.documents_sent : &xrc_stats.documents_dropped, 1,
                              memory_order_relaxed);
}

void xrc_otlp_tag_make(const xrc_segment *s, xrc_otlp_tag *tag)
{
    char service[XRC_NAME_BYTES];
    xrc_name_clean(s->ent.name, service);
    size_t n = strlen(service) + 1;
    memcpy(tag->text, service, n);
    const char *w3c = s->w3c_trace ? s->w3c_trace : "";
    size_t m = strlen(w3c) + 1;
    memcpy(tag->text + n, w3c, m);
    tag->len = n + m;
}

void xrc_emit_doc(const char *framed, size_t len, size_t header, const xrc_otlp_tag *tag)
{
    int m = mask();
    if (m == EM_SET) {
        count(true); /* "none": delivered nowhere, on purpose */
        return;
    }
    if (m & EM_UDP)
        count(xrc_udp_send(framed, len));
    /* The file and HTTP emitters count when the document is written or answered. */
    if (m & EM_FILE)
        xrc_file_write(framed + header, len - header);
    if (m & EM_XRAY_API)
        xrc_http_queue_push(&xrc_xray_api_queue, NULL, 0, framed + header, len - header);
    if (m & EM_OTLP)
        xrc_http_queue_push(&xrc_otlp_queue, tag->text, tag->len, framed + header, len - header);
}

void xrc_emit_segment_done(void)
{
    if (atomic_load_explicit(&emit_mask, memory_order_relaxed) & EM_FILE)
        xrc_file_flush();
}

void xrc_emit_stop_all(void)
{
    /* What the emission thread still holds goes out first, within the flush deadline. */
    if (!xrc_emit_drain(xrc_cfg.flush_timeout_ms))
        xrc_log(XRAY_LOG_WARN, "segments still waiting for the emission thread after %ld ms "
                               "(flush_timeout_ms) are not sent", xrc_cfg.flush_timeout_ms);
    xrc_emitters off;
    memset(&off, 0, sizeof off);
    pthread_mutex_lock(&emit_lock);
    int m = atomic_load(&emit_mask);
    if (m & EM_SET) {
        /* Stop and flush; the next document starts them again from the configuration. */
        apply(&off);
        atomic_store(&emit_mask, 0);
    }
    pthread_mutex_unlock(&emit_lock);
}

/* At exit the file emitter writes what it holds. (The HTTP queues are flushed earlier, from
 * an atexit handler registered when their thread starts: see http_queue.c.) */
__attribute__((destructor)) static void emit_at_exit(void) { xrc_emit_stop_all(); }

void xrc_emit_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&emit_lock, &fresh, sizeof fresh);
    xrc_handoff_after_fork();
    xrc_udp_after_fork();
    xrc_file_after_fork();
    xrc_http_queue_after_fork(&xrc_xray_api_queue);
    xrc_http_queue_after_fork(&xrc_otlp_queue);
}
