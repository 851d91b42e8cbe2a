/* test_tls_parse.c - the handshake parsers' shortcuts against their long
 * ways: the certificate key text against snprintf, the certificate cache's
 * sampled hash (a DER that differs only where the hash does not look must
 * not hit), and the hello memo against a parse without it. Random inputs
 * from a fixed seed.
 * Read first: RFC 8446 §4.1.2-4.1.3 (hellos), §4.4.2 (Certificate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls/parse_internal.h"
#include "tls/tls_internal.h"
#include "testutil.h"
#include "tls_test.h"

static struct rng rng; /* seeded by each test */

/* ------------------------------------------------------- key text */

static void rnd_name(char *s, size_t cap)
{
    static const char *const common[] = {"RSA", "EC", "Ed25519", "Ed448", "DSA", "RSA-PSS", "unknown", ""};
    if (rnd(&rng) % 2) {
        snprintf(s, cap, "%s", common[rnd(&rng) % 8]);
        return;
    }
    size_t n = rnd(&rng) % cap; /* up to cap - 1 characters: any length the parser can leave */
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(' ' + rnd(&rng) % 94);
    s[n] = '\0';
}

/* What tcpsim__cert_key_text wrote before it stopped using snprintf. */
static void ref_key_text(const struct tcpsim_tls_cert *c, char *buf, size_t cap)
{
    if (c->key_curve[0])
        snprintf(buf, cap, "%s %d (%s)", c->key_type, c->key_bits, c->key_curve);
    else if (c->key_bits > 0 && strcmp(c->key_type, "Ed25519") != 0 && strcmp(c->key_type, "Ed448") != 0)
        snprintf(buf, cap, "%s %d", c->key_type, c->key_bits);
    else
        snprintf(buf, cap, "%s", c->key_type[0] ? c->key_type : "unknown key");
}

/* Every shape (curve or not, bits positive, zero, negative, extreme), every
 * buffer size from 1 to past the longest text: the same bytes as snprintf,
 * nothing written past what snprintf writes. */
static void test_cert_key_text_random_matches_snprintf(void **state)
{
    (void)state;
    rng.s = 0x5eed0001u;
    static const int bits[] = {0, 1, -1, 9, 10, 255, 2048, 4096, 2147483647, -2147483647 - 1};
    for (int r = 0; r < 4000; r++) {
        struct tcpsim_tls_cert c;
        memset(&c, 0, sizeof c);
        rnd_name(c.key_type, sizeof c.key_type);
        if (rnd(&rng) % 2)
            rnd_name(c.key_curve, sizeof c.key_curve);
        c.key_bits = rnd(&rng) % 3 ? bits[rnd(&rng) % 10] : (int)rnd(&rng);
        size_t cap = 1 + rnd(&rng) % 80;
        char a[96], b[96];
        memset(a, 'A', sizeof a);
        memset(b, 'A', sizeof b);
        ref_key_text(&c, a, cap);
        tcpsim__cert_key_text(&c, b, cap);
        assert_memory_equal(a, b, sizeof a);
    }
}

/* ----------------------------------------------------- certificate cache */

/* The cache finds an entry by a hash of a sample of the DER (its ends and a
 * few words between); a DER changed in one byte anywhere, most of them
 * where the hash does not look, with the original in the cache, gives what
 * a parse with an empty cache gives (its own SHA-256), never the original's
 * entry. Lengths around the sampling's threshold too. */
static void test_cert_cache_any_byte_changed_not_a_hit(void **state)
{
    (void)state;
    rng.s = 0x5eed0002u;
    static uint8_t der[20000], changed[20000];
    static struct tcpsim_tls_cert orig, got, fresh;
    size_t full = tls_test_load_der("srv.pem", der, sizeof der);
    assert_true(full > 400);
    const size_t lens[] = {full, 191, 192, 193, 200, 64, 9};
    for (size_t L = 0; L < sizeof lens / sizeof lens[0]; L++) {
        size_t n = lens[L];
        tcpsim_tls_release_caches();
        tls_test_parse_cert(der, n, &orig);
        for (size_t pos = 0; pos < n; pos += (n > 300 ? 1 + rnd(&rng) % 7 : 1)) {
            memcpy(changed, der, n);
            changed[pos] ^= (uint8_t)(1 + rnd(&rng) % 255);
            tls_test_parse_cert(changed, n, &got);
            assert_string_not_equal(got.sha256, orig.sha256);
            struct tcpsim_tls_cert again;
            tls_test_parse_cert(der, n, &again); /* the original still hits its own entry */
            assert_memory_equal(&again, &orig, sizeof again);
            if (pos % 64 == 0) { /* (a fresh parse costs ~300000 instructions) */
                tcpsim_tls_release_caches();
                tls_test_parse_cert(changed, n, &fresh);
                assert_memory_equal(&fresh, &got, sizeof fresh);
                tls_test_parse_cert(der, n, &orig);
            }
        }
    }
    tcpsim_tls_release_caches();
}

