/* test_tls_fast.c - the decoder's shortcuts against the long way: the JA3/JA4
 * memo against tcpsim_tls_ja3/ja4/ja3s, the certificate cache (by the DER)
 * against a fresh parse, the summary copy against the summary, the JSON
 * string writer against a byte-by-byte escaper, and the explanation
 * formatter against vsnprintf, tcpsim_tls_feed's in-order shortcut against
 * the reassembler. Random inputs from a fixed seed.
 * Read first: RFC 8446 §4.1.2 (ClientHello), RFC 8259 §7 (JSON strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/parse_internal.h"
#include "tls/tls_internal.h"
#include "testutil.h"
#include "tls_test.h"

static struct rng rng; /* seeded by each test */

static uint16_t rnd_value(void)
{
    switch (rnd(&rng) % 6) {
    case 0:
        return (uint16_t)(0x0a0a + 0x1010 * (rnd(&rng) % 16)); /* GREASE */
    case 1:
        return (uint16_t)(rnd(&rng) % 64);
    default:
        return (uint16_t)rnd(&rng);
    }
}

static void rnd_list(uint16_t *v, size_t cap, size_t *n)
{
    *n = rnd(&rng) % 8 == 0 ? 0 : rnd(&rng) % 24;
    for (size_t i = 0; i < *n; i++)
        v[i] = rnd_value();
    (void)cap;
}

static void rnd_hello(struct tcpsim_tls_hello *h)
{
    memset(h, 0, sizeof *h);
    h->legacy_version = rnd(&rng) % 4 == 0 ? 0x0301 : 0x0303;
    rnd_list(h->ciphers, TCPSIM_TLS_MAX_LIST, &h->nciphers);
    rnd_list(h->exts, TCPSIM_TLS_MAX_EXT, &h->nexts);
    if (rnd(&rng) % 2) { /* SNI, ALPN and supported_versions often present */
        h->exts[h->nexts++] = 0;
        h->exts[h->nexts++] = 16;
        h->exts[h->nexts++] = 43;
    }
    rnd_list(h->groups, TCPSIM_TLS_MAX_LIST, &h->ngroups);
    rnd_list(h->sig_algs, TCPSIM_TLS_MAX_LIST, &h->nsig_algs);
    h->npoint_formats = rnd(&rng) % 4;
    for (size_t i = 0; i < h->npoint_formats; i++)
        h->point_formats[i] = (uint8_t)rnd(&rng);
    h->nversions = rnd(&rng) % 5;
    for (size_t i = 0; i < h->nversions; i++)
        h->versions[i] = rnd(&rng) % 3 ? (uint16_t)(0x0301 + rnd(&rng) % 4) : 0x1a1a;
    h->nalpn = rnd(&rng) % 3;
    h->alpn0_len = h->nalpn ? rnd(&rng) % 4 : 0;
    for (size_t i = 0; i < h->alpn0_len; i++)
        h->alpn0_raw[i] = (uint8_t)(rnd(&rng) % 3 ? 'a' + rnd(&rng) % 26 : rnd(&rng));
}

/* change one thing a fingerprint reads (or a count beyond what is kept) */
static void mutate(struct tcpsim_tls_hello *h)
{
    switch (rnd(&rng) % 12) {
    case 0:
        if (h->nciphers)
            h->ciphers[rnd(&rng) % h->nciphers] = rnd_value();
        break;
    case 1:
        if (h->nexts)
            h->exts[rnd(&rng) % h->nexts] = rnd_value();
        break;
    case 2:
        if (h->ngroups)
            h->groups[rnd(&rng) % h->ngroups] = rnd_value();
        break;
    case 3:
        if (h->nsig_algs)
            h->sig_algs[rnd(&rng) % h->nsig_algs] = rnd_value();
        break;
    case 4:
        if (h->npoint_formats)
            h->point_formats[0] ^= 1;
        break;
    case 5:
        if (h->nversions)
            h->versions[0] = (uint16_t)(h->versions[0] + 1);
        break;
    case 6:
        if (h->alpn0_len)
            h->alpn0_raw[h->alpn0_len - 1] ^= 0x20;
        break;
    case 7:
        h->legacy_version ^= 3;
        break;
    case 8:
        h->nciphers = TCPSIM_TLS_MAX_LIST + 5; /* more offered than kept: not complete */
        break;
    case 9:
        if (h->nexts)
            h->nexts--;
        break;
    case 10:
        h->nalpn = !h->nalpn;
        break;
    default:
        h->alpn0_len = h->alpn0_len ? 0 : 1;
        h->alpn0_raw[0] = 'x';
        break;
    }
}

/* JA3 and JA4 of `h` through the memo (tcpsim__fp_client) are what
 * tcpsim_tls_ja3/ja4 write, bytes past the text included. */
void tls_test_fp_client_matches(const struct tcpsim_tls_hello *h)
{
    char fa[1024], fb[1024], ma[33], mb[33], ja[40], jb[40];
    memset(fa, 'A', sizeof fa);
    memset(fb, 'A', sizeof fb);
    memset(ma, 'M', sizeof ma);
    memset(mb, 'M', sizeof mb);
    memset(ja, 'J', sizeof ja);
    memset(jb, 'J', sizeof jb);
    (void)tcpsim_tls_ja3(h, fa, sizeof fa, ma);
    (void)tcpsim_tls_ja4(h, ja, sizeof ja);
    tcpsim__fp_client(h, fb, sizeof fb, mb, jb, sizeof jb);
    assert_memory_equal(fa, fb, sizeof fa);
    assert_memory_equal(ma, mb, sizeof ma);
    assert_memory_equal(ja, jb, sizeof ja);
}

/* The memo's results equal the functions' for random hellos, repeated (hits)
 * and changed in one field at a time (which must not hit). */
