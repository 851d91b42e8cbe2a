/* tls_synth.c - synthetic but well-formed TLS records for the tls12/tls13
 * scenarios: real ClientHello / ServerHello / Certificate / ServerHelloDone /
 * ClientKeyExchange / ChangeCipherSpec / Finished bytes with fixed "random"
 * values, so that Wireshark and the TLS layer decode them. Encrypted parts are
 * filler of the right size. The flights carry no labels: what the arrows say
 * comes from the TLS decoder (src/tls) reading these bytes as they arrive. Read first: RFC 5246 §7.4 (TLS 1.2
 * handshake), RFC 8446 §4 (TLS 1.3), RFC 6066 §3 (SNI). */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "tcpsim/reader.h"

/* A self-signed RSA-1024 certificate for CN=tcpsim.example (DER). */
const uint8_t tcpsim__tls_cert_der[] = {
    0x30, 0x82, 0x01, 0xfb, 0x30, 0x82, 0x01, 0x64, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01, 0x30, 0x0d, 0x06,
    0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x30, 0x19, 0x31, 0x17, 0x30, 0x15, 0x06,
    0x03, 0x55, 0x04, 0x03, 0x0c, 0x0e, 0x74, 0x63, 0x70, 0x73, 0x69, 0x6d, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
    0x65, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x32, 0x30, 0x38, 0x32, 0x37, 0x35, 0x32, 0x5a, 0x17,
    0x0d, 0x33, 0x36, 0x31, 0x31, 0x31, 0x39, 0x30, 0x38, 0x32, 0x37, 0x35, 0x32, 0x5a, 0x30, 0x19, 0x31, 0x17, 0x30,
    0x15, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0e, 0x74, 0x63, 0x70, 0x73, 0x69, 0x6d, 0x2e, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x30, 0x81, 0x9f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    0x05, 0x00, 0x03, 0x81, 0x8d, 0x00, 0x30, 0x81, 0x89, 0x02, 0x81, 0x81, 0x00, 0xba, 0x53, 0x63, 0xe2, 0xa5, 0xfc,
    0x72, 0xc3, 0xa9, 0x9d, 0x0b, 0xe0, 0x60, 0x40, 0x4c, 0x6b, 0x2b, 0x9f, 0x77, 0x3e, 0x3b, 0x64, 0x74, 0x34, 0xd2,
    0xba, 0xd7, 0x6d, 0x02, 0x93, 0x30, 0x83, 0xdf, 0x20, 0x46, 0x09, 0x42, 0x3c, 0x10, 0x2b, 0xef, 0x0d, 0x77, 0xe1,
    0x6b, 0x3f, 0x69, 0xac, 0x61, 0x86, 0xd1, 0xf0, 0x0c, 0xd6, 0x98, 0xf7, 0xf6, 0x5b, 0x78, 0xde, 0x6c, 0x13, 0x12,
    0x51, 0x76, 0xb5, 0x1f, 0xf1, 0x27, 0x50, 0x93, 0xaa, 0x82, 0x9b, 0x7f, 0xd8, 0xd8, 0x53, 0x11, 0xc7, 0x7c, 0x58,
    0x88, 0xdb, 0x96, 0x34, 0x56, 0x53, 0xc9, 0x34, 0x43, 0xfb, 0x6c, 0x52, 0xf3, 0xdf, 0x14, 0xea, 0xc9, 0x10, 0x9a,
    0xcd, 0xc4, 0xba, 0xd7, 0x2f, 0x41, 0x7f, 0xcc, 0x93, 0xb2, 0x55, 0x36, 0x89, 0xa8, 0xe3, 0xb1, 0x63, 0x41, 0x06,
    0x55, 0x5f, 0xb2, 0x9e, 0x28, 0x1b, 0xc6, 0x03, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d,
    0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xa2, 0xb9, 0xbd, 0x87, 0x64, 0xd4, 0x30, 0xe5, 0x44, 0xba,
    0x7f, 0x5c, 0x78, 0xfc, 0x4e, 0x96, 0xe4, 0xea, 0x84, 0x23, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
    0x30, 0x16, 0x80, 0x14, 0xa2, 0xb9, 0xbd, 0x87, 0x64, 0xd4, 0x30, 0xe5, 0x44, 0xba, 0x7f, 0x5c, 0x78, 0xfc, 0x4e,
    0x96, 0xe4, 0xea, 0x84, 0x23, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03,
    0x01, 0x01, 0xff, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03,
    0x81, 0x81, 0x00, 0x9e, 0xc6, 0x81, 0xbc, 0x00, 0x92, 0xdf, 0x92, 0xd1, 0xa7, 0x3b, 0x9f, 0xe7, 0xf2, 0x2d, 0x93,
    0x9c, 0x51, 0x57, 0x17, 0xa4, 0x02, 0x95, 0x3f, 0x89, 0x61, 0x51, 0xea, 0x05, 0x9a, 0x83, 0x26, 0x98, 0x8e, 0x2a,
    0xcb, 0x63, 0x4d, 0xf8, 0x6f, 0x6b, 0x20, 0x6c, 0xa3, 0x85, 0xbe, 0x84, 0x40, 0x4e, 0x98, 0x9d, 0x01, 0x12, 0xea,
    0x86, 0x39, 0x64, 0x8a, 0x27, 0x18, 0x53, 0x0e, 0x0f, 0xef, 0xdf, 0x5e, 0xd1, 0x8a, 0x7c, 0xe1, 0x49, 0xd1, 0x6d,
    0xfc, 0x68, 0xe4, 0xd9, 0x86, 0x6d, 0xe1, 0x81, 0x95, 0x8a, 0xba, 0x1e, 0xf7, 0x5f, 0xc2, 0xf5, 0x5a, 0x50, 0xfb,
    0xc6, 0x84, 0x92, 0xee, 0xc2, 0xcd, 0x54, 0xb0, 0xc3, 0x8e, 0x43, 0x47, 0x2e, 0xdc, 0x61, 0x4b, 0xd2, 0x30, 0x55,
    0x38, 0xdc, 0x1d, 0xbf, 0x9b, 0xe5, 0x9f, 0xfc, 0x5b, 0xd6, 0xde, 0xb3, 0x72, 0xe5, 0xab, 0xd8, 0x5d};
