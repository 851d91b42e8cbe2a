/* test_tls_msgs.c - hand-built records for every message type, every
 * truncation of every vector, record-layer edge cases, JA4 on the published
 * example, JSON escaping. RFC 8446 §4-5, RFC 5246 §7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/tls_internal.h"
#include "tls_test.h"

#define C TCPSIM_SIDE_CLIENT
#define S TCPSIM_SIDE_SERVER

/* ------------------------------------------------------------ builders */

static void ext_open(struct bld *b, unsigned type)
{
    b_u16(b, type);
    b_open(b, 2);
}

/* The JA4 README's Chrome example: 15 ciphers + GREASE, 16 extensions + GREASE. */
static void build_chrome_hello(struct bld *b, unsigned rec_version)
{
    static const unsigned cs[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                  0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    static const unsigned sig[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
    b_record_open(b, 22, rec_version);
    b_hs_open(b, 1);
    b_u16(b, 0x0303);
    b_fill(b, 0x11, 32);
    b_open(b, 1);
    b_fill(b, 0x22, 32);
    b_close(b);
    b_open(b, 2);
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        b_u16(b, cs[i]);
    b_close(b);
    b_u8(b, 1);
    b_u8(b, 0);
    b_open(b, 2); /* extensions */
    ext_open(b, 0x1a1a);
    b_close(b);
    ext_open(b, 0x0000); /* SNI */
    b_open(b, 2);
    b_u8(b, 0);
    b_open(b, 2);
    b_bytes(b, "example.com", 11);
    b_close(b);
    b_close(b);
    b_close(b);
    ext_open(b, 0x0017);
    b_close(b); /* EMS */
    ext_open(b, 0xff01);
    b_u8(b, 0);
    b_close(b); /* renegotiation_info */
    ext_open(b, 0x000a);
    b_open(b, 2);
    b_u16(b, 0x2a2a);
    b_u16(b, 29);
    b_u16(b, 23);
    b_u16(b, 24);
    b_close(b);
    b_close(b);
    ext_open(b, 0x000b);
    b_open(b, 1);
    b_u8(b, 0);
    b_close(b);
    b_close(b);
    ext_open(b, 0x0023);
    b_close(b); /* empty session_ticket */
    ext_open(b, 0x0010);
    b_open(b, 2);
    b_open(b, 1);
    b_bytes(b, "h2", 2);
    b_close(b);
    b_open(b, 1);
    b_bytes(b, "http/1.1", 8);
    b_close(b);
    b_close(b);
    b_close(b);
    ext_open(b, 0x0005);
    b_u8(b, 1);
    b_u16(b, 0);
    b_u16(b, 0);
    b_close(b); /* status_request */
    ext_open(b, 0x000d);
    b_open(b, 2);
    for (size_t i = 0; i < sizeof sig / sizeof sig[0]; i++)
        b_u16(b, sig[i]);
    b_close(b);
    b_close(b);
    ext_open(b, 0x0012);
    b_close(b); /* SCT */
    ext_open(b, 0x0033);
    b_open(b, 2);
    b_u16(b, 0x2a2a);
    b_open(b, 2);
    b_u8(b, 0);
    b_close(b);
    b_u16(b, 29);
    b_open(b, 2);
    b_fill(b, 0x33, 32);
    b_close(b);
    b_close(b);
    b_close(b);
    ext_open(b, 0x002d);
    b_open(b, 1);
    b_u8(b, 1);
    b_close(b);
    b_close(b);
    ext_open(b, 0x002b);
    b_open(b, 1);
    b_u16(b, 0x3a3a);
    b_u16(b, 0x0304);
    b_u16(b, 0x0303);
    b_close(b);
    b_close(b);
    ext_open(b, 0x001b);
    b_open(b, 1);
    b_u16(b, 2);
    b_close(b);
    b_close(b); /* compress_certificate */
    ext_open(b, 0x4469);
    b_open(b, 2);
    b_open(b, 1);
    b_bytes(b, "h2", 2);
    b_close(b);
    b_close(b);
    b_close(b);
    ext_open(b, 0x4a4a);
    b_u8(b, 0);
    b_close(b);
    ext_open(b, 0x0015);
    b_fill(b, 0, 20);
    b_close(b); /* padding */
    b_close(b); /* extensions */
    b_close(b); /* handshake */
    b_close(b); /* record */
}

static void build_server_hello(struct bld *b, const uint8_t random[32], unsigned cs, bool tls13, unsigned group)
{
    b_record_open(b, 22, 0x0303);
    b_hs_open(b, 2);
    b_u16(b, 0x0303);
    b_bytes(b, random, 32);
    b_open(b, 1);
    b_fill(b, 0x23, 32); /* not the client's id: no resumption */
    b_close(b);
    b_u16(b, cs);
    b_u8(b, 0);
    b_open(b, 2);
    if (tls13) {
        ext_open(b, 43);
        b_u16(b, 0x0304);
        b_close(b);
        ext_open(b, 51);
        b_u16(b, group);
        if (memcmp(random, "\xCF\x21", 2) != 0) {
            b_open(b, 2);
            b_fill(b, 0x44, 32);
            b_close(b);
        }
        b_close(b);
    } else {
        ext_open(b, 0xff01);
        b_u8(b, 0);
        b_close(b);
        ext_open(b, 0x000b);
        b_open(b, 1);
        b_u8(b, 0);
        b_close(b);
        b_close(b);
    }
    b_close(b);
    b_close(b);
    b_close(b);
}

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

size_t tls_test_load_der(const char *file, uint8_t *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TCPSIM_TLS_DATA, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    int n = i2d_X509(x, NULL);
    assert_true(n > 0 && (size_t)n <= cap);
    uint8_t *p = out;
    assert_int_equal(i2d_X509(x, &p), n);
    X509_free(x);
    return (size_t)n;
}

/* A TLS 1.2 DHE_RSA server flight: SH, Certificate, SKE (DHE 2048), CertificateRequest, SHD. */
static void build_tls12_dhe_flight(struct bld *b)
{
    static uint8_t der[4096];
    size_t dl = tls_test_load_der("srv.pem", der, sizeof der);
    uint8_t rnd[32];
    memset(rnd, 0x5a, 32);
    build_server_hello(b, rnd, 0x009e, false, 0); /* TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 */
    b_record_open(b, 22, 0x0303);
    b_hs_open(b, 11);
    b_open(b, 3);
    b_open(b, 3);
    b_bytes(b, der, dl);
    b_close(b);
    b_close(b);
    b_close(b);
    b_hs_open(b, 12); /* ServerDHParams + signature */
    b_open(b, 2);
    b_u8(b, 0);
    b_u8(b, 0xff);
    b_fill(b, 0xab, 255);
    b_close(b); /* p: 256 bytes, leading 0 */
    b_open(b, 2);
    b_u8(b, 2);
    b_close(b);
    b_open(b, 2);
    b_fill(b, 0x01, 256);
    b_close(b);
    b_u16(b, 0x0401);
    b_open(b, 2);
    b_fill(b, 0x02, 256);
    b_close(b);
    b_close(b);
    b_hs_open(b, 13);
    b_open(b, 1);
    b_u8(b, 1);
    b_close(b);
    b_open(b, 2);
    b_u16(b, 0x0401);
    b_close(b);
    b_open(b, 2);
    b_close(b);
    b_close(b);
    b_hs_open(b, 14);
    b_close(b);
    b_close(b);
}

static struct tcpsim_tls_conn *new_conn(struct recorder *rec)
{
    memset(rec, 0, sizeof *rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, rec);
    assert_non_null(c);
    return c;
}

/* ================================================= ClientHello / fingerprints */

static void test_hello_chrome_example_ja4_matches_published(void **state)
{
    (void)state;
    static struct bld b;
    static struct recorder rec;
    b_init(&b);
    build_chrome_hello(&b, 0x0301);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 100, b.b, b.len, b.len, 1);
    assert_int_equal(rec.n, 1);
    assert_false(rec.it[0].malformed);
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c);
    assert_string_equal(s->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    /* JA3 drops GREASE from every list */
    assert_string_equal(s->ja3_full, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
                                     "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0");
    assert_string_equal(s->sni, "example.com");
    assert_string_equal(rec.it[0].explain,
                        "offers 15 cipher suites, TLS 1.3 via supported_versions, SNI example.com, ALPN h2,http/1.1");
    assert_non_null(strstr(rec.it[0].json, "\"sni\":\"example.com\""));
    assert_non_null(strstr(rec.it[0].json, "\"alpn\":[\"h2\",\"http/1.1\"]"));
    tcpsim_tls_conn_free(c);
}

static void test_hello_fields_decoded(void **state)
{
    (void)state;
    static struct bld b;
    static struct tcpsim_tls_hello h;
    const char *what;
    b_init(&b);
    build_chrome_hello(&b, 0x0301);
    assert_int_equal(tcpsim__parse_client_hello(b.b + 9, b.len - 9, &h, &what), TCPSIM_OK);
    assert_int_equal(h.nciphers, 16);
    assert_int_equal(h.version, 0x0304);
    assert_true(h.via_supported_versions);
    assert_int_equal(h.ngroups, 4);
    assert_int_equal(h.groups[1], 29);
    assert_int_equal(h.nsig_algs, 8);
    assert_int_equal(h.nkey_shares, 2);
    assert_int_equal(h.key_share_groups[1], 29);
    assert_int_equal(h.npsk_modes, 1);
    assert_true(h.ems);
    assert_true(h.reneg_info);
    assert_true(h.session_ticket_ext);
    assert_int_equal(h.session_ticket_len, 0);
    assert_int_equal(h.nalpn, 2);
    assert_int_equal(h.nexts, 18);
    assert_int_equal(h.session_id_len, 32);
}

/* Every truncation of every vector: the parser answers OK or MALFORMED, and the
 * stream API never crashes and reports the cut record at end of stream. */
static void truncations(const uint8_t *v, size_t n, enum tcpsim_side dir, bool client_first)
{
    static struct recorder rec;
    static struct bld ch;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    for (size_t k = 0; k < n; k++) {
        struct tcpsim_tls_conn *c = new_conn(&rec);
        if (client_first)
            feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
        size_t before = rec.n;
        if (k > 0)
            assert_int_equal(tcpsim_tls_feed(c, dir, 7000, v, k, 2, 0), TCPSIM_OK);
        tcpsim_tls_fin(c, dir, 3, 0);
        /* a cut stream yields at most the complete records, and the last
         * (partial) one only as a malformed "stream ends inside a record" */
        for (size_t i = before; i < rec.n; i++)
            if (rec.it[i].malformed)
                assert_true(strstr(rec.it[i].explain, "malformed") != NULL);
        tcpsim_tls_conn_free(c);
    }
}

static void test_truncation_every_prefix_no_crash(void **state)
{
    (void)state;
    static struct bld b;
    static struct tcpsim_tls_hello h;
    const char *what;
    b_init(&b);
    build_chrome_hello(&b, 0x0301);
    /* parser level: body prefixes */
    size_t body = b.len - 9, ok = 0;
    for (size_t k = 0; k < body; k++) {
        enum tcpsim_err e = tcpsim__parse_client_hello(b.b + 9, k, &h, &what);
        assert_true(e == TCPSIM_OK || e == TCPSIM_ERR_MALFORMED);
        if (e == TCPSIM_OK)
            ok++;
        else
            assert_true(what[0] != '\0');
    }
    /* the only valid prefix is the one ending right after the compression
     * methods (RFC 5246 §7.4.1.2: extensions may be absent) */
    assert_int_equal(ok, 1);
    truncations(b.b, b.len, C, false);
    b_init(&b);
    build_tls12_dhe_flight(&b);
    truncations(b.b, b.len, S, true);
    static struct seg segs[64];
    size_t n = load_segs("tls12", segs, 64);
    truncations(segs[1].data, segs[1].len, S, true); /* the real SH..SHD flight */
    free_segs(segs, n);
}

/* Every truncation of every segment of every capture, after the segments
 * before it: never a crash, never an item that is not malformed for the
 * cut record, and the items before the cut are exactly those of the full run. */
static void test_truncation_every_capture_segment(void **state)
{
    (void)state;
    static const char *caps[] = {"tls13", "tls12", "tls12rsa"};
    static struct seg segs[64];
    static struct recorder rec;
    for (size_t ci = 0; ci < 3; ci++) {
        size_t n = load_segs(caps[ci], segs, 64);
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 1; k < segs[i].len; k += (segs[i].len > 400 ? 7 : 1)) {
                memset(&rec, 0, sizeof rec);
                struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
                for (size_t j = 0; j < i; j++)
                    tcpsim_tls_feed(c, segs[j].dir, segs[j].seq, segs[j].data, segs[j].len, segs[j].frame, 0);
                size_t before = rec.n;
                assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, k, segs[i].frame, 0),
                                 TCPSIM_OK);
                tcpsim_tls_fin(c, segs[i].dir, 1000, 0);
                for (size_t m = before; m < rec.n; m++)
                    if (rec.it[m].frame == 1000)
                        assert_true(rec.it[m].malformed); /* only the cut record, at end of stream */
                    else
                        assert_false(rec.it[m].malformed);
                tcpsim_tls_conn_free(c);
            }
        }
        free_segs(segs, n);
    }
}