/* ------------------------------------------------------------ hello memo */

/* A client build: what stays the same from one of its hellos to the next. */
struct profile {
    uint16_t version;
    uint8_t sid_len;
    uint16_t ciphers[40];
    size_t nciphers;
    uint16_t ext[24]; /* extension types in wire order */
    size_t next;
    unsigned shares; /* key_share entries */
    uint16_t share_len[3];
    unsigned psk_ids;  /* pre_shared_key identities (0: none) */
    size_t ticket_len; /* session_ticket content */
    size_t pad;        /* padding extension length */
};

static uint16_t rnd_u16(void)
{
    return rnd(&rng) % 4 == 0 ? (uint16_t)(0x0a0a + 0x1010 * (rnd(&rng) % 16)) : (uint16_t)rnd(&rng);
}

static void rnd_profile(struct profile *p)
{
    static const uint16_t kinds[] = {0, 10, 11, 13, 16, 23, 35, 42, 43, 45, 51, 65281, 21, 0x1a1a, 5, 18, 27};
    memset(p, 0, sizeof *p);
    p->version = rnd(&rng) % 4 ? 0x0303 : 0x0301;
    p->sid_len = rnd(&rng) % 3 ? 32 : (uint8_t)(rnd(&rng) % 33);
    p->nciphers = 1 + rnd(&rng) % 40;
    for (size_t i = 0; i < p->nciphers; i++)
        p->ciphers[i] = rnd_u16();
    /* a random subset in a random order; pre_shared_key last (RFC 8446 §4.2.11) */
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (rnd(&rng) % 3)
            p->ext[p->next++] = kinds[i];
    for (size_t i = p->next; i > 1; i--) {
        size_t j = rnd(&rng) % i;
        uint16_t t = p->ext[i - 1];
        p->ext[i - 1] = p->ext[j];
        p->ext[j] = t;
    }
    p->shares = 1 + rnd(&rng) % 3;
    for (unsigned i = 0; i < p->shares; i++)
        p->share_len[i] = (uint16_t)(rnd(&rng) % 3 ? 32 : rnd(&rng) % 100);
    p->ticket_len = rnd(&rng) % 2 ? 0 : rnd(&rng) % 200;
    p->pad = rnd(&rng) % 300;
    if (rnd(&rng) % 3 == 0) {
        p->psk_ids = 1 + rnd(&rng) % 2;
        p->ext[p->next++] = 41;
    }
}

static const char *const hosts[] = {"www.example.com", "api.example.net", "cdn.tcpsim.test", "a.test",
                                    "mail.example.org"};

/* One hello of the profile: fresh random, session id, keys, identities,
 * binders, ticket; the host name one of a few (three of the same length),
 * random bytes or bytes that are not copied as they are. */