const size_t tcpsim__tls_cert_der_len = sizeof tcpsim__tls_cert_der;

enum flight {
    F12_CH,
    F12_SH,
    F12_CF,
    F12_SF,
    F13_CH,
    F13_SH,
    F13_CF,
    F12E_SH,
    F12E_CF,
    F_APP_REQ,
    F_APP_RESP,
    F_COUNT,
};

static const char *const flight_names[F_COUNT] = {
    "tls12-client-hello",        "tls12-server-hello", "tls12-client-finish", "tls12-server-finish",
    "tls13-client-hello",        "tls13-server-hello", "tls13-client-finish", "tls12-ecdhe-server-hello",
    "tls12-ecdhe-client-finish", "tls-app-request",    "tls-app-response",
};

int tcpsim__tls_flight_id(const char *name)
{
    for (int i = 0; i < F_COUNT; i++)
        if (name && !strcmp(name, flight_names[i]))
            return i;
    return -1;
}

const char *tcpsim__tls_flight_name(int id)
{
    return id >= 0 && id < F_COUNT ? flight_names[id] : NULL;
}

size_t tcpsim__tls_flight_count(void)
{
    return F_COUNT;
}

#define FLIGHT_CAP 4096

struct fb {
    struct tcpsim_writer w;
    uint8_t *base;
    uint8_t fill; /* next filler byte: deterministic "random" */
};

static size_t pos(const struct fb *b)
{
    return (size_t)(b->w.p - b->base);
}