/* A cut stream is reported as such, never as a record */
static void test_truncation_record_cut_reported(void **state)
{
    (void)state;
    static struct bld b;
    static struct recorder rec;
    b_init(&b);
    build_chrome_hello(&b, 0x0301);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, b.b, b.len - 10, 100, 1);
    assert_int_equal(rec.n, 0);
    tcpsim_tls_fin(c, C, 2, 0);
    assert_int_equal(rec.n, 1);
    assert_true(rec.it[0].malformed);
    assert_int_equal(rec.it[0].frame, 2);
    assert_string_equal(rec.it[0].explain, "malformed: stream ends inside a record");
    tcpsim_tls_conn_free(c);
}

/* The capture stopping inside a record is not the sender's fault: after a
 * complete ClientHello, a record cut by the end of the capture is dropped by
 * tcpsim_tls_capture_end, while a FIN at the same point reports it. Both a
 * record still buffered (a handshake record) and one being skipped
 * (application data, counted without buffering) are tried. */
static void test_truncation_capture_end_not_malformed(void **state)
{
    (void)state;
    static struct bld b;
    static struct recorder rec;
    static const uint8_t hs_part[] = {22, 3, 3, 0, 200, 2, 0, 0, 196, 3, 3, 1, 2, 3};
    static uint8_t app_part[5 + 3000];
    app_part[0] = 23;
    app_part[1] = 3;
    app_part[2] = 3;
    app_part[3] = (uint8_t)(8000 >> 8);
    app_part[4] = (uint8_t)(8000 & 0xff);
    for (int kind = 0; kind < 2; kind++) {
        for (int by_fin = 0; by_fin < 2; by_fin++) {
            b_init(&b);
            build_chrome_hello(&b, 0x0301);
            struct tcpsim_tls_conn *c = new_conn(&rec);
            feed_stream(c, C, 1, b.b, b.len, 100, 1);
            assert_int_equal(rec.n, 1);
            assert_true(tcpsim_tls_is_tls(c));
            const uint8_t *p = kind ? app_part : hs_part;
            size_t n = kind ? sizeof app_part : sizeof hs_part;
            assert_int_equal(tcpsim_tls_feed(c, C, 1 + (uint32_t)b.len, p, n, 7, 0), TCPSIM_OK);
            assert_int_equal(rec.n, 1);
            if (by_fin)
                tcpsim_tls_fin(c, C, 8, 0);
            else
                tcpsim_tls_capture_end(c, C, 8, 0);
            if (by_fin) {
                assert_int_equal(rec.n, 2);
                assert_true(rec.it[1].malformed);
                assert_int_equal(rec.it[1].frame, 8);
            } else {
                assert_int_equal(rec.n, 1);
                assert_false(rec.it[0].malformed);
            }
            tcpsim_tls_conn_free(c);
        }
    }
}

