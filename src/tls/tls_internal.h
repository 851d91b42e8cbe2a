/* tls_internal.h - shared between the files of src/tls/ (not installed).
 * Read first: RFC 8446 §4-5, RFC 5246 §6-7. */
#ifndef TCPSIM_TLS_INTERNAL_H
#define TCPSIM_TLS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tcpsim/reader.h"
#include "tcpsim/tls.h"

struct tcpsim__cipher_name {
    uint16_t value;
    const char *name;
};
extern const struct tcpsim__cipher_name tcpsim__ciphers[];
extern const size_t tcpsim__nciphers;

/* hello.c: decode a ClientHello / ServerHello body (after the 4-byte
 * handshake header). On failure `what` names the problem. */
enum tcpsim_err tcpsim__parse_client_hello(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                           const char **what);
enum tcpsim_err tcpsim__parse_server_hello(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                           const char **what);
/* The same, but on a hit of the hello memo (parse_internal.h) *out points to
 * the memo's struct made this hello's, not copied into `h` (else *out is
 * `h`): valid until the calling thread parses another hello. */
enum tcpsim_err tcpsim__client_hello_ref(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                         const struct tcpsim_tls_hello **out, const char **what);
enum tcpsim_err tcpsim__server_hello_ref(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                         const struct tcpsim_tls_hello **out, const char **what);
/* SSLv2-compatible CLIENT-HELLO (RFC 5246 §E.2), `msg` after the 2-byte header. */
enum tcpsim_err tcpsim__parse_client_hello_v2(const uint8_t *msg, size_t len, struct tcpsim_tls_hello *h,
                                              const char **what);

/* cert.c: Certificate message body; `tls13` selects the RFC 8446 §4.4.2 layout.
 * Fills up to `max` certs, sets *chain_len to the total. */
enum tcpsim_err tcpsim__parse_certificate(const uint8_t *body, size_t len, bool tls13, struct tcpsim_tls_cert *certs,
                                          size_t max, size_t *ncerts, size_t *chain_len, const char **what);
/* digests fetched once per thread (fingerprint.c); NULL if unavailable */
const EVP_MD *tcpsim__md_md5(void);
const EVP_MD *tcpsim__md_sha256(void);
void tcpsim__md_release(void);
/* fingerprint.c: JA3 + JA4 of a ClientHello, JA3S of a ServerHello, exactly
 * as tcpsim_tls_ja3/ja4/ja3s write them (errors ignored, as the summary
 * does), memoised per thread by their inputs; tcpsim__fp_memo_release frees
 * the memo. tcpsim__fp_client with `full` NULL writes JA4 only (fullcap and
 * md5hex unused): the summary of a quiet decoder. */
void tcpsim__fp_client(const struct tcpsim_tls_hello *ch, char *full, size_t fullcap, char md5hex[33], char *ja4,
                       size_t ja4cap);
void tcpsim__fp_server(const struct tcpsim_tls_hello *sh, char *full, size_t fullcap, char md5hex[33]);
void tcpsim__fp_memo_release(void);
/* the certificate cache (cert.c): free it; its counters */
void tcpsim__cert_cache_release(void);
void tcpsim__cert_cache_stats(uint64_t *hits, uint64_t *misses, size_t *held);
/* "RSA 2048", "EC 256 (prime256v1)", "Ed25519" into buf */
void tcpsim__cert_key_text(const struct tcpsim_tls_cert *c, char *buf, size_t cap);

/* reasm.c: set `r` up again for a new stream, as tcpsim_reasm_init would
 * with the size it has, when it holds no ring (freed): its ring pointer and
 * size, a cache line away from what a segment reads, are not written, nor
 * its island count and counters unless `used` (handed anything since it
 * was set up: else they are as set up). */
void tcpsim__reasm_restart(struct tcpsim_reasm *r, struct tcpsim_reasm_cb cb, bool used);

/* RFC 8701 §2: 0x0A0A, 0x1A1A, ..., 0xFAFA; tcpsim_tls_is_grease's test,
 * inline for the lists of every ClientHello (test_tls_fast compares the
 * two on every value) */
static inline bool tcpsim__is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* explain.c */
/* Tests: true sends every segment through the reassembler (tcpsim_tls_feed's
 * in-order shortcut off) and a stream's first bytes through pre[] (on_data's
 * look in place off), to compare the two ways. */
extern _Thread_local bool tcpsim__tls_long_way;

void tcpsim__explain_render(struct tcpsim_tls_item *it, char *buf, size_t cap);

/* a bounded text builder (json.c, explain.c, fingerprint.c) */
struct tcpsim__sb {
    char *buf;
    size_t cap, len;
    bool overflow;
};
void tcpsim__sb_init(struct tcpsim__sb *b, char *buf, size_t cap);
void tcpsim__sb_puts(struct tcpsim__sb *b, const char *s);
void tcpsim__sb_putn(struct tcpsim__sb *b, const char *s, size_t n);
void tcpsim__sb_putc(struct tcpsim__sb *b, char c);
void tcpsim__sb_printf(struct tcpsim__sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the same for formats with only %s and %lld, without printf (explain.c) */
void tcpsim__sb_fmt(struct tcpsim__sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "%llu" and "%04x" without printf (hot paths: fingerprints, JSON) */
void tcpsim__sb_putu(struct tcpsim__sb *b, unsigned long long v);
void tcpsim__sb_puthex4(struct tcpsim__sb *b, unsigned v);
/* JSON string literal with quotes, escaping; invalid UTF-8 becomes U+FFFD */
void tcpsim__sb_jstr(struct tcpsim__sb *b, const char *s);

/* copy a name from the wire for display: printable ASCII kept, others as \xNN */
void tcpsim__printable(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