static size_t client_body(const struct profile *p, struct bld *b)
{
    b_init(b);
    b_u16(b, p->version);
    for (int i = 0; i < 32; i++)
        b_u8(b, rnd(&rng));
    b_u8(b, p->sid_len);
    for (int i = 0; i < p->sid_len; i++)
        b_u8(b, rnd(&rng));
    b_open(b, 2);
    for (size_t i = 0; i < p->nciphers; i++)
        b_u16(b, p->ciphers[i]);
    b_close(b);
    b_u8(b, 1);
    b_u8(b, 0);
    b_open(b, 2);
    for (size_t e = 0; e < p->next; e++) {
        b_u16(b, p->ext[e]);
        b_open(b, 2);
        switch (p->ext[e]) {
        case 0: {
            b_open(b, 2);
            b_u8(b, 0);
            b_open(b, 2);
            unsigned k = rnd(&rng) % 8;
            if (k < 5) {
                b_bytes(b, hosts[k], strlen(hosts[k]));
            } else { /* 15 bytes, as three of the names: plain, or with \, 0x7f, 0x01, 0xc3 */
                static const uint8_t odd[] = {'\\', 0x7f, 0x01, 0xc3, ' ', '~'};
                for (int i = 0; i < 15; i++)
                    b_u8(b, k == 5 || rnd(&rng) % 4 ? 'a' + rnd(&rng) % 26 : odd[rnd(&rng) % 6]);
            }
            b_close(b);
            b_close(b);
            break;
        }
        case 10:
        case 13:
            b_open(b, 2);
            for (unsigned i = 0; i < 1u + p->ext[e] % 5u; i++)
                b_u16(b, (uint16_t)(0x0017 + i + p->ext[e]));
            b_close(b);
            break;
        case 11:
            b_open(b, 1);
            b_u8(b, 0);
            b_close(b);
            break;
        case 16:
            b_open(b, 2);
            b_open(b, 1);
            b_bytes(b, "h2", 2);
            b_close(b);
            b_open(b, 1);
            b_bytes(b, "http/1.1", 8);
            b_close(b);
            b_close(b);
            break;
        case 35:
            for (size_t i = 0; i < p->ticket_len; i++)
                b_u8(b, rnd(&rng));
            break;
        case 43:
            b_open(b, 1);
            b_u16(b, 0x0304);
            b_u16(b, 0x0303);
            b_close(b);
            break;
        case 45:
            b_open(b, 1);
            b_u8(b, 1);
            b_close(b);
            break;
        case 51:
            b_open(b, 2);
            for (unsigned i = 0; i < p->shares; i++) {
                b_u16(b, (uint16_t)(29 + i));
                b_open(b, 2);
                for (unsigned k = 0; k < p->share_len[i]; k++)
                    b_u8(b, rnd(&rng));
                b_close(b);
            }
            b_close(b);
            break;
        case 65281:
            b_open(b, 1);
            b_close(b);
            break;
        case 21:
            b_fill(b, 0, p->pad);
            break;
        case 41:
            b_open(b, 2);
            for (unsigned i = 0; i < p->psk_ids; i++) {
                b_open(b, 2);
                for (unsigned k = 0; k < 20 + i; k++)
                    b_u8(b, rnd(&rng));
                b_close(b);
                b_u16(b, rnd(&rng));
                b_u16(b, rnd(&rng)); /* obfuscated_ticket_age */
            }
            b_close(b);
            b_open(b, 2);
            for (unsigned i = 0; i < p->psk_ids; i++) {
                b_open(b, 1);
                for (unsigned k = 0; k < 32; k++)
                    b_u8(b, rnd(&rng));
                b_close(b);
            }
            b_close(b);
            break;
        default: /* EMS (empty, RFC 7627), early_data, GREASE, ...: empty or a few constant bytes */
            b_fill(b, (uint8_t)p->ext[e], p->ext[e] == 23 ? 0 : p->ext[e] % 3);
            break;
        }
        b_close(b);
    }
    b_close(b);
    return b->len;
}

/* One damage or none: a byte flipped anywhere (a length, a type, a value,
 * or a varying byte), the body cut short, or a byte appended. */
static size_t damage(uint8_t *body, size_t len)
{
    switch (rnd(&rng) % 8) {
    case 0:
        body[rnd(&rng) % len] ^= (uint8_t)(1 + rnd(&rng) % 255);
        return len;
    case 1:
        return rnd(&rng) % len;
    case 2:
        body[len] = (uint8_t)rnd(&rng);
        return len + 1;
    default:
        return len;
    }
}

/* Parse `body` with the memo off and on: the same result, the same message,
 * the same struct to the byte (each filled with different garbage first). */
static void parse_both(bool client, const uint8_t *body, size_t len)
{
    static struct tcpsim_tls_hello ha, hb;
    const char *wa = "x", *wb = "y";
    memset(&ha, 0x5a, sizeof ha);
    memset(&hb, 0xa5, sizeof hb);
    tcpsim__hello_memo_off = true;
    enum tcpsim_err ea =
        client ? tcpsim__parse_client_hello(body, len, &ha, &wa) : tcpsim__parse_server_hello(body, len, &ha, &wa);
    tcpsim__hello_memo_off = false;
    enum tcpsim_err eb =
        client ? tcpsim__parse_client_hello(body, len, &hb, &wb) : tcpsim__parse_server_hello(body, len, &hb, &wb);
    assert_int_equal(ea, eb);
    assert_string_equal(wa, wb);
    assert_memory_equal(&ha, &hb, sizeof ha);
}

