/* capture.c — the two functions compiled code calls: __xraycap_enter at the start of a
 * captured function or block, __xraycap_exit on every way out (the exception variant is in
 * exception.c). The common case (no segment, or a
 * segment that is not sampled) is one thread-local load and a branch. */
#include "base/config.h"
#include "core/context.h"
#include "core/facade.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>

/* The slow paths stay out of line and opaque to the caller, so __xraycap_enter's common path
 * keeps no register for them. Clang has no noipa; noinline is its nearest. */
#ifdef __clang__
#define XRC_OUT_OF_LINE noinline
#else
#define XRC_OUT_OF_LINE noipa
#endif

static xray_token __attribute__((XRC_OUT_OF_LINE, cold)) no_segment(const xray_site *site)
{
    xrc_thread *t = &xrc_tls;
    /* Outside Lambda only every 256th call in a thread gets this far: the strategy itself
     * rate-limits. In Lambda every call does, to pick up the invocation's facade. */
    int saved = errno;
    t->probe = xrc_cfg.lambda ? 0 : 255;
    if (xrc_facade_ensure(t)) {
        errno = saved;
        return t->recording ? xrc_capture_open(t, site->name) : 0;
    }
    if (xrc_cfg.enabled && xrc_cfg.context_missing != XRAY_CONTEXT_MISSING_IGNORE_ERROR) {
        char what[300];
        snprintf(what, sizeof what, "captured '%.100s' (%.100s:%u) called with no segment open "
                                    "on this thread", site->name, site->file ? site->file : "?",
                 site->line);
        xrc_context_missing(what);
    }
    errno = saved;
    return 0;
}

static xray_token __attribute__((XRC_OUT_OF_LINE)) open_site(const xray_site *site)
{
    return xrc_capture_open(&xrc_tls, site->name);
}

xray_token __xraycap_enter(const xray_site *site)
{
    xrc_thread *t = &xrc_tls;
    if (__builtin_expect(t->recording != NULL, 1))
        return open_site(site); /* a tail call with the argument as it came: nothing saved */
    if (t->seg)
        return 0; /* an unsampled segment */
    /* No segment: the strategy is consulted on every 256th call only (and in Lambda, on each,
     * for the invocation's facade). Every call out is a tail call with the argument as it
     * came, so the common ways out save no register. */
    if (__builtin_expect(t->probe-- != 0, 1))
        return 0;
    return no_segment(site);
}

void __xraycap_exit(xray_token token)
{
    if (!token)
        return;
    xrc_thread *t = &xrc_tls;
    unsigned idx;
    if (xrc_token_index(t, token, &idx))
        xrc_close_from(t, idx);
}