/* Patch a big-endian length of `n` bytes at `at` to cover everything after it. */
static void patch(struct fb *b, size_t at, unsigned n)
{
    size_t len = pos(b) - at - n;
    for (unsigned i = 0; i < n; i++)
        b->base[at + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
}

static void filler(struct fb *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b->fill = (uint8_t)(b->fill * 37u + 11u);
        tcpsim_write_u8(&b->w, b->fill);
    }
}

/* record header: type, legacy version, length (patched by rec_end) */
static size_t rec_begin(struct fb *b, uint8_t type, uint16_t version)
{
    tcpsim_write_u8(&b->w, type);
    tcpsim_write_u16(&b->w, version);
    size_t at = pos(b);
    tcpsim_write_u16(&b->w, 0);
    return at;
}

static size_t hs_begin(struct fb *b, uint8_t type)
{
    tcpsim_write_u8(&b->w, type);
    size_t at = pos(b);
    tcpsim_write_u24(&b->w, 0);
    return at;
}

static size_t ext_begin(struct fb *b, uint16_t type)
{
    tcpsim_write_u16(&b->w, type);
    size_t at = pos(b);
    tcpsim_write_u16(&b->w, 0);
    return at;
}

static void ext_sni(struct fb *b)
{
    static const char host[] = "tcpsim.example";
    size_t e = ext_begin(b, 0);
    tcpsim_write_u16(&b->w, (uint16_t)(sizeof host - 1 + 3));
    tcpsim_write_u8(&b->w, 0); /* host_name */
    tcpsim_write_u16(&b->w, (uint16_t)(sizeof host - 1));
    tcpsim_write_bytes(&b->w, host, sizeof host - 1);
    patch(b, e, 2);
}

static void ext_u16list(struct fb *b, uint16_t type, const uint16_t *v, size_t n, unsigned prefix)
{
    size_t e = ext_begin(b, type);
    if (prefix == 2)
        tcpsim_write_u16(&b->w, (uint16_t)(2 * n));
    else
        tcpsim_write_u8(&b->w, (uint8_t)(2 * n));
    for (size_t i = 0; i < n; i++)
        tcpsim_write_u16(&b->w, v[i]);
    patch(b, e, 2);
}

static const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};

static void client_hello(struct fb *b, bool v13)
{
    size_t r = rec_begin(b, 22, 0x0301); /* RFC 8446 5.1: 0x0301 for the first ClientHello */
    size_t h = hs_begin(b, 1);
    tcpsim_write_u16(&b->w, 0x0303);
    filler(b, 32); /* random */
    if (v13) {
        tcpsim_write_u8(&b->w, 32); /* legacy_session_id (middlebox compatibility) */
        filler(b, 32);
    } else {
        tcpsim_write_u8(&b->w, 0);
    }
    static const uint16_t cs12[] = {0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009c, 0x009d, 0x002f, 0x0035};
    static const uint16_t cs13[] = {0x1301, 0x1302, 0x1303};
    const uint16_t *cs = v13 ? cs13 : cs12;
    size_t ncs = v13 ? 3 : 8;
    tcpsim_write_u16(&b->w, (uint16_t)(2 * ncs));
    for (size_t i = 0; i < ncs; i++)
        tcpsim_write_u16(&b->w, cs[i]);
    tcpsim_write_u8(&b->w, 1);
    tcpsim_write_u8(&b->w, 0); /* null compression */
    size_t exts = pos(b);
    tcpsim_write_u16(&b->w, 0);
    ext_sni(b);
    ext_u16list(b, 10, groups, 3, 2);
    size_t e = ext_begin(b, 11); /* ec_point_formats: uncompressed */
    tcpsim_write_u8(&b->w, 1);
    tcpsim_write_u8(&b->w, 0);
    patch(b, e, 2);
    ext_u16list(b, 13, sigalgs, sizeof sigalgs / sizeof sigalgs[0], 2);
    e = ext_begin(b, 23); /* extended_master_secret */
    patch(b, e, 2);
    if (v13) {
        static const uint16_t vers[] = {0x0304, 0x0303};
        ext_u16list(b, 43, vers, 2, 1);
        e = ext_begin(b, 45); /* psk_key_exchange_modes: psk_dhe_ke */
        tcpsim_write_u8(&b->w, 1);
        tcpsim_write_u8(&b->w, 1);
        patch(b, e, 2);
        e = ext_begin(b, 51); /* key_share: one x25519 share */
        tcpsim_write_u16(&b->w, 36);
        tcpsim_write_u16(&b->w, 0x001d);
        tcpsim_write_u16(&b->w, 32);
        filler(b, 32);
        patch(b, e, 2);
    } else {
        e = ext_begin(b, 0xff01); /* renegotiation_info, empty */
        tcpsim_write_u8(&b->w, 0);
        patch(b, e, 2);
    }
    patch(b, exts, 2);
    patch(b, h, 3);
    patch(b, r, 2);
}