/* Random client builds, many hellos each (fresh randoms, keys, identities,
 * binders, tickets; host names of one length with different bytes, some not
 * copied as they are), some damaged: the memo gives what the parse gives,
 * and does take most of the undamaged ones from the memo. */
static void test_hello_memo_random_client_hellos_match_parse(void **state)
{
    (void)state;
    rng.s = 0x5eed0003u;
    tcpsim_tls_release_caches();
    enum { BUILDS = 24, ROUNDS = 6000 };
    static struct profile prof[BUILDS];
    static struct bld b;
    for (size_t i = 0; i < BUILDS; i++)
        rnd_profile(&prof[i]);
    uint64_t h0, m0, h1, m1;
    tcpsim__hello_memo_stats(&h0, &m0);
    size_t ok = 0;
    for (size_t r = 0; r < ROUNDS; r++) {
        /* a few builds at a time, as on a link: the memo holds them */
        size_t len = client_body(&prof[((r / 500) * 2 + rnd(&rng) % 3) % BUILDS], &b);
        len = damage(b.b, len);
        parse_both(true, b.b, len);
        ok++;
    }
    tcpsim__hello_memo_stats(&h1, &m1);
    assert_int_equal(ok, ROUNDS);
    print_message("hello memo: %llu hits, %llu misses\n", (unsigned long long)(h1 - h0), (unsigned long long)(m1 - m0));
    assert_true(h1 - h0 > ROUNDS / 3);  /* the memo is used... */
    assert_true(m1 - m0 > ROUNDS / 10); /* ...and damage and new builds miss */
    tcpsim_tls_release_caches();
}

static size_t server_body(struct bld *b, unsigned kind, uint16_t cs, uint8_t sid_len)
{
    static const uint8_t hrr[32] = {
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    };
    bool is_hrr = kind == 2 && rnd(&rng) % 2;
    b_init(b);
    b_u16(b, 0x0303);
    for (int i = 0; i < 32; i++)
        b_u8(b, is_hrr ? hrr[i] : rnd(&rng));
    b_u8(b, sid_len);
    for (int i = 0; i < sid_len; i++)
        b_u8(b, rnd(&rng));
    b_u16(b, cs);
    b_u8(b, 0);
    b_open(b, 2);
    if (kind >= 1) { /* TLS 1.3: supported_versions, key_share (HRR: the group only) */
        b_u16(b, 43);
        b_open(b, 2);
        b_u16(b, 0x0304);
        b_close(b);
        b_u16(b, 51);
        b_open(b, 2);
        b_u16(b, 29);
        if (!is_hrr && (kind == 1 || rnd(&rng) % 2)) {
            b_open(b, 2);
            for (int i = 0; i < 32; i++)
                b_u8(b, rnd(&rng));
            b_close(b);
        }
        b_close(b);
    } else {
        b_u16(b, 0xff01);
        b_open(b, 2);
        b_u8(b, 0);
        b_close(b);
        b_u16(b, 16);
        b_open(b, 2);
        b_open(b, 2);
        b_open(b, 1);
        b_bytes(b, "http/1.1", 8);
        b_close(b);
        b_close(b);
        b_close(b);
    }
    b_close(b);
    return b->len;
}

/* ServerHellos of TLS 1.2 and 1.3, HelloRetryRequests (the special random
 * with a ServerHello's layout and the other way round), damaged ones: the
 * memo gives what the parse gives. */
static void test_hello_memo_random_server_hellos_match_parse(void **state)
{
    (void)state;
    rng.s = 0x5eed0004u;
    tcpsim_tls_release_caches();
    static struct bld b;
    uint64_t h0, m0, h1, m1;
    tcpsim__hello_memo_stats(&h0, &m0);
    for (size_t r = 0; r < 4000; r++) {
        unsigned kind = rnd(&rng) % 3;
        uint16_t cs = (uint16_t)(rnd(&rng) % 2 ? 0x1301 : 0xc02f + rnd(&rng) % 3);
        size_t len = server_body(&b, kind, cs, rnd(&rng) % 4 ? 32 : (uint8_t)(rnd(&rng) % 33));
        len = damage(b.b, len);
        parse_both(false, b.b, len);
    }
    tcpsim__hello_memo_stats(&h1, &m1);
    assert_true(h1 - h0 > 1000);
    assert_true(m1 - m0 > 400);
    tcpsim_tls_release_caches();
}

