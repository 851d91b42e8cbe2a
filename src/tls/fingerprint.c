/* fingerprint.c - JA3, JA3S and JA4 client/server fingerprints.
 * Read first: docs/reference-facts.md ("TLS numbers": the exact JA3/JA4
 * rules), RFC 8701 (GREASE values are skipped everywhere). Only the
 * BSD-licensed JA4 (client) method is implemented, none of the other JA4+. */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_internal.h"

static void hexify(const unsigned char *md, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Explicitly fetched digests: EVP_md5()/EVP_sha256() make OpenSSL 3 look the
 * algorithm up in its provider tables on every EVP_Digest call. */
static _Thread_local EVP_MD *fetched_md5, *fetched_sha256;
static _Thread_local bool fetched;

static void fetch_mds(void)
{
    if (fetched)
        return;
    fetched = true;
    fetched_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    fetched_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *tcpsim__md_md5(void)
{
    fetch_mds();
    return fetched_md5 ? fetched_md5 : EVP_md5();
}

const EVP_MD *tcpsim__md_sha256(void)
{
    fetch_mds();
    return fetched_sha256 ? fetched_sha256 : EVP_sha256();
}

void tcpsim__md_release(void)
{
    EVP_MD_free(fetched_md5);
    EVP_MD_free(fetched_sha256);
    fetched_md5 = fetched_sha256 = NULL;
    fetched = false;
}

static bool digest(const EVP_MD *md, const char *s, size_t len, char *hexout)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(s, len, out, &n, md, NULL) != 1)
        return false;
    hexify(out, n, hexout);
    return true;
}

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

static void dash_list16(struct tcpsim__sb *b, const uint16_t *v, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (tcpsim_tls_is_grease(v[i]))
            continue;
        if (!first)
            tcpsim__sb_putc(b, '-');
        tcpsim__sb_putu(b, v[i]);
        first = false;
    }
}

static bool lists_complete(const struct tcpsim_tls_hello *h)
{
    return h->nciphers <= TCPSIM_TLS_MAX_LIST && h->ngroups <= TCPSIM_TLS_MAX_LIST &&
           h->nsig_algs <= TCPSIM_TLS_MAX_LIST && h->npoint_formats <= sizeof h->point_formats;
}

enum tcpsim_err tcpsim_tls_ja3(const struct tcpsim_tls_hello *ch, char *full, size_t fullcap, char md5hex[33])
{
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, full, fullcap);
    tcpsim__sb_putu(&b, ch->legacy_version);
    tcpsim__sb_putc(&b, ',');
    dash_list16(&b, ch->ciphers, min_sz(ch->nciphers, TCPSIM_TLS_MAX_LIST));
    tcpsim__sb_putc(&b, ',');
    dash_list16(&b, ch->exts, ch->nexts);
    tcpsim__sb_putc(&b, ',');
    dash_list16(&b, ch->groups, min_sz(ch->ngroups, TCPSIM_TLS_MAX_LIST));
    tcpsim__sb_putc(&b, ',');
    for (size_t i = 0; i < min_sz(ch->npoint_formats, sizeof ch->point_formats); i++) {
        if (i)
            tcpsim__sb_putc(&b, '-');
        tcpsim__sb_putu(&b, ch->point_formats[i]);
    }
    if (b.overflow)
        return TCPSIM_ERR_NOSPACE;
    if (!digest(tcpsim__md_md5(), b.buf, b.len, md5hex))
        return TCPSIM_ERR_UNSUPPORTED;
    return lists_complete(ch) ? TCPSIM_OK : TCPSIM_ERR_UNSUPPORTED;
}

enum tcpsim_err tcpsim_tls_ja3s(const struct tcpsim_tls_hello *sh, char *full, size_t fullcap, char md5hex[33])
{
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, full, fullcap);
    tcpsim__sb_printf(&b, "%u,%u,", (unsigned)sh->legacy_version, (unsigned)sh->ciphers[0]);
    dash_list16(&b, sh->exts, sh->nexts);
    if (b.overflow)
        return TCPSIM_ERR_NOSPACE;
    if (!digest(tcpsim__md_md5(), b.buf, b.len, md5hex))
        return TCPSIM_ERR_UNSUPPORTED;
    return TCPSIM_OK;
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    default:
        return "00"; /* integer switch over a wire value */
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* first 12 hex chars of SHA-256 over s, or twelve zeros for an empty input */
static void trunc_sha(const char *s, size_t len, char out[13])
{
    char full[2 * EVP_MAX_MD_SIZE + 1];
    if (len == 0 || !digest(tcpsim__md_sha256(), s, len, full)) {
        memcpy(out, "000000000000", 13);
        return;
    }
    memcpy(out, full, 12);
    out[12] = '\0';
}

