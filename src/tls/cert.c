/* cert.c - the Certificate message and the X.509 fields people look at.
 * Read first: RFC 5246 §7.4.2 (TLS 1.2 layout), RFC 8446 §4.4.2 (TLS 1.3:
 * request context and per-entry extensions), RFC 5280 §4.1 (X.509 fields).
 * DER is parsed by OpenSSL libcrypto (d2i_X509), never by hand; parsed
 * summaries are cached by the DER (bounded, per thread). */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls/tls_internal.h"

static void name_text(const X509_NAME *n, char *out, size_t cap)
{
    out[0] = '\0';
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    /* RFC 2253 order (most specific first), UTF-8 kept as is */
    if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int k = BIO_read(b, out, (int)cap - 1);
        out[k > 0 ? k : 0] = '\0';
    }
    BIO_free(b);
}

static void time_text(const ASN1_TIME *t, char *out, size_t cap)
{
    struct tm tm;
    out[0] = '\0';
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, out, cap);
    tcpsim__sb_printf(&b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min, tm.tm_sec);
}

static void sans_text(X509 *x, char *out, size_t cap)
{
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, out, cap);
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char tmp[256];
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            tcpsim__printable(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), tmp, sizeof tmp);
            tcpsim__sb_printf(&b, "%sDNS:%s", b.len ? "," : "", tmp);
        } else if (g->type == GEN_IPADD) {
            const unsigned char *ip = ASN1_STRING_get0_data(g->d.iPAddress);
            int n = ASN1_STRING_length(g->d.iPAddress);
            if (n == 4) {
                tcpsim__sb_printf(&b, "%sIP:%u.%u.%u.%u", b.len ? "," : "", ip[0], ip[1], ip[2], ip[3]);
            } else if (n == 16) {
                tcpsim__sb_printf(&b, "%sIP:", b.len ? "," : "");
                for (int k = 0; k < 16; k += 2)
                    tcpsim__sb_printf(&b, "%s%x", k ? ":" : "", (unsigned)(ip[k] << 8 | ip[k + 1]));
            }
        } else if (g->type == GEN_EMAIL) {
            const ASN1_IA5STRING *s = g->d.rfc822Name;
            tcpsim__printable(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), tmp, sizeof tmp);
            tcpsim__sb_printf(&b, "%semail:%s", b.len ? "," : "", tmp);
        } else if (g->type == GEN_URI) {
            const ASN1_IA5STRING *s = g->d.uniformResourceIdentifier;
            tcpsim__printable(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), tmp, sizeof tmp);
            tcpsim__sb_printf(&b, "%sURI:%s", b.len ? "," : "", tmp);
        }
    }
    GENERAL_NAMES_free(gens);
}

static void key_info(X509 *x, struct tcpsim_tls_cert *c)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (!k)
        return;
    c->key_bits = EVP_PKEY_get_bits(k);
    int id = EVP_PKEY_get_base_id(k);
    const char *t = id == EVP_PKEY_RSA       ? "RSA"
                    : id == EVP_PKEY_RSA_PSS ? "RSA-PSS"
                    : id == EVP_PKEY_EC      ? "EC"
                    : id == EVP_PKEY_ED25519 ? "Ed25519"
                    : id == EVP_PKEY_ED448   ? "Ed448"
                    : id == EVP_PKEY_DSA     ? "DSA"
                    : id == EVP_PKEY_DH      ? "DH"
                                             : "unknown";
    snprintf(c->key_type, sizeof c->key_type, "%s", t);
    if (id == EVP_PKEY_EC) {
        char gname[64];
        size_t gl = 0;
        if (EVP_PKEY_get_utf8_string_param(k, "group", gname, sizeof gname, &gl) == 1) {
            struct tcpsim__sb b;
            tcpsim__sb_init(&b, c->key_curve, sizeof c->key_curve);
            tcpsim__sb_puts(&b, gname);
        }
    }
}

