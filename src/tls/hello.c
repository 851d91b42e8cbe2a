/* hello.c - ClientHello and ServerHello bodies and their extensions.
 * Read first: RFC 8446 §4.1.2-4.1.4 and §4.2 (extensions), RFC 5246 §7.4.1,
 * RFC 6066 §3 (SNI), RFC 7301 §3.1 (ALPN), RFC 5246 §E.2 (SSLv2 hello).
 * Every length-prefixed block must be consumed exactly (picotls discipline). */
#include <stdlib.h>
#include <string.h>

#include "tls/parse_internal.h"
#include "tls/tls_internal.h"

/* SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3 */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* ---- what of a hello varies per connection ----
 * While a hello is parsed, the byte ranges whose values the parse copies
 * and nothing else (random, session id, the first host_name) or only skips
 * (key_share keys, pre_shared_key identities, ages and binders, a session
 * ticket) are noted: a later hello equal to this one outside these ranges
 * has the same structure (every length, type and list lies outside them)
 * and parses to the same struct but for those copies (the hello memo
 * below). A range that is not noted (more than VOL_MAX) is compared. */
#define VOL_MAX 8

struct vol_range {
    uint16_t off, len;
};

struct vol_rec {
    const uint8_t *base; /* the body */
    unsigned n;
    int sni; /* index of the host_name range, -1 if none */
    struct vol_range r[VOL_MAX];
};

static void vol_add(struct vol_rec *v, const uint8_t *p, size_t len)
{
    if (!v || len == 0 || v->n == VOL_MAX)
        return;
    v->r[v->n].off = (uint16_t)(p - v->base); /* bodies memoised are at most HELLO_MEMO_MAX bytes */
    v->r[v->n].len = (uint16_t)len;
    v->n++;
}

/* printable copies these bytes as they are (tcpsim__printable) */
static bool all_plain(const uint8_t *p, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) /* no early exit: a host name is short and nearly always plain */
        ok &= (uint8_t)(p[i] - 0x20) < 0x5f && p[i] != '\\';
    return ok;
}

void tcpsim__printable(const uint8_t *p, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 4 >= cap)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

static bool read_u16_list(struct tcpsim_reader *r, uint16_t *out, size_t max, size_t *n)
{
    *n = 0;
    while (tcpsim_reader_left(r) >= 2) {
        uint16_t v;
        (void)tcpsim_read_u16(r, &v);
        if (*n < max)
            out[*n] = v;
        (*n)++;
    }
    return tcpsim_reader_left(r) == 0; /* odd length: malformed */
}

static bool read_u8_list(struct tcpsim_reader *r, uint8_t *out, size_t max, size_t *n)
{
    *n = 0;
    uint8_t v;
    while (tcpsim_read_u8(r, &v)) {
        if (*n < max)
            out[*n] = v;
        (*n)++;
    }
    return true;
}

/* RFC 6066 §3: ServerNameList; we keep the first host_name. */
static bool ext_sni(struct tcpsim_reader *e, struct tcpsim_tls_hello *h, struct vol_rec *v)
{
    struct tcpsim_reader list;
    if (tcpsim_reader_left(e) == 0) /* the server's empty acknowledgement */
        return true;
    if (!tcpsim_read_vec(e, 2, &list) || tcpsim_reader_left(e) != 0)
        return false;
    while (tcpsim_reader_left(&list) > 0) {
        uint8_t type;
        struct tcpsim_reader name;
        if (!tcpsim_read_u8(&list, &type) || !tcpsim_read_vec(&list, 2, &name))
            return false;
        if (type == 0 && !h->has_sni) {
            size_t n = tcpsim_reader_left(&name);
            h->has_sni = true;
            tcpsim__printable(name.p, n, h->sni, sizeof h->sni);
            /* varies per connection only if copied whole as it is (then
             * another name of the same length and kind copies the same way) */
            if (v && n < sizeof h->sni - 1 && all_plain(name.p, n) && v->n < VOL_MAX && n > 0) {
                v->sni = (int)v->n;
                vol_add(v, name.p, n);
            }
        }
    }
    return true;
}