enum tcpsim_err tcpsim_tls_ja4(const struct tcpsim_tls_hello *ch, char *out, size_t cap)
{
    uint16_t v[TCPSIM_TLS_MAX_LIST];
    size_t n = 0, ncs = 0, next = 0;
    char buf[TCPSIM_TLS_MAX_LIST * 5 + TCPSIM_TLS_MAX_LIST * 5 + 8];
    struct tcpsim__sb b;
    char hb[13], hc[13];

    /* a: protocol, version, SNI, counts, ALPN */
    uint16_t ver = ch->legacy_version;
    bool has_sv = false, has_sni = false;
    for (size_t i = 0; i < ch->nexts; i++) {
        if (ch->exts[i] == 43)
            has_sv = true;
        if (ch->exts[i] == 0)
            has_sni = true;
    }
    if (has_sv) {
        uint16_t best = 0;
        for (size_t i = 0; i < min_sz(ch->nversions, sizeof ch->versions / sizeof ch->versions[0]); i++)
            if (!tcpsim_tls_is_grease(ch->versions[i]) && ch->versions[i] > best)
                best = ch->versions[i];
        ver = best;
    }
    for (size_t i = 0; i < min_sz(ch->nciphers, TCPSIM_TLS_MAX_LIST); i++)
        if (!tcpsim_tls_is_grease(ch->ciphers[i]))
            ncs++;
    for (size_t i = 0; i < ch->nexts; i++)
        if (!tcpsim_tls_is_grease(ch->exts[i]))
            next++;
    char alpn[3] = "00";
    if (ch->nalpn > 0 && ch->alpn0_len > 0) {
        uint8_t f = ch->alpn0_raw[0], l = ch->alpn0_raw[ch->alpn0_len - 1];
        if (is_alnum(f) && is_alnum(l)) {
            alpn[0] = (char)f;
            alpn[1] = (char)l;
        } else {
            static const char hex[] = "0123456789abcdef";
            alpn[0] = hex[f >> 4];
            alpn[1] = hex[l & 15];
        }
    }

    /* b: sorted cipher suites, 4-digit hex */
    for (size_t i = 0; i < min_sz(ch->nciphers, TCPSIM_TLS_MAX_LIST); i++)
        if (!tcpsim_tls_is_grease(ch->ciphers[i]))
            v[n++] = ch->ciphers[i];
    qsort(v, n, sizeof v[0], cmp_u16);
    tcpsim__sb_init(&b, buf, sizeof buf);
    for (size_t i = 0; i < n; i++) {
        if (i)
            tcpsim__sb_putc(&b, ',');
        tcpsim__sb_puthex4(&b, v[i]);
    }
    trunc_sha(b.buf, b.len, hb);

    /* c: sorted extensions without SNI and ALPN, "_", signature algorithms in order */
    n = 0;
    for (size_t i = 0; i < ch->nexts; i++)
        if (!tcpsim_tls_is_grease(ch->exts[i]) && ch->exts[i] != 0x0000 && ch->exts[i] != 0x0010)
            v[n++] = ch->exts[i];
    qsort(v, n, sizeof v[0], cmp_u16);
    tcpsim__sb_init(&b, buf, sizeof buf);
    for (size_t i = 0; i < n; i++) {
        if (i)
            tcpsim__sb_putc(&b, ',');
        tcpsim__sb_puthex4(&b, v[i]);
    }
    size_t nsig = 0;
    for (size_t i = 0; i < min_sz(ch->nsig_algs, TCPSIM_TLS_MAX_LIST); i++) {
        if (tcpsim_tls_is_grease(ch->sig_algs[i]))
            continue;
        tcpsim__sb_putc(&b, nsig ? ',' : '_');
        tcpsim__sb_puthex4(&b, ch->sig_algs[i]);
        nsig++;
    }
    if (next == 0)
        b.len = 0;
    trunc_sha(b.buf, b.len, hc);

