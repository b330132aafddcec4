/* gzip.c — see gzip.h. zlib is opened with dlopen at the first compressed request, as libcurl
 * is (base/curl_api.c): libxraycap has no link to it, and a program that sends over UDP never
 * loads it. (libcurl itself needs zlib, so where this runs it is there already.) */
#include "emit/gzip.h"
#include "base/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static struct {
    int (*init)(z_streamp, int, int, int, int, int, const char *, int);
    int (*deflate)(z_streamp, int);
    int (*end)(z_streamp);
    uLong (*bound)(z_streamp, uLong);
} z;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;

static void load(void)
{
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        *(void **)&z.init = dlsym(h, "deflateInit2_");
        *(void **)&z.deflate = dlsym(h, "deflate");
        *(void **)&z.end = dlsym(h, "deflateEnd");
        *(void **)&z.bound = dlsym(h, "deflateBound");
    }
    loaded = z.init && z.deflate && z.end && z.bound;
    if (!loaded)
        xrc_log(XRAY_LOG_ERROR, "gzip: zlib (libz.so.1) cannot be loaded; requests are sent "
                                "uncompressed (install zlib1g)");
}

bool xrc_gzip(const void *in, size_t n, unsigned char **out, size_t *out_len)
{
    pthread_once(&load_once, load);
    if (!loaded)
        return false;
    z_stream s;
    memset(&s, 0, sizeof s);
    /* windowBits 15 + 16: a gzip header and trailer, as Content-Encoding: gzip wants */
    if (z.init(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
               ZLIB_VERSION, (int)sizeof s) != Z_OK)
        return false;
    uLong cap = z.bound(&s, (uLong)n) + 32;
    unsigned char *buf = malloc(cap);
    bool ok = false;
    if (buf) {
        s.next_in = (Bytef *)(uintptr_t)in;
        s.avail_in = (uInt)n;
        s.next_out = buf;
        s.avail_out = (uInt)cap;
        ok = z.deflate(&s, Z_FINISH) == Z_STREAM_END;
    }
    z.end(&s);
    if (!ok) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = cap - s.avail_out;
    return true;
}
