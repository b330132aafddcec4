/* lib_span.c — see lib_span.h. */
#include "lib/lib_span.h"
#include "base/log.h"
#include "emit/emit.h"

#include <errno.h>

/* For the interposition library (libxraycap-patch.so), which cannot see xrc_tls: whether
 * this thread is inside a wrapper (or is one of the runtime's own). */
int __xraycap_lib_busy(void) { return xrc_tls.lib_inside; }

bool xrc_lib_span_enter(xrc_lib_span *s)
{
    s->e = NULL;
    s->tok = 0;
    return !xrc_tls.lib_inside++ && xrc_tls.recording;
}

void xrc_lib_span_open(xrc_lib_span *s, const char *name)
{
    int saved = errno;
    xrc_thread *t = &xrc_tls;
    char *copy = xrc_copy_name(t, name);
    s->tok = copy ? xrc_open(t, copy, 0) : 0;
    s->e = s->tok ? t->recording : NULL;
    errno = saved;
}

void xrc_lib_span_leave(xrc_lib_span *s)
{
    int saved = errno;
    if (s->e)
        __xraycap_exit(s->tok);
    xrc_tls.lib_inside--;
    errno = saved;
}

bool xrc_lib_later_begin(xrc_lib_later *l)
{
    xrc_thread *t = &xrc_tls;
    if (xrc_tls.lib_inside || !t->recording)
        return false;
    l->seg = t->seg;
    l->gen = t->gen;
    l->parent = t->recording;
    l->streams = t->seg->streams;
    l->start_ns = xrc_mono_ns() - t->seg->mono_base_ns;
    return true;
}

xray_entity *xrc_lib_later_end(const xrc_lib_later *l, const char *name, const char *what)
{
    xrc_thread *t = &xrc_tls;
    if (t->seg != l->seg || t->gen != l->gen || !t->recording) {
        atomic_fetch_add(&xrc_stats.subsegments_dropped, 1);
        xrc_log(XRAY_LOG_WARN, "%s finished after its segment ended (or on another thread); not "
                               "recorded", what);
        return NULL;
    }
    char *copy = xrc_copy_name(t, name);
    xray_entity *parent = xrc_parent_alive(t->seg, l->parent, l->streams);
    return copy ? xrc_add_closed(t, parent, copy, xrc_rand64(), l->start_ns) : NULL;
}

void xrc_lib_later_done(void) { xrc_stream_if_due(&xrc_tls); }

void xrc_pending_add(xrc_pending_list *l, xrc_pending *p, const void *conn)
{
    p->conn = conn;
    p->next = NULL;
    pthread_mutex_lock(&l->lock);
    xrc_pending **end = &l->head;
    while (*end)
        end = &(*end)->next;
    *end = p;
    pthread_mutex_unlock(&l->lock);
}

xrc_pending *xrc_pending_take(xrc_pending_list *l, const void *conn)
{
    xrc_pending *p = NULL;
    pthread_mutex_lock(&l->lock);
    for (xrc_pending **q = &l->head; *q; q = &(*q)->next)
        if ((*q)->conn == conn) {
            p = *q;
            *q = p->next;
            break;
        }
    pthread_mutex_unlock(&l->lock);
    return p;
}

void xrc_pending_each(xrc_pending_list *l, const void *conn, void (*fn)(xrc_pending *, void *),
                      void *arg)
{
    pthread_mutex_lock(&l->lock);
    for (xrc_pending *p = l->head; p; p = p->next)
        if (p->conn == conn)
            fn(p, arg);
    pthread_mutex_unlock(&l->lock);
}