/* ==================================================== server messages */

static void test_server_dhe_flight_every_message(void **state)
{
    (void)state;
    static struct bld ch, b;
    static struct recorder rec;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    b_init(&b);
    build_tls12_dhe_flight(&b);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, ch.b, ch.len, 1000, 1);
    /* one record across many segments: 7-byte segments */
    feed_stream(c, S, 900, b.b, b.len, 7, 2);
    assert_int_equal(rec.n, 6);
    assert_int_equal(rec.it[1].hs, TCPSIM_TLS_HS_SERVER_HELLO);
    assert_string_equal(rec.it[1].explain, "chooses TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, TLS 1.2");
    assert_int_equal(rec.it[2].hs, TCPSIM_TLS_HS_CERTIFICATE);
    assert_string_equal(rec.it[2].explain, "1 certificate: CN=server.test issued by CN=tcpsim test CA, RSA 2048");
    assert_int_equal(rec.it[3].hs, TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE);
    assert_string_equal(rec.it[3].explain, "DHE key exchange with a 2048-bit prime, signed by the server");
    assert_int_equal(rec.it[4].hs, TCPSIM_TLS_HS_CERTIFICATE_REQUEST);
    assert_int_equal(rec.it[5].hs, TCPSIM_TLS_HS_SERVER_HELLO_DONE);
    for (size_t i = 0; i < rec.n; i++)
        assert_int_equal(rec.it[i].frame, i == 0 ? 1 : 2);
    /* ClientKeyExchange (DHE), CCS, encrypted Finished, all in one segment */
    static struct bld k;
    b_init(&k);
    b_record_open(&k, 22, 0x0303);
    b_hs_open(&k, 16);
    b_open(&k, 2);
    b_fill(&k, 0x99, 256);
    b_close(&k);
    b_close(&k);
    b_close(&k);
    b_record_open(&k, 20, 0x0303);
    b_u8(&k, 1);
    b_close(&k);
    b_record_open(&k, 22, 0x0303);
    b_fill(&k, 0xee, 40);
    b_close(&k);
    b_record_open(&k, 22, 0x0303);
    b_fill(&k, 0xee, 40);
    b_close(&k);
    b_record_open(&k, 21, 0x0303);
    b_fill(&k, 0xaa, 26);
    b_close(&k);
    feed_stream(c, C, 1 + (uint32_t)ch.len, k.b, k.len, k.len, 3);
    assert_int_equal(rec.n, 11);
    assert_string_equal(rec.it[6].explain, "DHE public value (256 bytes)");
    assert_int_equal(rec.it[7].record, TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC);
    assert_int_equal(rec.it[8].hs, TCPSIM_TLS_HS_ENCRYPTED);
    assert_string_equal(rec.it[8].explain, "encrypted handshake verification");
    assert_string_equal(rec.it[9].explain, "encrypted handshake message");
    assert_true(rec.it[10].encrypted);
    assert_non_null(strstr(rec.it[10].explain, "encrypted alert"));
    tcpsim_tls_conn_free(c);
}

static void test_server_hrr_detected_by_random(void **state)
{
    (void)state;
    static struct bld ch, b;
    static struct recorder rec;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    b_init(&b);
    build_server_hello(&b, hrr_random, 0x1301, true, 24);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, b.len, 2);
    uint32_t sseq = 1 + (uint32_t)b.len;
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.it[1].hs, TCPSIM_TLS_HS_HELLO_RETRY_REQUEST);
    assert_non_null(strstr(rec.it[1].json, "\"handshake\":\"HelloRetryRequest\""));
    assert_string_equal(
        rec.it[1].explain,
        "HelloRetryRequest: asks the client to retry with a secp384r1 key share (TLS_AES_128_GCM_SHA256)");
    assert_true(tcpsim_tls_summary(c)->hrr);
    assert_false(tcpsim_tls_summary(c)->have_server_hello);
    /* then the real ServerHello and the encrypted flight */
    b_init(&b);
    uint8_t rnd[32];
    memset(rnd, 7, 32);
    build_server_hello(&b, rnd, 0x1301, true, 24);
    b_record_open(&b, 23, 0x0303);
    b_fill(&b, 0x55, 500);
    b_close(&b);
    feed_stream(c, S, sseq, b.b, b.len, b.len, 3);
    assert_int_equal(rec.n, 4);
    assert_int_equal(rec.it[2].hs, TCPSIM_TLS_HS_SERVER_HELLO);
    assert_int_equal(rec.it[3].hs, TCPSIM_TLS_HS_ENCRYPTED);
    assert_int_equal(tcpsim_tls_summary(c)->version, 0x0304);
    /* a retransmission of the whole flight changes nothing (first copy wins) */
    feed_stream(c, S, sseq, b.b, b.len, b.len, 4);
    assert_int_equal(rec.n, 4);
    tcpsim_tls_conn_free(c);
}

