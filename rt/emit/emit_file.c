/* emit_file.c — the JSON Lines emitter: one document per line, appended to a file, for CI and
 * offline analysis (`xraycap import FILE` loads it). Lines collect in a buffer written when it
 * fills and whenever a segment's documents are complete, with O_APPEND so that processes
 * sharing the file never interleave inside a line. */
#include "emit/emit.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static char file_path[1024];      /* "" when off */
static int file_fd = -1;          /* -1: not open (yet) */
static bool file_failed;          /* opening failed: said once, documents counted as dropped */
static char *buf;                 /* lines not yet written (BUF_SIZE, made on first use) */
static size_t buf_len;            /* bytes in buf */
static size_t buf_docs;           /* documents in buf: counted as sent once written */

/* Writes the buffer and counts its documents as sent, or on an error as dropped. */
static bool drain(void)
{
    size_t off = 0;
    while (off < buf_len) {
        ssize_t n = write(file_fd, buf + off, buf_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            xrc_log(XRAY_LOG_ERROR, "file emitter: writing %s failed: %s; %zu bytes of documents "
                                    "lost", file_path, n < 0 ? strerror(errno) : "no progress",
                    buf_len - off);
            atomic_fetch_add(&xrc_stats.send_errors, 1);
            /* Lines written in part are lost too: count them all, never more than once. */
            atomic_fetch_add(&xrc_stats.documents_dropped, buf_docs);
            buf_len = buf_docs = 0;
            return false;
        }
        off += (size_t)n;
    }
    atomic_fetch_add(&xrc_stats.documents_sent, buf_docs);
    buf_len = buf_docs = 0;
    return true;
}

static bool ready(void)
{
    if (file_fd >= 0)
        return true;
    if (file_failed || !file_path[0])
        return false;
    /* 0600: documents hold URLs, users, annotations and metadata */
    file_fd = open(file_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (file_fd < 0) {
        file_failed = true;
        xrc_log(XRAY_LOG_ERROR, "file emitter: cannot open %s: %s; documents are dropped (and "
                                "counted)", file_path, strerror(errno));
        return false;
    }
    if (!buf && !(buf = malloc(BUF_SIZE))) {
        close(file_fd);
        file_fd = -1;
        return false;
    }
    return true;
}

void xrc_file_write(const char *doc, size_t len)
{
    int saved = errno;
    bool ok = false;
    pthread_mutex_lock(&file_lock);
    if (ready()) {
        if (buf_len + len + 1 > BUF_SIZE)
            drain();
        if (len + 1 > BUF_SIZE) { /* cannot happen with datagram-sized documents */
            ok = false;
        } else {
            memcpy(buf + buf_len, doc, len);
            buf[buf_len + len] = '\n';
            buf_len += len + 1;
            buf_docs++;
            ok = true;
        }
    }
    pthread_mutex_unlock(&file_lock);
    if (!ok)
        atomic_fetch_add(&xrc_stats.documents_dropped, 1);
    errno = saved;
}

void xrc_file_flush(void)
{
    int saved = errno;
    pthread_mutex_lock(&file_lock);
    if (file_fd >= 0 && buf_len)
        drain();
    pthread_mutex_unlock(&file_lock);
    errno = saved;
}

void xrc_file_set(const char *path)
{
    int saved = errno;
    pthread_mutex_lock(&file_lock);
    if (file_fd >= 0) {
        drain();
        close(file_fd);
        file_fd = -1;
    }
    snprintf(file_path, sizeof file_path, "%s", path);
    file_failed = false;
    if (!path[0]) {
        free(buf);
        buf = NULL;
    }
    pthread_mutex_unlock(&file_lock);
    errno = saved;
}

void xrc_file_after_fork(void)
{
    /* The parent writes what it buffered; the child keeps the descriptor (O_APPEND). */
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&file_lock, &fresh, sizeof fresh);
    buf_len = buf_docs = 0;
}