static void hexify(const unsigned char *md, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Parse one DER certificate whose SHA-256 (`md`, NULL if it could not be
 * computed) is already known. */
static void one_cert_parse(const uint8_t *der, size_t len, const unsigned char *md, struct tcpsim_tls_cert *c)
{
    static const char hex[] = "0123456789abcdef";
    memset(c, 0, sizeof *c);
    c->der_len = len;
    if (md)
        hexify(md, 32, c->sha256);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return;
    c->parsed = true;
    name_text(X509_get_subject_name(x), c->subject, sizeof c->subject);
    name_text(X509_get_issuer_name(x), c->issuer, sizeof c->issuer);
    time_text(X509_get0_notBefore(x), c->not_before, sizeof c->not_before);
    time_text(X509_get0_notAfter(x), c->not_after, sizeof c->not_after);
    sans_text(x, c->sans, sizeof c->sans);
    key_info(x, c);
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    if (sn) {
        int n = ASN1_STRING_length(sn);
        const unsigned char *s = ASN1_STRING_get0_data(sn);
        size_t o = 0;
        for (int i = 0; i < n && o + 3 < sizeof c->serial; i++) {
            c->serial[o++] = hex[s[i] >> 4];
            c->serial[o++] = hex[s[i] & 15];
        }
        c->serial[o] = '\0';
    }
    c->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    X509_free(x);
}

/* ---- the certificate cache ----
 * A server sends the same chain on every connection, and X.509 decoding in
 * OpenSSL 3 (d2i_X509 decodes the public key through the provider decoders)
 * costs ~100x the SHA-256 of the DER. So the summary of a certificate is kept
 * by its DER: a bounded table, least recently used out, one per thread (no
 * locks). An entry keeps a copy of the DER and a hit needs the same bytes
 * (found by a 64-bit hash, then compared), so the SHA-256 (~30 instructions
 * a byte) is computed only on a miss, for the summary's fingerprint. A DER
 * longer than CACHE_DER_KEEP is not copied: it is kept by its SHA-256 as
 * before (a collision would need a SHA-256 collision, RFC 6234). The summary
 * is a pure function of the DER, so a hit gives what parsing gives. */
#define CACHE_SLOTS    TCPSIM_TLS_CERT_CACHE
#define CACHE_BUCKETS  (2u * TCPSIM_TLS_CERT_CACHE) /* a power of two */
#define CACHE_NONE     UINT32_MAX
#define CACHE_DER_KEEP (16u * 1024u) /* at most 256 x 16 KiB of copies */

struct cache_ent {
    uint64_t hash; /* der_hash() of the DER */
    size_t der_len;
    uint8_t *der;         /* copy of the DER; NULL: longer than CACHE_DER_KEEP, keyed by md */
    unsigned char md[32]; /* SHA-256 of the DER */
    uint32_t prev, next;  /* LRU list, most recent at head */
    uint32_t hnext;       /* bucket chain */
    struct tcpsim_tls_cert cert;
};

struct cert_cache {
    uint32_t n, head, tail;
    uint32_t bucket[CACHE_BUCKETS];
    struct cache_ent ent[CACHE_SLOTS];
};

static _Thread_local struct cert_cache *cache;
static _Thread_local uint64_t cache_hits, cache_misses;

static struct cert_cache *cache_get(void)
{
    if (cache)
        return cache;
    struct cert_cache *k = malloc(sizeof *k);
    if (!k)
        return NULL;
    k->n = 0;
    k->head = k->tail = CACHE_NONE;
    for (uint32_t i = 0; i < CACHE_BUCKETS; i++)
        k->bucket[i] = CACHE_NONE;
    cache = k;
    return k;
}

/* One step of a 64-bit multiply-fold (wyhash's mum). */
static uint64_t mum(uint64_t h, uint64_t w, uint64_t k)
{
    unsigned __int128 m = (unsigned __int128)(h ^ w) * k;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* Only to find the bucket and skip most comparisons (equality is decided by
 * the bytes, or by the SHA-256 for a long DER), so it need not read every
 * byte: the length, the first 64 bytes (the TBSCertificate's header and
 * serial number, RFC 5280 §4.1.2.2), 8 words spread over the middle and the
 * last 64 bytes (the signature). ~25 words instead of ~150 for a 1.2 KB DER;
 * two certificates that agree on all of them share a bucket and are told
 * apart by memcmp. */
#define DER_HASH_EDGE 64u
static uint64_t der_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ n;
    uint64_t w;
    if (n < 2 * DER_HASH_EDGE + 64) { /* short: every word */
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            memcpy(&w, p + i, 8);
            h = mum(h, w, 0xff51afd7ed558ccdu);
        }
        w = 0;
        memcpy(&w, p + i, n - i);
        return mum(h, w, 0xc4ceb9fe1a85ec53u);
    }
    for (size_t i = 0; i < DER_HASH_EDGE; i += 8) {
        memcpy(&w, p + i, 8);
        h = mum(h, w, 0xff51afd7ed558ccdu);
        memcpy(&w, p + n - DER_HASH_EDGE + i, 8);
        h = mum(h, w, 0xff51afd7ed558ccdu);
    }
    size_t step = (n - 2 * DER_HASH_EDGE) / 8; /* >= 8: the 8 words lie between the edges */
    for (size_t i = 0; i < 8; i++) {
        memcpy(&w, p + DER_HASH_EDGE + i * step, 8);
        h = mum(h, w, 0xff51afd7ed558ccdu);
    }
    return mum(h, 0, 0xc4ceb9fe1a85ec53u);
}