    struct tcpsim__sb o;
    tcpsim__sb_init(&o, out, cap);
    tcpsim__sb_printf(&o, "t%s%c%02u%02u%s_%s_%s", ja4_version(ver), has_sni ? 'd' : 'i',
                      (unsigned)(ncs > 99 ? 99 : ncs), (unsigned)(next > 99 ? 99 : next), alpn, hb, hc);
    if (o.overflow)
        return TCPSIM_ERR_NOSPACE;
    return lists_complete(ch) ? TCPSIM_OK : TCPSIM_ERR_UNSUPPORTED;
}

/* ---- the fingerprint memo ----
 * One client build sends the same cipher, extension, group and signature
 * lists on every connection (only the random, session id and key shares
 * change), and computing JA3 + JA4 (strings, two sorts, three digests) costs
 * ~27000 instructions per ClientHello. So the results are kept, per thread,
 * by the exact values the fingerprint functions read (the key below: every
 * input, the buffer sizes too): a hit gives byte for byte what the functions
 * give. Only results the functions returned TCPSIM_OK for are kept (the
 * others leave a buffer partly written, which a copy would not repeat). */
#define FP_SLOTS 64u /* direct-mapped, a power of two */
/* counts and sizes (9 x 8 bytes), version, ALPN, then the lists at most */
#define FP_KEY_MAX (128u + 2u * (3u * TCPSIM_TLS_MAX_LIST + TCPSIM_TLS_MAX_EXT + 32u) + 16u)

struct fp_key {
    size_t len;
    uint64_t hash;
    uint8_t b[FP_KEY_MAX];
};

struct fp_ent {
    bool used;
    struct fp_key key;
    char full[1024]; /* ja3_full (client) or ja3s_full (server) */
    char md5[33];
    char ja4[40];
};

struct fp_memo {
    struct fp_ent client[FP_SLOTS], server[FP_SLOTS];
};

static _Thread_local struct fp_memo *memo;

static void key_put(struct fp_key *k, const void *p, size_t n)
{
    /* FP_KEY_MAX covers the largest key: never truncated */
    memcpy(k->b + k->len, p, n);
    k->len += n;
}

static void key_count(struct fp_key *k, size_t n)
{
    uint64_t v = n;
    key_put(k, &v, sizeof v);
}

/* a 64-bit multiply-fold over the key words (wyhash's mum, as flow.c) */
static void key_hash(struct fp_key *k)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ k->len;
    size_t i = 0;
    for (; i + 8 <= k->len; i += 8) {
        uint64_t w;
        memcpy(&w, k->b + i, 8);
        unsigned __int128 m = (unsigned __int128)(h ^ w) * 0xff51afd7ed558ccdu;
        h = (uint64_t)m ^ (uint64_t)(m >> 64);
    }
    uint64_t w = 0;
    memcpy(&w, k->b + i, k->len - i);
    unsigned __int128 m = (unsigned __int128)(h ^ w) * 0xc4ceb9fe1a85ec53u;
    k->hash = (uint64_t)m ^ (uint64_t)(m >> 64);
}

