/* fingerprint.c - JA3, JA3S and JA4 client/server fingerprints.
 * Read first: docs/reference-facts.md ("TLS numbers": the exact JA3/JA4
 * rules), RFC 8701 (GREASE values are skipped everywhere). Only the
 * BSD-licensed JA4 (client) method is implemented, none of the other JA4+. */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tls/parse_internal.h"
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
/* one digest context per thread, set up again for each digest: EVP_Digest
 * allocates and frees one (and its provider state) every call */
static _Thread_local EVP_MD_CTX *dctx;

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
    EVP_MD_CTX_free(dctx); /* (it may hold a reference to a fetched digest) */
    dctx = NULL;
    EVP_MD_free(fetched_md5);
    EVP_MD_free(fetched_sha256);
    fetched_md5 = fetched_sha256 = NULL;
    fetched = false;
}

static bool digest(const EVP_MD *md, const char *s, size_t len, char *hexout)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!dctx)
        dctx = EVP_MD_CTX_new();
    if (!dctx || EVP_DigestInit_ex2(dctx, md, NULL) != 1 || EVP_DigestUpdate(dctx, s, len) != 1 ||
        EVP_DigestFinal_ex(dctx, out, &n) != 1)
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
        if (tcpsim__is_grease(v[i]))
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

/* Ascending, in place: insertion sort, as qsort would order them (equal
 * values are indistinguishable). The lists hold at most 128 values, ~20 in
 * practice, where qsort's merge sort through a comparison callback costs
 * ~3000 instructions a list (a ClientHello missing the memo sorts two). */
static void sort_u16(uint16_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
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
            if (!tcpsim__is_grease(ch->versions[i]) && ch->versions[i] > best)
                best = ch->versions[i];
        ver = best;
    }
    for (size_t i = 0; i < min_sz(ch->nciphers, TCPSIM_TLS_MAX_LIST); i++)
        if (!tcpsim__is_grease(ch->ciphers[i]))
            ncs++;
    for (size_t i = 0; i < ch->nexts; i++)
        if (!tcpsim__is_grease(ch->exts[i]))
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
        if (!tcpsim__is_grease(ch->ciphers[i]))
            v[n++] = ch->ciphers[i];
    sort_u16(v, n);
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
        if (!tcpsim__is_grease(ch->exts[i]) && ch->exts[i] != 0x0000 && ch->exts[i] != 0x0010)
            v[n++] = ch->exts[i];
    sort_u16(v, n);
    tcpsim__sb_init(&b, buf, sizeof buf);
    for (size_t i = 0; i < n; i++) {
        if (i)
            tcpsim__sb_putc(&b, ',');
        tcpsim__sb_puthex4(&b, v[i]);
    }
    size_t nsig = 0;
    for (size_t i = 0; i < min_sz(ch->nsig_algs, TCPSIM_TLS_MAX_LIST); i++) {
        if (tcpsim__is_grease(ch->sig_algs[i]))
            continue;
        tcpsim__sb_putc(&b, nsig ? ',' : '_');
        tcpsim__sb_puthex4(&b, ch->sig_algs[i]);
        nsig++;
    }
    if (next == 0)
        b.len = 0;
    trunc_sha(b.buf, b.len, hc);

    /* "t%s%c%02u%02u%s_%s_%s" without printf (~2300 instructions): every
     * piece has a fixed width (version 2, counts 2 digits, ALPN 2, hashes
     * 12), 36 characters in all */
    char t[40];
    size_t tn = 0;
    t[tn++] = 't';
    memcpy(t + tn, ja4_version(ver), 2);
    tn += 2;
    t[tn++] = has_sni ? 'd' : 'i';
    size_t c2[2] = {ncs > 99 ? 99 : ncs, next > 99 ? 99 : next};
    for (int i = 0; i < 2; i++) {
        t[tn++] = (char)('0' + c2[i] / 10);
        t[tn++] = (char)('0' + c2[i] % 10);
    }
    t[tn++] = alpn[0];
    t[tn++] = alpn[1];
    t[tn++] = '_';
    memcpy(t + tn, hb, 12);
    tn += 12;
    t[tn++] = '_';
    memcpy(t + tn, hc, 12);
    tn += 12;
    /* as tcpsim__sb_printf into an empty builder leaves the buffer: when it
     * does not fit, vsnprintf's truncated text with its first byte NUL */
    if (cap == 0)
        return TCPSIM_ERR_NOSPACE;
    if (tn >= cap) {
        memcpy(out, t, cap - 1);
        out[cap - 1] = '\0';
        out[0] = '\0';
        return TCPSIM_ERR_NOSPACE;
    }
    memcpy(out, t, tn);
    out[tn] = '\0';
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
 * others leave a buffer partly written, which a copy would not repeat).
 * An entry keeps its key as the hello's own fields (counts, then the lists
 * up to what is kept of them), and a lookup compares the hello's fields
 * with them directly: no key is built and no list is hashed. The slot comes
 * from the counts and a few values at the lists' ends; two slots are tried,
 * so two client builds whose counts agree do not evict each other.
 * GREASE values (RFC 8701) are kept as 0x0a0a: a client that sends them
 * picks new ones on every connection, and neither fingerprint reads which
 * one it was (JA3 and JA4 skip them; JA4 asks for extensions 0, 16 and 43,
 * never GREASE), so two hellos that differ only in them have the same
 * fingerprints. A list is first compared as it is (a hello without GREASE
 * matches so), then value by value with GREASE values as 0x0a0a. */