/* Both NULL or the same text (string literals are not merged under ASan,
 * so "GREASE" here is not names.c's "GREASE"). */
static void same_name(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

/* Every value, asked in an order where values sharing a memo slot follow
 * each other, then again: the name lookups give what they give with their
 * memos off. */
static void names_memo_match(const char *(*fn)(uint16_t))
{
    for (unsigned round = 0; round < 2; round++)
        for (uint32_t k = 0; k < 0x10000; k++) {
            uint16_t v = (uint16_t)(round ? k * 40503u : k); /* odd multiplier: a permutation */
            uint16_t near = (uint16_t)(v ^ 1u << (rnd(&rng) % 16));
            tcpsim__names_memo_off = true;
            const char *want = fn(v), *want_near = fn(near);
            tcpsim__names_memo_off = false;
            same_name(fn(v), want);
            same_name(fn(v), want);
            same_name(fn(near), want_near);
            same_name(fn(v), want);
        }
}

/* The cipher suite name by a linear scan of the table. */
static const char *ref_cipher_name(uint16_t cs)
{
    if (tcpsim_tls_is_grease(cs))
        return "GREASE";
    for (size_t i = 0; i < tcpsim__nciphers; i++)
        if (tcpsim__ciphers[i].value == cs)
            return tcpsim__ciphers[i].name;
    return NULL;
}

static void shuffle16(uint16_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd(&rng) % i;
        uint16_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* JA4 sorts the suites and extensions (its own insertion sort): the same
 * for any order of them; and it writes its text into a short buffer as
 * snprintf would have (then the first byte NUL, TCPSIM_ERR_NOSPACE). */
static void test_ja4_any_order_any_buffer_as_printf(void **state)
{
    (void)state;
    rng.s = 0x5eed0006u;
    static struct profile prof;
    static struct bld b;
    static struct tcpsim_tls_hello h;
    size_t parsed = 0;
    for (int r = 0; r < 300; r++) {
        rnd_profile(&prof);
        const char *what;
        if (tcpsim__parse_client_hello(b.b, client_body(&prof, &b), &h, &what) != TCPSIM_OK)
            continue;
        parsed++;
        char want[40], got[48], exp[48];
        enum tcpsim_err e = tcpsim_tls_ja4(&h, want, sizeof want);
        assert_true(e == TCPSIM_OK || e == TCPSIM_ERR_UNSUPPORTED);
        assert_int_equal(strlen(want), 36);
        for (int k = 0; k < 4; k++) {
            shuffle16(h.ciphers, h.nciphers < TCPSIM_TLS_MAX_LIST ? h.nciphers : TCPSIM_TLS_MAX_LIST);
            shuffle16(h.exts, h.nexts);
            assert_int_equal(tcpsim_tls_ja4(&h, got, sizeof want), e);
            assert_string_equal(got, want);
        }
        for (size_t cap = 0; cap <= 40; cap++) {
            memset(got, 'Z', sizeof got);
            memset(exp, 'Z', sizeof exp);
            if (cap > 0) {
                snprintf(exp, cap, "%s", want);
                if (strlen(want) >= cap)
                    exp[0] = '\0';
            }
            enum tcpsim_err ec = tcpsim_tls_ja4(&h, got, cap);
            assert_int_equal(ec, strlen(want) >= cap ? TCPSIM_ERR_NOSPACE : e);
            assert_memory_equal(got, exp, sizeof got);
        }
    }
    assert_true(parsed > 100);
}

static size_t count_grease(const struct tcpsim_tls_hello *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nciphers && i < TCPSIM_TLS_MAX_LIST; i++)
        n += tcpsim_tls_is_grease(h->ciphers[i]);
    for (size_t i = 0; i < h->nexts && i < TCPSIM_TLS_MAX_EXT; i++)
        n += tcpsim_tls_is_grease(h->exts[i]);
    return n;
}

static uint16_t other_grease(void)
{
    return (uint16_t)(0x0a0a + 0x1010 * (rnd(&rng) % 16));
}

/* each GREASE value of the lists the fingerprints read replaced by another
 * (k == 0), or one value made GREASE or not GREASE (k == 1) */
static void regrease(struct tcpsim_tls_hello *h, int k)
{
    uint16_t *lists[] = {h->ciphers, h->exts, h->groups, h->sig_algs, h->versions};
    size_t n[] = {h->nciphers, h->nexts, h->ngroups, h->nsig_algs, h->nversions};
    for (size_t l = 0; l < 5; l++) {
        size_t m = n[l] < TCPSIM_TLS_MAX_LIST ? n[l] : TCPSIM_TLS_MAX_LIST;
        if (l == 1 && m > TCPSIM_TLS_MAX_EXT)
            m = TCPSIM_TLS_MAX_EXT;
        if (l == 4 && m > 32)
            m = 32;
        for (size_t i = 0; i < m; i++)
            if (k == 0 && tcpsim_tls_is_grease(lists[l][i]))
                lists[l][i] = other_grease();
    }
    if (k == 1 && h->nciphers > 0) {
        size_t i = rnd(&rng) % (h->nciphers < TCPSIM_TLS_MAX_LIST ? h->nciphers : TCPSIM_TLS_MAX_LIST);
        h->ciphers[i] = tcpsim_tls_is_grease(h->ciphers[i]) ? (uint16_t)(0x0a0b + rnd(&rng) % 8) : other_grease();
    }
}

/* The fingerprint memo keeps GREASE values as one: a hello whose GREASE
 * values are others (a browser picks new ones on every connection) gets
 * from it what tcpsim_tls_ja3 / tcpsim_tls_ja4 give, and so does one with a
 * value turned GREASE or not. */
static void test_fingerprint_memo_other_grease_matches_direct(void **state)
{
    (void)state;
    rng.s = 0x5eed0007u;
    tcpsim_tls_release_caches();
    static struct profile prof;
    static struct bld b;
    static struct tcpsim_tls_hello h;
    size_t with_grease = 0;
    for (int r = 0; r < 400; r++) {
        rnd_profile(&prof);
        const char *what;
        tcpsim__hello_memo_off = true;
        enum tcpsim_err pe = tcpsim__parse_client_hello(b.b, client_body(&prof, &b), &h, &what);
        tcpsim__hello_memo_off = false;
        if (pe != TCPSIM_OK)
            continue;
        with_grease += count_grease(&h) > 0;
        for (int k = 0; k < 6; k++) {
            if (k)
                regrease(&h, k % 3 == 0);
            tls_test_fp_client_matches(&h);
        }
    }
    assert_true(with_grease > 100);
    tcpsim_tls_release_caches();
}

/* The names are found by binary search: every table must be sorted. The
 * suites' memo gives the scan's pointer for every value, asked in an order
 * where values sharing a memo slot follow each other, and asked again. */
static void test_names_tables_sorted_every_value_found(void **state)
{
    (void)state;
    rng.s = 0x5eed0005u;
    for (unsigned round = 0; round < 2; round++)
        for (uint32_t k = 0; k < 0x10000; k++) {
            uint16_t v = (uint16_t)(round ? k * 40503u : k); /* odd multiplier: a permutation */
            const char *want = ref_cipher_name(v);
            same_name(tcpsim_tls_cipher_name(v), want);
            same_name(tcpsim_tls_cipher_name(v), want);
            uint16_t near = (uint16_t)(v ^ 1u << (rnd(&rng) % 16));
            same_name(tcpsim_tls_cipher_name(near), ref_cipher_name(near));
            same_name(tcpsim_tls_cipher_name(v), want);
        }
    names_memo_match(tcpsim_tls_cipher_name);
    names_memo_match(tcpsim_tls_ext_name);
    names_memo_match(tcpsim_tls_group_name);
    assert_true(tcpsim__names_sorted());
    assert_string_equal(tcpsim_tls_ext_name(17513), "application_settings");
    assert_string_equal(tcpsim_tls_ext_name(65281), "renegotiation_info");
    assert_string_equal(tcpsim_tls_group_name(29), "x25519");
    assert_null(tcpsim_tls_group_name(0x7777));
}

int run_parse_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_key_text_random_matches_snprintf),
        cmocka_unit_test(test_cert_cache_any_byte_changed_not_a_hit),
        cmocka_unit_test(test_hello_memo_random_client_hellos_match_parse),
        cmocka_unit_test(test_hello_memo_random_server_hellos_match_parse),
        cmocka_unit_test(test_names_tables_sorted_every_value_found),
        cmocka_unit_test(test_ja4_any_order_any_buffer_as_printf),
        cmocka_unit_test(test_fingerprint_memo_other_grease_matches_direct),
    };
    return cmocka_run_group_tests_name("parsers", tests, NULL, NULL);
}
