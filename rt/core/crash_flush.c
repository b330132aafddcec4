/* crash_flush.c — XRAYCAP_CRASH_FLUSH=true: when the program dies of SIGSEGV, SIGBUS, SIGABRT
 * or SIGFPE, what the crashing thread's open segment holds is sent to the daemon before the
 * program goes down, as uftrace flushes its buffers on a crash. Otherwise a crash loses the
 * very trace that would explain it.
 *
 * A signal handler may only make async-signal-safe calls: no malloc, no stdio, no locks. So
 * the documents are written by hand into a buffer reserved at start-up and sent with sendto()
 * on a socket opened at start-up; times come from clock_gettime(). The entities are read as
 * they are (the owner thread is the one that crashed, so nobody else writes them), and every
 * walk is bounded, since a crash inside the runtime may have left a list half-linked.
 *
 * What is sent: the segment, ended now and marked fault, with a cause naming the signal, and
 * nested in it the subsegments open on the thread's stack (the calls the crash happened in),
 * each ended now and marked fault; then each finished subsegment not yet sent as a document
 * of its own. Annotations and metadata are left out (they live in cJSON trees). Names keep
 * their ASCII characters only (the full check needs a locale). Then the handler that was in
 * place before runs: the previous action is restored and the signal raised again. */
#include "base/config.h"
#include "base/log.h"
#include "core/context.h"
#include "core/crash_flush.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CRASH_DOC_MAX XRAY_MAX_DOCUMENT_BYTES
#define CRASH_MAX_FINISHED 1000   /* finished subsegments sent, at most (bounds the handler) */
#define CRASH_MAX_WALK 200000     /* entities looked at, at most */

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE};
#define NSIGNALS (sizeof crash_signals / sizeof crash_signals[0])

static struct sigaction previous[NSIGNALS]; /* what was installed before us */
static int sock = -1;                       /* opened at install, used only by the handler */
static xrc_addr dest;                       /* the daemon, as it was at install */
static atomic_flag busy = ATOMIC_FLAG_INIT; /* one crashing thread flushes; others only re-raise */
static char doc[CRASH_DOC_MAX + 64];        /* the document being written */
static char altstack[64 * 1024];            /* so a stack overflow in the thread that started
                                               tracing can still be reported */

/* ---- an async-signal-safe JSON writer ------------------------------------------------ */

typedef struct out {
    char *p;
    size_t len, cap;
    bool full;
} out;

static void put(out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n > o->cap) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_char(out *o, char c)
{
    char s[2] = {c, '\0'};
    put(o, s);
}

/* A name as the schema allows it, ASCII only. */
static void put_name(out *o, const char *key, const char *name)
{
    put(o, key);
    put_char(o, '"');
    size_t n = 0;
    for (const char *c = name; c && *c && n < XRAY_NAME_MAX; c++) {
        char ch = *c;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr(" _.:/%&#=+-@", ch)) {
            put_char(o, ch);
            n++;
        }
    }
    if (!n)
        put(o, "unnamed");
    put_char(o, '"');
}

static void put_hex(out *o, const char *key, uint64_t id)
{
    static const char digits[] = "0123456789abcdef";
    char s[17];
    for (int i = 15; i >= 0; i--, id >>= 4)
        s[i] = digits[id & 15];
    s[16] = '\0';
    put(o, key);
    put_char(o, '"');
    put(o, s);
    put_char(o, '"');
}