static void test_fingerprint_memo_random_hellos_match_direct(void **state)
{
    (void)state;
    rng.s = 0x1234567887654321u;
    tcpsim_tls_release_caches();
    enum { BASES = 12, ROUNDS = 1500 };
    static struct tcpsim_tls_hello base[BASES], h;
    for (size_t i = 0; i < BASES; i++)
        rnd_hello(&base[i]);
    size_t changed = 0;
    for (size_t r = 0; r < ROUNDS; r++) {
        h = base[rnd(&rng) % BASES];
        if (rnd(&rng) % 3 == 0) {
            mutate(&h);
            changed++;
        }
        char fa[1024], fb[1024], ma[33], mb[33];
        for (int pass = 0; pass < 2; pass++) { /* the second call of a pair hits */
            tls_test_fp_client_matches(&h);
            /* the server side reads version, first cipher and extensions */
            memset(fa, 'A', sizeof fa);
            memset(fb, 'A', sizeof fb);
            memset(ma, 'M', sizeof ma);
            memset(mb, 'M', sizeof mb);
            (void)tcpsim_tls_ja3s(&h, fa, 600, ma);
            tcpsim__fp_server(&h, fb, 600, mb);
            assert_memory_equal(fa, fb, sizeof fa);
            assert_memory_equal(ma, mb, sizeof ma);
        }
    }
    assert_true(changed > ROUNDS / 4);
    tcpsim_tls_release_caches();
}

/* ------------------------------------------------------ certificate cache */

/* A TLS 1.2 Certificate body (RFC 5246 §7.4.2) holding one DER. */
static size_t cert_body(const uint8_t *der, size_t n, uint8_t *out)
{
    size_t l = n + 3;
    out[0] = (uint8_t)(l >> 16);
    out[1] = (uint8_t)(l >> 8);
    out[2] = (uint8_t)l;
    out[3] = (uint8_t)(n >> 16);
    out[4] = (uint8_t)(n >> 8);
    out[5] = (uint8_t)n;
    memcpy(out + 6, der, n);
    return n + 6;
}

void tls_test_parse_cert(const uint8_t *der, size_t n, struct tcpsim_tls_cert *c)
{
    static uint8_t body[40000];
    const char *what;
    size_t nc, chain;
    assert_int_equal(tcpsim__parse_certificate(body, cert_body(der, n, body), false, c, 1, &nc, &chain, &what),
                     TCPSIM_OK);
    assert_int_equal(nc, 1);
}

/* Whatever the cache holds, each certificate gives what a fresh parse gives:
 * the same DER hits, a DER of the same length differing in one byte (the
 * hash and length match the old one's only by chance) does not, and a DER
 * too long to be copied is kept by its SHA-256. */
static void test_cert_cache_by_der_one_byte_changed_not_a_hit(void **state)
{
    (void)state;
    static uint8_t der[3][20000];
    static struct tcpsim_tls_cert got[3], fresh;
    size_t n = tls_test_load_der("srv.pem", der[0], sizeof der[0]);
    memcpy(der[1], der[0], n);
    der[1][n - 1] ^= 0x01; /* last signature byte: still parses */
    for (size_t i = 0; i < sizeof der[2]; i++)
        der[2][i] = (uint8_t)rnd(&rng); /* 20000 bytes > 16 KiB: not copied, not X.509 */
    size_t len[3] = {n, n, sizeof der[2]};
    tcpsim_tls_release_caches();
    struct tcpsim_tls_cache_stats s0, s1;
    tcpsim_tls_cache_stats(&s0);
    for (int k = 0; k < 3; k++)
        tls_test_parse_cert(der[k], len[k], &got[k]);
    tcpsim_tls_cache_stats(&s1);
    assert_int_equal(s1.cert_misses - s0.cert_misses, 3);
    assert_true(got[0].parsed && got[1].parsed && !got[2].parsed);
    assert_string_not_equal(got[0].sha256, got[1].sha256);
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 3; k++) {
            struct tcpsim_tls_cert again;
            tls_test_parse_cert(der[k], len[k], &again);
            assert_memory_equal(&again, &got[k], sizeof again);
        }
    tcpsim_tls_cache_stats(&s0);
    assert_int_equal(s0.cert_misses, s1.cert_misses);
    assert_int_equal(s0.cert_hits - s1.cert_hits, 9);
    for (int k = 0; k < 3; k++) { /* each equals a parse with an empty cache */
        tcpsim_tls_release_caches();
        tls_test_parse_cert(der[k], len[k], &fresh);
        assert_memory_equal(&fresh, &got[k], sizeof fresh);
    }
    tcpsim_tls_release_caches();
}

/* ----------------------------------------------------------- summary copy */

