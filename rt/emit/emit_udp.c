/* emit_udp.c — the daemon emitter: one non-blocking UDP socket per process. A full socket
 * buffer or no listener is counted, not waited for: the traced program never blocks here. */
#include "base/config.h"
#include "emit/emit.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t udp_lock = PTHREAD_MUTEX_INITIALIZER; /* guards udp_fd changes */
static int udp_fd = -1;                                      /* -1: open at next send */
static int udp_family;                                       /* family udp_fd was made for */

static int udp_socket(void)
{
    int fd;
    pthread_mutex_lock(&udp_lock);
    if (udp_fd < 0 || udp_family != xrc_cfg.udp.sa.ss_family) {
        if (udp_fd >= 0)
            close(udp_fd);
        udp_family = xrc_cfg.udp.sa.ss_family;
        udp_fd = socket(udp_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (udp_fd < 0)
            xrc_log(XRAY_LOG_ERROR, "cannot open a UDP socket: %s", strerror(errno));
    }
    fd = udp_fd;
    pthread_mutex_unlock(&udp_lock);
    return fd;
}

bool xrc_udp_send(const char *data, size_t len)
{
    int fd = udp_socket();
    if (fd < 0)
        return false;
    ssize_t n = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                       (const struct sockaddr *)&xrc_cfg.udp.sa, xrc_cfg.udp.len);
    if (n == (ssize_t)len)
        return true;
    atomic_fetch_add(&xrc_stats.send_errors, 1);
    xrc_log(XRAY_LOG_DEBUG, "sending %zu bytes to %s failed: %s", len, xrc_cfg.udp.text,
            n < 0 ? strerror(errno) : "short write");
    return false;
}

void xrc_emit_reset(void)
{
    pthread_mutex_lock(&udp_lock);
    if (udp_fd >= 0)
        close(udp_fd);
    udp_fd = -1;
    pthread_mutex_unlock(&udp_lock);
}

void xrc_udp_after_fork(void)
{
    /* The lock may have been held by another thread at fork; the child has only this one. */
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&udp_lock, &fresh, sizeof fresh);
    if (udp_fd >= 0)
        close(udp_fd);
    udp_fd = -1;
}