static void server_hello_body(struct fb *b, bool v13, uint16_t cipher)
{
    size_t h = hs_begin(b, 2);
    tcpsim_write_u16(&b->w, 0x0303);
    filler(b, 32);
    tcpsim_write_u8(&b->w, 32);
    filler(b, 32);
    tcpsim_write_u16(&b->w, cipher);
    tcpsim_write_u8(&b->w, 0);
    size_t exts = pos(b);
    tcpsim_write_u16(&b->w, 0);
    if (v13) {
        size_t e = ext_begin(b, 43);
        tcpsim_write_u16(&b->w, 0x0304);
        patch(b, e, 2);
        e = ext_begin(b, 51);
        tcpsim_write_u16(&b->w, 0x001d);
        tcpsim_write_u16(&b->w, 32);
        filler(b, 32);
        patch(b, e, 2);
    } else {
        size_t e = ext_begin(b, 0xff01);
        tcpsim_write_u8(&b->w, 0);
        patch(b, e, 2);
        e = ext_begin(b, 23);
        patch(b, e, 2);
    }
    patch(b, exts, 2);
    patch(b, h, 3);
}

/* Certificate: the one embedded self-signed certificate (RFC 5246 7.4.2). */
static void certificate(struct fb *b)
{
    size_t r = rec_begin(b, 22, 0x0303);
    size_t h = hs_begin(b, 11);
    tcpsim_write_u24(&b->w, (uint32_t)(tcpsim__tls_cert_der_len + 3));
    tcpsim_write_u24(&b->w, (uint32_t)tcpsim__tls_cert_der_len);
    tcpsim_write_bytes(&b->w, tcpsim__tls_cert_der, tcpsim__tls_cert_der_len);
    patch(b, h, 3);
    patch(b, r, 2);
}

static void server_hello_done(struct fb *b)
{
    size_t r = rec_begin(b, 22, 0x0303);
    size_t h = hs_begin(b, 14);
    patch(b, h, 3);
    patch(b, r, 2);
}

/* ServerKeyExchange for ECDHE (RFC 8422 5.4): ECParameters (named_curve,
 * x25519), the server's ephemeral public key, then the signature over both
 * randoms and the parameters (RFC 5246 7.4.3; filler of a 1024-bit RSA size). */
static void server_key_exchange_ecdhe(struct fb *b)
{
    size_t r = rec_begin(b, 22, 0x0303);
    size_t h = hs_begin(b, 12);
    tcpsim_write_u8(&b->w, 3);       /* ECCurveType named_curve */
    tcpsim_write_u16(&b->w, 0x001d); /* x25519 (RFC 8422 5.1.1) */
    tcpsim_write_u8(&b->w, 32);      /* ECPoint: x25519 public keys are 32 bytes (RFC 7748) */
    filler(b, 32);
    tcpsim_write_u16(&b->w, 0x0804); /* rsa_pss_rsae_sha256 */
    tcpsim_write_u16(&b->w, 128);
    filler(b, 128);
    patch(b, h, 3);
    patch(b, r, 2);
}

static void ccs(struct fb *b)
{
    size_t r = rec_begin(b, 20, 0x0303);
    tcpsim_write_u8(&b->w, 1);
    patch(b, r, 2);
}

