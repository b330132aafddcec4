/* capture.c — the two functions compiled code calls: __xraycap_enter at the start of a
 * captured function or block, __xraycap_exit on every way out (the exception variant is in
 * exception.c). The common case (no segment, or a
 * segment that is not sampled) is one thread-local load and a branch. */
#include "base/config.h"
#include "core/context.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>

static xray_token __attribute__((noinline, cold)) no_segment(xrc_thread *t, const xray_site *site)
{
    /* Outside Lambda only every 256th call in a thread gets this far: the strategy itself
     * rate-limits. In Lambda every call does, to pick up the invocation's facade. */
    int saved = errno;
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

xray_token __xraycap_enter(const xray_site *site)
{
    xrc_thread *t = &xrc_tls;
    if (__builtin_expect(t->recording != NULL, 1))
        return xrc_capture_open(t, site->name);
    if (!t->seg && ((t->missing++ & 255) == 0 || xrc_cfg.lambda))
        return no_segment(t, site);
    return 0;
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
