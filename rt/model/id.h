/* id.h — X-Ray trace ids and entity ids from a xoshiro256** generator, one per thread (in
 * xrc_tls). It is seeded from getrandom() on first use in each thread and again after fork(),
 * so parent and child never hand out the same ids. */
#ifndef XRC_ID_H
#define XRC_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XRC_TRACE_ID_LEN 35 /* "1-" + 8 hex + "-" + 24 hex */

typedef struct xrc_rng {
    uint64_t s[4];
    int seeded;
} xrc_rng;

void xrc_rng_seed(xrc_rng *r);

static inline uint64_t xrc_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* 64 random bits from r, never 0 (X-Ray ids must not be all zeros). Each thread has its
 * generator in xrc_tls (model/thread.h: xrc_rand64). */
static inline uint64_t xrc_rng_next(xrc_rng *r)
{
    if (__builtin_expect(!r->seeded, 0))
        xrc_rng_seed(r);
    for (;;) {
        uint64_t *s = r->s;
        uint64_t out = xrc_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
        s[3] = xrc_rotl(s[3], 45);
        if (out)
            return out;
    }
}

/* Writes a new trace id for a request starting at `epoch_sec` into out (36 bytes with NUL). */
void xrc_new_trace_id(char out[XRC_TRACE_ID_LEN + 1], int64_t epoch_sec);

/* Writes `id` as 16 lower-case hex digits (no NUL). */
void xrc_hex16(char out[16], uint64_t id);


/* True when s starts with n lower-case hex digits. */
bool xrc_is_hex(const char *s, size_t n);

/* True for an X-Ray trace id: "1-" + 8 hex digits + "-" + 24 hex digits, lower case. */
bool xrc_trace_id_valid(const char *s);

/* For an entity id of exactly 16 lower-case hex digits: stores its value and returns true. */
bool xrc_entity_id_parse(const char *s, uint64_t *out);

#endif