#define FP_SLOTS 64u /* a power of two; slots i and i ^ 1 are one pair */

struct fp_client_key {
    size_t fullcap, ja4cap;
    size_t nciphers, nexts, ngroups, npoint_formats, nsig_algs, nversions;
    uint16_t legacy_version;
    uint8_t alpn[4]; /* nalpn > 0, alpn0_len > 0, and (then) its first and last bytes: all JA4 reads */
    uint16_t ciphers[TCPSIM_TLS_MAX_LIST];
    uint16_t exts[TCPSIM_TLS_MAX_EXT];
    uint16_t groups[TCPSIM_TLS_MAX_LIST];
    uint16_t sig_algs[TCPSIM_TLS_MAX_LIST];
    uint16_t versions[32];
    uint8_t point_formats[16];
};

struct fp_client_ent {
    bool used;
    struct fp_client_key key;
    size_t full_len, ja4_len;
    char full[1024]; /* ja3_full */
    char md5[33];
    char ja4[40];
};

struct fp_server_ent {
    bool used;
    size_t fullcap, nexts;
    uint16_t legacy_version, cipher;
    uint16_t exts[TCPSIM_TLS_MAX_EXT];
    size_t full_len;
    char full[1024]; /* ja3s_full */
    char md5[33];
};

struct fp_memo {
    struct fp_client_ent client[FP_SLOTS];
    struct fp_server_ent server[FP_SLOTS];
};

static _Thread_local struct fp_memo *memo;

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
    tcpsim__hello_memo_release(); /* the hellos' memo goes with the fingerprints' */
}