static void test_server_tls13_flight_labelled_encrypted(void **state)
{
    (void)state;
    static struct bld ch, b, cf;
    static struct recorder rec;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    b_init(&b);
    uint8_t rnd[32];
    memset(rnd, 7, 32);
    build_server_hello(&b, rnd, 0x1301, true, 29);
    b_record_open(&b, 20, 0x0303);
    b_u8(&b, 1);
    b_close(&b);
    b_record_open(&b, 23, 0x0303);
    b_fill(&b, 0x55, 3000);
    b_close(&b);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, 1448, 2);
    b_init(&cf);
    b_record_open(&cf, 20, 0x0303);
    b_u8(&cf, 1);
    b_close(&cf);
    b_record_open(&cf, 23, 0x0303);
    b_fill(&cf, 0x66, 53);
    b_close(&cf);
    b_record_open(&cf, 23, 0x0303);
    b_fill(&cf, 0x66, 100);
    b_close(&cf);
    feed_stream(c, C, 1 + (uint32_t)ch.len, cf.b, cf.len, cf.len, 5);
    assert_int_equal(rec.n, 7);
    assert_string_equal(rec.it[1].explain, "chooses TLS_AES_128_GCM_SHA256, TLS 1.3");
    assert_int_equal(rec.it[2].record, TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC);
    assert_non_null(strstr(rec.it[2].explain, "middlebox"));
    assert_int_equal(rec.it[3].hs, TCPSIM_TLS_HS_ENCRYPTED);
    assert_int_equal(rec.it[3].frame, 2);
    /* 3000 bytes is far too big for EncryptedExtensions alone */
    assert_string_equal(rec.it[3].explain, "start of the encrypted handshake flight: probably EncryptedExtensions and "
                                           "the messages after it, 3000 bytes");
    assert_non_null(strstr(rec.it[4].explain, "middlebox"));
    assert_int_equal(rec.it[5].hs, TCPSIM_TLS_HS_ENCRYPTED);
    assert_string_equal(rec.it[5].explain, "the client's encrypted Finished, 53 bytes");
    assert_int_equal(rec.it[6].hs, TCPSIM_TLS_HS_NONE);
    assert_string_equal(rec.it[6].explain, "100 bytes of encrypted application data");
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c);
    assert_int_equal(s->app_records[0], 1);
    assert_int_equal(s->app_bytes[0], 100);
    tcpsim_tls_conn_free(c);
}

/* A TLS 1.3 server flight of one record per message (as OpenSSL sends it),
 * ServerHello choosing `cs`; `lens` are the record lengths; then the client's
 * Finished, a record of `cfin` bytes. Items: ClientHello, ServerHello, the
 * flight, the client's Finished. */
static struct tcpsim_tls_conn *tls13_flight(struct recorder *rec, unsigned cs, const size_t *lens, size_t n,
                                            size_t cfin)
{
    static struct bld ch, b, cf;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    b_init(&b);
    uint8_t rnd[32];
    memset(rnd, 7, 32);
    build_server_hello(&b, rnd, cs, true, 29);
    for (size_t i = 0; i < n; i++) {
        b_record_open(&b, 23, 0x0303);
        b_fill(&b, (uint8_t)(0x50 + i), lens[i]);
        b_close(&b);
    }
    struct tcpsim_tls_conn *c = new_conn(rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, 1448, 2);
    b_init(&cf);
    b_record_open(&cf, 23, 0x0303);
    b_fill(&cf, 0x66, cfin);
    b_close(&cf);
    feed_stream(c, C, 1 + (uint32_t)ch.len, cf.b, cf.len, cf.len, 5);
    return c;
}

static void test_tls13_flight_records_named_by_position_and_size(void **state)
{
    (void)state;
    static struct recorder rec;
    /* EE, Certificate, CertificateVerify, Finished (4 + 32 + 1 + 16 = 53),
     * then one more record still before the client's Finished */
    static const size_t lens[] = {23, 984, 281, 53, 120};
    struct tcpsim_tls_conn *c = tls13_flight(&rec, 0x1301, lens, 5, 53);
    assert_int_equal(rec.n, 8);
    assert_string_equal(rec.it[2].explain,
                        "start of the encrypted handshake flight: probably EncryptedExtensions, 23 bytes");
    assert_string_equal(rec.it[3].explain, "encrypted handshake record 2 of the flight, 984 bytes");
    assert_string_equal(rec.it[4].explain, "encrypted handshake record 3 of the flight, 281 bytes");
    assert_string_equal(rec.it[5].explain,
                        "encrypted handshake record 4 of the flight: probably the server's Finished, 53 bytes");
    assert_string_equal(rec.it[6].explain, "encrypted handshake record 5 of the flight, 120 bytes");
    assert_string_equal(rec.it[7].explain, "the client's encrypted Finished, 53 bytes");
    for (size_t i = 2; i <= 7; i++) {
        assert_int_equal(rec.it[i].hs, TCPSIM_TLS_HS_ENCRYPTED);
        assert_non_null(strstr(rec.it[i].json, "\"handshake\":\"encrypted\""));
    }
    tcpsim_tls_conn_free(c);
}

static void test_tls13_flight_finished_size_follows_suite(void **state)
{
    (void)state;
    static struct recorder rec;
    /* SHA-384: Finished is 4 + 48 + 1 + 16 = 69, so 53 is not it */
    static const size_t l384[] = {32, 53, 69};
    struct tcpsim_tls_conn *c = tls13_flight(&rec, 0x1302, l384, 3, 69);
    assert_int_equal(rec.n, 6);
    assert_string_equal(rec.it[3].explain, "encrypted handshake record 2 of the flight, 53 bytes");
    assert_non_null(strstr(rec.it[4].explain, "record 3 of the flight: probably the server's Finished, 69"));
    tcpsim_tls_conn_free(c);
    /* CCM_8 has an 8-byte tag (RFC 8446 §B.4): 4 + 32 + 1 + 8 = 45. The
     * connection comes back from the pool: its flight count starts again */
    memset(&rec, 0, sizeof rec);
    static const size_t lccm[] = {15, 53, 45};
    c = tls13_flight(&rec, 0x1305, lccm, 3, 45);
    assert_int_equal(rec.n, 6);
    assert_string_equal(rec.it[2].explain,
                        "start of the encrypted handshake flight: probably EncryptedExtensions, 15 bytes");
    assert_string_equal(rec.it[3].explain, "encrypted handshake record 2 of the flight, 53 bytes");
    assert_non_null(strstr(rec.it[4].explain, "probably the server's Finished, 45 bytes"));
    tcpsim_tls_conn_free(c);
}

