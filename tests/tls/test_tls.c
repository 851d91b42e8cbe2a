/* test_tls.c - TLS layer tests on real captures (openssl s_client/s_server on
 * loopback, tests/tls/data/NAME.pcap; the .segs files are their TCP payloads as
 * printed by tshark) and the shared helpers; main() of test_tls.
 * Expected values come from tshark 4.0 (records, JA3, JA3S), from openssl x509
 * (certificate fields) and from an independent JA4 computation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_test.h"

/* ================================================================ helpers */

void b_init(struct bld *b)
{
    memset(b, 0, sizeof *b);
}
void b_u8(struct bld *b, unsigned v)
{
    assert_true(b->len + 1 <= sizeof b->b);
    b->b[b->len++] = (uint8_t)v;
}
void b_u16(struct bld *b, unsigned v)
{
    b_u8(b, v >> 8);
    b_u8(b, v & 0xff);
}
void b_u24(struct bld *b, unsigned v)
{
    b_u8(b, (v >> 16) & 0xff);
    b_u16(b, v & 0xffff);
}
void b_bytes(struct bld *b, const void *p, size_t n)
{
    assert_true(b->len + n <= sizeof b->b);
    memcpy(b->b + b->len, p, n);
    b->len += n;
}
void b_fill(struct bld *b, uint8_t v, size_t n)
{
    assert_true(b->len + n <= sizeof b->b);
    memset(b->b + b->len, v, n);
    b->len += n;
}
void b_open(struct bld *b, unsigned prefix)
{
    assert_true(b->depth < 16);
    b->stack[b->depth] = b->len;
    b->pfx[b->depth++] = prefix;
    b_fill(b, 0, prefix);
}
void b_close(struct bld *b)
{
    assert_true(b->depth > 0);
    b->depth--;
    size_t at = b->stack[b->depth], n = b->len - at - b->pfx[b->depth];
    for (unsigned i = 0; i < b->pfx[b->depth]; i++)
        b->b[at + i] = (uint8_t)(n >> (8 * (b->pfx[b->depth] - 1 - i)));
}
void b_record_open(struct bld *b, unsigned type, unsigned version)
{
    b_u8(b, type);
    b_u16(b, version);
    b_open(b, 2);
}
void b_hs_open(struct bld *b, unsigned type)
{
    b_u8(b, type);
    b_open(b, 3);
}

void rec_alpn(struct rec_item *o, const struct tcpsim_tls_hello *h)
{
    size_t k = 0;
    o->alpn[0] = '\0';
    for (size_t i = 0; i < h->nalpn && i < TCPSIM_TLS_MAX_ALPN; i++)
        k += (size_t)snprintf(o->alpn + k, sizeof o->alpn - k, "%.*s\n", (int)sizeof h->alpn[i], h->alpn[i]);
}

void rec_cb(void *ctx, const struct tcpsim_tls_item *item)
{
    struct recorder *r = ctx;
    assert_non_null(item->explain);
    assert_true(item->explain[0] != '\0');
    if (r->n >= REC_MAX)
        return;
    struct rec_item *o = &r->it[r->n++];
    o->dir = item->dir;
    o->frame = item->frame;
    o->record = item->record;
    o->hs = item->hs;
    o->malformed = item->malformed;
    o->encrypted = item->encrypted;
    o->chain_len = item->chain_len;
    o->key_bytes = item->key_bytes;
    o->group = item->group;
    o->alert_level = item->alert_level;
    o->alert_desc = item->alert_desc;
    snprintf(o->explain, sizeof o->explain, "%s", item->explain);
    o->alpn[0] = '\0';
    if (item->hello)
        rec_alpn(o, item->hello);
    size_t jl = 0;
    assert_int_equal(tcpsim_tls_item_json(item, o->json, sizeof o->json, &jl), TCPSIM_OK);
    assert_int_equal(jl, strlen(o->json));
    assert_true(json_valid(o->json));
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t load_segs(const char *name, struct seg *out, size_t max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.segs", TCPSIM_TLS_DATA, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    static char line[70000];
    while (n < max && fgets(line, sizeof line, f)) {
        unsigned long long fr;
        char dir[8];
        unsigned long seq;
        int off = 0;
        if (sscanf(line, "%llu %7s %lu %n", &fr, dir, &seq, &off) != 3)
            continue;
        const char *h = line + off;
        size_t hl = strcspn(h, "\r\n");
        out[n].frame = fr;
        out[n].dir = strcmp(dir, "c2s") == 0 ? TCPSIM_SIDE_CLIENT : TCPSIM_SIDE_SERVER;
        out[n].seq = (uint32_t)seq;
        out[n].len = hl / 2;
        out[n].data = malloc(out[n].len + 1);
        for (size_t i = 0; i < out[n].len; i++)
            out[n].data[i] = (uint8_t)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
        n++;
    }
    fclose(f);
    return n;
}

void free_segs(struct seg *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].data);
}