/* a 64-bit multiply-fold (wyhash's mum), as flow.c */
static uint64_t mum(uint64_t a, uint64_t b)
{
    unsigned __int128 m = (unsigned __int128)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* GREASE values (RFC 8701 §2) as one: the memo's lookup asks it of a few
 * values, without a call (tcpsim__is_grease, inline) */
static inline uint16_t grease_as_one(uint16_t v)
{
    return tcpsim__is_grease(v) ? 0x0a0a : v;
}

/* the first and last kept values of a list (0 when empty), GREASE as one */
static inline uint64_t ends16(const uint16_t *v, size_t n, size_t cap)
{
    n = min_sz(n, cap);
    return n ? (uint64_t)grease_as_one(v[0]) << 16 | grease_as_one(v[n - 1]) : 0;
}

/* The pair of slots: only where to look, so it reads only the counts and
 * the ends of the lists; equality is decided by client_match. */
static size_t client_slot(const struct tcpsim_tls_hello *ch)
{
    uint64_t a = (uint64_t)ch->nciphers | (uint64_t)ch->nexts << 16 | (uint64_t)ch->ngroups << 32 |
                 (uint64_t)ch->nsig_algs << 48;
    uint64_t b = (ends16(ch->ciphers, ch->nciphers, TCPSIM_TLS_MAX_LIST) << 32 |
                  ends16(ch->exts, ch->nexts, TCPSIM_TLS_MAX_EXT)) ^
                 (uint64_t)ch->legacy_version << 48 ^ (uint64_t)ch->nversions << 40;
    return (size_t)(mum(a ^ 0x9e3779b97f4a7c15u, b ^ 0xff51afd7ed558ccdu) >> 32) & (FP_SLOTS - 2);
}

static void client_alpn(const struct tcpsim_tls_hello *ch, uint8_t alpn[4])
{
    alpn[0] = ch->nalpn > 0;
    alpn[1] = ch->alpn0_len > 0;
    alpn[2] = alpn[3] = 0;
    if (ch->nalpn > 0 && ch->alpn0_len > 0) {
        alpn[2] = ch->alpn0_raw[0];
        alpn[3] = ch->alpn0_raw[ch->alpn0_len - 1];
    }
}

/* 33 bytes as two 16-byte moves and one (GCC otherwise copies 33 bytes one
 * at a time with rep movsb) */
static void copy_md5(char *dst, const char *src)
{
    memcpy(dst, src, 32);
    dst[32] = src[32];
}

/* a kept list (GREASE as 0x0a0a) against the hello's, value by value (the
 * lists first compared as they are, in SAME_LIST) */
static bool same16(const uint16_t *kept, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (kept[i] != grease_as_one(v[i]))
            return false;
    return true;
}

#define SAME_LIST(k, ch, f, cap)                                                                                       \
    (memcmp((k)->f, (ch)->f, min_sz((ch)->n##f, cap) * sizeof(ch)->f[0]) == 0 ||                                       \
     same16((k)->f, (ch)->f, min_sz((ch)->n##f, cap)))

/* Every field tcpsim_tls_ja3 and tcpsim_tls_ja4 read, as many values as they
 * read, and the counts they compare (lists_complete). fullcap 0 asks for JA4
 * only: any entry has it (an entry kept for JA4 only, fullcap 0, matches no
 * request for JA3). */
static bool client_match(const struct fp_client_key *k, const struct tcpsim_tls_hello *ch, size_t fullcap,
                         size_t ja4cap)
{
    uint8_t alpn[4];
    if ((fullcap && k->fullcap != fullcap) || k->ja4cap != ja4cap || k->legacy_version != ch->legacy_version ||
        k->nciphers != ch->nciphers || k->nexts != ch->nexts || k->ngroups != ch->ngroups ||
        k->npoint_formats != ch->npoint_formats || k->nsig_algs != ch->nsig_algs || k->nversions != ch->nversions)
        return false;
    client_alpn(ch, alpn);
    return memcmp(k->alpn, alpn, sizeof alpn) == 0 && SAME_LIST(k, ch, ciphers, TCPSIM_TLS_MAX_LIST) &&
           SAME_LIST(k, ch, exts, TCPSIM_TLS_MAX_EXT) && SAME_LIST(k, ch, groups, TCPSIM_TLS_MAX_LIST) &&
           SAME_LIST(k, ch, sig_algs, TCPSIM_TLS_MAX_LIST) && SAME_LIST(k, ch, versions, 32) &&
           memcmp(k->point_formats, ch->point_formats, min_sz(ch->npoint_formats, sizeof ch->point_formats)) == 0;
}

static void keep16(uint16_t *kept, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kept[i] = grease_as_one(v[i]);
}

#define KEEP_LIST(k, ch, f, cap) keep16((k)->f, (ch)->f, min_sz((ch)->n##f, cap))

static void client_keep(struct fp_client_key *k, const struct tcpsim_tls_hello *ch, size_t fullcap, size_t ja4cap)
{
    k->fullcap = fullcap;
    k->ja4cap = ja4cap;
    k->legacy_version = ch->legacy_version;
    k->nciphers = ch->nciphers;
    k->nexts = ch->nexts;
    k->ngroups = ch->ngroups;
    k->npoint_formats = ch->npoint_formats;
    k->nsig_algs = ch->nsig_algs;
    k->nversions = ch->nversions;
    client_alpn(ch, k->alpn);
    KEEP_LIST(k, ch, ciphers, TCPSIM_TLS_MAX_LIST);
    KEEP_LIST(k, ch, exts, TCPSIM_TLS_MAX_EXT);
    KEEP_LIST(k, ch, groups, TCPSIM_TLS_MAX_LIST);
    KEEP_LIST(k, ch, sig_algs, TCPSIM_TLS_MAX_LIST);
    KEEP_LIST(k, ch, versions, 32);
    memcpy(k->point_formats, ch->point_formats, min_sz(ch->npoint_formats, sizeof ch->point_formats));
}

void tcpsim__fp_client(const struct tcpsim_tls_hello *ch, char *full, size_t fullcap, char md5hex[33], char *ja4,
                       size_t ja4cap)
{
    struct fp_memo *m = memo_get();
    struct fp_client_ent *e = NULL;
    /* nexts beyond the array: ja3/ja4 would read past it; not memoised */
    if (m && ch->nexts <= TCPSIM_TLS_MAX_EXT && fullcap <= sizeof e->full && ja4cap <= sizeof e->ja4) {
        size_t s = client_slot(ch);
        for (size_t w = 0; w < 2; w++) {
            struct fp_client_ent *x = &m->client[s ^ w];
            if (x->used && client_match(&x->key, ch, full ? fullcap : 0, ja4cap)) {
                if (full) {
                    memcpy(full, x->full, x->full_len + 1);
                    copy_md5(md5hex, x->md5);
                }
                memcpy(ja4, x->ja4, x->ja4_len + 1);
                return;
            }
        }
        /* a miss takes a free slot of the pair, else the second (the first
         * keeps the older entry: a build seen twice stays) */
        e = !m->client[s].used ? &m->client[s] : &m->client[s ^ 1];
    }
    enum tcpsim_err e3 = full ? tcpsim_tls_ja3(ch, full, fullcap, md5hex) : TCPSIM_OK;
    enum tcpsim_err e4 = tcpsim_tls_ja4(ch, ja4, ja4cap);
    if (!e || e3 != TCPSIM_OK || e4 != TCPSIM_OK)
        return;
    e->used = true;
    client_keep(&e->key, ch, full ? fullcap : 0, ja4cap);
    e->full_len = full ? strlen(full) : 0;
    e->ja4_len = strlen(ja4);
    e->full[0] = '\0';
    e->md5[0] = '\0';
    if (full) {
        memcpy(e->full, full, e->full_len + 1);
        memcpy(e->md5, md5hex, 33);
    }
    memcpy(e->ja4, ja4, e->ja4_len + 1);
}

void tcpsim__fp_server(const struct tcpsim_tls_hello *sh, char *full, size_t fullcap, char md5hex[33])
{
    struct fp_memo *m = memo_get();
    struct fp_server_ent *e = NULL;
    if (m && sh->nexts <= TCPSIM_TLS_MAX_EXT && fullcap <= sizeof e->full) {
        uint64_t a = (uint64_t)sh->nexts | (uint64_t)sh->legacy_version << 16 | (uint64_t)sh->ciphers[0] << 32;
        size_t s = (size_t)(mum(a ^ 0x9e3779b97f4a7c15u,
                                ends16(sh->exts, sh->nexts, TCPSIM_TLS_MAX_EXT) ^ 0xff51afd7ed558ccdu) >>
                            32) &
                   (FP_SLOTS - 2);
        for (size_t w = 0; w < 2; w++) {
            struct fp_server_ent *x = &m->server[s ^ w];
            if (x->used && x->fullcap == fullcap && x->nexts == sh->nexts && x->legacy_version == sh->legacy_version &&
                x->cipher == sh->ciphers[0] && memcmp(x->exts, sh->exts, sh->nexts * sizeof sh->exts[0]) == 0) {
                memcpy(full, x->full, x->full_len + 1);
                copy_md5(md5hex, x->md5);
                return;
            }
        }
        e = !m->server[s].used ? &m->server[s] : &m->server[s ^ 1];
    }
    if (tcpsim_tls_ja3s(sh, full, fullcap, md5hex) != TCPSIM_OK || !e)
        return;
    e->used = true;
    e->fullcap = fullcap;
    e->nexts = sh->nexts;
    e->legacy_version = sh->legacy_version;
    e->cipher = sh->ciphers[0];
    memcpy(e->exts, sh->exts, sh->nexts * sizeof sh->exts[0]);
    e->full_len = strlen(full);
    memcpy(e->full, full, e->full_len + 1);
    memcpy(e->md5, md5hex, 33);
}