static void check_copy(const struct tcpsim_tls_summary *src)
{
    static struct tcpsim_tls_summary dst;
    static char ja[200000], jb[200000];
    memset(&dst, 0x5a, sizeof dst);
    tcpsim_tls_summary_copy(&dst, src);
    size_t la = 0, lb = 0;
    assert_int_equal(tcpsim_tls_summary_json(src, ja, sizeof ja, &la), TCPSIM_OK);
    assert_int_equal(tcpsim_tls_summary_json(&dst, jb, sizeof jb, &lb), TCPSIM_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(ja, jb, la);
    /* every field, not only what the JSON shows */
    assert_memory_equal(&dst, src, offsetof(struct tcpsim_tls_summary, sni));
    assert_string_equal(dst.sni, src->sni);
    assert_memory_equal(dst.alpn, src->alpn,
                        offsetof(struct tcpsim_tls_summary, ja3_full) - offsetof(struct tcpsim_tls_summary, alpn));
    assert_string_equal(dst.ja3_full, src->ja3_full);
    assert_string_equal(dst.ja3s_full, src->ja3s_full);
    assert_int_equal(dst.ncerts, src->ncerts);
    assert_memory_equal(dst.certs, src->certs, src->ncerts * sizeof src->certs[0]);
    assert_int_equal(dst.chain_len, src->chain_len);
    assert_int_equal(dst.nalerts, src->nalerts);
    assert_memory_equal(dst.alerts, src->alerts, src->nalerts * sizeof src->alerts[0]);
    assert_int_equal(dst.alerts_total, src->alerts_total);
    assert_int_equal(dst.nmsgs, src->nmsgs);
    assert_memory_equal(dst.msgs, src->msgs, src->nmsgs * sizeof src->msgs[0]);
    assert_memory_equal(&dst.msgs_total, &src->msgs_total,
                        sizeof *src - offsetof(struct tcpsim_tls_summary, msgs_total));
}

static void rnd_str(char *s, size_t cap)
{
    size_t n = rnd(&rng) % cap;
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(' ' + rnd(&rng) % 94);
    s[n] = '\0';
}

/* The packed form (tcpsim_tls_summary_pack) gives back, byte for byte over
 * the same filler, what the copy writes, from exactly packed_size bytes at
 * any alignment, and writes nothing past them. */
static void check_pack(const struct tcpsim_tls_summary *src)
{
    static struct tcpsim_tls_summary dst, un;
    static uint8_t packed[sizeof(struct tcpsim_tls_summary) + 64];
    memset(&dst, 0x5a, sizeof dst);
    tcpsim_tls_summary_copy(&dst, src);
    size_t want = tcpsim_tls_summary_packed_size(src);
    assert_true(want > 0 && want < sizeof *src);
    memset(packed, 0xa5, sizeof packed);
    assert_int_equal(tcpsim_tls_summary_pack(packed + 1, src), want);
    for (size_t i = want + 1; i < sizeof packed; i++)
        assert_int_equal(packed[i], 0xa5);
    memset(&un, 0x5a, sizeof un);
    tcpsim_tls_summary_unpack(&un, packed + 1);
    assert_memory_equal(&un, &dst, sizeof un);
}

/* Random summaries (every count from 0 to its maximum, strings of every
 * length up to their buffer) and the summaries of three decoded captures. */
static void summary_cases(void (*check)(const struct tcpsim_tls_summary *))
{
    static struct tcpsim_tls_summary s;
    for (int r = 0; r < 200; r++) {
        uint8_t *p = (uint8_t *)&s;
        for (size_t i = 0; i < sizeof s; i++)
            p[i] = (uint8_t)rnd(&rng);
        s.is_tls = true;
        s.have_server_hello = rnd(&rng) % 2;
        s.hrr = rnd(&rng) % 2;
        s.resumption = (enum tcpsim_tls_resumption)(rnd(&rng) % 4);
        rnd_str(s.sni, sizeof s.sni);
        rnd_str(s.alpn, sizeof s.alpn);
        rnd_str(s.ja3, sizeof s.ja3);
        rnd_str(s.ja3s, sizeof s.ja3s);
        rnd_str(s.ja4, sizeof s.ja4);
        rnd_str(s.ja3_full, sizeof s.ja3_full);
        rnd_str(s.ja3s_full, sizeof s.ja3s_full);
        s.ncerts = rnd(&rng) % (TCPSIM_TLS_MAX_CERTS + 1);
        for (size_t i = 0; i < s.ncerts; i++) {
            struct tcpsim_tls_cert *c = &s.certs[i];
            c->parsed = rnd(&rng) % 2;
            rnd_str(c->subject, sizeof c->subject);
            rnd_str(c->issuer, sizeof c->issuer);
            rnd_str(c->not_before, sizeof c->not_before);
            rnd_str(c->not_after, sizeof c->not_after);
            rnd_str(c->key_type, sizeof c->key_type);
            rnd_str(c->key_curve, sizeof c->key_curve);
            rnd_str(c->sans, sizeof c->sans);
            rnd_str(c->serial, sizeof c->serial);
            rnd_str(c->sha256, sizeof c->sha256);
            c->self_signed = rnd(&rng) % 2;
        }
        s.nalerts = rnd(&rng) % (TCPSIM_TLS_MAX_ALERTS + 1);
        for (size_t i = 0; i < s.nalerts; i++) {
            s.alerts[i].dir = (enum tcpsim_side)(rnd(&rng) % 2);
            s.alerts[i].encrypted = rnd(&rng) % 2;
        }
        s.nmsgs = rnd(&rng) % (TCPSIM_TLS_MAX_MSGS + 1);
        for (size_t i = 0; i < s.nmsgs; i++) {
            s.msgs[i].dir = (enum tcpsim_side)(rnd(&rng) % 2);
            s.msgs[i].record = TCPSIM_TLS_REC_HANDSHAKE;
            s.msgs[i].hs = (enum tcpsim_tls_hs)(rnd(&rng) % 3);
        }
        check(&s);
    }
    const char *names[] = {"tls13", "tls12", "tls12rsa"};
    for (size_t k = 0; k < 3; k++) {
        static struct seg segs[64];
        size_t n = load_segs(names[k], segs, 64);
        struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, NULL, NULL);
        assert_non_null(c);
        for (size_t i = 0; i < n; i++)
            (void)tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0);
        assert_true(tcpsim_tls_summary(c)->nmsgs > 3);
        check(tcpsim_tls_summary(c));
        tcpsim_tls_conn_free(c);
        free_segs(segs, n);
    }
    tcpsim_tls_release_caches();
}

static void test_summary_copy_random_and_decoded_equal(void **state)
{
    (void)state;
    summary_cases(check_copy);
}

static void test_summary_pack_random_and_decoded_equal_copy(void **state)
{
    (void)state;
    summary_cases(check_pack);
}

/* ------------------------------------------------------------ JSON string */

/* The JSON string writer's contract written out byte by byte (RFC 8259 §7;
 * invalid UTF-8 as U+FFFD), each piece appended only while it fits, as the
 * bounded builder does. */
