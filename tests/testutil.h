/* testutil.h - small helpers shared by the cmocka suites (header-only): a
 * fixed-seed pseudo-random generator, xorshift64* (Vigna, "An experimental
 * exploration of Marsaglia's xorshift generators", 2016), so that the random
 * tests draw the same inputs on every run and on every machine (no libc
 * rand() state). Included as "testutil.h" (tests/ is on the include path). */
#ifndef TCPSIM_TESTS_TESTUTIL_H
#define TCPSIM_TESTS_TESTUTIL_H

#include <stdint.h>

/* The generator's state; any non-zero seed, e.g. `struct rng r = {42};`. */
struct rng {
    uint64_t s;
};

static inline uint32_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A number in [0, n), n > 0 (the slight modulo bias does not matter here). */
static inline uint32_t below(struct rng *r, uint32_t n)
{
    return rnd(r) % n;
}

#endif