void feed_stream(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq, const uint8_t *p, size_t n,
                 size_t chunk, uint64_t frame)
{
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        assert_int_equal(tcpsim_tls_feed(c, dir, seq + (uint32_t)off, p + off, k, frame, 0), TCPSIM_OK);
    }
}

/* strict recursive-descent JSON syntax check */
static const char *js_value(const char *s, int depth);
static const char *js_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}
static const char *js_string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    while (*s != '"') {
        if ((unsigned char)*s < 0x20)
            return NULL;
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (hexval(s[i] | 0x20) < 0)
                        return NULL;
                s += 5;
                continue;
            }
            if (!strchr("\"\\/bfnrt", *s) || !*s)
                return NULL;
        }
        s++;
    }
    return s + 1;
}
static const char *js_value(const char *s, int depth)
{
    if (depth > 32)
        return NULL;
    s = js_ws(s);
    if (*s == '"')
        return js_string(s);
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        bool obj = *s == '{';
        s = js_ws(s + 1);
        if (*s == close)
            return s + 1;
        for (;;) {
            if (obj) {
                s = js_string(js_ws(s));
                if (!s)
                    return NULL;
                s = js_ws(s);
                if (*s++ != ':')
                    return NULL;
            }
            s = js_value(s, depth + 1);
            if (!s)
                return NULL;
            s = js_ws(s);
            if (*s == ',') {
                s++;
                continue;
            }
            return *s == close ? s + 1 : NULL;
        }
    }
    if (!strncmp(s, "true", 4))
        return s + 4;
    if (!strncmp(s, "false", 5))
        return s + 5;
    if (!strncmp(s, "null", 4))
        return s + 4;
    const char *st = s;
    if (*s == '-')
        s++;
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return s > st ? s : NULL;
}
bool json_valid(const char *s)
{
    const char *e = js_value(s, 0);
    return e && *js_ws(e) == '\0';
}

/* ============================================================ captures */

struct run {
    struct recorder rec;
    struct tcpsim_tls_conn *c;
};

static struct run *replay(const char *name)
{
    static struct seg segs[64];
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    size_t n = load_segs(name, segs, 64);
    assert_true(n > 3);
    r->c = tcpsim_tls_conn_new(NULL, rec_cb, &r->rec);
    assert_non_null(r->c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tcpsim_tls_feed(r->c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame,
                                         segs[i].frame * 1000),
                         TCPSIM_OK);
    tcpsim_tls_fin(r->c, TCPSIM_SIDE_CLIENT, 99, 0);
    tcpsim_tls_fin(r->c, TCPSIM_SIDE_SERVER, 99, 0);
    free_segs(segs, n);
    return r;
}

static void run_free(struct run *r)
{
    tcpsim_tls_conn_free(r->c);
    free(r);
}

struct expect {
    uint64_t frame;
    enum tcpsim_side dir;
    enum tcpsim_tls_record record;
    enum tcpsim_tls_hs hs;
};

static void check_items(const struct recorder *rec, const struct expect *e, size_t n)
{
    for (size_t i = 0; i < n && i < rec->n; i++) {
        if (rec->it[i].frame != e[i].frame || rec->it[i].dir != e[i].dir || rec->it[i].record != e[i].record ||
            rec->it[i].hs != e[i].hs)
            fail_msg("item %zu: got frame %llu %s %s %s, want frame %llu %s %s %s", i,
                     (unsigned long long)rec->it[i].frame, tcpsim_tls_side_name(rec->it[i].dir),
                     tcpsim_tls_record_name(rec->it[i].record), tcpsim_tls_hs_name(rec->it[i].hs),
                     (unsigned long long)e[i].frame, tcpsim_tls_side_name(e[i].dir),
                     tcpsim_tls_record_name(e[i].record), tcpsim_tls_hs_name(e[i].hs));
        assert_false(rec->it[i].malformed);
    }
    assert_int_equal(rec->n, n);
}

