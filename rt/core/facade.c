/* facade.c — AWS Lambda: the function's segment belongs to Lambda itself, so the recorder works
 * under a facade built from _X_AMZN_TRACE_ID (Root, Parent, Sampled). The facade is never
 * sent; each of its direct subsegments is sent as a `type: subsegment` document when it
 * closes (stream.c), as the Python SDK does. */
#include "base/config.h"
#include "core/context.h"
#include "core/facade.h"
#include "core/lifecycle.h"
#include "xray_capture/lambda.h"
#include "emit/emit.h"
#include "base/log.h"
#include "core/trace_header.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void xrc_facade_leave(xrc_thread *t)
{
    if (t->seg && t->seg->facade)
        xrc_context_close(t); /* sends what the last invocation left open */
}

bool xrc_facade_ensure(xrc_thread *t)
{
    xrc_init();
    if (!xrc_cfg.lambda || !xrc_cfg.enabled)
        return false;
    const char *header = getenv("_X_AMZN_TRACE_ID");
    if (!header)
        header = "";
    if (t->seg && t->seg->facade && !strcmp(t->seg->facade_header, header))
        return true;
    if (t->seg && !t->seg->facade)
        return false; /* a context handed to this thread: keep it */
    xrc_facade_leave(t);
    xrc_segment *s = xrc_segment_new();
    if (!s)
        return false;
    xrc_trace_header h;
    const char *why = NULL;
    if (*header && !xrc_trace_header_parse(header, &h, &why))
        xrc_log(XRAY_LOG_WARN, "_X_AMZN_TRACE_ID '%.120s' is malformed: %s; nothing is traced "
                               "in this invocation", header, why);
    else if (!*header)
        xrc_log(XRAY_LOG_DEBUG, "_X_AMZN_TRACE_ID is not set; nothing is traced");
    bool ok = *header && why == NULL && h.root[0];
    s->facade = true;
    s->facade_header = xrc_arena_strdup(s, header);
    s->ent.name = "facade";
    s->real_base_ns = xrc_real_ns();
    s->mono_base_ns = xrc_mono_ns();
    s->sampled = ok && h.sampled == XRC_SAMPLED_YES;
    if (ok) {
        memcpy(s->trace_id, h.root, sizeof s->trace_id);
        s->ent.id = h.parent[0] ? strtoull(h.parent, NULL, 16) : xrc_rand64();
        if (h.extra[0])
            s->header_extra = xrc_arena_strdup(s, h.extra);
    } else {
        xrc_new_trace_id(s->trace_id, s->real_base_ns / 1000000000);
        s->ent.id = xrc_rand64();
    }
    if (!s->facade_header) {
        xrc_segment_free(s);
        return false;
    }
    xrc_thread_register(t);
    xrc_context_enter(t, s);
    return true;
}

void xray_lambda_begin_invocation(const char *trace_header)
{
    int saved = errno;
    if (trace_header)
        setenv("_X_AMZN_TRACE_ID", trace_header, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    xrc_facade_ensure(&xrc_tls);
    errno = saved;
}

void xray_lambda_end_invocation(void)
{
    int saved = errno;
    xrc_facade_leave(&xrc_tls);
    /* Lambda freezes the environment once the response is posted: send everything first. */
    xrc_emit_drain(xrc_cfg.flush_timeout_ms);
    xrc_emit_segment_done();
    errno = saved;
}