struct ref_sb {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void ref_put(struct ref_sb *b, const char *s, size_t n)
{
    if (b->overflow)
        return;
    if (n + 1 > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static size_t ref_utf8(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

static void ref_jstr(struct ref_sb *b, const unsigned char *s)
{
    static const char hex[] = "0123456789abcdef";
    ref_put(b, "\"", 1);
    while (*s) {
        size_t run = 0;
        while (s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
            run++;
        if (run) {
            ref_put(b, (const char *)s, run);
            s += run;
            continue;
        }
        if (*s == '"' || *s == '\\') {
            char e[2] = {'\\', (char)*s};
            ref_put(b, e, 2);
            s++;
        } else if (*s < 0x20 || *s == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15]};
            ref_put(b, e, 6);
            s++;
        } else {
            size_t n = ref_utf8(s);
            if (n) {
                ref_put(b, (const char *)s, n);
                s += n;
            } else {
                ref_put(b, "\\ufffd", 6);
                s++;
            }
        }
    }
    ref_put(b, "\"", 1);
}

static void test_json_string_random_matches_reference(void **state)
{
    (void)state;
    static const char *const odd[] = {
        "\"",   "\\",   "\x01",         "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "\xff", "\xc3", "\xed\xa0\x80", "\x1f"};
    unsigned char s[300];
    char a[400], r[400];
    size_t special = 0;
    for (int k = 0; k < 5000; k++) {
        size_t n = rnd(&rng) % 200, i = 0;
        while (i < n) {
            if (rnd(&rng) % 16 == 0) {
                const char *o = odd[rnd(&rng) % (sizeof odd / sizeof odd[0])];
                size_t ol = strlen(o);
                if (i + ol > n)
                    break;
                memcpy(s + i, o, ol);
                i += ol;
                special++;
            } else {
                s[i++] = (unsigned char)(' ' + rnd(&rng) % 95); /* may be '"' or '\\' too */
            }
        }
        s[i] = '\0';
        size_t cap = rnd(&rng) % 4 == 0 ? rnd(&rng) % (i + 8) + 1 : sizeof a;
        size_t pre = rnd(&rng) % 3; /* something already in the builder */
        struct tcpsim__sb b;
        struct ref_sb rb = {r, cap, 0, false};
        tcpsim__sb_init(&b, a, cap);
        r[0] = '\0';
        for (size_t p = 0; p < pre; p++) {
            tcpsim__sb_putc(&b, 'x');
            ref_put(&rb, "x", 1);
        }
        tcpsim__sb_jstr(&b, (const char *)s);
        ref_jstr(&rb, s);
        assert_int_equal(b.len, rb.len);
        assert_int_equal(b.overflow, rb.overflow);
        assert_memory_equal(a, r, rb.len + (cap > rb.len ? 1 : 0));
    }
    assert_true(special > 1000);
}

/* The names written without an escaping scan (json.c kname) need none:
 * every value's name comes out of the escaper unchanged. */
static void test_json_names_need_no_escaping(void **state)
{
    (void)state;
    char a[200], want[200];
    for (unsigned v = 0; v < 0x10000; v++) {
        const char *names[3] = {tcpsim_tls_version_name((uint16_t)v),
                                v < 256 ? tcpsim_tls_record_name((enum tcpsim_tls_record)v) : "",
                                v <= TCPSIM_TLS_HS_NONE ? tcpsim_tls_hs_name((enum tcpsim_tls_hs)v) : ""};
        for (int k = 0; k < 3; k++) {
            struct tcpsim__sb b;
            tcpsim__sb_init(&b, a, sizeof a);
            tcpsim__sb_jstr(&b, names[k]);
            snprintf(want, sizeof want, "\"%s\"", names[k]);
            assert_string_equal(a, want);
        }
    }
}

/* ------------------------------------------------- explanation formatter */

static void ref_fmt(struct tcpsim__sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ref_fmt(struct tcpsim__sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!b->overflow) {
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        if (n < 0 || (size_t)n >= b->cap - b->len) {
            b->buf[b->len] = '\0';
            b->overflow = true;
        } else {
            b->len += (size_t)n;
        }
    }
    va_end(ap);
}

/* tcpsim__sb_fmt (%s and %lld by hand) writes what vsnprintf writes, and
 * drops a piece that does not fit whole, as tcpsim__sb_printf does. */
static void test_explain_formatter_random_matches_printf(void **state)
{
    (void)state;
    char a[300], r[300], str[120];
    for (int k = 0; k < 3000; k++) {
        long long n1 = rnd(&rng) % 4 == 0 ? -(long long)rnd(&rng)
                       : rnd(&rng) % 2    ? (long long)rnd(&rng)
                                          : (long long)rnd(&rng) << 31;
        long long n2 = rnd(&rng) % 1000;
        rnd_str(str, sizeof str);
        size_t cap = rnd(&rng) % 3 == 0 ? rnd(&rng) % 120 + 1 : sizeof a;
        unsigned which = rnd(&rng) % 7;
        struct tcpsim__sb x, y;
        tcpsim__sb_init(&x, a, cap);
        tcpsim__sb_init(&y, r, cap);
        for (int piece = 0; piece < 3; piece++) {
#define BOTH(...)                                                                                                      \
    do {                                                                                                               \
        tcpsim__sb_fmt(&x, __VA_ARGS__);                                                                               \
        ref_fmt(&y, __VA_ARGS__);                                                                                      \
    } while (0)
            switch (which) {
            case 0:
                BOTH("offers %lld cipher suite%s, ", n1, str);
                break;
            case 1:
                BOTH("%s via supported_versions", str);
                break;
            case 2:
                BOTH("encrypted handshake record %lld of the flight, %lld bytes", n1, n2);
                break;
            case 3:
                BOTH("%s (%lld bytes)", str, n1);
                break;
            case 4:
                BOTH("no conversion at all");
                break;
            case 5:
                BOTH("%lld", n1);
                break;
            default:
                BOTH("%s", str);
                break;
            }
#undef BOTH
        }
        assert_int_equal(x.len, y.len);
        assert_int_equal(x.overflow, y.overflow);
        assert_string_equal(a, r);
    }
}

/* A conversion it does not know (a format ending in "%", "%d", "%%") is
 * written as it stands and takes no argument: it never reads past the end of
 * the format. Called through a pointer, as the compiler's format check would
 * (rightly) reject these formats. */
static void test_explain_formatter_unknown_conversion_written_as_is(void **state)
{
    (void)state;
    void (*fmt)(struct tcpsim__sb *, const char *, ...) = tcpsim__sb_fmt;
    char a[64];
    struct tcpsim__sb x;
    tcpsim__sb_init(&x, a, sizeof a);
    fmt(&x, "ends in %");
    assert_string_equal(a, "ends in %");
    tcpsim__sb_init(&x, a, sizeof a);
    fmt(&x, "%d and %s", "kept");
    assert_string_equal(a, "%d and kept");
    tcpsim__sb_init(&x, a, sizeof a);
    fmt(&x, "100%% %lld", 7ll);
    assert_string_equal(a, "100%% 7");
}

/* ---- the inline GREASE test against tcpsim_tls_is_grease ---- */

static void test_grease_inline_every_value_matches(void **state)
{
    (void)state;
    unsigned n = 0;
    for (uint32_t v = 0; v <= 0xffff; v++) {
        assert_int_equal(tcpsim__is_grease((uint16_t)v), tcpsim_tls_is_grease((uint16_t)v));
        n += tcpsim__is_grease((uint16_t)v);
    }
    assert_int_equal(n, 16); /* 0x0a0a .. 0xfafa */
}

/* ---- tcpsim_tls_feed's in-order shortcut against the reassembler ---- */

/* [0] shortcut allowed, [1] the long way, [2] shortcut and quiet (tcpsim_tls_set_quiet),
 * [3] quiet without sentences (tcpsim_tls_set_explain false): the replay's summary view */
#define FEED_N 4
static struct recorder feed_rec[FEED_N];

/* What the replay's summary view takes from an item (src/replay/tlsglue.c
 * on_tls_item): a malformed one's frame, side and sentence (its
 * diagnostic), a ClientHello's ALPN names (the offered list). */
static void quiet_cb(void *ctx, const struct tcpsim_tls_item *item)
{
    struct recorder *r = ctx;
    if (r->n >= REC_MAX)
        return;
    struct rec_item *o = &r->it[r->n++];
    memset(o, 0, sizeof *o);
    o->dir = item->dir;
    o->frame = item->frame;
    o->record = item->record;
    o->hs = item->hs;
    o->malformed = item->malformed;
    if (item->malformed) {
        assert_non_null(item->explain);
        snprintf(o->explain, sizeof o->explain, "%s", item->explain);
    }
    if (item->hello)
        rec_alpn(o, item->hello);
}

static void feed_both(struct tcpsim_tls_conn *c[FEED_N], enum tcpsim_side dir, uint32_t seq, const uint8_t *p, size_t n,
                      uint64_t frame)
{
    for (int w = 0; w < FEED_N; w++) {
        tcpsim__tls_long_way = w == 1;
        assert_int_equal(tcpsim_tls_feed(c[w], dir, seq, p, n, frame, frame * 1000u), TCPSIM_OK);
    }
    tcpsim__tls_long_way = false;
}

/* The summary a quiet decoder keeps, from the full one: the full one but
 * for what tcpsim_tls_set_quiet (tls.h) says it does not keep. */
static void quiet_expected(struct tcpsim_tls_summary *q, const struct tcpsim_tls_summary *full)
{
    tcpsim_tls_summary_copy(q, full);
    memset(q->ja3, 0, sizeof q->ja3); /* as set up (packed as bytes) */
    memset(q->ja3s, 0, sizeof q->ja3s);
    q->ja3_full[0] = q->ja3s_full[0] = '\0';
    q->ncerts = q->chain_len = 0;
    q->nmsgs = 0;
}

/* Every summary field the summary view prints (src/replay/output.c
 * summary_tls), compared directly. */
static void same_printed(const struct tcpsim_tls_summary *a, const struct tcpsim_tls_summary *b)
{
    assert_int_equal(a->is_tls, b->is_tls);
    assert_int_equal(a->have_server_hello, b->have_server_hello);
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->cipher, b->cipher);
    assert_int_equal(a->hrr, b->hrr);
    assert_string_equal(a->sni, b->sni);
    assert_string_equal(a->alpn, b->alpn);
    assert_string_equal(a->ja4, b->ja4);
    assert_int_equal(a->nalerts, b->nalerts);
    assert_int_equal(a->alerts_total, b->alerts_total);
    for (size_t i = 0; i < a->nalerts; i++) {
        assert_int_equal(a->alerts[i].encrypted, b->alerts[i].encrypted);
        assert_int_equal(a->alerts[i].desc, b->alerts[i].desc);
        assert_int_equal(a->alerts[i].dir, b->alerts[i].dir);
    }
}

/* The bundled handshakes cut into random pieces, some swapped (held, then
 * drained), repeated (trimmed), lost (a gap) or with a byte changed
 * (malformed records, resynchronisation): every item and the summary must be
 * the same with and without the shortcut; a quiet decoder must keep the same
 * summary but for what tls.h says it drops (and every field the summary view
 * prints) and deliver exactly the malformed items (same sentence, frame and
 * side: the replay's diagnostics) and ClientHellos (same ALPN list), with or
 * without sentences. */
static void test_feed_shortcut_random_cuts_match_long_way(void **state)
{
    (void)state;
    static const char *const names[] = {"tls12", "tls12rsa", "tls13"};
    static struct seg segs[64];
    static uint8_t buf[70000];
    struct piece {
        enum tcpsim_side dir;
        uint32_t seq;
        size_t off, len;
        uint64_t frame;
    };
    static struct piece pc[4096];
    static struct tcpsim_tls_summary qx;
    uint64_t compared = 0, certs_seen = 0, ja3_seen = 0, malformed_seen = 0;
    for (int round = 0; round < 60; round++) {
        size_t nseg = load_segs(names[round % 3], segs, 64);
        size_t np = 0, used = 0;
        for (size_t i = 0; i < nseg; i++) { /* cut each segment into 1..4 pieces */
            size_t left = segs[i].len, at = 0;
            memcpy(buf + used, segs[i].data, segs[i].len);
            if (rnd(&rng) % 8 == 0 && segs[i].len > 0) /* a changed byte */
                buf[used + rnd(&rng) % segs[i].len] ^= (uint8_t)(1u + rnd(&rng) % 255u);
            while (left > 0 && np < 4096) {
                size_t k = rnd(&rng) % 3 == 0 ? left : 1 + rnd(&rng) % left;
                pc[np++] = (struct piece){segs[i].dir, segs[i].seq + (uint32_t)at, used + at, k, segs[i].frame};
                at += k;
                left -= k;
            }
            used += segs[i].len;
        }
        for (size_t i = 0; i + 1 < np; i++)
            if (rnd(&rng) % 6 == 0) { /* out of order */
                struct piece t = pc[i];
                pc[i] = pc[i + 1];
                pc[i + 1] = t;
            }
        struct tcpsim_tls_conn *c[FEED_N];
        for (int w = 0; w < FEED_N; w++) {
            memset(&feed_rec[w], 0, sizeof feed_rec[w]);
            c[w] = tcpsim_tls_conn_new(NULL, w == 3 ? quiet_cb : rec_cb, &feed_rec[w]);
            assert_non_null(c[w]);
        }
        tcpsim_tls_set_quiet(c[2], true);
        tcpsim_tls_set_quiet(c[3], true);
        tcpsim_tls_set_explain(c[3], false);
        for (size_t i = 0; i < np; i++) {
            uint32_t r = rnd(&rng) % 20;
            if (r == 0 && round % 2) /* lost */
                continue;
            feed_both(c, pc[i].dir, pc[i].seq, buf + pc[i].off, pc[i].len, pc[i].frame);
            if (r == 1 && i > 0) /* repeated */
                feed_both(c, pc[i - 1].dir, pc[i - 1].seq, buf + pc[i - 1].off, pc[i - 1].len, pc[i].frame);
        }
        for (int w = 0; w < FEED_N; w++) {
            tcpsim__tls_long_way = w == 1;
            tcpsim_tls_fin(c[w], TCPSIM_SIDE_CLIENT, 1000, 1000000);
            tcpsim_tls_capture_end(c[w], TCPSIM_SIDE_SERVER, 1000, 1000000);
        }
        tcpsim__tls_long_way = false;
        assert_int_equal(feed_rec[0].n, feed_rec[1].n);
        for (size_t i = 0; i < feed_rec[0].n; i++) {
            const struct rec_item *a = &feed_rec[0].it[i], *b = &feed_rec[1].it[i];
            assert_int_equal(a->dir, b->dir);
            assert_int_equal(a->frame, b->frame);
            assert_int_equal(a->record, b->record);
            assert_int_equal(a->hs, b->hs);
            assert_int_equal(a->malformed, b->malformed);
            assert_string_equal(a->explain, b->explain);
            assert_string_equal(a->json, b->json);
            assert_string_equal(a->alpn, b->alpn);
        }
        for (int w = 2; w < FEED_N; w++) {
            size_t q = 0; /* the quiet decoder's items: the full list's malformed ones and ClientHellos */
            for (size_t i = 0; i < feed_rec[0].n; i++) {
                const struct rec_item *a = &feed_rec[0].it[i];
                if (!a->malformed && a->hs != TCPSIM_TLS_HS_CLIENT_HELLO)
                    continue;
                assert_true(q < feed_rec[w].n);
                const struct rec_item *b = &feed_rec[w].it[q++];
                assert_int_equal(a->frame, b->frame);
                assert_int_equal(a->dir, b->dir);
                assert_int_equal(a->hs, b->hs);
                assert_int_equal(a->malformed, b->malformed);
                assert_string_equal(a->alpn, b->alpn);
                if (a->malformed) {
                    assert_string_equal(a->explain, b->explain);
                    malformed_seen++;
                }
                if (w == 2)
                    assert_string_equal(a->json, b->json);
            }
            assert_int_equal(q, feed_rec[w].n);
        }
        static uint8_t pa[32768], pb[32768];
        const struct tcpsim_tls_summary *sa = tcpsim_tls_summary(c[0]);
        size_t la = tcpsim_tls_summary_packed_size(sa);
        assert_true(la <= sizeof pa);
        tcpsim_tls_summary_pack(pa, sa);
        const struct tcpsim_tls_summary *sb = tcpsim_tls_summary(c[1]);
        assert_int_equal(tcpsim_tls_is_tls(c[0]), tcpsim_tls_is_tls(c[1]));
        assert_int_equal(la, tcpsim_tls_summary_packed_size(sb));
        tcpsim_tls_summary_pack(pb, sb);
        assert_memory_equal(pa, pb, la);
        certs_seen += sa->ncerts;
        ja3_seen += sa->ja3[0] != '\0';
        quiet_expected(&qx, sa);
        size_t lq = tcpsim_tls_summary_packed_size(&qx);
        assert_true(lq <= sizeof pa);
        tcpsim_tls_summary_pack(pa, &qx);
        for (int w = 2; w < FEED_N; w++) {
            assert_int_equal(tcpsim_tls_is_tls(c[0]), tcpsim_tls_is_tls(c[w]));
            sb = tcpsim_tls_summary(c[w]);
            same_printed(sa, sb);
            assert_int_equal(lq, tcpsim_tls_summary_packed_size(sb));
            tcpsim_tls_summary_pack(pb, sb);
            assert_memory_equal(pa, pb, lq);
        }
        compared += feed_rec[0].n;
        for (int w = 0; w < FEED_N; w++)
            tcpsim_tls_conn_free(c[w]);
        free_segs(segs, nseg);
    }
    /* items, certificates, fingerprints and malformed items were compared,
     * not empty lists */
    assert_true(compared > 0);
    assert_true(certs_seen > 0);
    assert_true(ja3_seen > 0);
    assert_true(malformed_seen > 0);
}

/* Every byte of the bundled handshakes changed in turn (one at a time, top
 * bit flipped), each whole capture fed to a full decoder and to a quiet one
 * without sentences (the summary view's): the same malformed items (the
 * replay's diagnostics: frame, side, sentence), the same ClientHellos' ALPN
 * lists, and the summary the same but for what tls.h says a quiet decoder
 * does not keep. */
static void test_quiet_every_byte_changed_same_diagnostics_and_summary(void **state)
{
    (void)state;
    static const char *const names[] = {"tls12", "tls12rsa", "tls13"};
    static struct seg segs[64];
    static struct recorder full, quiet;
    static struct tcpsim_tls_summary qx;
    static uint8_t pa[32768], pb[32768], buf[70000];
    uint64_t runs = 0, malformed = 0, certs_kept = 0;
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        size_t nseg = load_segs(names[f], segs, 64), total = 0;
        for (size_t i = 0; i < nseg; i++)
            total += segs[i].len;
        for (size_t at = 0; at <= total; at++) { /* at == total: unchanged */
            memset(&full, 0, sizeof full);
            memset(&quiet, 0, sizeof quiet);
            struct tcpsim_tls_conn *a = tcpsim_tls_conn_new(NULL, rec_cb, &full);
            struct tcpsim_tls_conn *b = tcpsim_tls_conn_new(NULL, quiet_cb, &quiet);
            assert_non_null(a);
            assert_non_null(b);
            tcpsim_tls_set_quiet(b, true);
            tcpsim_tls_set_explain(b, false);
            /* and b again with every hello parsed (no memo, so no note: quiet_ja4) */
            static struct recorder quiet2;
            memset(&quiet2, 0, sizeof quiet2);
            struct tcpsim_tls_conn *b2 = tcpsim_tls_conn_new(NULL, quiet_cb, &quiet2);
            assert_non_null(b2);
            tcpsim_tls_set_quiet(b2, true);
            tcpsim_tls_set_explain(b2, false);
            size_t off = 0;
            for (size_t i = 0; i < nseg; i++) {
                memcpy(buf, segs[i].data, segs[i].len);
                if (at >= off && at < off + segs[i].len)
                    buf[at - off] ^= 0x80;
                off += segs[i].len;
                uint64_t fr = segs[i].frame;
                assert_int_equal(tcpsim_tls_feed(a, segs[i].dir, segs[i].seq, buf, segs[i].len, fr, fr), TCPSIM_OK);
                assert_int_equal(tcpsim_tls_feed(b, segs[i].dir, segs[i].seq, buf, segs[i].len, fr, fr), TCPSIM_OK);
                tcpsim__hello_memo_off = true;
                assert_int_equal(tcpsim_tls_feed(b2, segs[i].dir, segs[i].seq, buf, segs[i].len, fr, fr), TCPSIM_OK);
                tcpsim__hello_memo_off = false;
            }
            tcpsim_tls_fin(a, TCPSIM_SIDE_CLIENT, 999, 999);
            tcpsim_tls_fin(b, TCPSIM_SIDE_CLIENT, 999, 999);
            tcpsim_tls_fin(a, TCPSIM_SIDE_SERVER, 999, 999);
            tcpsim_tls_fin(b, TCPSIM_SIDE_SERVER, 999, 999);
            tcpsim_tls_fin(b2, TCPSIM_SIDE_CLIENT, 999, 999);
            tcpsim_tls_fin(b2, TCPSIM_SIDE_SERVER, 999, 999);
            size_t q = 0;
            for (size_t i = 0; i < full.n; i++) {
                const struct rec_item *x = &full.it[i];
                if (!x->malformed && x->hs != TCPSIM_TLS_HS_CLIENT_HELLO)
                    continue;
                assert_true(q < quiet.n);
                const struct rec_item *y = &quiet.it[q++];
                assert_int_equal(x->frame, y->frame);
                assert_int_equal(x->dir, y->dir);
                assert_int_equal(x->malformed, y->malformed);
                assert_string_equal(x->alpn, y->alpn);
                if (x->malformed) {
                    assert_string_equal(x->explain, y->explain);
                    malformed++;
                }
            }
            assert_int_equal(q, quiet.n);
            assert_int_equal(tcpsim_tls_is_tls(a), tcpsim_tls_is_tls(b));
            const struct tcpsim_tls_summary *sa = tcpsim_tls_summary(a), *sb = tcpsim_tls_summary(b);
            same_printed(sa, sb);
            certs_kept += sa->ncerts;
            quiet_expected(&qx, sa);
            size_t lq = tcpsim_tls_summary_packed_size(&qx);
            assert_true(lq <= sizeof pa);
            assert_int_equal(lq, tcpsim_tls_summary_packed_size(sb));
            tcpsim_tls_summary_pack(pa, &qx);
            tcpsim_tls_summary_pack(pb, sb);
            assert_memory_equal(pa, pb, lq);
            const struct tcpsim_tls_summary *sb2 = tcpsim_tls_summary(b2);
            assert_int_equal(lq, tcpsim_tls_summary_packed_size(sb2));
            tcpsim_tls_summary_pack(pb, sb2);
            assert_memory_equal(pa, pb, lq);
            assert_int_equal(quiet.n, quiet2.n);
            for (size_t i = 0; i < quiet.n; i++) {
                assert_int_equal(quiet.it[i].frame, quiet2.it[i].frame);
                assert_string_equal(quiet.it[i].explain, quiet2.it[i].explain);
                assert_string_equal(quiet.it[i].alpn, quiet2.it[i].alpn);
            }
            tcpsim_tls_conn_free(a);
            tcpsim_tls_conn_free(b);
            tcpsim_tls_conn_free(b2);
            runs++;
        }
        free_segs(segs, nseg);
    }
    assert_true(runs > 3000);
    assert_true(malformed > 100); /* damage was found, not only clean runs */
    assert_true(certs_kept > 0);
}

/* Every item starts cleared (clear16 in src/tls/tls.c, 16-byte stores
 * instead of a memset): what an item's kind does not set is zero or NULL,
 * and without sentences (tcpsim_tls_set_explain false) `explain` is NULL
 * unless the item is malformed (tls.h). Each bundled handshake, whole and
 * with each byte of its first segment (the ClientHello) changed in turn
 * (malformed items), each time in the decoder the last one left in the
 * pool. */
struct zero_seen {
    size_t items, malformed, kinds[4]; /* hello, certificate, alert, ticket */
};

static void zero_cb(void *ctx, const struct tcpsim_tls_item *it)
{
    struct zero_seen *z = ctx;
    z->items++;
    z->malformed += it->malformed;
    if (!it->malformed)
        assert_null(it->explain);
    bool hello = it->hs == TCPSIM_TLS_HS_CLIENT_HELLO || it->hs == TCPSIM_TLS_HS_SERVER_HELLO ||
                 it->hs == TCPSIM_TLS_HS_HELLO_RETRY_REQUEST;
    bool cert = it->hs == TCPSIM_TLS_HS_CERTIFICATE;
    bool kx = it->hs == TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE || it->hs == TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE;
    bool alert = it->record == TCPSIM_TLS_REC_ALERT;
    bool ticket = it->hs == TCPSIM_TLS_HS_NEW_SESSION_TICKET;
    z->kinds[0] += hello && it->hello;
    z->kinds[1] += cert && it->ncerts;
    z->kinds[2] += alert;
    z->kinds[3] += ticket && !it->malformed;
    if (!hello)
        assert_null(it->hello);
    if (!cert) {
        assert_null(it->certs);
        assert_int_equal(it->ncerts, 0);
        assert_int_equal(it->chain_len, 0);
    }
    if (!kx) {
        assert_int_equal(it->group, 0);
        assert_int_equal(it->key_bytes, 0);
        assert_int_equal(it->dh_prime_bits, 0);
    }
    if (!alert) {
        assert_int_equal(it->alert_level, 0);
        assert_int_equal(it->alert_desc, 0);
    }
    if (!ticket) {
        assert_int_equal(it->ticket_lifetime, 0);
        assert_int_equal(it->ticket_len, 0);
    }
    if (it->record != TCPSIM_TLS_REC_HANDSHAKE)
        assert_int_equal(it->hs_type, 0);
    if (it->why.id == TCPSIM_TLS_X_NONE)
        for (int k = 0; k < 3; k++) {
            assert_null(it->why.s[k]);
            assert_int_equal(it->why.n[k], 0);
        }
}

static void test_item_fields_kind_does_not_set_are_zero(void **state)
{
    (void)state;
    static const char *const names[] = {"tls12", "tls12rsa", "tls13"};
    static struct seg segs[64];
    struct zero_seen z = {0};
    for (int f = 0; f < 3; f++) {
        size_t nseg = load_segs(names[f], segs, 64);
        size_t flips = nseg > 0 ? segs[0].len : 0;
        for (size_t flip = 0; flip <= flips; flip++) { /* flip == flips: unchanged */
            struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, zero_cb, &z);
            assert_non_null(c);
            tcpsim_tls_set_explain(c, false);
            for (size_t i = 0; i < nseg; i++) {
                if (i == 0 && flip < flips)
                    segs[0].data[flip] ^= 0x5a;
                tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0);
                if (i == 0 && flip < flips)
                    segs[0].data[flip] ^= 0x5a;
            }
            tcpsim_tls_fin(c, TCPSIM_SIDE_CLIENT, 99, 0);
            tcpsim_tls_fin(c, TCPSIM_SIDE_SERVER, 99, 0);
            tcpsim_tls_conn_free(c); /* back to the pool: the next decoder is a reused one */
        }
        free_segs(segs, nseg);
    }
    assert_true(z.items > 1000);
    assert_true(z.malformed > 10);
    for (int k = 0; k < 3; k++) /* hellos, certificates and alerts were among them */
        assert_true(z.kinds[k] > 0);
}

int run_fast_tests(void)
{
    rng.s = 0x9e3779b97f4a7c15u;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_memo_random_hellos_match_direct),
        cmocka_unit_test(test_explain_formatter_unknown_conversion_written_as_is),
        cmocka_unit_test(test_cert_cache_by_der_one_byte_changed_not_a_hit),
        cmocka_unit_test(test_summary_copy_random_and_decoded_equal),
        cmocka_unit_test(test_summary_pack_random_and_decoded_equal_copy),
        cmocka_unit_test(test_json_string_random_matches_reference),
        cmocka_unit_test(test_json_names_need_no_escaping),
        cmocka_unit_test(test_explain_formatter_random_matches_printf),
        cmocka_unit_test(test_feed_shortcut_random_cuts_match_long_way),
        cmocka_unit_test(test_quiet_every_byte_changed_same_diagnostics_and_summary),
        cmocka_unit_test(test_grease_inline_every_value_matches),
        cmocka_unit_test(test_item_fields_kind_does_not_set_are_zero),
    };
    return cmocka_run_group_tests_name("fast_paths", tests, NULL, NULL);
}