static void put_uint(out *o, unsigned long long v)
{
    char s[24];
    int i = 23;
    s[i] = '\0';
    do {
        s[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(o, s + i);
}

/* Epoch seconds with microseconds, from nanoseconds. */
static void put_time(out *o, const char *key, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    put(o, key);
    put_uint(o, (unsigned long long)(ns / 1000000000));
    put_char(o, '.');
    char frac[7];
    long us = (long)(ns % 1000000000 / 1000);
    for (int i = 5; i >= 0; i--, us /= 10)
        frac[i] = (char)('0' + us % 10);
    frac[6] = '\0';
    put(o, frac);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    default: return "signal";
    }
}

static const char *signal_text(int sig)
{
    switch (sig) {
    case SIGSEGV: return "Segmentation fault";
    case SIGBUS: return "Bus error";
    case SIGABRT: return "Aborted";
    case SIGFPE: return "Floating point exception";
    default: return "Fatal signal";
    }
}

/* ---- the documents ------------------------------------------------------------------- */

static void send_doc(const out *o)
{
    if (!o->full)
        sendto(sock, o->p, o->len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&dest.sa,
               dest.len);
}

static void begin_doc(out *o)
{
    o->p = doc;
    o->len = 0;
    o->cap = CRASH_DOC_MAX;
    o->full = false;
    put(o, "{\"format\":\"json\",\"version\":1}\n{");
}

static int64_t wall(const xrc_segment *s, int64_t mono_ns) { return s->real_base_ns + mono_ns; }

/* The fields every entity has. A summary of folded calls is written as its call in progress
 * when it is open, else with its first start and last end. */
static void put_entity_fields(out *o, const xrc_segment *s, const xray_entity *e, int64_t now)
{
    int64_t start = e->start_ns, end = e->end_ns;
    if (e->flags & XRC_F_SUMMARY) {
        const xrc_summary *sum = (const xrc_summary *)e;
        if (end < 0)
            start = sum->call_start;
    }
    put_name(o, "\"name\":", e->name);
    put_hex(o, ",\"id\":", e->id);
    put_time(o, ",\"start_time\":", wall(s, start));
    put_time(o, ",\"end_time\":", wall(s, end < 0 ? now : end));
    if (end < 0 || (e->marks & XRC_F_FAULT))
        put(o, ",\"fault\":true");
    if (e->marks & XRC_F_ERROR)
        put(o, ",\"error\":true");
    if (e->marks & XRC_F_THROTTLE)
        put(o, ",\"throttle\":true");
}

static void put_cause(out *o, int sig)
{
    put(o, ",\"cause\":{\"exceptions\":[{\"id\":\"0000000000000001\",\"type\":\"");
    put(o, signal_name(sig));
    put(o, "\",\"message\":\"");
    put(o, signal_text(sig));
    put(o, " (recorded by XRAYCAP_CRASH_FLUSH)\"}]}");
}

/* The open frames stack[from..depth) nested one in the other, the innermost with the cause. */
static void put_open_frames(out *o, const xrc_thread *t, unsigned from, unsigned depth, int64_t now,
                            int sig)
{
    for (unsigned i = from; i < depth; i++) {
        put(o, i == from ? "" : ",\"subsegments\":[{");
        put_entity_fields(o, t->seg, t->stack[i], now);
        if (i + 1 == depth)
            put_cause(o, sig);
    }
    for (unsigned i = from + 1; i < depth; i++)
        put(o, "}]");
}

static bool on_stack(const xrc_thread *t, unsigned depth, const xray_entity *e)
{
    for (unsigned i = 0; i < depth; i++)
        if (t->stack[i] == e)
            return true;
    return false;
}

/* Each finished subsegment not yet sent, as a document of its own. */
static void send_finished(const xrc_thread *t, unsigned depth, int64_t now)
{
    const xrc_segment *s = t->seg;
    unsigned sent = 0, walked = 0;
    for (const xray_entity *e = s->ent.next; e && sent < CRASH_MAX_FINISHED && walked < CRASH_MAX_WALK;
         e = e->next, walked++) {
        if (e->end_ns < 0 || !e->parent || (e->flags & XRC_F_SENT) || xrc_entity_hidden(e) ||
            on_stack(t, depth, e))
            continue;
        out o;
        begin_doc(&o);
        put(&o, "\"type\":\"subsegment\",\"trace_id\":\"");
        put(&o, s->trace_id);
        put(&o, "\"");
        put_hex(&o, ",\"parent_id\":", e->parent->id);
        put_char(&o, ',');
        put_entity_fields(&o, s, e, now);
        put_char(&o, '}');
        send_doc(&o);
        sent++;
    }
}

/* Everything the thread's open segment holds. */
static void flush_thread(int sig)
{
    xrc_thread *t = &xrc_tls;
    xrc_segment *s = t->seg;
    if (!s || !t->recording || s->facade || sock < 0)
        return;
    int64_t now = 0;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
        now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - s->mono_base_ns;
    unsigned depth = t->depth < XRC_MAX_DEPTH ? t->depth : XRC_MAX_DEPTH;
    out o;
    begin_doc(&o);
    if (!t->foreign) {
        put_entity_fields(&o, s, &s->ent, now);
        put(&o, ",\"trace_id\":\"");
        put(&o, s->trace_id);
        put(&o, "\"");
        if (s->parent_id)
            put_hex(&o, ",\"parent_id\":", s->parent_id);
        if (depth) {
            put(&o, ",\"subsegments\":[{");
            put_open_frames(&o, t, 0, depth, now, sig);
            put(&o, "}]");
        } else {
            put_cause(&o, sig);
        }
        put_char(&o, '}');
        send_doc(&o);
    } else if (depth && t->base) {
        /* working in a segment handed in: the frames opened here go under the entity handed in */
        put(&o, "\"type\":\"subsegment\",\"trace_id\":\"");
        put(&o, s->trace_id);
        put(&o, "\"");
        put_hex(&o, ",\"parent_id\":", t->base->id);
        put_char(&o, ',');
        put_open_frames(&o, t, 0, depth, now, sig);
        put_char(&o, '}');
        send_doc(&o);
    }
    if (!t->foreign)
        send_finished(t, depth, now);
}

static void on_crash(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    int saved = errno;
    if (xrc_cfg.crash_flush && !atomic_flag_test_and_set(&busy))
        flush_thread(sig);
    /* Hand the signal to whoever handled it before: restore their action, then raise it
     * again. A fault the hardware raised happens again when this handler returns (the same
     * instruction runs), so the previous handler sees the real siginfo; others are re-sent. */
    for (size_t i = 0; i < NSIGNALS; i++)
        if (crash_signals[i] == sig)
            sigaction(sig, &previous[i], NULL);
    errno = saved;
    if (info && info->si_code > 0 && sig != SIGABRT)
        return;
    raise(sig);
}

void xrc_crash_flush_install(void)
{
    static bool installed;
    if (!xrc_cfg.crash_flush)
        return;
    if (!xrc_cfg.emit.udp) {
        xrc_log(XRAY_LOG_WARN, "XRAYCAP_CRASH_FLUSH sends to the daemon (udp), which is not among "
                               "the emitters; crashes are not flushed");
        return;
    }
    if (sock < 0 || dest.sa.ss_family != xrc_cfg.udp.sa.ss_family) {
        int fd = socket(xrc_cfg.udp.sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            xrc_log(XRAY_LOG_WARN, "XRAYCAP_CRASH_FLUSH: cannot open a UDP socket (%s); crashes "
                                   "are not flushed", strerror(errno));
            return;
        }
        if (sock >= 0)
            close(sock);
        sock = fd;
    }
    dest = xrc_cfg.udp;
    if (installed)
        return;
    installed = true;
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaction(crash_signals[i], &sa, &previous[i]);
    xrc_log(XRAY_LOG_DEBUG, "XRAYCAP_CRASH_FLUSH: open segments are sent on SIGSEGV, SIGBUS, "
                            "SIGABRT and SIGFPE");
}