static uint32_t bucket_of(uint64_t hash)
{
    return (uint32_t)(hash >> 32) & (CACHE_BUCKETS - 1);
}

static void lru_unlink(struct cert_cache *k, uint32_t i)
{
    struct cache_ent *e = &k->ent[i];
    if (e->prev != CACHE_NONE)
        k->ent[e->prev].next = e->next;
    else
        k->head = e->next;
    if (e->next != CACHE_NONE)
        k->ent[e->next].prev = e->prev;
    else
        k->tail = e->prev;
}

static void lru_push_head(struct cert_cache *k, uint32_t i)
{
    struct cache_ent *e = &k->ent[i];
    e->prev = CACHE_NONE;
    e->next = k->head;
    if (k->head != CACHE_NONE)
        k->ent[k->head].prev = i;
    k->head = i;
    if (k->tail == CACHE_NONE)
        k->tail = i;
}

/* `md` is NULL for a DER short enough to be compared byte for byte */
static uint32_t cache_find(const struct cert_cache *k, uint64_t hash, const uint8_t *der, size_t len,
                           const unsigned char *md)
{
    for (uint32_t i = k->bucket[bucket_of(hash)]; i != CACHE_NONE; i = k->ent[i].hnext) {
        const struct cache_ent *e = &k->ent[i];
        if (e->hash != hash || e->der_len != len)
            continue;
        if (md ? !e->der && memcmp(e->md, md, 32) == 0 : e->der && memcmp(e->der, der, len) == 0)
            return i;
    }
    return CACHE_NONE;
}

/* A slot for a new entry: a free one, else the least recently used one,
 * taken out of its bucket chain (its DER copy freed). */
static uint32_t cache_slot(struct cert_cache *k)
{
    if (k->n < CACHE_SLOTS)
        return k->n++;
    uint32_t i = k->tail;
    lru_unlink(k, i);
    uint32_t *pp = &k->bucket[bucket_of(k->ent[i].hash)];
    while (*pp != i)
        pp = &k->ent[*pp].hnext;
    *pp = k->ent[i].hnext;
    free(k->ent[i].der);
    k->ent[i].der = NULL;
    return i;
}

static void one_cert(const uint8_t *der, size_t len, struct tcpsim_tls_cert *c)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct cert_cache *k = cache_get();
    bool keep = len <= CACHE_DER_KEEP, have_md = false;
    uint64_t hash = der_hash(der, len);
    if (!keep)
        have_md = EVP_Digest(der, len, md, &mdlen, tcpsim__md_sha256(), NULL) == 1 && mdlen == 32;
    uint32_t i = k && (keep || have_md) ? cache_find(k, hash, der, len, keep ? NULL : md) : CACHE_NONE;
    if (i != CACHE_NONE) {
        cache_hits++;
        lru_unlink(k, i);
        lru_push_head(k, i);
        memcpy(c, &k->ent[i].cert, sizeof *c);
        return;
    }
    if (keep)
        have_md = EVP_Digest(der, len, md, &mdlen, tcpsim__md_sha256(), NULL) == 1 && mdlen == 32;
    uint8_t *copy = keep && k && have_md ? malloc(len) : NULL;
    if (!k || !have_md || (keep && !copy)) {
        /* no cache (out of memory) or no digest: parse, as without a cache */
        one_cert_parse(der, len, have_md ? md : NULL, c);
        return;
    }
    cache_misses++;
    one_cert_parse(der, len, md, c);
    i = cache_slot(k);
    struct cache_ent *e = &k->ent[i];
    e->hash = hash;
    e->der_len = len;
    e->der = copy;
    if (copy)
        memcpy(copy, der, len);
    memcpy(e->md, md, 32);
    memcpy(&e->cert, c, sizeof *c);
    uint32_t b = bucket_of(hash);
    e->hnext = k->bucket[b];
    k->bucket[b] = i;
    lru_push_head(k, i);
}