static void test_tls13_flight_first_record_small_or_large_guessed_by_size(void **state)
{
    (void)state;
    static struct recorder rec;
    /* 16 bytes cannot hold a tag plus an EE header: no guess; 257 is over
     * the bound for EE alone, and EE comes first (RFC 8446 §4.3.1) */
    static const size_t small[] = {16};
    struct tcpsim_tls_conn *c = tls13_flight(&rec, 0x1301, small, 1, 53);
    assert_string_equal(rec.it[2].explain, "first record of the encrypted handshake flight, 16 bytes");
    tcpsim_tls_conn_free(c);
    memset(&rec, 0, sizeof rec);
    static const size_t big[] = {257, 53};
    c = tls13_flight(&rec, 0x1301, big, 2, 53);
    assert_string_equal(rec.it[2].explain, "start of the encrypted handshake flight: probably EncryptedExtensions "
                                           "and the messages after it, 257 bytes");
    assert_non_null(strstr(rec.it[3].explain, "record 2 of the flight: probably the server's Finished"));
    tcpsim_tls_conn_free(c);
}

/* Many records in one segment, a handshake message spanning three records,
 * plaintext alerts, heartbeat, unknown handshake type. */
static void test_records_many_per_segment_and_spanning(void **state)
{
    (void)state;
    static struct bld ch, b;
    static struct recorder rec;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    b_init(&b);
    uint8_t rnd[32];
    memset(rnd, 9, 32);
    build_server_hello(&b, rnd, 0xc02f, false, 0);
    /* NewSessionTicket split over three records: 4+4+ticket(300) */
    static struct bld m;
    b_init(&m);
    b_hs_open(&m, 4);
    b_u16(&m, 0);
    b_u16(&m, 7200);
    b_open(&m, 2);
    b_fill(&m, 0x77, 300);
    b_close(&m);
    b_close(&m);
    size_t cuts[] = {0, 3, 100, m.len};
    for (int i = 0; i < 3; i++) {
        b_record_open(&b, 22, 0x0303);
        b_bytes(&b, m.b + cuts[i], cuts[i + 1] - cuts[i]);
        b_close(&b);
    }
    b_record_open(&b, 22, 0x0303);
    b_hs_open(&b, 99);
    b_fill(&b, 0, 5);
    b_close(&b);
    b_close(&b);
    b_record_open(&b, 24, 0x0303);
    b_fill(&b, 1, 19);
    b_close(&b);
    b_record_open(&b, 21, 0x0303);
    b_u8(&b, 2);
    b_u8(&b, 40);
    b_close(&b);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, b.len, 2);
    assert_int_equal(rec.n, 6);
    assert_int_equal(rec.it[2].hs, TCPSIM_TLS_HS_NEW_SESSION_TICKET);
    assert_string_equal(rec.it[2].explain, "session ticket for later resumption (300 bytes, lifetime hint 7200 s)");
    assert_int_equal(rec.it[3].hs, TCPSIM_TLS_HS_UNKNOWN);
    assert_non_null(strstr(rec.it[3].json, "\"handshake_type\":99"));
    assert_int_equal(rec.it[4].record, TCPSIM_TLS_REC_HEARTBEAT);
    assert_int_equal(rec.it[5].record, TCPSIM_TLS_REC_ALERT);
    for (size_t i = 1; i < rec.n; i++)
        assert_int_equal(rec.it[i].frame, 2);
    tcpsim_tls_conn_free(c);
}

static void test_alert_plain_names(void **state)
{
    (void)state;
    static struct bld ch, b;
    static struct recorder rec;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0301);
    b_init(&b);
    b_record_open(&b, 21, 0x0303);
    b_u8(&b, 2);
    b_u8(&b, 40);
    b_close(&b);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, b.len, 2);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.it[1].alert_level, 2);
    assert_int_equal(rec.it[1].alert_desc, 40);
    assert_string_equal(rec.it[1].explain, "fatal alert: handshake_failure");
    assert_non_null(strstr(rec.it[1].json, "\"level\":\"fatal\",\"description\":\"handshake_failure\""));
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c);
    assert_int_equal(s->nalerts, 1);
    assert_false(s->alerts[0].encrypted);
    char js[8192];
    assert_int_equal(tcpsim_tls_summary_json(s, js, sizeof js, NULL), TCPSIM_OK);
    assert_non_null(strstr(js, "\"alerts\":[{\"frame\":2,\"dir\":\"s2c\",\"level\":\"fatal\",\"description\":"
                               "\"handshake_failure\"}]"));
    assert_non_null(strstr(js, "\"version\":null"));
    tcpsim_tls_conn_free(c);
}

/* ========================================================= record layer */

static void test_record_too_long_reported_and_resync(void **state)
{
    (void)state;
    static struct bld ch, b;
    static struct recorder rec;
    b_init(&ch);
    build_chrome_hello(&ch, 0x0303);
    b_init(&b);
    uint8_t rnd[32];
    memset(rnd, 9, 32);
    build_server_hello(&b, rnd, 0xc02f, false, 0);
    /* a header claiming 2^14+2049 bytes (RFC 8446 §5.2 limit + 1) */
    b_u8(&b, 23);
    b_u16(&b, 0x0303);
    b_u16(&b, 16384 + 2049);
    b_fill(&b, 0x41, 64); /* garbage, contains no plausible header */
    b_record_open(&b, 23, 0x0303);
    b_fill(&b, 0x42, 10);
    b_close(&b);
    b_record_open(&b, 23, 0x0303);
    b_fill(&b, 0x43, 11);
    b_close(&b);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, b.len, 2);
    tcpsim_tls_fin(c, S, 3, 0);
    assert_int_equal(rec.n, 5);
    assert_true(rec.it[2].malformed);
    assert_int_equal(rec.it[2].record, TCPSIM_TLS_REC_APPLICATION_DATA);
    assert_non_null(strstr(rec.it[2].explain, "2^14+2048"));
    assert_string_equal(rec.it[3].explain, "10 bytes of encrypted application data");
    assert_string_equal(rec.it[4].explain, "11 bytes of encrypted application data");
    assert_int_equal(tcpsim_tls_summary(c)->malformed[S], 1);
    tcpsim_tls_conn_free(c);
}

