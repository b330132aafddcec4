/* id.c — seeding and formatting of ids; the generator itself is inline in id.h. */
#include "model/id.h"
#include "model/thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void xrc_rng_seed(xrc_rng *r)
{
    int saved = errno;
    uint64_t seed[4] = {0};
    if (getrandom(seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        /* No entropy yet (early boot): mix time, pid and the thread's address instead. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid() ^
                     (uint64_t)(uintptr_t)r;
        for (int i = 0; i < 4; i++)
            seed[i] ^= splitmix(&x);
    }
    if (!(seed[0] | seed[1] | seed[2] | seed[3]))
        seed[0] = 1;
    memcpy(r->s, seed, sizeof seed);
    r->seeded = 1;
    errno = saved;
}

static const char hexdigits[] = "0123456789abcdef";

void xrc_hex16(char out[16], uint64_t id)
{
    for (int i = 15; i >= 0; i--, id >>= 4)
        out[i] = hexdigits[id & 15];
}

void xrc_new_trace_id(char out[XRC_TRACE_ID_LEN + 1], int64_t epoch_sec)
{
    char buf[16];
    uint32_t t = (uint32_t)epoch_sec;
    out[0] = '1';
    out[1] = '-';
    for (int i = 7; i >= 0; i--, t >>= 4)
        out[2 + i] = hexdigits[t & 15];
    out[10] = '-';
    xrc_hex16(buf, xrc_rand64());
    memcpy(out + 11, buf, 16);
    xrc_hex16(buf, xrc_rand64());
    memcpy(out + 27, buf, 8);
    out[35] = '\0';
}

bool xrc_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool xrc_trace_id_valid(const char *s)
{
    return strlen(s) == XRC_TRACE_ID_LEN && s[0] == '1' && s[1] == '-' && xrc_is_hex(s + 2, 8) &&
           s[10] == '-' && xrc_is_hex(s + 11, 24);
}

bool xrc_entity_id_parse(const char *s, uint64_t *out)
{
    if (strlen(s) != 16 || !xrc_is_hex(s, 16))
        return false;
    *out = strtoull(s, NULL, 16);
    return true;
}