#define C    TCPSIM_SIDE_CLIENT
#define S    TCPSIM_SIDE_SERVER
#define HSK  TCPSIM_TLS_REC_HANDSHAKE
#define CCS  TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC
#define APP  TCPSIM_TLS_REC_APPLICATION_DATA
#define ALR  TCPSIM_TLS_REC_ALERT
#define NONE TCPSIM_TLS_HS_NONE
#define ENC  TCPSIM_TLS_HS_ENCRYPTED

/* Frames and record types as tshark lists them for tls13.pcap. */
static void test_capture_tls13_items_match_tshark(void **state)
{
    (void)state;
    struct run *r = replay("tls13");
    static const struct expect e[] = {
        {4, C, HSK, TCPSIM_TLS_HS_CLIENT_HELLO},
        {6, S, HSK, TCPSIM_TLS_HS_SERVER_HELLO},
        {6, S, CCS, NONE},
        {6, S, APP, ENC},
        {6, S, APP, ENC},
        {6, S, APP, ENC},
        {6, S, APP, ENC},
        {8, C, CCS, NONE},
        {8, C, APP, ENC},
        {9, S, APP, NONE},
        {10, S, APP, NONE},
        {12, C, APP, NONE},
        {13, C, APP, NONE},
        {15, S, APP, NONE},
    };
    check_items(&r->rec, e, sizeof e / sizeof e[0]);
    assert_string_equal(r->rec.it[0].explain,
                        "offers 31 cipher suites, TLS 1.3 via supported_versions, SNI server.test, ALPN h2,http/1.1");
    assert_string_equal(r->rec.it[1].explain, "chooses TLS_AES_256_GCM_SHA384, TLS 1.3");
    assert_non_null(strstr(r->rec.it[2].explain, "middlebox compatibility"));
    /* OpenSSL: one record per message; sizes as tshark decrypts them with
     * the key log (EE 32, Certificate 1630, CertificateVerify 281, Finished
     * 69 = 4 + 48 (SHA-384) + 1 + 16) */
    assert_string_equal(r->rec.it[3].explain,
                        "start of the encrypted handshake flight: probably EncryptedExtensions, 32 bytes");
    assert_string_equal(r->rec.it[4].explain, "encrypted handshake record 2 of the flight, 1630 bytes");
    assert_string_equal(r->rec.it[5].explain, "encrypted handshake record 3 of the flight, 281 bytes");
    assert_string_equal(r->rec.it[6].explain,
                        "encrypted handshake record 4 of the flight: probably the server's Finished, 69 bytes");
    assert_string_equal(r->rec.it[8].explain, "the client's encrypted Finished, 69 bytes");
    for (size_t i = 3; i <= 8; i++)
        if (i != 7) /* the JSON contract keeps one handshake name for all of them */
            assert_non_null(strstr(r->rec.it[i].json, "\"handshake\":\"encrypted\""));
    assert_non_null(strstr(r->rec.it[0].json, "\"handshake\":\"ClientHello\""));
    assert_non_null(strstr(r->rec.it[0].json, "\"dir\":\"c2s\""));
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(r->c);
    assert_true(s->is_tls);
    assert_int_equal(s->version, 0x0304);
    assert_int_equal(s->cipher, 0x1302);
    assert_string_equal(s->sni, "server.test");
    assert_string_equal(s->alpn, ""); /* TLS 1.3 sends ALPN in the encrypted EncryptedExtensions */
    assert_int_equal(s->resumption, TCPSIM_TLS_RESUME_NONE);
    /* tshark -e tls.handshake.ja3_full / ja3 / ja3s_full / ja3s */
    assert_string_equal(s->ja3_full, "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-"
                                     "49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-"
                                     "255,0-11-10-35-16-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2");
    assert_string_equal(s->ja3, "5a1edc7f170af1014fc65c994878e63c");
    assert_string_equal(s->ja3s_full, "771,4866,43-51");
    assert_string_equal(s->ja3s, "15af977ce25de452b96affa2addb1036");
    /* independent computation from the reference-facts rules (tshark 4.0 has no JA4) */
    assert_string_equal(s->ja4, "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
    assert_int_equal(s->app_records[0], 2);
    assert_int_equal(s->app_bytes[0], 23 + 19);
    char js[16384];
    size_t jl;
    assert_int_equal(tcpsim_tls_summary_json(s, js, sizeof js, &jl), TCPSIM_OK);
    assert_true(json_valid(js));
    assert_non_null(strstr(js, "\"version\":\"TLS 1.3\""));
    assert_non_null(strstr(js, "\"cipher\":\"TLS_AES_256_GCM_SHA384\""));
    assert_non_null(strstr(js, "{\"frame\":4,\"dir\":\"c2s\",\"record\":\"handshake\",\"handshake\":\"ClientHello\"}"));
    run_free(r);
}

static void test_capture_tls12_ecdhe_items_match_tshark(void **state)
{
    (void)state;
    struct run *r = replay("tls12");
    static const struct expect e[] = {
        {4, C, HSK, TCPSIM_TLS_HS_CLIENT_HELLO},
        {6, S, HSK, TCPSIM_TLS_HS_SERVER_HELLO},
        {6, S, HSK, TCPSIM_TLS_HS_CERTIFICATE},
        {6, S, HSK, TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE},
        {6, S, HSK, TCPSIM_TLS_HS_SERVER_HELLO_DONE},
        {8, C, HSK, TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE},
        {8, C, CCS, NONE},
        {8, C, HSK, ENC},
        {9, S, HSK, TCPSIM_TLS_HS_NEW_SESSION_TICKET},
        {9, S, CCS, NONE},
        {9, S, HSK, ENC},
        {11, C, APP, NONE},
        {12, C, ALR, NONE},
        {14, S, ALR, NONE},
    };
    check_items(&r->rec, e, sizeof e / sizeof e[0]);
    assert_string_equal(r->rec.it[1].explain, "chooses TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS 1.2");
    assert_string_equal(r->rec.it[2].explain, "2 certificates: CN=server.test issued by CN=tcpsim test CA, RSA 2048");
    assert_int_equal(r->rec.it[2].chain_len, 2);
    assert_int_equal(r->rec.it[3].group, 29); /* x25519 */
    assert_string_equal(r->rec.it[5].explain, "ECDHE public key on x25519 (32 bytes)");
    assert_string_equal(r->rec.it[6].explain, "switching to the negotiated keys");
    assert_string_equal(r->rec.it[7].explain, "encrypted handshake verification");
    assert_true(r->rec.it[12].encrypted);
    assert_non_null(strstr(r->rec.it[7].json, "\"handshake\":\"encrypted\""));
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(r->c);
    assert_string_equal(s->ja3, "8b108d7a0ee2968b8206f743685cfb9f");
    assert_string_equal(s->ja3s_full, "771,49199,65281-11-35-16-23");
    assert_string_equal(s->ja3s, "4ef1b297bb817d8212165a86308bac5f");
    assert_string_equal(s->ja4, "t12d0208h2_b06afd972a5c_e7e480e5a997");
    assert_int_equal(s->version, 0x0303);
    assert_int_equal(s->nalerts, 2);
    assert_true(s->alerts[0].encrypted);
    /* certificate fields as `openssl x509 -noout -subject -issuer -dates -serial` print them */
    assert_int_equal(s->chain_len, 2);
    assert_int_equal(s->ncerts, 2);
    assert_true(s->certs[0].parsed);
    assert_string_equal(s->certs[0].subject, "CN=server.test");
    assert_string_equal(s->certs[0].issuer, "CN=tcpsim test CA");
    assert_string_equal(s->certs[0].not_before, "2026-11-22T08:23:15Z");
    assert_string_equal(s->certs[0].not_after, "2126-10-29T08:23:15Z");
    assert_string_equal(s->certs[0].key_type, "RSA");
    assert_int_equal(s->certs[0].key_bits, 2048);
    assert_string_equal(s->certs[0].sans, "DNS:server.test,DNS:www.server.test,IP:127.0.0.1");
    assert_string_equal(s->certs[0].serial, "1092");
    assert_string_equal(s->certs[0].sha256, "9679636cda13031f95a889678ef6d2106a59365e0a51256c7d9e5e278d9a68f5");
    assert_false(s->certs[0].self_signed);
    assert_string_equal(s->certs[1].subject, "CN=tcpsim test CA");
    assert_true(s->certs[1].self_signed);
    char js[16384];
    assert_int_equal(tcpsim_tls_summary_json(s, js, sizeof js, NULL), TCPSIM_OK);
    assert_true(json_valid(js));
    assert_non_null(strstr(js, "\"not_before\":\"2026-11-22T08:23:15Z\""));
    assert_non_null(strstr(js, "\"sans\":[\"DNS:server.test\",\"DNS:www.server.test\",\"IP:127.0.0.1\"]"));
    run_free(r);
}

/* The connection object with certificates, SANs, messages and counters:
 * every buffer shorter than the text is refused (NOSPACE, length 0) without
 * a byte written past it, and the exact size gives the same text. */
static void test_capture_tls12_summary_json_every_truncation_nospace(void **state)
{
    (void)state;
    struct run *r = replay("tls12");
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(r->c);
    static char full[16384], out[16384 + 64];
    size_t n = 0;
    assert_int_equal(tcpsim_tls_summary_json(s, full, sizeof full, &n), TCPSIM_OK);
    assert_int_equal(n, strlen(full));
    assert_true(json_valid(full));
    assert_non_null(strstr(full, "\"self_signed\":true"));
    assert_non_null(strstr(full, "\"application_data\":{\"c2s\":{\"records\":"));
    for (size_t cap = 0; cap <= n; cap++) {
        memset(out, 0x5a, sizeof out);
        size_t got = 99;
        assert_int_equal(tcpsim_tls_summary_json(s, out, cap, &got), TCPSIM_ERR_NOSPACE);
        assert_int_equal(got, 0);
        for (size_t i = cap; i < cap + 64; i++)
            assert_int_equal((unsigned char)out[i], 0x5a);
        if (cap > 0)
            assert_non_null(memchr(out, '\0', cap));
    }
    assert_int_equal(tcpsim_tls_summary_json(s, out, n + 1, &n), TCPSIM_OK);
    assert_string_equal(out, full);
    run_free(r);
}

static void test_capture_tls12_rsa_items_match_tshark(void **state)
{
    (void)state;
    struct run *r = replay("tls12rsa");
    static const struct expect e[] = {
        {4, C, HSK, TCPSIM_TLS_HS_CLIENT_HELLO},
        {6, S, HSK, TCPSIM_TLS_HS_SERVER_HELLO},
        {6, S, HSK, TCPSIM_TLS_HS_CERTIFICATE},
        {6, S, HSK, TCPSIM_TLS_HS_SERVER_HELLO_DONE},
        {8, C, HSK, TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE},
        {8, C, CCS, NONE},
        {8, C, HSK, ENC},
        {9, S, HSK, TCPSIM_TLS_HS_NEW_SESSION_TICKET},
        {9, S, CCS, NONE},
        {9, S, HSK, ENC},
        {11, C, APP, NONE},
        {12, C, ALR, NONE},
        {14, S, ALR, NONE},
    };
    check_items(&r->rec, e, sizeof e / sizeof e[0]);
    /* tshark: ClientKeyExchange record of 262 bytes = 4 + 2 + 256 */
    assert_string_equal(r->rec.it[4].explain, "pre-master secret encrypted with the server's public key (256 bytes)");
    assert_int_equal(r->rec.it[4].key_bytes, 256);
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(r->c);
    assert_string_equal(s->ja3_full, "771,47-255,0-35-16-22-23-13,,");
    assert_string_equal(s->ja3, "5ad4c7cd3466c3a07a039ac1ffe9190f");
    assert_string_equal(s->ja3s, "7c1ae0e3f45b08909a26ace88a6fa6f8");
    assert_string_equal(s->ja4, "t12d0206h2_a5878986a7c9_847bbcdea70d");
    run_free(r);
}

/* The same capture fed byte by byte and in reverse segment order per direction
 * must give the same items (reassembly), attached to the completing frame. */
static void test_capture_tls12_bytewise_same_items(void **state)
{
    (void)state;
    static struct seg segs[64];
    size_t n = load_segs("tls12", segs, 64);
    struct recorder *rec = calloc(1, sizeof *rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, rec);
    for (size_t i = 0; i < n; i++)
        feed_stream(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, 1, segs[i].frame);
    assert_int_equal(rec->n, 14);
    assert_int_equal(rec->it[2].hs, TCPSIM_TLS_HS_CERTIFICATE);
    assert_int_equal(rec->it[2].chain_len, 2);
    assert_string_equal(tcpsim_tls_summary(c)->ja3, "8b108d7a0ee2968b8206f743685cfb9f");
    tcpsim_tls_conn_free(c);
    free(rec);
    free_segs(segs, n);
}

/* ========================================================== detection */

static void test_detect_http_on_443_not_tls(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
    static const char req[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    static const char resp[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    assert_int_equal(tcpsim_tls_feed(c, C, 1000, (const uint8_t *)req, strlen(req), 4, 0), TCPSIM_OK);
    assert_int_equal(tcpsim_tls_feed(c, S, 5000, (const uint8_t *)resp, strlen(resp), 5, 0), TCPSIM_OK);
    assert_true(tcpsim_tls_is_not_tls(c));
    assert_false(tcpsim_tls_is_tls(c));
    assert_int_equal(rec.n, 0);
    char js[64];
    assert_int_equal(tcpsim_tls_summary_json(tcpsim_tls_summary(c), js, sizeof js, NULL), TCPSIM_OK);
    assert_string_equal(js, "null");
    tcpsim_tls_conn_free(c);
}

static void test_detect_server_speaks_first_not_tls(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
    static const char banner[] = "220 smtp.example.com ESMTP\r\n";
    assert_int_equal(tcpsim_tls_feed(c, S, 1, (const uint8_t *)banner, strlen(banner), 4, 0), TCPSIM_OK);
    assert_true(tcpsim_tls_is_not_tls(c));
    tcpsim_tls_conn_free(c);
}

/* detection waits for enough bytes: a ClientHello split after 3 bytes */
static void test_detect_tls_on_4433_split_header_is_tls(void **state)
{
    (void)state;
    static struct seg segs[64];
    size_t n = load_segs("tls13", segs, 64); /* captured on port 4433 */
    struct recorder *rec = calloc(1, sizeof *rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, rec);
    assert_int_equal(tcpsim_tls_feed(c, C, segs[0].seq, segs[0].data, 3, 4, 0), TCPSIM_OK);
    assert_false(tcpsim_tls_is_tls(c));
    assert_false(tcpsim_tls_is_not_tls(c));
    assert_int_equal(tcpsim_tls_feed(c, C, segs[0].seq + 3, segs[0].data + 3, segs[0].len - 3, 5, 0), TCPSIM_OK);
    assert_true(tcpsim_tls_is_tls(c));
    assert_int_equal(rec->n, 1);
    assert_int_equal(rec->it[0].frame, 5);
    tcpsim_tls_conn_free(c);
    free(rec);
    free_segs(segs, n);
}

static void test_detect_short_stream_then_fin_not_tls(void **state)
{
    (void)state;
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, NULL, NULL);
    static const uint8_t b[] = {22, 3, 1};
    assert_int_equal(tcpsim_tls_feed(c, C, 7, b, 3, 1, 0), TCPSIM_OK);
    tcpsim_tls_fin(c, C, 2, 0);
    assert_true(tcpsim_tls_is_not_tls(c));
    tcpsim_tls_conn_free(c);
}

static void test_api_bad_args_invalid(void **state)
{
    (void)state;
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, NULL, NULL);
    assert_int_equal(tcpsim_tls_feed(NULL, C, 0, (const uint8_t *)"x", 1, 1, 0), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tls_feed(c, (enum tcpsim_side)7, 0, (const uint8_t *)"x", 1, 1, 0), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tls_feed(c, C, 0, NULL, 5, 1, 0), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tls_feed(c, C, 0, NULL, 0, 1, 0), TCPSIM_OK);
    tcpsim_tls_conn_free(c);
    tcpsim_tls_conn_free(NULL);
}

int main(void)
{
    const struct CMUnitTest captures[] = {
        cmocka_unit_test(test_capture_tls13_items_match_tshark),
        cmocka_unit_test(test_capture_tls12_ecdhe_items_match_tshark),
        cmocka_unit_test(test_capture_tls12_summary_json_every_truncation_nospace),
        cmocka_unit_test(test_capture_tls12_rsa_items_match_tshark),
        cmocka_unit_test(test_capture_tls12_bytewise_same_items),
    };
    const struct CMUnitTest detection[] = {
        cmocka_unit_test(test_detect_http_on_443_not_tls),
        cmocka_unit_test(test_detect_server_speaks_first_not_tls),
        cmocka_unit_test(test_detect_tls_on_4433_split_header_is_tls),
        cmocka_unit_test(test_detect_short_stream_then_fin_not_tls),
        cmocka_unit_test(test_api_bad_args_invalid),
    };
    int fails = 0;
    fails += cmocka_run_group_tests_name("captures", captures, NULL, NULL);
    fails += cmocka_run_group_tests_name("detection", detection, NULL, NULL);
    fails += run_msgs_tests();
    fails += run_reasm_tests();
    fails += run_reuse_tests();
    fails += run_fast_tests();
    fails += run_parse_tests();
    return fails;
}