static void test_record_oversized_handshake_skipped(void **state)
{
    (void)state;
    static struct bld ch, b;
    static struct recorder rec;
    struct tcpsim_tls_config cfg = {0, 4096};
    b_init(&ch);
    build_chrome_hello(&ch, 0x0303);
    b_init(&b);
    /* a 10000-byte Certificate message over one record, then ServerHelloDone */
    b_record_open(&b, 22, 0x0303);
    b_hs_open(&b, 11);
    b_fill(&b, 0, 10000);
    b_close(&b);
    b_hs_open(&b, 14);
    b_close(&b);
    b_close(&b);
    memset(&rec, 0, sizeof rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(&cfg, rec_cb, &rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    /* the message fits its record: decoded in place, malformed certificate list */
    feed_stream(c, S, 1, b.b, b.len, b.len, 2);
    assert_int_equal(rec.n, 3);
    assert_true(rec.it[1].malformed);
    assert_int_equal(rec.it[2].hs, TCPSIM_TLS_HS_SERVER_HELLO_DONE);
    tcpsim_tls_conn_free(c);
    /* spanning two records and bigger than hs_cap: skipped with a note */
    b_init(&b);
    static struct bld m;
    b_init(&m);
    b_hs_open(&m, 11);
    b_fill(&m, 0, 10000);
    b_close(&m);
    b_record_open(&b, 22, 0x0303);
    b_bytes(&b, m.b, 5000);
    b_close(&b);
    b_record_open(&b, 22, 0x0303);
    b_bytes(&b, m.b + 5000, m.len - 5000);
    b_hs_open(&b, 14);
    b_close(&b);
    b_close(&b);
    memset(&rec, 0, sizeof rec);
    c = tcpsim_tls_conn_new(&cfg, rec_cb, &rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, b.b, b.len, 1000, 2);
    assert_int_equal(rec.n, 3);
    assert_int_equal(rec.it[1].hs, TCPSIM_TLS_HS_CERTIFICATE);
    assert_string_equal(rec.it[1].explain, "Certificate of 10000 bytes, too large to decode");
    assert_int_equal(rec.it[2].hs, TCPSIM_TLS_HS_SERVER_HELLO_DONE);
    tcpsim_tls_conn_free(c);
}

static void test_record_sslv2_hello_detected(void **state)
{
    (void)state;
    static struct bld b;
    static struct recorder rec;
    b_init(&b);
    /* RFC 5246 §E.2 */
    b_u8(&b, 0x80);
    b_u8(&b, 9 + 6 + 16);
    b_u8(&b, 1);
    b_u16(&b, 0x0301);
    b_u16(&b, 6);
    b_u16(&b, 0);
    b_u16(&b, 16);
    b_u8(&b, 0);
    b_u16(&b, 0x002f);
    b_u8(&b, 0);
    b_u16(&b, 0x00ff);
    b_fill(&b, 0xc4, 16);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, b.b, b.len, 5, 1);
    assert_true(tcpsim_tls_is_tls(c));
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.it[0].hs, TCPSIM_TLS_HS_CLIENT_HELLO);
    assert_false(rec.it[0].malformed);
    assert_string_equal(rec.it[0].explain, "SSLv2-format hello offering 2 cipher specs, up to TLS 1.0");
    assert_non_null(strstr(rec.it[0].json, "\"sslv2\":true"));
    tcpsim_tls_conn_free(c);
}

/* ================================================================ JSON */

static void test_json_escapes_and_nospace(void **state)
{
    (void)state;
    char out[256];
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, out, sizeof out);
    tcpsim__sb_jstr(&b, "a\"b\\c\n\x01\xc3\xa9\xff");
    assert_string_equal(out, "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\\ufffd\"");
    assert_true(json_valid(out));
    struct tcpsim_tls_item it;
    memset(&it, 0, sizeof it);
    it.record = TCPSIM_TLS_REC_ALERT;
    it.hs = TCPSIM_TLS_HS_NONE;
    it.record_version = 0x0303;
    it.length = 2;
    it.alert_level = 1;
    it.alert_desc = 0;
    it.why.id = TCPSIM_TLS_X_ALERT;
    it.why.s[0] = "warning";
    it.why.s[1] = "close_notify";
    size_t n = 99;
    assert_int_equal(tcpsim_tls_item_json(&it, out, 20, &n), TCPSIM_ERR_NOSPACE);
    assert_int_equal(n, 0);
    assert_true(strlen(out) < 20);
    assert_int_equal(tcpsim_tls_item_json(&it, out, sizeof out, &n), TCPSIM_OK);
    assert_string_equal(out, "{\"dir\":\"c2s\",\"record\":\"alert\",\"record_version\":\"TLS 1.2\",\"length\":2,"
                             "\"level\":\"warning\",\"description\":\"close_notify\",\"explain\":"
                             "\"warning alert: close_notify\"}");
}

/* json.c copies runs of plain bytes at once: escapes at the edges of a run,
 * DEL, every control byte and each kind of bad UTF-8 (RFC 3629 §3-4) */