static bool key_eq(const struct fp_key *a, const struct fp_key *b)
{
    return a->hash == b->hash && a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static struct fp_memo *memo_get(void)
{
    if (!memo) {
        memo = malloc(sizeof *memo);
        if (memo)
            for (size_t i = 0; i < FP_SLOTS; i++)
                memo->client[i].used = memo->server[i].used = false;
    }
    return memo;
}

void tcpsim__fp_memo_release(void)
{
    free(memo);
    memo = NULL;
}

/* Every field tcpsim_tls_ja3 and tcpsim_tls_ja4 read, as many values as they
 * read, and the counts they compare (lists_complete). */
static void client_key(const struct tcpsim_tls_hello *ch, size_t fullcap, size_t ja4cap, struct fp_key *k)
{
    k->len = 0;
    key_count(k, fullcap);
    key_count(k, ja4cap);
    key_put(k, &ch->legacy_version, sizeof ch->legacy_version);
    key_count(k, ch->nciphers);
    key_put(k, ch->ciphers, min_sz(ch->nciphers, TCPSIM_TLS_MAX_LIST) * sizeof ch->ciphers[0]);
    key_count(k, ch->nexts);
    key_put(k, ch->exts, min_sz(ch->nexts, TCPSIM_TLS_MAX_EXT) * sizeof ch->exts[0]);
    key_count(k, ch->ngroups);
    key_put(k, ch->groups, min_sz(ch->ngroups, TCPSIM_TLS_MAX_LIST) * sizeof ch->groups[0]);
    key_count(k, ch->npoint_formats);
    key_put(k, ch->point_formats, min_sz(ch->npoint_formats, sizeof ch->point_formats));
    key_count(k, ch->nsig_algs);
    key_put(k, ch->sig_algs, min_sz(ch->nsig_algs, TCPSIM_TLS_MAX_LIST) * sizeof ch->sig_algs[0]);
    key_count(k, ch->nversions);
    key_put(k, ch->versions, min_sz(ch->nversions, sizeof ch->versions / sizeof ch->versions[0]) * sizeof(uint16_t));
    /* ALPN: JA4 reads only the first value's first and last bytes */
    uint8_t alpn[3] = {ch->nalpn > 0, 0, 0};
    if (ch->nalpn > 0 && ch->alpn0_len > 0) {
        alpn[1] = ch->alpn0_raw[0];
        alpn[2] = ch->alpn0_raw[ch->alpn0_len - 1];
    }
    key_count(k, ch->alpn0_len > 0);
    key_put(k, alpn, sizeof alpn);
    key_hash(k);
}

void tcpsim__fp_client(const struct tcpsim_tls_hello *ch, char *full, size_t fullcap, char md5hex[33], char *ja4,
                       size_t ja4cap)
{
    struct fp_key k;
    struct fp_memo *m = memo_get();
    struct fp_ent *e = NULL;
    if (m && ch->nexts <= TCPSIM_TLS_MAX_EXT && fullcap <= sizeof e->full && ja4cap <= sizeof e->ja4) {
        client_key(ch, fullcap, ja4cap, &k);
        e = &m->client[k.hash & (FP_SLOTS - 1)];
        if (e->used && key_eq(&e->key, &k)) {
            memcpy(full, e->full, strlen(e->full) + 1);
            memcpy(md5hex, e->md5, 33);
            memcpy(ja4, e->ja4, strlen(e->ja4) + 1);
            return;
        }
    }
    enum tcpsim_err e3 = tcpsim_tls_ja3(ch, full, fullcap, md5hex);
    enum tcpsim_err e4 = tcpsim_tls_ja4(ch, ja4, ja4cap);
    if (!e || e3 != TCPSIM_OK || e4 != TCPSIM_OK)
        return;
    e->used = true;
    memcpy(&e->key, &k, offsetof(struct fp_key, b) + k.len);
    memcpy(e->full, full, strlen(full) + 1);
    memcpy(e->md5, md5hex, 33);
    memcpy(e->ja4, ja4, strlen(ja4) + 1);
}

void tcpsim__fp_server(const struct tcpsim_tls_hello *sh, char *full, size_t fullcap, char md5hex[33])
{
    struct fp_key k;
    struct fp_memo *m = memo_get();
    struct fp_ent *e = NULL;
    if (m && sh->nexts <= TCPSIM_TLS_MAX_EXT && fullcap <= sizeof e->full) {
        k.len = 0;
        key_count(&k, fullcap);
        key_put(&k, &sh->legacy_version, sizeof sh->legacy_version);
        key_put(&k, &sh->ciphers[0], sizeof sh->ciphers[0]);
        key_count(&k, sh->nexts);
        key_put(&k, sh->exts, sh->nexts * sizeof sh->exts[0]);
        key_hash(&k);
        e = &m->server[k.hash & (FP_SLOTS - 1)];
        if (e->used && key_eq(&e->key, &k)) {
            memcpy(full, e->full, strlen(e->full) + 1);
            memcpy(md5hex, e->md5, 33);
            return;
        }
    }
    if (tcpsim_tls_ja3s(sh, full, fullcap, md5hex) != TCPSIM_OK || !e)
        return;
    e->used = true;
    memcpy(&e->key, &k, offsetof(struct fp_key, b) + k.len);
    memcpy(e->full, full, strlen(full) + 1);
    memcpy(e->md5, md5hex, 33);
}