/* An encrypted record of `n` bytes of filler. */
static void sealed(struct fb *b, uint8_t type, size_t n)
{
    size_t r = rec_begin(b, type, 0x0303);
    filler(b, n);
    patch(b, r, 2);
}

enum tcpsim_err tcpsim__tls_flight_build(int id, struct sim_tls_flight *f)
{
    memset(f, 0, sizeof *f);
    if (id < 0 || id >= F_COUNT)
        return TCPSIM_ERR_INVALID;
    f->bytes = malloc(FLIGHT_CAP);
    if (!f->bytes)
        return TCPSIM_ERR_NOMEM;
    struct fb b = {tcpsim_writer_make(f->bytes, FLIGHT_CAP), f->bytes, (uint8_t)(id * 17 + 3)};
    switch ((enum flight)id) {
    case F12_CH:
        client_hello(&b, false);
        break;
    case F13_CH:
        client_hello(&b, true);
        break;
    case F12_SH: {
        /* ServerHello, Certificate and ServerHelloDone, one record each (RFC 5246 7.4
         * would also allow them to share one record). */
        size_t r = rec_begin(&b, 22, 0x0303);
        server_hello_body(&b, false, 0x009c); /* TLS_RSA_WITH_AES_128_GCM_SHA256 */
        patch(&b, r, 2);
        certificate(&b);
        server_hello_done(&b);
        break;
    }
    case F12E_SH: {
        /* the ECDHE flight adds ServerKeyExchange between Certificate and
         * ServerHelloDone (RFC 5246 7.3, RFC 8422 2) */
        size_t r = rec_begin(&b, 22, 0x0303);
        server_hello_body(&b, false, 0xc02f); /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
        patch(&b, r, 2);
        certificate(&b);
        server_key_exchange_ecdhe(&b);
        server_hello_done(&b);
        break;
    }
    case F12E_CF: {
        /* ClientKeyExchange with the client's ephemeral EC point (RFC 8422 5.7) */
        size_t r = rec_begin(&b, 22, 0x0303);
        size_t h = hs_begin(&b, 16);
        tcpsim_write_u8(&b.w, 32);
        filler(&b, 32);
        patch(&b, h, 3);
        patch(&b, r, 2);
        ccs(&b);
        sealed(&b, 22, 40);
        break;
    }
    case F_APP_REQ:
        sealed(&b, 23, 120);
        break; /* e.g. an HTTP request, encrypted */
    case F_APP_RESP:
        sealed(&b, 23, 300);
        break; /* the response */
    case F12_CF: {
        size_t r = rec_begin(&b, 22, 0x0303);
        size_t h = hs_begin(&b, 16);
        tcpsim_write_u16(&b.w, 128); /* RSA-encrypted pre-master secret (1024-bit key) */
        filler(&b, 128);
        patch(&b, h, 3);
        patch(&b, r, 2);
        ccs(&b);
        sealed(&b, 22, 40);
        break;
    }
    case F12_SF:
        ccs(&b);
        sealed(&b, 22, 40);
        break;
    case F13_SH: {
        size_t r = rec_begin(&b, 22, 0x0303);
        server_hello_body(&b, true, 0x1301); /* TLS_AES_128_GCM_SHA256 */
        patch(&b, r, 2);
        ccs(&b);
        /* EncryptedExtensions, Certificate, CertificateVerify, Finished:
         * encrypted, so on the wire they are application_data records */
        sealed(&b, 23, 17 + 6 + tcpsim__tls_cert_der_len + 15 + 136 + 52);
        break;
    }
    case F13_CF:
        ccs(&b);
        sealed(&b, 23, 53);
        break;
    case F_COUNT:
        break;
    }
    if (b.w.overflow) {
        free(f->bytes);
        memset(f, 0, sizeof *f);
        return TCPSIM_ERR_NOSPACE;
    }
    f->len = pos(&b);
    return TCPSIM_OK;
}