static void test_json_escapes_runs_and_bad_utf8(void **state)
{
    (void)state;
    char out[512];
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, out, sizeof out);
    tcpsim__sb_jstr(&b, "\"x\x7f\x1fyz\\");
    assert_string_equal(out, "\"\\\"x\\u007f\\u001fyz\\\\\"");
    tcpsim__sb_init(&b, out, sizeof out);
    /* overlong 3-byte, surrogate, 4-byte above U+10FFFF, lone continuation,
     * truncated 2-byte at the end; then valid 2/3/4-byte sequences */
    tcpsim__sb_jstr(&b, "a\xe0\x80\x80"
                        "b\xed\xa0\x80"
                        "c\xf4\x90\x80\x80"
                        "d\x80"
                        "e\xc3");
    assert_string_equal(
        out, "\"a\\ufffd\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffd\\ufffdd\\ufffde\\ufffd\"");
    assert_true(json_valid(out));
    tcpsim__sb_init(&b, out, sizeof out);
    tcpsim__sb_jstr(&b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_string_equal(out, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    tcpsim__sb_init(&b, out, sizeof out);
    tcpsim__sb_jstr(&b, NULL);
    assert_string_equal(out, "\"\"");
    /* every control byte as \u00XX in lower-case hex, as printf("%04x") did */
    char all[32];
    for (int i = 1; i < 32; i++)
        all[i - 1] = (char)i;
    all[31] = '\0';
    tcpsim__sb_init(&b, out, sizeof out);
    tcpsim__sb_jstr(&b, all);
    assert_int_equal(strlen(out), 2 + 31 * 6);
    assert_non_null(strstr(out, "\\u0001\\u0002"));
    assert_non_null(strstr(out, "\\u001a\\u001b"));
    assert_non_null(strstr(out, "\\u001f\""));
}

/* unknown codes as numbers / "0x%04x", and every too-small buffer refused
 * without writing past it */
static void test_json_item_unknown_codes_and_every_truncation(void **state)
{
    (void)state;
    struct tcpsim_tls_item it;
    memset(&it, 0, sizeof it);
    it.dir = TCPSIM_SIDE_SERVER;
    it.record = TCPSIM_TLS_REC_ALERT;
    it.hs = TCPSIM_TLS_HS_NONE;
    it.record_version = 0x0303;
    it.length = 2;
    it.alert_level = 7;
    it.alert_desc = 251;
    it.group = 0xab0c;
    it.key_bytes = 65;
    it.explain = "x\ty";
    char full[512];
    size_t n = 0;
    assert_int_equal(tcpsim_tls_item_json(&it, full, sizeof full, &n), TCPSIM_OK);
    assert_string_equal(full, "{\"dir\":\"s2c\",\"record\":\"alert\",\"record_version\":\"TLS 1.2\",\"length\":2,"
                              "\"group\":\"0xab0c\",\"key_bytes\":65,\"level\":7,\"description\":251,"
                              "\"explain\":\"x\\u0009y\"}");
    assert_int_equal(n, strlen(full));
    assert_true(json_valid(full));
    for (size_t cap = 0; cap <= n; cap++) {
        char out[600];
        memset(out, 0x5a, sizeof out);
        size_t got = 99;
        assert_int_equal(tcpsim_tls_item_json(&it, out, cap, &got), TCPSIM_ERR_NOSPACE);
        assert_int_equal(got, 0);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal((unsigned char)out[i], 0x5a);
        if (cap > 0)
            assert_true(memchr(out, '\0', cap) != NULL);
    }
    char exact[600];
    assert_int_equal(tcpsim_tls_item_json(&it, exact, n + 1, &n), TCPSIM_OK);
    assert_string_equal(exact, full);
}

static void test_json_sni_with_quotes_escaped(void **state)
{
    (void)state;
    static struct bld b;
    static struct recorder rec;
    b_init(&b);
    b_record_open(&b, 22, 0x0301);
    b_hs_open(&b, 1);
    b_u16(&b, 0x0303);
    b_fill(&b, 1, 32);
    b_u8(&b, 0);
    b_open(&b, 2);
    b_u16(&b, 0x002f);
    b_close(&b);
    b_u8(&b, 1);
    b_u8(&b, 0);
    b_open(&b, 2);
    ext_open(&b, 0);
    b_open(&b, 2);
    b_u8(&b, 0);
    b_open(&b, 2);
    b_bytes(&b, "a\"b\x01", 4);
    b_close(&b);
    b_close(&b);
    b_close(&b);
    b_close(&b);
    b_close(&b);
    b_close(&b);
    struct tcpsim_tls_conn *c = new_conn(&rec);
    feed_stream(c, C, 1, b.b, b.len, b.len, 1);
    assert_int_equal(rec.n, 1);
    assert_non_null(strstr(rec.it[0].json, "\"sni\":\"a\\\"b\\\\x01\""));
    assert_string_equal(tcpsim_tls_summary(c)->ja4, "t12d010100_"   /* SNI ext present, no ALPN */
                                                    "ba72b8082249_" /* sha256("002f") */
                                                    "000000000000");
    tcpsim_tls_conn_free(c);
}

static void test_names_cipher_table_lookup(void **state)
{
    (void)state;
    assert_string_equal(tcpsim_tls_cipher_name(0x1302), "TLS_AES_256_GCM_SHA384");
    assert_string_equal(tcpsim_tls_cipher_name(0x0000), "TLS_NULL_WITH_NULL_NULL");
    assert_string_equal(tcpsim_tls_cipher_name(0xcca8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_string_equal(tcpsim_tls_cipher_name(0x00ff), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
    assert_string_equal(tcpsim_tls_cipher_name(0x5600), "TLS_FALLBACK_SCSV");
    assert_string_equal(tcpsim_tls_cipher_name(0xc0b5), "TLS_SHA384_SHA384");
    assert_string_equal(tcpsim_tls_cipher_name(0x3a3a), "GREASE");
    assert_null(tcpsim_tls_cipher_name(0x0060)); /* reserved, never assigned */
    assert_null(tcpsim_tls_cipher_name(0xfefe));
    /* sorted, unique: binary search relies on it */
    for (size_t i = 1; i < tcpsim__nciphers; i++)
        assert_true(tcpsim__ciphers[i - 1].value < tcpsim__ciphers[i].value);
    assert_true(tcpsim__nciphers > 340);
    assert_string_equal(tcpsim_tls_hs_name(TCPSIM_TLS_HS_COMPRESSED_CERTIFICATE), "CompressedCertificate");
    assert_string_equal(tcpsim_tls_version_name(0x0300), "SSL 3.0");
    assert_true(tcpsim_tls_is_grease(0xfafa));
    assert_false(tcpsim_tls_is_grease(0xfafb));
}

/* ========================================================= certificates */

static void test_cert_tls13_layout_ec_key(void **state)
{
    (void)state;
    static uint8_t der[4096];
    static struct bld b;
    static struct tcpsim_tls_cert certs[2];
    size_t dl = tls_test_load_der("ec.pem", der, sizeof der), nc = 9, chain = 9;
    const char *what;
    b_init(&b);
    b_open(&b, 1);
    b_close(&b); /* certificate_request_context */
    b_open(&b, 3);
    b_open(&b, 3);
    b_bytes(&b, der, dl);
    b_close(&b);
    b_open(&b, 2);
    b_close(&b); /* CertificateEntry.extensions */
    b_open(&b, 3);
    b_fill(&b, 0x30, 40);
    b_close(&b); /* not DER */
    b_open(&b, 2);
    b_close(&b);
    b_close(&b);
    assert_int_equal(tcpsim__parse_certificate(b.b, b.len, true, certs, 2, &nc, &chain, &what), TCPSIM_OK);
    assert_int_equal(nc, 2);
    assert_int_equal(chain, 2);
    assert_true(certs[0].parsed);
    assert_string_equal(certs[0].subject, "CN=ec.test,O=tcpsim,C=KR");
    assert_string_equal(certs[0].issuer, "CN=ec.test,O=tcpsim,C=KR");
    assert_true(certs[0].self_signed);
    assert_string_equal(certs[0].key_type, "EC");
    assert_int_equal(certs[0].key_bits, 256);
    assert_string_equal(certs[0].key_curve, "prime256v1");
    assert_string_equal(certs[0].sans, "DNS:ec.test,IP:0:0:0:0:0:0:0:1");
    char k[64];
    tcpsim__cert_key_text(&certs[0], k, sizeof k);
    assert_string_equal(k, "EC 256 (prime256v1)");
    assert_false(certs[1].parsed); /* garbage DER: reported, not fatal */
    assert_int_equal(certs[1].der_len, 40);
    /* the TLS 1.2 layout does not fit these bytes */
    assert_int_equal(tcpsim__parse_certificate(b.b, b.len, false, certs, 2, &nc, &chain, &what), TCPSIM_ERR_MALFORMED);
    assert_true(what[0] != '\0');
    for (size_t k2 = 0; k2 < b.len; k2++)
        assert_int_equal(tcpsim__parse_certificate(b.b, k2, true, certs, 2, &nc, &chain, &what), TCPSIM_ERR_MALFORMED);
}

/* ========================================================== resumption */

static void resume_run(bool ticket, bool echo, bool tls13_psk, enum tcpsim_tls_resumption want)
{
    static struct bld ch, sh;
    static struct recorder rec;
    b_init(&ch);
    b_record_open(&ch, 22, 0x0301);
    b_hs_open(&ch, 1);
    b_u16(&ch, 0x0303);
    b_fill(&ch, 1, 32);
    b_open(&ch, 1);
    b_fill(&ch, 0x44, 32);
    b_close(&ch);
    b_open(&ch, 2);
    b_u16(&ch, 0xc02f);
    b_u16(&ch, 0x1301);
    b_close(&ch);
    b_u8(&ch, 1);
    b_u8(&ch, 0);
    b_open(&ch, 2);
    ext_open(&ch, 35);
    if (ticket)
        b_fill(&ch, 0x99, 160);
    b_close(&ch);
    if (tls13_psk) {
        ext_open(&ch, 43);
        b_open(&ch, 1);
        b_u16(&ch, 0x0304);
        b_close(&ch);
        b_close(&ch);
        ext_open(&ch, 41);
        b_open(&ch, 2);
        b_open(&ch, 2);
        b_fill(&ch, 5, 20);
        b_close(&ch);
        b_u16(&ch, 0);
        b_u16(&ch, 0);
        b_close(&ch);
        b_open(&ch, 2);
        b_open(&ch, 1);
        b_fill(&ch, 6, 32);
        b_close(&ch);
        b_close(&ch);
        b_close(&ch);
    }
    b_close(&ch);
    b_close(&ch);
    b_close(&ch);
    b_init(&sh);
    b_record_open(&sh, 22, 0x0303);
    b_hs_open(&sh, 2);
    b_u16(&sh, 0x0303);
    b_fill(&sh, 2, 32);
    b_open(&sh, 1);
    b_fill(&sh, echo ? 0x44 : 0x45, 32);
    b_close(&sh);
    b_u16(&sh, tls13_psk ? 0x1301 : 0xc02f);
    b_u8(&sh, 0);
    b_open(&sh, 2);
    if (tls13_psk) {
        ext_open(&sh, 43);
        b_u16(&sh, 0x0304);
        b_close(&sh);
        ext_open(&sh, 41);
        b_u16(&sh, 0);
        b_close(&sh);
    }
    b_close(&sh);
    b_close(&sh);
    b_close(&sh);
    memset(&rec, 0, sizeof rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, sh.b, sh.len, sh.len, 2);
    assert_int_equal(rec.n, 2);
    assert_false(rec.it[0].malformed);
    assert_false(rec.it[1].malformed);
    assert_int_equal(tcpsim_tls_summary(c)->resumption, want);
    if (want != TCPSIM_TLS_RESUME_NONE && !tls13_psk)
        assert_non_null(strstr(rec.it[1].explain, "resuming"));
    tcpsim_tls_conn_free(c);
}

static void test_resumption_session_id_echo(void **state)
{
    (void)state;
    resume_run(false, true, false, TCPSIM_TLS_RESUME_SESSION_ID);
    resume_run(false, false, false, TCPSIM_TLS_RESUME_NONE);
}

static void test_resumption_ticket_and_psk(void **state)
{
    (void)state;
    resume_run(true, true, false, TCPSIM_TLS_RESUME_TICKET);
    resume_run(true, false, false, TCPSIM_TLS_RESUME_NONE); /* ticket refused: full handshake */
    resume_run(false, false, true, TCPSIM_TLS_RESUME_PSK);
}

/* RFC 5077 §3.4: ticket with an empty session id; the server goes straight to
 * ChangeCipherSpec (abbreviated handshake) */
static void test_resumption_ticket_abbreviated_handshake(void **state)
{
    (void)state;
    static struct bld ch, sh;
    static struct recorder rec;
    b_init(&ch);
    b_record_open(&ch, 22, 0x0301);
    b_hs_open(&ch, 1);
    b_u16(&ch, 0x0303);
    b_fill(&ch, 1, 32);
    b_u8(&ch, 0);
    b_open(&ch, 2);
    b_u16(&ch, 0xc02f);
    b_close(&ch);
    b_u8(&ch, 1);
    b_u8(&ch, 0);
    b_open(&ch, 2);
    ext_open(&ch, 35);
    b_fill(&ch, 0x99, 160);
    b_close(&ch);
    b_close(&ch);
    b_close(&ch);
    b_close(&ch);
    uint8_t rnd[32];
    memset(rnd, 3, 32);
    b_init(&sh);
    build_server_hello(&sh, rnd, 0xc02f, false, 0);
    b_record_open(&sh, 20, 0x0303);
    b_u8(&sh, 1);
    b_close(&sh);
    b_record_open(&sh, 22, 0x0303);
    b_fill(&sh, 0xee, 40);
    b_close(&sh);
    memset(&rec, 0, sizeof rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
    feed_stream(c, C, 1, ch.b, ch.len, ch.len, 1);
    feed_stream(c, S, 1, sh.b, sh.len, sh.len, 2);
    assert_int_equal(rec.n, 4);
    assert_int_equal(rec.it[3].hs, TCPSIM_TLS_HS_ENCRYPTED);
    assert_int_equal(tcpsim_tls_summary(c)->resumption, TCPSIM_TLS_RESUME_TICKET);
    tcpsim_tls_conn_free(c);
    /* the full handshake of the capture is not a resumption */
    static struct seg segs[64];
    size_t n = load_segs("tls12", segs, 64);
    memset(&rec, 0, sizeof rec);
    c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
    for (size_t i = 0; i < n; i++)
        tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0);
    assert_int_equal(tcpsim_tls_summary(c)->resumption, TCPSIM_TLS_RESUME_NONE);
    tcpsim_tls_conn_free(c);
    free_segs(segs, n);
}

int run_msgs_tests(void)
{
    const struct CMUnitTest hello[] = {
        cmocka_unit_test(test_hello_chrome_example_ja4_matches_published),
        cmocka_unit_test(test_hello_fields_decoded),
        cmocka_unit_test(test_truncation_every_prefix_no_crash),
        cmocka_unit_test(test_truncation_capture_end_not_malformed),
        cmocka_unit_test(test_truncation_record_cut_reported),
        cmocka_unit_test(test_truncation_every_capture_segment),
    };
    const struct CMUnitTest server[] = {
        cmocka_unit_test(test_server_dhe_flight_every_message),
        cmocka_unit_test(test_server_hrr_detected_by_random),
        cmocka_unit_test(test_server_tls13_flight_labelled_encrypted),
        cmocka_unit_test(test_tls13_flight_records_named_by_position_and_size),
        cmocka_unit_test(test_tls13_flight_finished_size_follows_suite),
        cmocka_unit_test(test_tls13_flight_first_record_small_or_large_guessed_by_size),
        cmocka_unit_test(test_records_many_per_segment_and_spanning),
        cmocka_unit_test(test_alert_plain_names),
    };
    const struct CMUnitTest records[] = {
        cmocka_unit_test(test_record_too_long_reported_and_resync),
        cmocka_unit_test(test_record_oversized_handshake_skipped),
        cmocka_unit_test(test_record_sslv2_hello_detected),
        cmocka_unit_test(test_json_escapes_and_nospace),
        cmocka_unit_test(test_json_escapes_runs_and_bad_utf8),
        cmocka_unit_test(test_json_item_unknown_codes_and_every_truncation),
        cmocka_unit_test(test_json_sni_with_quotes_escaped),
        cmocka_unit_test(test_names_cipher_table_lookup),
        cmocka_unit_test(test_cert_tls13_layout_ec_key),
        cmocka_unit_test(test_resumption_session_id_echo),
        cmocka_unit_test(test_resumption_ticket_and_psk),
        cmocka_unit_test(test_resumption_ticket_abbreviated_handshake),
    };
    int f = 0;
    f += cmocka_run_group_tests_name("hello", hello, NULL, NULL);
    f += cmocka_run_group_tests_name("server_messages", server, NULL, NULL);
    f += cmocka_run_group_tests_name("record_layer", records, NULL, NULL);
    return f;
}
