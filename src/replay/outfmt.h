/* outfmt.h - the formatters of the replay views (output.c): unsigned
 * decimals two digits per step, capture times with microseconds, the
 * summary's rounded milliseconds, and JSON string escaping (RFC 8259 §7),
 * written straight into a caller's buffer.
 * They must give exactly what printf gives (tests/replay/test_output.c checks
 * them against snprintf). Not installed. Read first: docs/replay-json.md. */
#ifndef TCPSIM_REPLAY_OUTFMT_H
#define TCPSIM_REPLAY_OUTFMT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* "00".."99": one table lookup writes two digits. */
static const char tcpsim__dig2[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                      "8081828384858687888990919293949596979899";

/* The formatters are small and called with a few bytes each: inlined where
 * they are used, the call would cost as much as the digits. */
#if defined(__GNUC__)
#define TCPSIM__FMT_INLINE static inline __attribute__((always_inline))
#else
#define TCPSIM__FMT_INLINE static inline
#endif

/* Two digits at b + k: "00".."99" for v < 100. */
#define TCPSIM__W2(b, k, v) memcpy((b) + (k), tcpsim__dig2 + 2 * (v), 2)

/* Fixed-point digits (James Anhalt's method): t = u * 2^32 / 10^N, N + 2
 * being the number of digits, rounded up so that the integer part (t >> 32)
 * is exactly u / 10^N, the top two digits; then each next pair is the integer
 * part of the fraction times 100 (TCPSIM__D2), the last odd digit of it times
 * 10 (TCPSIM__D1). Above 6 digits the product needs a shift to fit 64 bits,
 * and a small correction keeps the fraction above the exact value. Checked
 * against snprintf for every 32-bit value once, and at every digit-count edge
 * and a million sampled values by tests/replay/test_outfmt.c. */
#define TCPSIM__SH(N) ((N) / 5 * (N)*53 / 16)
#define TCPSIM__A(b, t, u, N, p10)                                                                                     \
    ((t) = (((UINT64_C(1) << (32 + TCPSIM__SH(N))) / (p10) + 1 + (N) / 6 - (N) / 8) * (uint64_t)(u)) >> TCPSIM__SH(N), \
     (t) += (N) / 6 * 4, TCPSIM__W2(b, 0, (t) >> 32))
#define TCPSIM__D2(b, t, k) ((t) = UINT64_C(100) * (uint32_t)(t), TCPSIM__W2(b, k, (t) >> 32))
#define TCPSIM__D1(b, t, k) ((b)[k] = (char)('0' + ((UINT64_C(10) * (uint32_t)(t)) >> 32)))

/* `u` in decimal at b (at most 10 bytes); returns the end. */
TCPSIM__FMT_INLINE char *tcpsim__fmt_u32(char *b, uint32_t u)
{
    uint64_t t;
    if (u < 100u) {
        if (u < 10u) {
            b[0] = (char)('0' + u);
            return b + 1;
        }
        TCPSIM__W2(b, 0, u);
        return b + 2;
    }
    if (u < 1000000u) {
        if (u < 10000u) {
            if (u < 1000u) {
                TCPSIM__A(b, t, u, 1, 10u);
                TCPSIM__D1(b, t, 2);
                return b + 3;
            }
            TCPSIM__A(b, t, u, 2, 100u);
            TCPSIM__D2(b, t, 2);
            return b + 4;
        }
        if (u < 100000u) {
            TCPSIM__A(b, t, u, 3, 1000u);
            TCPSIM__D2(b, t, 2);
            TCPSIM__D1(b, t, 4);
            return b + 5;
        }
        TCPSIM__A(b, t, u, 4, 10000u);
        TCPSIM__D2(b, t, 2);
        TCPSIM__D2(b, t, 4);
        return b + 6;
    }
    if (u < 100000000u) {
        if (u < 10000000u) {
            TCPSIM__A(b, t, u, 5, 100000u);
            TCPSIM__D2(b, t, 2);
            TCPSIM__D2(b, t, 4);
            TCPSIM__D1(b, t, 6);
            return b + 7;
        }
        TCPSIM__A(b, t, u, 6, 1000000u);
        TCPSIM__D2(b, t, 2);
        TCPSIM__D2(b, t, 4);
        TCPSIM__D2(b, t, 6);
        return b + 8;
    }
    if (u < 1000000000u) {
        TCPSIM__A(b, t, u, 7, 10000000u);
        TCPSIM__D2(b, t, 2);
        TCPSIM__D2(b, t, 4);
        TCPSIM__D2(b, t, 6);
        TCPSIM__D1(b, t, 8);
        return b + 9;
    }
    TCPSIM__A(b, t, u, 8, 100000000u);
    TCPSIM__D2(b, t, 2);
    TCPSIM__D2(b, t, 4);
    TCPSIM__D2(b, t, 6);
    TCPSIM__D2(b, t, 8);
    return b + 10;
}

/* Six digits with leading zeros, u < 10^6 (the microseconds of a time). */
TCPSIM__FMT_INLINE char *tcpsim__fmt_6(char *b, uint32_t u)
{
    uint64_t t;
    TCPSIM__A(b, t, u, 4, 10000u);
    TCPSIM__D2(b, t, 2);
    TCPSIM__D2(b, t, 4);
    return b + 6;
}

/* Exactly `n` digits (leading zeros), v < 10^n, n even. */
static inline char *tcpsim__fmt_fixed(char *p, uint32_t v, unsigned n)
{
    for (unsigned i = n; i > 0; i -= 2) {
        memcpy(p + i - 2, tcpsim__dig2 + 2 * (v % 100u), 2);
        v /= 100u;
    }
    return p + n;
}

/* Values above 32 bits: the low nine digits zero-padded after the rest. */
static inline char *tcpsim__fmt_u64_big(char *p, uint64_t v)
{
    uint64_t hi = v / 1000000000u;
    uint32_t lo = (uint32_t)(v - hi * 1000000000u);
    if (hi <= UINT32_MAX)
        p = tcpsim__fmt_u32(p, (uint32_t)hi);
    else { /* at most 20 digits: hi has at most 11, so hi / 10^9 fits 32 bits */
        uint64_t hh = hi / 1000000000u;
        p = tcpsim__fmt_u32(p, (uint32_t)hh);
        uint32_t hl = (uint32_t)(hi - hh * 1000000000u);
        *p++ = (char)('0' + hl / 100000000u);
        p = tcpsim__fmt_fixed(p, hl % 100000000u, 8);
    }
    *p++ = (char)('0' + lo / 100000000u);
    return tcpsim__fmt_fixed(p, lo % 100000000u, 8);
}

/* `v` in decimal at p (at most 20 bytes); returns the end. */
TCPSIM__FMT_INLINE char *tcpsim__fmt_u64(char *p, uint64_t v)
{
    return v <= UINT32_MAX ? tcpsim__fmt_u32(p, (uint32_t)v) : tcpsim__fmt_u64_big(p, v);
}

/* The last number written by tcpsim__fmt_next: records come in capture
 * order, so the next frame number is mostly the last plus one, and only its
 * last digit changes. */
struct tcpsim__fmt_last {
    bool valid;
    uint8_t len;
    uint64_t v;
    char s[24]; /* at most 20 digits, 16 or 24 bytes copied */
};

/* `v` in decimal at p (at most 20 bytes, and 24 written); returns the end. */
TCPSIM__FMT_INLINE char *tcpsim__fmt_next(char *p, struct tcpsim__fmt_last *c, uint64_t v)
{
    if (c->valid && v - 1 == c->v && v != 0 && c->s[c->len - 1] != '9')
        c->s[c->len - 1]++; /* no carry: the last digit goes up by one */
    else {
        c->len = (uint8_t)(tcpsim__fmt_u64(c->s, v) - c->s);
        c->valid = true;
    }
    c->v = v;
    if (c->len <= 16)
        memcpy(p, c->s, 16);
    else
        memcpy(p, c->s, 24);
    return p + c->len;
}

/* The seconds of the last time formatted: consecutive packets mostly share
 * them, so their digits are copied instead of computed. */
struct tcpsim__fmt_sec {
    bool valid;
    uint8_t len;
    uint64_t sec;
    char s[24]; /* at most 11 digits (2^64 ns), 16 bytes copied */
};

/* A capture time in nanoseconds as seconds with microseconds, truncated (not
 * rounded) like "%llu.%06llu" of ns / 1000: "1700000000.000599". At most 32
 * bytes; returns the end. */
TCPSIM__FMT_INLINE char *tcpsim__fmt_time(char *p, struct tcpsim__fmt_sec *c, uint64_t ns)
{
    uint64_t us = ns / 1000u;
    uint64_t sec = us / 1000000u;
    uint32_t f = (uint32_t)(us - sec * 1000000u);
    if (!c->valid || c->sec != sec) {
        char *e = tcpsim__fmt_u64(c->s, sec);
        c->len = (uint8_t)(e - c->s);
        c->sec = sec;
        c->valid = true;
    }
    memcpy(p, c->s, 16); /* a fixed-size copy; only len bytes count */
    p += c->len;
    *p++ = '.';
    return tcpsim__fmt_6(p, f);
}

/* "%.3f" of ns / 1e6 (milliseconds) without printf: the microseconds,
 * rounded half up. A tie (ns % 1000 == 500, nanosecond captures) is left to
 * printf, which rounds the binary double: returns NULL then. At most 24
 * bytes. */
static inline char *tcpsim__fmt_ms3(char *p, uint64_t ns)
{
    if (ns % 1000u == 500u)
        return NULL;
    uint64_t us = ns / 1000u + (ns % 1000u > 500u);
    p = tcpsim__fmt_u64(p, us / 1000u);
    *p++ = '.';
    uint32_t f = (uint32_t)(us % 1000u);
    *p++ = (char)('0' + f / 100u);
    return tcpsim__fmt_fixed(p, f % 100u, 2);
}

/* Whether none of the eight bytes in x needs escaping: no control character
 * (below 0x20), no '"', no '\\' (the "has a byte less than" and "has a zero
 * byte" word tests: exact about whether there is one). */
TCPSIM__FMT_INLINE bool tcpsim__plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return !(((x - ones * 0x20) & ~x & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high));
}

/* JSON string contents: quotes, backslash and control characters escaped
 * (RFC 8259 §7); at most 6 bytes out per byte in. Words of eight plain bytes
 * are copied as they are (labels, histories: nothing to escape). */
static inline char *tcpsim__json_esc(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    uint64_t x;
    for (; i + 8 <= n; i += 8, p += 8) {
        memcpy(&x, s + i, 8);
        if (!tcpsim__plain8(x))
            break;
        memcpy(p, &x, 8);
    }
    if (i < n && n >= 8 && i + 8 > n) { /* all plain so far: the last eight bytes,
                                         * overlapping what was copied as is */
        memcpy(&x, s + n - 8, 8);
        if (tcpsim__plain8(x)) {
            memcpy(p - (i - (n - 8)), &x, 8);
            return p + (n - i);
        }
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch != '"' && ch != '\\' && ch >= 0x20)
            *p++ = (char)ch;
        else if (ch == '"' || ch == '\\') {
            *p++ = '\\';
            *p++ = (char)ch;
        } else {
            memcpy(p, "\\u00", 4);
            p[4] = hex[ch >> 4];
            p[5] = hex[ch & 15];
            p += 6;
        }
    }
    return p;
}

#endif