/* RFC 7301 §3.1: ProtocolNameList, each name 1..255 bytes. */
static bool ext_alpn(struct tcpsim_reader *e, struct tcpsim_tls_hello *h)
{
    struct tcpsim_reader list;
    if (!tcpsim_read_vec(e, 2, &list) || tcpsim_reader_left(e) != 0)
        return false;
    while (tcpsim_reader_left(&list) > 0) {
        struct tcpsim_reader name;
        if (!tcpsim_read_vec(&list, 1, &name))
            return false;
        size_t n = tcpsim_reader_left(&name);
        if (h->nalpn == 0) {
            memcpy(h->alpn0_raw, name.p, n);
            h->alpn0_len = n;
        }
        if (h->nalpn < TCPSIM_TLS_MAX_ALPN)
            tcpsim__printable(name.p, n, h->alpn[h->nalpn], sizeof h->alpn[0]);
        h->nalpn++;
    }
    if (h->nalpn > TCPSIM_TLS_MAX_ALPN)
        h->nalpn = TCPSIM_TLS_MAX_ALPN;
    return true;
}

static bool ext_key_share(struct tcpsim_reader *e, struct tcpsim_tls_hello *h, bool client, bool hrr, struct vol_rec *v)
{
    if (hrr) { /* RFC 8446 §4.2.8: HRR carries only the selected group */
        uint16_t g;
        if (!tcpsim_read_u16(e, &g) || tcpsim_reader_left(e) != 0)
            return false;
        h->key_share_groups[0] = g;
        h->nkey_shares = 1;
        return true;
    }
    struct tcpsim_reader list = *e;
    if (client && (!tcpsim_read_vec(e, 2, &list) || tcpsim_reader_left(e) != 0))
        return false;
    while (tcpsim_reader_left(&list) > 0) {
        uint16_t g;
        struct tcpsim_reader key;
        if (!tcpsim_read_u16(&list, &g) || !tcpsim_read_vec(&list, 2, &key))
            return false;
        vol_add(v, key.p, tcpsim_reader_left(&key)); /* the key itself is not kept */
        if (h->nkey_shares < sizeof h->key_share_groups / sizeof h->key_share_groups[0])
            h->key_share_groups[h->nkey_shares++] = g;
        if (!client)
            break;
    }
    return tcpsim_reader_left(&list) == 0;
}