void tcpsim__cert_cache_release(void)
{
    if (!cache)
        return;
    for (uint32_t i = 0; i < cache->n; i++)
        free(cache->ent[i].der);
    free(cache);
    cache = NULL;
}

void tcpsim__cert_cache_stats(uint64_t *hits, uint64_t *misses, size_t *held)
{
    *hits = cache_hits;
    *misses = cache_misses;
    *held = cache ? cache->n : 0;
}

enum tcpsim_err tcpsim__parse_certificate(const uint8_t *body, size_t len, bool tls13, struct tcpsim_tls_cert *certs,
                                          size_t max, size_t *ncerts, size_t *chain_len, const char **what)
{
    struct tcpsim_reader r = tcpsim_reader_make(body, len), list, ctx;
    *ncerts = 0;
    *chain_len = 0;
    *what = "";
    /* TLS 1.3 (RFC 8446 §4.4.2): certificate_request_context<0..2^8-1> first */
    if (tls13 && !tcpsim_read_vec(&r, 1, &ctx)) {
        *what = "certificate_request_context truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    if (!tcpsim_read_vec(&r, 3, &list) || tcpsim_reader_left(&r) != 0) {
        *what = "certificate_list length does not match the message";
        return TCPSIM_ERR_MALFORMED;
    }
    while (tcpsim_reader_left(&list) > 0) {
        struct tcpsim_reader der, exts;
        if (!tcpsim_read_vec(&list, 3, &der) || tcpsim_reader_left(&der) == 0) {
            *what = "certificate entry truncated or empty";
            return TCPSIM_ERR_MALFORMED;
        }
        if (tls13 && !tcpsim_read_vec(&list, 2, &exts)) {
            *what = "certificate entry extensions truncated";
            return TCPSIM_ERR_MALFORMED;
        }
        if (*ncerts < max)
            one_cert(der.p, tcpsim_reader_left(&der), &certs[(*ncerts)++]);
        (*chain_len)++;
    }
    return TCPSIM_OK;
}

/* "%d" of an int, into t (12 bytes suffice); returns the length */
static size_t put_int(char *t, int v)
{
    char r[12];
    size_t n = 0, o = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do {
        r[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[o++] = '-';
    while (n)
        t[o++] = r[--n];
    return o;
}

static size_t put_str(char *t, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    memcpy(t, s, n);
    return n;
}

/* What snprintf(buf, cap, "%s %d (%s)" / "%s %d" / "%s", ...) writes, without
 * printf's machinery (~1000 instructions a call; the explanation of every
 * Certificate message asks for it): key_type and key_curve are
 * NUL-terminated within their arrays (one_cert_parse), so t holds at most
 * 16 + 1 + 11 + 2 + 32 + 1 bytes. */
void tcpsim__cert_key_text(const struct tcpsim_tls_cert *c, char *buf, size_t cap)
{
    char t[sizeof c->key_type + sizeof c->key_curve + 24];
    size_t n = 0;
    if (cap == 0)
        return;
    if (c->key_curve[0]) {
        n += put_str(t + n, c->key_type, sizeof c->key_type - 1);
        t[n++] = ' ';
        n += put_int(t + n, c->key_bits);
        t[n++] = ' ';
        t[n++] = '(';
        n += put_str(t + n, c->key_curve, sizeof c->key_curve - 1);
        t[n++] = ')';
    } else if (c->key_bits > 0 && strcmp(c->key_type, "Ed25519") != 0 && strcmp(c->key_type, "Ed448") != 0) {
        n += put_str(t + n, c->key_type, sizeof c->key_type - 1);
        t[n++] = ' ';
        n += put_int(t + n, c->key_bits);
    } else {
        n += put_str(t + n, c->key_type[0] ? c->key_type : "unknown key", sizeof c->key_type);
    }
    if (n > cap - 1)
        n = cap - 1;
    memcpy(buf, t, n);
    buf[n] = '\0';
}
