/* tls_test.h - helpers shared by the TLS test files: a record/handshake
 * builder, an item recorder, a capture-segment loader and a JSON checker. */
#ifndef TCPSIM_TLS_TEST_H
#define TCPSIM_TLS_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/tls.h"

/* ---- builder: append bytes, open/close length-prefixed blocks ---- */
struct bld {
    uint8_t b[70000];
    size_t len;
    size_t stack[16];
    unsigned pfx[16];
    int depth;
};
void b_init(struct bld *b);
void b_u8(struct bld *b, unsigned v);
void b_u16(struct bld *b, unsigned v);
void b_u24(struct bld *b, unsigned v);
void b_bytes(struct bld *b, const void *p, size_t n);
void b_fill(struct bld *b, uint8_t v, size_t n);
void b_open(struct bld *b, unsigned prefix); /* 1, 2 or 3 length bytes */
void b_close(struct bld *b);
/* record header + handshake header around a body built by fn */
void b_record_open(struct bld *b, unsigned type, unsigned version);
void b_hs_open(struct bld *b, unsigned type);

/* The DER of a PEM certificate in tests/tls/data (fails the test if it cannot be read). */
size_t tls_test_load_der(const char *file, uint8_t *out, size_t cap);
/* One DER through tcpsim__parse_certificate as a TLS 1.2 Certificate body of
 * one certificate (test_tls_fast.c; fails the test unless it parses). */
void tls_test_parse_cert(const uint8_t *der, size_t n, struct tcpsim_tls_cert *c);
/* JA3/JA4 through the fingerprint memo equal the direct ones (test_tls_fast.c). */
void tls_test_fp_client_matches(const struct tcpsim_tls_hello *h);

/* ---- recorder ---- */
#define REC_MAX 256
struct rec_item {
    enum tcpsim_side dir;
    uint64_t frame;
    enum tcpsim_tls_record record;
    enum tcpsim_tls_hs hs;
    bool malformed, encrypted;
    char explain[256];
    char json[2048];
    size_t chain_len, key_bytes;
    uint16_t group;
    uint8_t alert_level, alert_desc;
    char alpn[TCPSIM_TLS_MAX_ALPN * 65]; /* a hello's ALPN names, each followed by '\n' */
};
struct recorder {
    struct rec_item it[REC_MAX];
    size_t n;
};
void rec_cb(void *ctx, const struct tcpsim_tls_item *item);
/* o->alpn from a hello (what the replay keeps of a ClientHello) */
void rec_alpn(struct rec_item *o, const struct tcpsim_tls_hello *h);

/* ---- capture segments (tests/tls/data/NAME.segs: "frame dir seq hex") ---- */
struct seg {
    uint64_t frame;
    enum tcpsim_side dir;
    uint32_t seq;
    uint8_t *data;
    size_t len;
};
size_t load_segs(const char *name, struct seg *out, size_t max);
void free_segs(struct seg *s, size_t n);

/* ---- a strict JSON syntax check (RFC 8259) ---- */
bool json_valid(const char *s);

/* feed a whole buffer as one stream of `dir` in `chunk`-byte segments */
void feed_stream(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq, const uint8_t *p, size_t n,
                 size_t chunk, uint64_t frame);

int run_msgs_tests(void);
int run_reasm_tests(void);
int run_reuse_tests(void);
int run_fast_tests(void);
int run_parse_tests(void);

#endif