/* One extension; `client` selects the ClientHello layouts (RFC 8446 §4.2). */
static bool parse_ext(uint16_t type, struct tcpsim_reader *e, struct tcpsim_tls_hello *h, bool client,
                      struct vol_rec *v)
{
    struct tcpsim_reader sub;
    switch (type) {
    case 0:
        return ext_sni(e, h, v);
    case 10: /* supported_groups, RFC 8446 §4.2.7 */
        if (!tcpsim_read_vec(e, 2, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return read_u16_list(&sub, h->groups, TCPSIM_TLS_MAX_LIST, &h->ngroups);
    case 11: /* ec_point_formats, RFC 8422 §5.1.2 */
        if (!tcpsim_read_vec(e, 1, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return read_u8_list(&sub, h->point_formats, sizeof h->point_formats, &h->npoint_formats);
    case 13: /* signature_algorithms, RFC 8446 §4.2.3 */
        if (!tcpsim_read_vec(e, 2, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return read_u16_list(&sub, h->sig_algs, TCPSIM_TLS_MAX_LIST, &h->nsig_algs);
    case 16:
        return ext_alpn(e, h);
    case 23: /* extended_master_secret, RFC 7627: empty */
        h->ems = true;
        return tcpsim_reader_left(e) == 0;
    case 35: /* session_ticket, RFC 5077 §3.2: opaque ticket, may be empty */
        h->session_ticket_ext = true;
        h->session_ticket_len = tcpsim_reader_left(e);
        vol_add(v, e->p, h->session_ticket_len);
        return true;
    case 41: /* pre_shared_key, RFC 8446 §4.2.11 */
        h->has_psk = true;
        if (client) {
            struct tcpsim_reader ids, binders;
            if (!tcpsim_read_vec(e, 2, &ids) || !tcpsim_read_vec(e, 2, &binders) || tcpsim_reader_left(e) != 0)
                return false;
            while (tcpsim_reader_left(&ids) > 0) {
                struct tcpsim_reader id;
                uint32_t age;
                if (!tcpsim_read_vec(&ids, 2, &id) || !tcpsim_read_u32(&ids, &age))
                    return false;
                /* the identity and its age (4 bytes after it), counted only */
                vol_add(v, id.p, tcpsim_reader_left(&id) + 4);
                h->psk_identities++;
            }
            vol_add(v, binders.p, tcpsim_reader_left(&binders)); /* length-checked only */
            return true;
        } else {
            uint16_t sel;
            if (!tcpsim_read_u16(e, &sel) || tcpsim_reader_left(e) != 0)
                return false;
            h->psk_selected = sel;
            return true;
        }
    case 42: /* early_data, RFC 8446 §4.2.10 */
        h->early_data = true;
        return true;
    case 43: /* supported_versions, RFC 8446 §4.2.1 */
        if (client) {
            if (!tcpsim_read_vec(e, 1, &sub) || tcpsim_reader_left(e) != 0)
                return false;
            size_t n = 0;
            if (!read_u16_list(&sub, h->versions, sizeof h->versions / sizeof h->versions[0], &n))
                return false;
            h->nversions = n;
            uint16_t best = 0;
            for (size_t i = 0; i < n && i < sizeof h->versions / sizeof h->versions[0]; i++)
                if (!tcpsim_tls_is_grease(h->versions[i]) && h->versions[i] > best)
                    best = h->versions[i];
            if (best) {
                h->version = best;
                h->via_supported_versions = true;
            }
            return true;
        } else {
            uint16_t ver;
            if (!tcpsim_read_u16(e, &ver) || tcpsim_reader_left(e) != 0)
                return false;
            h->versions[0] = ver;
            h->nversions = 1;
            h->version = ver;
            h->via_supported_versions = true;
            return true;
        }
    case 45: /* psk_key_exchange_modes, RFC 8446 §4.2.9 */
        if (!tcpsim_read_vec(e, 1, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return read_u8_list(&sub, h->psk_modes, sizeof h->psk_modes, &h->npsk_modes);
    case 51:
        return ext_key_share(e, h, client, h->hrr, v);
    case 65281: /* renegotiation_info, RFC 5746 §3.2 */
        h->reneg_info = true;
        if (!tcpsim_read_vec(e, 1, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return true;
    default: /* integer switch over wire values: other extensions are listed, not decoded */
        return true;
    }
}

static bool parse_exts(struct tcpsim_reader *r, struct tcpsim_tls_hello *h, bool client, const char **what,
                       struct vol_rec *v)
{
    struct tcpsim_reader list;
    if (tcpsim_reader_left(r) == 0) /* no extensions block at all (RFC 5246 §7.4.1.2) */
        return true;
    if (!tcpsim_read_vec(r, 2, &list) || tcpsim_reader_left(r) != 0) {
        *what = "extensions block length does not match the message";
        return false;
    }
    while (tcpsim_reader_left(&list) > 0) {
        uint16_t type;
        struct tcpsim_reader e;
        if (!tcpsim_read_u16(&list, &type) || !tcpsim_read_vec(&list, 2, &e)) {
            *what = "extension header runs past the extensions block";
            return false;
        }
        if (h->nexts < TCPSIM_TLS_MAX_EXT)
            h->exts[h->nexts] = type;
        h->nexts++;
        if (!parse_ext(type, &e, h, client, v)) {
            *what = "extension body does not match its length";
            return false;
        }
    }
    if (h->nexts > TCPSIM_TLS_MAX_EXT)
        h->nexts = TCPSIM_TLS_MAX_EXT;
    return true;
}

static enum tcpsim_err client_hello_full(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h, const char **what,
                                         struct vol_rec *v)
{
    struct tcpsim_reader r = tcpsim_reader_make(body, len), sub;
    const uint8_t *p;
    memset(h, 0, sizeof *h);
    *what = "";
    /* RFC 8446 §4.1.2: legacy_version, random, legacy_session_id<0..32>,
     * cipher_suites<2..2^16-2>, legacy_compression_methods<1..2^8-1>, extensions */
    if (!tcpsim_read_u16(&r, &h->legacy_version) || !tcpsim_read_bytes(&r, 32, &p)) {
        *what = "ClientHello shorter than version and random";
        return TCPSIM_ERR_MALFORMED;
    }
    h->version = h->legacy_version;
    memcpy(h->random, p, 32);
    vol_add(v, p, 32);
    if (!tcpsim_read_vec(&r, 1, &sub) || tcpsim_reader_left(&sub) > 32) {
        *what = "session id longer than 32 bytes or truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    h->session_id_len = (uint8_t)tcpsim_reader_left(&sub);
    memcpy(h->session_id, sub.p, h->session_id_len);
    vol_add(v, sub.p, h->session_id_len);
    if (!tcpsim_read_vec(&r, 2, &sub) || !read_u16_list(&sub, h->ciphers, TCPSIM_TLS_MAX_LIST, &h->nciphers)) {
        *what = "cipher suite list truncated or of odd length";
        return TCPSIM_ERR_MALFORMED;
    }
    for (size_t i = 0; i < h->nciphers && i < TCPSIM_TLS_MAX_LIST; i++)
        if (h->ciphers[i] == 0x00FF) /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV, RFC 5746 §3.3 */
            h->reneg_info = true;
    if (!tcpsim_read_vec(&r, 1, &sub) ||
        !read_u8_list(&sub, h->compressions, sizeof h->compressions, &h->ncompressions)) {
        *what = "compression methods truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    if (!parse_exts(&r, h, true, what, v))
        return TCPSIM_ERR_MALFORMED;
    return TCPSIM_OK;
}

static enum tcpsim_err server_hello_full(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h, const char **what,
                                         struct vol_rec *v)
{
    struct tcpsim_reader r = tcpsim_reader_make(body, len), sub;
    const uint8_t *p;
    uint16_t cs;
    uint8_t comp;
    memset(h, 0, sizeof *h);
    *what = "";
    /* RFC 8446 §4.1.3: legacy_version, random, legacy_session_id_echo,
     * cipher_suite, legacy_compression_method, extensions */
    if (!tcpsim_read_u16(&r, &h->legacy_version) || !tcpsim_read_bytes(&r, 32, &p)) {
        *what = "ServerHello shorter than version and random";
        return TCPSIM_ERR_MALFORMED;
    }
    h->version = h->legacy_version;
    memcpy(h->random, p, 32);
    h->hrr = memcmp(p, hrr_random, 32) == 0;
    if (!h->hrr) /* the HRR random decides how key_share reads (RFC 8446 §4.2.8): kept exact */
        vol_add(v, p, 32);
    if (!tcpsim_read_vec(&r, 1, &sub) || tcpsim_reader_left(&sub) > 32) {
        *what = "session id longer than 32 bytes or truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    h->session_id_len = (uint8_t)tcpsim_reader_left(&sub);
    memcpy(h->session_id, sub.p, h->session_id_len);
    vol_add(v, sub.p, h->session_id_len);
    if (!tcpsim_read_u16(&r, &cs) || !tcpsim_read_u8(&r, &comp)) {
        *what = "ServerHello ends before cipher suite and compression";
        return TCPSIM_ERR_MALFORMED;
    }
    h->ciphers[0] = cs;
    h->nciphers = 1;
    h->compressions[0] = comp;
    h->ncompressions = 1;
    if (!parse_exts(&r, h, false, what, v))
        return TCPSIM_ERR_MALFORMED;
    return TCPSIM_OK;
}

/* ---- the hello memo ----
 * One client build sends the same ClientHello on every connection but for
 * the random, the session id, the key shares and (to another server) the
 * host name; one server build answers with the same ServerHello but for its
 * random, session id and key share. Parsing a ClientHello costs ~2000
 * instructions, taking it from here ~500. So a successfully parsed hello is
 * kept, per thread, with its bytes, the ranges that vary (struct vol_rec)
 * and the struct it parsed to; a hello of the same length whose bytes
 * outside the kept one's ranges are the same (a host name must again be
 * copied as it is) parses to the kept struct with the varying ranges copied
 * in, which is what the memo gives: exactly what parsing gives
 * (test_tls_parse.c holds it to the parse on random and damaged hellos).
 * The decoder reads the kept struct in place (tcpsim__client_hello_ref),
 * not a 2.3 KB copy of it. A ServerHello with the HelloRetryRequest random
 * is always parsed. */
#define MEMO_CLIENT 16u /* slots, powers of two; slots i and i ^ 1 are one pair */
#define MEMO_SERVER 8u

struct hello_tmpl {
    size_t len; /* 0: unused */
    struct vol_rec v;
    uint8_t body[HELLO_MEMO_MAX];
    struct tcpsim_tls_hello h;
    bool noted; /* note written since this hello was kept */
    uint8_t note[TCPSIM__HELLO_NOTE];
};

struct hello_memo {
    struct hello_tmpl client[MEMO_CLIENT], server[MEMO_SERVER];
};

static _Thread_local struct hello_memo *hmemo;
static _Thread_local uint64_t memo_hits, memo_misses;
_Thread_local bool tcpsim__hello_memo_off;

void tcpsim__hello_memo_release(void)
{
    free(hmemo);
    hmemo = NULL;
}

void tcpsim__hello_memo_stats(uint64_t *hits, uint64_t *misses)
{
    *hits = memo_hits;
    *misses = memo_misses;
}

static struct hello_memo *hmemo_get(void)
{
    if (!hmemo) {
        hmemo = malloc(sizeof *hmemo);
        if (hmemo) {
            for (size_t i = 0; i < MEMO_CLIENT; i++)
                hmemo->client[i].len = 0;
            for (size_t i = 0; i < MEMO_SERVER; i++)
                hmemo->server[i].len = 0;
        }
    }
    return hmemo;
}

/* The pair of slots, from bytes every hello of the kind keeps exact (the
 * version, the session id's length, what follows the session id: cipher
 * suites) and the length. Only where to look: tmpl_match decides. */
static size_t memo_slot(const uint8_t *body, size_t len, size_t nslots)
{
    uint64_t a = (uint64_t)len << 24 | (uint64_t)body[0] << 16 | (uint64_t)body[1] << 8 | body[34];
    uint64_t w = 0;
    size_t q = 35u + body[34];
    if (q + 8 <= len)
        memcpy(&w, body + q, 8);
    else if (q < len)
        memcpy(&w, body + q, len - q);
    unsigned __int128 m = (unsigned __int128)(a ^ 0x9e3779b97f4a7c15u) * (w ^ 0xff51afd7ed558ccdu);
    return (size_t)((uint64_t)m ^ (uint64_t)(m >> 64)) & (nslots - 2);
}

static bool tmpl_match(const struct hello_tmpl *t, const uint8_t *body, size_t len)
{
    if (t->len != len)
        return false;
    size_t at = 0;
    for (unsigned i = 0; i < t->v.n; i++) {
        const struct vol_range *r = &t->v.r[i];
        if (memcmp(body + at, t->body + at, r->off - at) != 0)
            return false;
        at = (size_t)r->off + r->len;
    }
    if (memcmp(body + at, t->body + at, len - at) != 0)
        return false;
    /* the new host name must copy as it is, as the kept one did */
    return t->v.sni < 0 || all_plain(body + t->v.r[t->v.sni].off, t->v.r[t->v.sni].len);
}

/* The kept struct made this hello's: its random, session id and host name
 * written over the kept ones in place (the rest is what parsing it gives;
 * what a later match compares is t->body, which is not changed), so the
 * caller reads the kept struct instead of a 2.3 KB copy of it. */
static const struct tcpsim_tls_hello *tmpl_apply(struct hello_tmpl *t, const uint8_t *body)
{
    struct tcpsim_tls_hello *h = &t->h;
    memcpy(h->random, body + 2, 32);
    memcpy(h->session_id, body + 35, h->session_id_len);
    if (t->v.sni >= 0)
        memcpy(h->sni, body + t->v.r[t->v.sni].off, t->v.r[t->v.sni].len);
    return h;
}

typedef enum tcpsim_err (*hello_parse_fn)(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                          const char **what, struct vol_rec *v);

static enum tcpsim_err memo_parse(struct hello_tmpl *slots, size_t nslots, hello_parse_fn parse, const uint8_t *body,
                                  size_t len, struct tcpsim_tls_hello *h, const struct tcpsim_tls_hello **out,
                                  const char **what)
{
    *out = h;
    /* 35 bytes: version, random, the session id's length (read by memo_slot) */
    if (len < 35 || len > HELLO_MEMO_MAX || body[34] > 32)
        return parse(body, len, h, what, NULL);
    size_t s = memo_slot(body, len, nslots);
    for (size_t w = 0; w < 2; w++)
        if (tmpl_match(&slots[s ^ w], body, len)) {
            memo_hits++;
            *out = tmpl_apply(&slots[s ^ w], body);
            *what = "";
            return TCPSIM_OK;
        }
    memo_misses++;
    struct vol_rec v = {.base = body, .n = 0, .sni = -1};
    enum tcpsim_err e = parse(body, len, h, what, &v);
    if (e != TCPSIM_OK || h->hrr)
        return e;
    /* a free slot of the pair, else the second (the first keeps the older) */
    struct hello_tmpl *t = slots[s].len == 0 ? &slots[s] : &slots[s ^ 1];
    t->len = len;
    t->v = v;
    t->v.base = NULL; /* offsets only */
    memcpy(t->body, body, len);
    memcpy(&t->h, h, sizeof *h);
    t->noted = false;
    return TCPSIM_OK;
}

uint8_t *tcpsim__hello_note(const struct tcpsim_tls_hello *h, bool **noted)
{
    if (!hmemo)
        return NULL;
    uintptr_t at = (uintptr_t)h - (uintptr_t)&hmemo->client[0].h;
    if ((uintptr_t)h < (uintptr_t)&hmemo->client[0].h || at % sizeof(struct hello_tmpl) != 0 ||
        at / sizeof(struct hello_tmpl) >= MEMO_CLIENT)
        return NULL;
    struct hello_tmpl *t = &hmemo->client[at / sizeof(struct hello_tmpl)];
    *noted = &t->noted;
    return t->note;
}

enum tcpsim_err tcpsim__client_hello_ref(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                         const struct tcpsim_tls_hello **out, const char **what)
{
    struct hello_memo *m = tcpsim__hello_memo_off ? NULL : hmemo_get();
    if (!m) {
        *out = h;
        return client_hello_full(body, len, h, what, NULL);
    }
    return memo_parse(m->client, MEMO_CLIENT, client_hello_full, body, len, h, out, what);
}

enum tcpsim_err tcpsim__server_hello_ref(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                         const struct tcpsim_tls_hello **out, const char **what)
{
    struct hello_memo *m = tcpsim__hello_memo_off ? NULL : hmemo_get();
    /* a HelloRetryRequest is parsed (its random decides the key_share layout) */
    if (!m || (len >= 34 && memcmp(body + 2, hrr_random, 32) == 0)) {
        *out = h;
        return server_hello_full(body, len, h, what, NULL);
    }
    return memo_parse(m->server, MEMO_SERVER, server_hello_full, body, len, h, out, what);
}

enum tcpsim_err tcpsim__parse_client_hello(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                           const char **what)
{
    const struct tcpsim_tls_hello *r;
    enum tcpsim_err e = tcpsim__client_hello_ref(body, len, h, &r, what);
    if (r != h)
        memcpy(h, r, sizeof *h);
    return e;
}

enum tcpsim_err tcpsim__parse_server_hello(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                           const char **what)
{
    const struct tcpsim_tls_hello *r;
    enum tcpsim_err e = tcpsim__server_hello_ref(body, len, h, &r, what);
    if (r != h)
        memcpy(h, r, sizeof *h);
    return e;
}

enum tcpsim_err tcpsim__parse_client_hello_v2(const uint8_t *msg, size_t len, struct tcpsim_tls_hello *h,
                                              const char **what)
{
    /* RFC 5246 §E.2: msg_type(1)=1, version(2), cipher_spec_length(2),
     * session_id_length(2), challenge_length(2), cipher_specs (3 bytes each),
     * session_id, challenge (16..32 bytes). */
    struct tcpsim_reader r = tcpsim_reader_make(msg, len);
    uint8_t type;
    uint16_t cslen, sidlen, chlen;
    const uint8_t *cs, *sid, *ch;
    memset(h, 0, sizeof *h);
    h->sslv2 = true;
    *what = "";
    if (!tcpsim_read_u8(&r, &type) || type != 1 || !tcpsim_read_u16(&r, &h->legacy_version) ||
        !tcpsim_read_u16(&r, &cslen) || !tcpsim_read_u16(&r, &sidlen) || !tcpsim_read_u16(&r, &chlen)) {
        *what = "SSLv2 CLIENT-HELLO header truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    h->version = h->legacy_version;
    if (cslen % 3 != 0 || sidlen > 32 || chlen < 16 || chlen > 32 || !tcpsim_read_bytes(&r, cslen, &cs) ||
        !tcpsim_read_bytes(&r, sidlen, &sid) || !tcpsim_read_bytes(&r, chlen, &ch) || tcpsim_reader_left(&r) != 0) {
        *what = "SSLv2 CLIENT-HELLO lengths do not match the message";
        return TCPSIM_ERR_MALFORMED;
    }
    /* V2CipherSpec: the TLS ones have a zero first byte (RFC 5246 §E.2) */
    for (size_t i = 0; i < cslen; i += 3) {
        uint16_t v = (uint16_t)(cs[i + 1] << 8 | cs[i + 2]);
        if (cs[i] != 0)
            v = (uint16_t)(0xff00 | cs[i]); /* SSLv2-only kind; shown as unassigned */
        if (h->nciphers < TCPSIM_TLS_MAX_LIST)
            h->ciphers[h->nciphers] = v;
        h->nciphers++;
    }
    h->session_id_len = (uint8_t)sidlen;
    memcpy(h->session_id, sid, sidlen);
    /* the challenge is right-aligned in the 32-byte random (RFC 5246 §E.2) */
    memcpy(h->random + (32 - chlen), ch, chlen);
    h->compressions[0] = 0;
    h->ncompressions = 1;
    return TCPSIM_OK;
}
