/* tls.c - per-connection TLS decoder: detection, record layer, handshake
 * message framing, and the per-connection summary (include/tcpsim/tls.h).
 * Read first: RFC 8446 §5.1-5.2 (records), §4 (handshake framing, TLS 1.3
 * encrypted flight), §D.4 (middlebox-compatibility CCS); RFC 5246 §6.2, §7.1
 * (ChangeCipherSpec), §7.4 and §E.2 (SSLv2-compatible ClientHello). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/parse_internal.h"
#include "tls/tls_internal.h"
#include "wire/hint.h"
#include "wire/mem.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A record header plus the longest record plus the next header: enough to
 * confirm a resynchronisation candidate by the header that follows it. */
#define RB_CAP (2u * (5u + TCPSIM_TLS_MAX_RECORD))

enum detect { DET_UNKNOWN, DET_TLS, DET_NOT_TLS };

/* One direction, seven 64-byte lines. Line 0 is what every segment of the
 * direction reads or writes (32 bytes) and the reassembler's head (its
 * callback, started, next); line 6 is read on a handshake message or a
 * split record only. Lines 1-5 are the rest of the reassembler (its ring
 * pointer and size, island table, island count and counters), touched only
 * once it is handed a segment (`ooo`: one out of order, or a gap): until
 * then it holds nothing, and the in-order segments that go past it
 * (tcpsim_tls_feed) are not counted in its `delivered`, which nothing
 * reads. conn_setup writes lines 0 and 6 (and 5 after `ooo`). */
struct dir_state {
    _Alignas(64) struct tcpsim_tls_conn *c;
    uint32_t rb_len;   /* record bytes not yet consumed, in c->rb[side] (RB_CAP) */
    uint32_t app_skip; /* body bytes of an application_data record still to come (counted, not copied) */
    uint32_t hs_len;   /* bytes of a handshake message spanning records, in `hs` */
    uint32_t hs_skip;  /* bytes of an oversized message still to skip */
    uint16_t rec_version;
    uint8_t side;         /* enum tcpsim_side */
    bool resync : 1;      /* after a gap or a bad header: hunting for a record boundary */
    bool not_tls : 1;     /* this direction does not carry TLS: nothing is buffered */
    bool any_record : 1;  /* a record was seen in this direction */
    bool sslv2_first : 1; /* the first client message uses the SSLv2 header */
    bool encrypted : 1;   /* handshake records are ciphertext (after CCS / TLS 1.3 ServerHello) */
    bool fin : 1;
    bool ooo : 1;           /* the reassembler was handed a segment or a gap (else lines 1-5 are as set up) */
    bool finished_seen : 1; /* first encrypted handshake record after CCS (the Finished) seen (each one reads it) */
    /* the application_data record being counted (app_skip): its length (a
     * header's two bytes) and version, read when its last bytes come, in
     * the segment after its start (on line 6 they were a miss each time) */
    uint16_t app_len, app_ver;
    struct tcpsim_reasm reasm; /* at 32: cb and next on line 0, nisl and counters on line 5 */
    /* line 6: */
    uint8_t *hs;          /* handshake message spanning records (hs_cap), allocated on first need */
    uint32_t flight_recs; /* TLS 1.3 server: encrypted handshake-flight records so far */
    size_t big_len;       /* the oversized message */
    uint8_t pre[8];       /* first bytes, before detection (no allocation yet) */
    uint8_t pre_len;
    uint8_t big_type;
};
#define DIR_HOT_END offsetof(struct dir_state, reasm)
_Static_assert(DIR_HOT_END == 32 && offsetof(struct dir_state, reasm.next) < 64 &&
                   offsetof(struct dir_state, reasm.nisl) / 64 == 5 &&
                   (offsetof(struct dir_state, reasm) + sizeof(struct tcpsim_reasm) - 1) / 64 == 5 &&
                   offsetof(struct dir_state, hs) == 6 * 64 && sizeof(struct dir_state) == 7 * 64,
               "dir_state's lines as described");

/* The decoder: line 0 is what every segment reads (detection, flags, the
 * frame being decoded, the record buffers); then the two directions; then
 * what only handshake messages read; then the summary, placed so that its
 * counters that every record may bump (nmsgs .. app_bytes) share one line.
 * Allocated on 64-byte lines (aligned_alloc). */
struct tcpsim_tls_conn {
    tcpsim_tls_item_fn on_item;
    void *ctx;
    uint64_t frame;     /* the frame being decoded (set by each call, for its direction) */
    tcpsim_time_t time; /* and its time */
    uint8_t *rb[2];     /* record bytes of a record split across segments, per direction (NULL: none) */
    struct tcpsim_tls_config cfg;
    uint8_t det;     /* enum detect */
    bool no_explain; /* tcpsim_tls_set_explain(c, false) */
    bool quiet;      /* tcpsim_tls_set_quiet(c, true) */
    bool tls13;      /* TLS 1.3 chosen (ServerHello or HRR supported_versions) */
    bool have_ch, have_sh;
    bool some_not_tls; /* a direction was judged not TLS (release_if_done) */
    uint8_t seen;      /* per side (SEEN_*), on this line rather than in d[]: a server's record asks for the
                        * client's, and on d[]'s line 6 they were a miss each time they were read */
    struct dir_state d[2];
    /* read only after have_ch / have_sh, or on key exchange messages */
    struct {
        uint8_t session_id[32];
        uint16_t version;
        uint8_t session_id_len;
        bool session_ticket; /* a ticket was presented (session_ticket_len > 0) */
    } ch;                    /* what is read of the first ClientHello after it was delivered */
    struct {
        uint16_t version, cipher;
    } sh;                          /* and of the ServerHello (a whole hello is ~2 KB) */
    uint16_t kx_group;             /* ECDHE group from ServerKeyExchange */
    uint8_t pad_[62];              /* so that the summary's counters start a line (checked below) */
    struct tcpsim_tls_summary sum; /* written before read, but for what conn_setup clears */
};
#define CONN_OFF(f) offsetof(struct tcpsim_tls_conn, f)
/* c->seen: the side's first TLS 1.3 application_data record seen; the side
 * (a server) sent Certificate/ServerHelloDone/ServerKeyExchange (not an
 * abbreviated handshake) */
#define SEEN_APP(side)  (1u << (side))
#define SEEN_FULL(side) (4u << (side))
_Static_assert(CONN_OFF(d) == 64 && CONN_OFF(sum) - CONN_OFF(kx_group) < 64 + 8 &&
                   (CONN_OFF(sum) + offsetof(struct tcpsim_tls_summary, nmsgs)) % 64 == 0 &&
                   offsetof(struct tcpsim_tls_summary, app_bytes) + sizeof(uint64_t[2]) -
                           offsetof(struct tcpsim_tls_summary, nmsgs) <=
                       64,
               "the summary's counters on one line; pad_ no longer than needed");

/* Parse scratch, per thread: hellos and Certificate messages are parsed here
 * (or a hello is read in the hello memo, tcpsim__client_hello_ref) and read
 * only until the item made from them is delivered (the callback
 * runs before the next message is parsed); the few hello fields read later
 * are copied into the decoder. The texts an item points to live here too
 * (item pointers are valid only during the call). Kept out of the decoder,
 * which lives as long as its connection: ~18 KB less for each one open. */
static _Thread_local struct tcpsim_tls_hello scratch_hello;

_Thread_local bool tcpsim__tls_long_way;
static _Thread_local struct tcpsim_tls_cert scratch_certs[TCPSIM_TLS_MAX_CERTS];
static _Thread_local struct {
    char explain[512];
    char cert_leaf_key[48];
    char alpn_join[TCPSIM_TLS_MAX_ALPN * 65];
    char what[192]; /* a malformed item's message with numbers in it */
} scratch_text;
_Static_assert(sizeof scratch_text.alpn_join >= TCPSIM_TLS_MAX_ALPN * sizeof(((struct tcpsim_tls_hello *)0)->alpn[0]),
               "every offered ALPN name, a comma after each but the last, and the NUL fit");

#define RB(d) ((d)->c->rb[(d)->side])

/* ---------------------------------------------------------------- items */

/* memset(p, 0, n) for a constant n >= 16, with 16-byte stores (the last
 * one ending at p + n, over bytes already cleared): the compiler makes a
 * memset of ~100 bytes or more a `rep stos`, whose start-up cost is more
 * than the rest of a record's work when nobody is handed the item (quiet
 * mode), and every record clears one (item_init). */
static inline __attribute__((always_inline)) void clear16(void *p, size_t n)
{
#if defined(__SSE2__)
    char *b = p;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
    for (size_t i = 0; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(void *)(b + i), _mm_setzero_si128());
    _mm_storeu_si128((__m128i *)(void *)(b + n - 16), _mm_setzero_si128());
#else
    memset(p, 0, n);
#endif
}

static void item_init(struct dir_state *d, struct tcpsim_tls_item *it, enum tcpsim_tls_record rec, uint16_t ver,
                      size_t len)
{
    _Static_assert(sizeof *it >= 16, "clear16's size");
    clear16(it, sizeof *it);
    it->dir = d->side;
    it->frame = d->c->frame;
    it->time = d->c->time;
    it->record = rec;
    it->record_version = ver;
    it->length = len;
    it->hs = TCPSIM_TLS_HS_NONE;
}

static void emit(struct dir_state *d, struct tcpsim_tls_item *it)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_tls_summary *s = &c->sum;
    if (c->on_item && (!c->no_explain || it->malformed) &&
        (!c->quiet || it->malformed ||
         it->hs == TCPSIM_TLS_HS_CLIENT_HELLO)) { /* nobody reads the sentence otherwise */
        tcpsim__explain_render(it, scratch_text.explain, sizeof scratch_text.explain);
        it->explain = scratch_text.explain;
    }
    if (it->malformed)
        s->malformed[d->side]++;
    if (it->record == TCPSIM_TLS_REC_APPLICATION_DATA && it->hs == TCPSIM_TLS_HS_NONE) {
        s->app_records[d->side]++;
        s->app_bytes[d->side] += it->length;
    } else if (it->record != TCPSIM_TLS_REC_INVALID) {     /* garbage is counted in malformed only */
        if (!c->quiet && s->nmsgs < TCPSIM_TLS_MAX_MSGS) { /* quiet: only counted (tcpsim_tls_set_quiet) */
            struct tcpsim_tls_msg *m = &s->msgs[s->nmsgs++];
            memset(m, 0, sizeof *m); /* its padding too: the summary is packed as bytes (not cleared at set-up) */
            m->frame = it->frame;
            m->dir = it->dir;
            m->record = it->record;
            m->hs = it->hs;
        }
        s->msgs_total++;
    }
    if (c->on_item && (!c->quiet || it->malformed || it->hs == TCPSIM_TLS_HS_CLIENT_HELLO))
        c->on_item(c->ctx, it);
}

static void emit_malformed(struct dir_state *d, enum tcpsim_tls_record rec, uint16_t ver, size_t len,
                           enum tcpsim_tls_hs hs, const char *what)
{
    struct tcpsim_tls_item it;
    item_init(d, &it, rec, ver, len);
    it.hs = hs;
    it.malformed = true;
    it.why.id = TCPSIM_TLS_X_MALFORMED;
    it.why.s[0] = what;
    emit(d, &it);
}

/* ------------------------------------------------------------ handshake */

static enum tcpsim_tls_hs hs_kind(uint8_t t)
{
    switch (t) {
    case 0:
        return TCPSIM_TLS_HS_HELLO_REQUEST;
    case 1:
        return TCPSIM_TLS_HS_CLIENT_HELLO;
    case 2:
        return TCPSIM_TLS_HS_SERVER_HELLO;
    case 4:
        return TCPSIM_TLS_HS_NEW_SESSION_TICKET;
    case 5:
        return TCPSIM_TLS_HS_END_OF_EARLY_DATA;
    case 8:
        return TCPSIM_TLS_HS_ENCRYPTED_EXTENSIONS;
    case 11:
        return TCPSIM_TLS_HS_CERTIFICATE;
    case 12:
        return TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE;
    case 13:
        return TCPSIM_TLS_HS_CERTIFICATE_REQUEST;
    case 14:
        return TCPSIM_TLS_HS_SERVER_HELLO_DONE;
    case 15:
        return TCPSIM_TLS_HS_CERTIFICATE_VERIFY;
    case 16:
        return TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE;
    case 20:
        return TCPSIM_TLS_HS_FINISHED;
    case 22:
        return TCPSIM_TLS_HS_CERTIFICATE_STATUS;
    case 24:
        return TCPSIM_TLS_HS_KEY_UPDATE;
    case 25:
        return TCPSIM_TLS_HS_COMPRESSED_CERTIFICATE;
    case 254:
        return TCPSIM_TLS_HS_MESSAGE_HASH;
    default:
        return TCPSIM_TLS_HS_UNKNOWN; /* integer switch over a wire value */
    }
}

static size_t count_non_grease(const uint16_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && i < TCPSIM_TLS_MAX_LIST; i++)
        k += !tcpsim__is_grease(v[i]);
    return k + (n > TCPSIM_TLS_MAX_LIST ? n - TCPSIM_TLS_MAX_LIST : 0);
}

static const char *cipher_text(uint16_t cs)
{
    const char *n = tcpsim_tls_cipher_name(cs);
    return n ? n : "an unassigned cipher suite";
}

/* JA4 alone (quiet): kept as a note of the hello memo's ClientHello it came
 * from (JA4 reads none of the fields that vary among the hellos taking it,
 * parse_internal.h), so a client build's is looked up once, not compared
 * field by field on every connection. The summary's array whole: it is
 * packed as bytes (zero after set-up, as the note was when written). */
static void quiet_ja4(struct tcpsim_tls_summary *s, const struct tcpsim_tls_hello *h)
{
    _Static_assert(sizeof s->ja4 == TCPSIM__HELLO_NOTE, "the note holds the summary's ja4");
    bool *noted;
    uint8_t *note = tcpsim__hello_note(h, &noted);
    if (note && *noted) {
        memcpy(s->ja4, note, sizeof s->ja4);
        return;
    }
    tcpsim__fp_client(h, NULL, 0, NULL, s->ja4, sizeof s->ja4);
    if (note) {
        memcpy(note, s->ja4, sizeof s->ja4);
        *noted = true;
    }
}

static void on_client_hello(struct dir_state *d, struct tcpsim_tls_item *it, const struct tcpsim_tls_hello *h)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_tls_summary *s = &c->sum;
    if (!c->have_ch) {
        /* the first ClientHello defines the fingerprints (a second one after
         * a HelloRetryRequest repeats most of it, RFC 8446 §4.1.2) */
        c->ch.version = h->version;
        c->ch.session_id_len = h->session_id_len;
        memcpy(c->ch.session_id, h->session_id, sizeof c->ch.session_id);
        c->ch.session_ticket = h->session_ticket_len > 0;
        c->have_ch = true;
        s->is_tls = true;
        size_t sn = strnlen(h->sni, sizeof s->sni - 1); /* a string: what follows its NUL is never read */
        memcpy(s->sni, h->sni, sn);
        s->sni[sn] = '\0';
        if (c->quiet) /* JA3 is not kept (tcpsim_tls_set_quiet) */
            quiet_ja4(s, h);
        else
            tcpsim__fp_client(h, s->ja3_full, sizeof s->ja3_full, s->ja3, s->ja4, sizeof s->ja4);
    }
    it->hello = h;
    if (c->quiet && c->no_explain)
        return; /* delivered without a sentence, and nobody reads `why` (tcpsim_tls_set_quiet) */
    it->why.id = h->sslv2 ? TCPSIM_TLS_X_CLIENT_HELLO_V2 : TCPSIM_TLS_X_CLIENT_HELLO;
    it->why.n[0] = (long long)count_non_grease(h->ciphers, h->nciphers);
    it->why.s[0] = tcpsim_tls_version_name(h->version);
    it->why.n[1] = h->via_supported_versions;
    it->why.s[1] = h->has_sni ? h->sni : "";
    /* the offered names joined by commas (they always fit, checked below) */
    char *j = scratch_text.alpn_join;
    for (size_t i = 0; i < h->nalpn && i < TCPSIM_TLS_MAX_ALPN; i++) {
        size_t l = strnlen(h->alpn[i], sizeof h->alpn[i] - 1);
        if (i)
            *j++ = ',';
        memcpy(j, h->alpn[i], l);
        j += l;
    }
    *j = '\0';
    it->why.s[2] = scratch_text.alpn_join;
}

static void on_server_hello(struct dir_state *d, struct tcpsim_tls_item *it, const struct tcpsim_tls_hello *h)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_tls_summary *s = &c->sum;
    it->hello = h;
    if (h->version == 0x0304)
        c->tls13 = true;
    if (h->hrr) {
        /* RFC 8446 §4.1.3-4.1.4: a ServerHello with the special random */
        it->hs = TCPSIM_TLS_HS_HELLO_RETRY_REQUEST;
        s->hrr = true;
        it->why.id = TCPSIM_TLS_X_HELLO_RETRY;
        const char *g = h->nkey_shares ? tcpsim_tls_group_name(h->key_share_groups[0]) : NULL;
        it->why.s[0] = g ? g : "";
        it->why.s[1] = cipher_text(h->ciphers[0]);
        return;
    }
    if (!c->have_sh) {
        c->sh.version = h->version;
        c->sh.cipher = h->ciphers[0];
        c->have_sh = true;
        s->have_server_hello = true;
        s->version = h->version;
        s->cipher = h->ciphers[0];
        if (h->nalpn > 0)
            memcpy(s->alpn, h->alpn[0], sizeof s->alpn);
        if (!c->quiet) /* JA3S is not kept (tcpsim_tls_set_quiet) */
            tcpsim__fp_server(h, s->ja3s_full, sizeof s->ja3s_full, s->ja3s);
        if (c->tls13) {
            if (h->has_psk)
                s->resumption = TCPSIM_TLS_RESUME_PSK; /* RFC 8446 §4.2.11 */
        } else if (c->have_ch && h->session_id_len > 0 && h->session_id_len == c->ch.session_id_len &&
                   memcmp(h->session_id, c->ch.session_id, h->session_id_len) == 0) {
            /* RFC 5246 §7.4.1.3 echo = abbreviated handshake; with a ticket
             * the server echoes the client's id too (RFC 5077 §3.4) */
            s->resumption = c->ch.session_ticket ? TCPSIM_TLS_RESUME_TICKET : TCPSIM_TLS_RESUME_SESSION_ID;
        }
    }
    if (c->tls13) /* RFC 8446 §2: everything after ServerHello is encrypted */
        d->encrypted = true;
    if (c->quiet)
        return; /* the item is not delivered (emit): nobody reads `why` */
    it->why.id = TCPSIM_TLS_X_SERVER_HELLO;
    it->why.s[0] = cipher_text(h->ciphers[0]);
    it->why.s[1] = tcpsim_tls_version_name(h->version);
    it->why.n[1] = c->sum.resumption != TCPSIM_TLS_RESUME_NONE;
}

static bool cipher_has(uint16_t cs, const char *part)
{
    const char *n = tcpsim_tls_cipher_name(cs);
    return n && strstr(n, part) != NULL;
}

/* What a record of the TLS 1.3 server's encrypted flight probably holds,
 * from its place and size only (the content type and message are inside
 * the ciphertext). RFC 8446 §5.2: TLSCiphertext.length = inner plaintext
 * (message + 1-byte content type + padding) + AEAD tag (16 bytes; 8 for
 * TLS_AES_128_CCM_8_SHA256, RFC 8446 §B.4). Servers commonly send one
 * message per record (OpenSSL does); then:
 *  - the first record is EncryptedExtensions (§4.3.1), small: a 4-byte
 *    header, a 2-byte list and a few extensions (ALPN, server_name ack);
 *    EE is always the first message after ServerHello (§4.3.1), so a larger
 *    first record holds EE and the messages after it (many stacks pack the
 *    whole flight into one record);
 *  - a record exactly 4 + Hash.length + 1 + tag long is Finished
 *    (§4.4.4: verify_data is Hash.length bytes, 48 with SHA-384).
 * Padding or several messages in one record defeat this, so the result is
 * only ever worded as "probably". */
static long long flight_guess(const struct tcpsim_tls_conn *c, uint32_t k, size_t len)
{
    uint16_t cs = c->have_sh ? c->sh.cipher : 0;
    size_t tag = cipher_has(cs, "CCM_8") ? 8 : 16;
    size_t hash = cipher_has(cs, "SHA384") ? 48 : 32;
    /* EncryptedExtensions: at least header + empty list; 256 bytes covers
     * ALPN, server_name, supported_groups and early_data with room */
    if (k == 1 && len >= 4 + 2 + 1 + tag)
        return len <= 256 ? TCPSIM_TLS_FLIGHT_EE : TCPSIM_TLS_FLIGHT_EE_MORE;
    if (k > 1 && c->have_sh && len == 4 + hash + 1 + tag)
        return TCPSIM_TLS_FLIGHT_FINISHED;
    return TCPSIM_TLS_FLIGHT_UNKNOWN;
}

/* RFC 8422 §5.4 (ECDHE ServerECDHParams), RFC 5246 §7.4.3 (ServerDHParams) */
static void on_ske(struct dir_state *d, struct tcpsim_tls_item *it, const uint8_t *b, size_t n)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_reader r = tcpsim_reader_make(b, n), v;
    uint16_t cs = c->have_sh ? c->sh.cipher : 0;
    uint8_t ctype;
    uint16_t g;
    if (cipher_has(cs, "ECDH") || (!cipher_has(cs, "DHE_") && n > 0 && b[0] == 3)) {
        if (!tcpsim_read_u8(&r, &ctype) || ctype != 3 || !tcpsim_read_u16(&r, &g) || !tcpsim_read_vec(&r, 1, &v)) {
            it->malformed = true;
            it->why.id = TCPSIM_TLS_X_MALFORMED;
            it->why.s[0] = "ServerKeyExchange: expected named_curve ECDH parameters";
            return;
        }
        c->kx_group = g;
        it->group = g;
        it->key_bytes = tcpsim_reader_left(&v);
        const char *gn = tcpsim_tls_group_name(g);
        it->why.id = TCPSIM_TLS_X_SKE_ECDHE;
        it->why.s[0] = gn ? gn : "an unknown group";
        it->why.n[0] = (long long)it->key_bytes;
        return;
    }
    if (cipher_has(cs, "DHE_") || cipher_has(cs, "DH_anon")) {
        if (!tcpsim_read_vec(&r, 2, &v)) {
            it->malformed = true;
            it->why.id = TCPSIM_TLS_X_MALFORMED;
            it->why.s[0] = "ServerKeyExchange: DH prime truncated";
            return;
        }
        size_t pl = tcpsim_reader_left(&v);
        while (pl > 0 && *v.p == 0) { /* leading zero bytes do not count */
            v.p++;
            pl--;
        }
        unsigned bits = (unsigned)pl * 8;
        if (pl > 0)
            for (uint8_t top = v.p[0]; !(top & 0x80); top = (uint8_t)(top << 1))
                bits--;
        it->dh_prime_bits = bits;
        it->why.id = TCPSIM_TLS_X_SKE_DHE;
        it->why.n[0] = bits;
        return;
    }
    it->why.id = TCPSIM_TLS_X_SKE_OTHER;
    it->why.n[0] = (long long)n;
}

/* RFC 5246 §7.4.7, RFC 8422 §5.7 */
static void on_cke(struct dir_state *d, struct tcpsim_tls_item *it, const uint8_t *b, size_t n)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_reader r = tcpsim_reader_make(b, n), v;
    uint16_t cs = c->have_sh ? c->sh.cipher : 0;
    if (cipher_has(cs, "ECDH")) {
        if (!tcpsim_read_vec(&r, 1, &v) || tcpsim_reader_left(&r) != 0)
            goto bad;
        it->group = c->kx_group;
        it->key_bytes = tcpsim_reader_left(&v);
        const char *gn = tcpsim_tls_group_name(c->kx_group);
        it->why.id = TCPSIM_TLS_X_CKE_ECDHE;
        it->why.s[0] = gn ? gn : "the server's group";
        it->why.n[0] = (long long)it->key_bytes;
        return;
    }
    if (cipher_has(cs, "DHE_") || cipher_has(cs, "DH_anon")) {
        if (!tcpsim_read_vec(&r, 2, &v) || tcpsim_reader_left(&r) != 0)
            goto bad;
        it->key_bytes = tcpsim_reader_left(&v);
        it->why.id = TCPSIM_TLS_X_CKE_DHE;
        it->why.n[0] = (long long)it->key_bytes;
        return;
    }
    if (cipher_has(cs, "TLS_RSA_")) {
        /* TLS 1.0+ prefixes EncryptedPreMasterSecret with 2 length bytes; SSL 3.0 does not */
        if (c->have_sh && c->sh.version == 0x0300) {
            it->key_bytes = n;
        } else {
            if (!tcpsim_read_vec(&r, 2, &v) || tcpsim_reader_left(&r) != 0)
                goto bad;
            it->key_bytes = tcpsim_reader_left(&v);
        }
        it->why.id = TCPSIM_TLS_X_CKE_RSA;
        it->why.n[0] = (long long)it->key_bytes;
        return;
    }
    it->key_bytes = n;
    it->why.id = TCPSIM_TLS_X_CKE_OTHER;
    it->why.n[0] = (long long)n;
    return;
bad:
    it->malformed = true;
    it->why.id = TCPSIM_TLS_X_MALFORMED;
    it->why.s[0] = "ClientKeyExchange: length does not match the message";
}

/* One whole handshake message: 4-byte header + body. */
static void on_message(struct dir_state *d, const uint8_t *msg, size_t total, uint16_t rec_ver)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_tls_item it;
    const uint8_t *b = msg + 4;
    size_t n = total - 4;
    const char *what = "";
    item_init(d, &it, TCPSIM_TLS_REC_HANDSHAKE, rec_ver, n);
    it.hs_type = msg[0];
    it.hs = hs_kind(msg[0]);
    if (it.hs == TCPSIM_TLS_HS_CERTIFICATE || it.hs == TCPSIM_TLS_HS_SERVER_HELLO_DONE ||
        it.hs == TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE)
        c->seen |= SEEN_FULL(d->side);
    switch (it.hs) {
    case TCPSIM_TLS_HS_CLIENT_HELLO: {
        /* parsed in the thread's scratch; what is read later is kept in
         * ch / sh, read only behind have_ch / have_sh */
        const struct tcpsim_tls_hello *h;
        if (tcpsim__client_hello_ref(b, n, &scratch_hello, &h, &what) != TCPSIM_OK)
            goto bad;
        on_client_hello(d, &it, h);
        break;
    }
    case TCPSIM_TLS_HS_SERVER_HELLO: {
        const struct tcpsim_tls_hello *h;
        if (tcpsim__server_hello_ref(b, n, &scratch_hello, &h, &what) != TCPSIM_OK)
            goto bad;
        on_server_hello(d, &it, h);
        break;
    }
    case TCPSIM_TLS_HS_CERTIFICATE: {
        size_t nc = 0, chain = 0;
        struct tcpsim_tls_cert *certs = scratch_certs;
        /* quiet: the item is not delivered unless malformed and the summary
         * keeps no certificate (tcpsim_tls_set_quiet), so only the framing is
         * checked (whether it is malformed does not depend on the DER) */
        if (tcpsim__parse_certificate(b, n, c->tls13, certs, c->quiet ? 0 : TCPSIM_TLS_MAX_CERTS, &nc, &chain, &what) !=
            TCPSIM_OK)
            goto bad;
        if (c->quiet)
            break;
        it.certs = certs;
        it.ncerts = nc;
        it.chain_len = chain;
        if (d->side == TCPSIM_SIDE_SERVER && c->sum.chain_len == 0) {
            memcpy(c->sum.certs, certs, nc * sizeof certs[0]);
            c->sum.ncerts = nc;
            c->sum.chain_len = chain;
        }
        if (chain == 0) {
            it.why.id = TCPSIM_TLS_X_CERTIFICATE_EMPTY;
        } else {
            it.why.id = TCPSIM_TLS_X_CERTIFICATE;
            it.why.n[0] = (long long)chain;
            it.why.s[0] = certs[0].parsed ? certs[0].subject : "(unparsable certificate)";
            it.why.s[1] = certs[0].parsed ? certs[0].issuer : "";
            tcpsim__cert_key_text(&certs[0], scratch_text.cert_leaf_key, sizeof scratch_text.cert_leaf_key);
            it.why.s[2] = certs[0].parsed ? scratch_text.cert_leaf_key : "";
        }
        break;
    }
    case TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE:
        on_ske(d, &it, b, n);
        break;
    case TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE:
        on_cke(d, &it, b, n);
        break;
    case TCPSIM_TLS_HS_CERTIFICATE_REQUEST:
        it.why.id = TCPSIM_TLS_X_CERT_REQUEST;
        break;
    case TCPSIM_TLS_HS_SERVER_HELLO_DONE:
        if (n != 0) {
            what = "ServerHelloDone must be empty";
            goto bad;
        }
        it.why.id = TCPSIM_TLS_X_SERVER_HELLO_DONE;
        break;
    case TCPSIM_TLS_HS_NEW_SESSION_TICKET: {
        /* RFC 5077 §3.3 (TLS 1.2): lifetime_hint(4) ticket<0..2^16-1> */
        struct tcpsim_reader r = tcpsim_reader_make(b, n), t;
        if (!tcpsim_read_u32(&r, &it.ticket_lifetime) || !tcpsim_read_vec(&r, 2, &t) || tcpsim_reader_left(&r)) {
            what = "NewSessionTicket: ticket length does not match the message";
            goto bad;
        }
        it.ticket_len = tcpsim_reader_left(&t);
        it.why.id = TCPSIM_TLS_X_NEW_SESSION_TICKET;
        it.why.n[0] = it.ticket_lifetime;
        it.why.n[1] = (long long)it.ticket_len;
        break;
    }
    case TCPSIM_TLS_HS_HELLO_REQUEST:
    case TCPSIM_TLS_HS_END_OF_EARLY_DATA:
    case TCPSIM_TLS_HS_ENCRYPTED_EXTENSIONS:
    case TCPSIM_TLS_HS_CERTIFICATE_VERIFY:
    case TCPSIM_TLS_HS_FINISHED:
    case TCPSIM_TLS_HS_CERTIFICATE_STATUS:
    case TCPSIM_TLS_HS_KEY_UPDATE:
    case TCPSIM_TLS_HS_COMPRESSED_CERTIFICATE:
    case TCPSIM_TLS_HS_MESSAGE_HASH:
    case TCPSIM_TLS_HS_UNKNOWN:
    case TCPSIM_TLS_HS_HELLO_RETRY_REQUEST:
    case TCPSIM_TLS_HS_ENCRYPTED:
    case TCPSIM_TLS_HS_NONE:
        it.why.id = TCPSIM_TLS_X_HANDSHAKE_OTHER;
        it.why.s[0] = tcpsim_tls_hs_name(it.hs);
        it.why.n[0] = (long long)n;
        break;
    }
    emit(d, &it);
    return;
bad:
    it.malformed = true;
    it.why.id = TCPSIM_TLS_X_MALFORMED;
    it.why.s[0] = what;
    emit(d, &it);
}

static uint32_t hs_cap(const struct tcpsim_tls_conn *c)
{
    return c->cfg.hs_cap ? c->cfg.hs_cap : TCPSIM_TLS_DEFAULT_HS_CAP;
}

/* A9: a hello longer than its fields allow is damage, not a message to wait
 * for (a 16 MiB ClientHello would swallow every record after it). RFC 8446
 * §4.1.2 / RFC 5246 §7.4.1.2: ClientHello at most 2+32+33+(2+65534)+(1+255)+
 * (2+65535) bytes; ServerHello at most 2+32+33+2+1+(2+65535). Reported as
 * malformed; the rest of the record is dropped and parsing goes on with the
 * next record. */
static inline bool hs_implausible(struct dir_state *d, uint8_t type, size_t mlen, uint16_t ver)
{
    if (mlen <= 65607u) /* within both limits below (inline: every message asks) */
        return false;
    size_t max = type == 1 ? 131396u : type == 2 ? 65607u : 0;
    if (!max || mlen <= max)
        return false;
    snprintf(scratch_text.what, sizeof scratch_text.what,
             "%s announces %zu bytes, more than its fields allow (%zu); rest of the record skipped",
             tcpsim_tls_hs_name(hs_kind(type)), mlen, max);
    emit_malformed(d, TCPSIM_TLS_REC_HANDSHAKE, ver, mlen, hs_kind(type), scratch_text.what);
    d->hs_len = 0;
    d->hs_skip = 0;
    return true;
}

/* A handshake message that was still being collected is cut: by a record of
 * another type (RFC 8446 §5.1: handshake messages must not be interleaved
 * with other record types) or by the end of the stream. */
static void hs_cut(struct dir_state *d, uint16_t ver, const char *by)
{
    if (d->hs_len == 0 && d->hs_skip == 0)
        return;
    uint8_t type = d->hs_len ? d->hs[0] : d->big_type;
    size_t want = d->hs_len >= 4 ? ((size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3]) : d->big_len;
    snprintf(scratch_text.what, sizeof scratch_text.what, "%s of %zu bytes cut by %s",
             tcpsim_tls_hs_name(hs_kind(type)), want, by);
    emit_malformed(d, TCPSIM_TLS_REC_HANDSHAKE, ver, want, hs_kind(type), scratch_text.what);
    d->hs_len = 0;
    d->hs_skip = 0;
}

/* Handshake record payload: messages may span records and one record may hold
 * several (RFC 8446 §5.1). */
static void hs_feed(struct dir_state *d, const uint8_t *p, size_t n, uint16_t ver)
{
    struct tcpsim_tls_conn *c = d->c;
    while (n > 0) {
        if (d->hs_skip > 0) {
            size_t k = n < d->hs_skip ? n : d->hs_skip;
            p += k;
            n -= k;
            d->hs_skip -= k;
            if (d->hs_skip == 0) {
                struct tcpsim_tls_item it;
                item_init(d, &it, TCPSIM_TLS_REC_HANDSHAKE, ver, d->big_len);
                it.hs_type = d->big_type;
                it.hs = hs_kind(d->big_type);
                it.why.id = TCPSIM_TLS_X_TOO_LARGE;
                it.why.s[0] = tcpsim_tls_hs_name(it.hs);
                it.why.n[0] = (long long)d->big_len;
                emit(d, &it);
            }
            continue;
        }
        if (d->hs_len == 0 && n >= 4) {
            size_t mlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
            if (hs_implausible(d, p[0], mlen, ver))
                return;
            if (4 + mlen <= n) { /* whole message in this record: no copy */
                on_message(d, p, 4 + mlen, ver);
                p += 4 + mlen;
                n -= 4 + mlen;
                continue;
            }
        }
        if (!d->hs) {
            d->hs = malloc(hs_cap(c));
            if (!d->hs) {
                emit_malformed(d, TCPSIM_TLS_REC_HANDSHAKE, ver, n, TCPSIM_TLS_HS_UNKNOWN,
                               "out of memory for a handshake message spanning records");
                return;
            }
        }
        /* header first (at most 4 bytes, always fits: hs_cap >= 4096) */
        while (d->hs_len < 4 && n > 0) {
            d->hs[d->hs_len++] = *p++;
            n--;
        }
        if (d->hs_len < 4)
            return;
        size_t mlen = (size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3];
        if (hs_implausible(d, d->hs[0], mlen, ver))
            return; /* the rest of this record is skipped; the next one resyncs */
        if (4 + mlen > hs_cap(c)) {
            d->big_type = d->hs[0];
            d->big_len = mlen;
            d->hs_skip = mlen;
            d->hs_len = 0;
            if (mlen == 0) /* cannot happen with hs_cap >= 4, kept for clarity */
                d->hs_skip = 0;
            continue;
        }
        size_t want = 4 + mlen - d->hs_len;
        size_t k = n < want ? n : want;
        memcpy(d->hs + d->hs_len, p, k);
        d->hs_len += k;
        p += k;
        n -= k;
        if (d->hs_len == 4 + mlen) {
            d->hs_len = 0;
            on_message(d, d->hs, 4 + mlen, ver);
        }
    }
}

/* --------------------------------------------------------------- records */

static void on_record(struct dir_state *d, uint8_t type, uint16_t ver, const uint8_t *body, size_t len)
{
    struct tcpsim_tls_conn *c = d->c;
    struct tcpsim_tls_item it;
    d->rec_version = ver;
    d->any_record = true;
    if ((d->hs_len | d->hs_skip) == 0) /* (hs_cut's test, here: no message is being collected) */
        ;
    else if (type == TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC)
        hs_cut(d, ver, "a ChangeCipherSpec record");
    else if (type == TCPSIM_TLS_REC_ALERT)
        hs_cut(d, ver, "an alert record");
    else if (type == TCPSIM_TLS_REC_HEARTBEAT)
        hs_cut(d, ver, "a heartbeat record");
    else if (type != TCPSIM_TLS_REC_HANDSHAKE)
        hs_cut(d, ver, "an application_data record");
    else if (d->encrypted)
        hs_cut(d, ver, "an encrypted handshake record");
    bool app_seen = c->seen & SEEN_APP(d->side);
    if (c->quiet && type == TCPSIM_TLS_REC_APPLICATION_DATA && !(c->tls13 && c->have_sh && !app_seen)) {
        /* what emit() keeps of the item below when nobody is handed it
         * (test_tls_fast compares it with the item's way) */
        c->sum.app_records[d->side]++;
        c->sum.app_bytes[d->side] += len;
        return;
    }
    item_init(d, &it, (enum tcpsim_tls_record)type, ver, len);
    switch ((enum tcpsim_tls_record)type) {
    case TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC:
        if (c->tls13 || (!c->have_sh && c->have_ch && c->ch.version == 0x0304)) {
            it.why.id = TCPSIM_TLS_X_CCS_COMPAT; /* RFC 8446 §D.4: ignored by the peer */
        } else {
            it.why.id = TCPSIM_TLS_X_CCS; /* RFC 5246 §7.1 */
            d->encrypted = true;
            d->finished_seen = false;
            /* RFC 5246 §7.3 / RFC 5077 §3.1: a server CCS right after
             * ServerHello is the abbreviated (resumed) handshake, even when
             * the session id was not echoed (ticket with empty id) */
            if (d->side == TCPSIM_SIDE_SERVER && c->have_sh && !(c->seen & SEEN_FULL(d->side)) &&
                c->sum.resumption == TCPSIM_TLS_RESUME_NONE)
                c->sum.resumption =
                    c->have_ch && c->ch.session_ticket ? TCPSIM_TLS_RESUME_TICKET : TCPSIM_TLS_RESUME_SESSION_ID;
        }
        if (len != 1 || body[0] != 1) {
            it.malformed = true;
            it.why.id = TCPSIM_TLS_X_MALFORMED;
            it.why.s[0] = "ChangeCipherSpec must be the single byte 1";
        }
        emit(d, &it);
        return;
    case TCPSIM_TLS_REC_ALERT: {
        /* RFC 5246 §7.2: level(1) description(1). Under the new keys (after
         * CCS, or TLS 1.3 after ServerHello) or longer than 2 bytes: ciphertext */
        struct tcpsim_tls_summary *s = &c->sum;
        bool enc = len != 2 || d->encrypted;
        if (!enc) {
            it.alert_level = body[0];
            it.alert_desc = body[1];
            it.why.id = TCPSIM_TLS_X_ALERT;
            const char *lv = tcpsim_tls_alert_level_name(body[0]), *ds = tcpsim_tls_alert_name(body[1]);
            it.why.s[0] = lv ? lv : "unknown-level";
            it.why.s[1] = ds ? ds : "unknown";
            it.why.n[0] = body[0];
            it.why.n[1] = body[1];
        } else {
            it.encrypted = true;
            it.why.id = TCPSIM_TLS_X_ALERT_ENC;
            it.why.n[0] = (long long)len;
        }
        if (s->nalerts < TCPSIM_TLS_MAX_ALERTS) {
            struct tcpsim_tls_alert *a = &s->alerts[s->nalerts++];
            memset(a, 0, sizeof *a); /* its padding too, as for msgs[] */
            a->frame = c->frame;
            a->dir = d->side;
            a->encrypted = it.encrypted;
            a->level = it.alert_level;
            a->desc = it.alert_desc;
        }
        s->alerts_total++;
        emit(d, &it);
        return;
    }
    case TCPSIM_TLS_REC_HANDSHAKE:
        if (d->encrypted) {
            /* RFC 5246 §7.4.9: the first message under the new keys is Finished */
            it.hs = TCPSIM_TLS_HS_ENCRYPTED;
            it.encrypted = true;
            it.why.id = d->finished_seen ? TCPSIM_TLS_X_ENCRYPTED_HS : TCPSIM_TLS_X_FINISHED_ENC;
            d->finished_seen = true;
            emit(d, &it);
            return;
        }
        hs_feed(d, body, len, ver);
        return;
    case TCPSIM_TLS_REC_APPLICATION_DATA:
        it.encrypted = true;
        if (c->tls13 && c->have_sh && !app_seen) {
            /* RFC 8446 §2: the server's flight after ServerHello and the
             * client's Finished travel as application_data records. The
             * server's flight lasts until the client's Finished is seen. */
            if (d->side == TCPSIM_SIDE_SERVER && !(c->seen & SEEN_APP(TCPSIM_SIDE_CLIENT))) {
                it.hs = TCPSIM_TLS_HS_ENCRYPTED;
                it.why.id = TCPSIM_TLS_X_TLS13_FLIGHT_S;
                it.why.n[0] = (long long)len;
                if (!c->quiet) { /* the count and a guess, for the sentence: the item is not delivered (emit) */
                    it.why.n[1] = (long long)++d->flight_recs; /* (line 6, a miss: not kept when quiet) */
                    it.why.n[2] = flight_guess(c, d->flight_recs, len);
                }
                emit(d, &it);
                return;
            }
            if (d->side == TCPSIM_SIDE_CLIENT) {
                c->seen |= SEEN_APP(d->side);
                it.hs = TCPSIM_TLS_HS_ENCRYPTED;
                it.why.id = TCPSIM_TLS_X_TLS13_FLIGHT_C;
                it.why.n[0] = (long long)len;
                emit(d, &it);
                return;
            }
            c->seen |= SEEN_APP(d->side);
        }
        it.why.id = TCPSIM_TLS_X_APP_DATA;
        it.why.n[0] = (long long)len;
        emit(d, &it);
        return;
    case TCPSIM_TLS_REC_HEARTBEAT: /* RFC 6520 */
        it.why.id = TCPSIM_TLS_X_HEARTBEAT;
        it.why.n[0] = (long long)len;
        emit(d, &it);
        return;
    case TCPSIM_TLS_REC_INVALID: /* excluded by header_plausible() */
        return;
    }
}

/* RFC 8446 §5.1: type 20..24, legacy_record_version 0x0300..0x0304, and
 * RFC 8446 §5.2: length <= 2^14 + 2048. */
static bool header_plausible(const uint8_t *h, uint16_t want_ver)
{
    uint16_t ver = (uint16_t)(h[1] << 8 | h[2]);
    size_t len = (size_t)h[3] << 8 | h[4];
    if (h[0] < 20 || h[0] > 24 || ver < 0x0300 || ver > 0x0304 || len > TCPSIM_TLS_MAX_RECORD)
        return false;
    return want_ver == 0 || ver == want_ver;
}

/* Hunt for a record boundary after a gap or a bad header. A candidate must be
 * a plausible header and, when the bytes are there, be followed by another
 * plausible header, so that garbage is never read as records. Returns the
 * offset to resume at, or SIZE_MAX to wait for more bytes (from `*from`). */
static size_t resync_scan(struct dir_state *d, size_t *from, bool final)
{
    size_t i;
    for (i = *from; i + 5 <= d->rb_len; i++) {
        const uint8_t *h = RB(d) + i;
        if (!header_plausible(h, d->rec_version))
            continue;
        size_t end = i + 5 + ((size_t)h[3] << 8 | h[4]);
        if (end + 5 <= d->rb_len) {
            if (header_plausible(RB(d) + end, d->rec_version))
                return i;
            continue;
        }
        if (end == d->rb_len && final)
            return i;
        if (end + 5 - i <= RB_CAP && !final) {
            *from = i;
            return SIZE_MAX;
        }
        if (end + 5 - i > RB_CAP)
            return i;
    }
    *from = i;
    return SIZE_MAX;
}

/* Record buffers (RB_CAP, ~37 KB). A direction holds one only while bytes of
 * a record split across segments wait in it (rb_len > 0): it is taken from a
 * per-thread free list on the first byte and given back as soon as it is
 * empty. Records that arrive whole are read in place, so the buffers in use
 * follow the split records in flight, not the connections open, and a long
 * capture does not touch more of them than a short one. */
static _Thread_local uint8_t *rb_free; /* chained through their first bytes */
static _Thread_local size_t rb_free_n, rb_used;

static bool rb_take(struct dir_state *d)
{
    if (RB(d))
        return true;
    uint8_t *b = rb_free;
    if (b) {
        memcpy(&rb_free, b, sizeof rb_free);
        rb_free_n--;
    } else if (!(b = malloc(RB_CAP))) {
        return false;
    }
    rb_used++;
    RB(d) = b;
    return true;
}

/* Give the buffer back when nothing waits in it. */
static void rb_give(struct dir_state *d)
{
    uint8_t *b = RB(d);
    if (!b || d->rb_len > 0)
        return;
    memcpy(b, &rb_free, sizeof rb_free);
    rb_free = b;
    rb_free_n++;
    rb_used--;
    RB(d) = NULL;
}

/* Consume complete records from rb; keep the rest at its start. `final`: the
 * direction ended, so what is left is cut. `cut_by_capture`: it ended because
 * the capture stopped (or tracking did), not because the sender closed: a cut
 * record or message is then dropped without a word; the peer did nothing
 * wrong, and Wireshark flags nothing either. */
static void parse_buffer_in(struct dir_state *d, bool final, bool cut_by_capture)
{
    size_t off = 0;
    if (final && d->app_skip > 0) {
        /* the stream ended inside an application_data record being counted
         * (what rb would have held: the header and the body so far) */
        if (cut_by_capture) {
            d->app_skip = 0;
            return;
        }
        emit_malformed(d, TCPSIM_TLS_REC_APPLICATION_DATA, 0, 5 + d->app_len - d->app_skip, TCPSIM_TLS_HS_NONE,
                       "stream ends inside a record");
        d->app_skip = 0;
        return;
    }
    while (!d->not_tls) {
        if (off >= d->rb_len)
            break; /* nothing left (every branch below would wait for bytes) */
        if (d->resync) {
            size_t from = off;
            size_t at = resync_scan(d, &from, final);
            if (at == SIZE_MAX) {
                off = from;
                break;
            }
            off = at;
            d->resync = false;
        }
        size_t avail = d->rb_len - off;
        const uint8_t *h = RB(d) + off;
        if (d->sslv2_first) {
            /* RFC 5246 §E.2: 2-byte header with the top bit set, then the message */
            if (avail < 2)
                break;
            size_t mlen = (size_t)(h[0] & 0x7f) << 8 | h[1];
            if (avail < 2 + mlen)
                break;
            const char *what = "";
            struct tcpsim_tls_item it;
            d->sslv2_first = false;
            item_init(d, &it, TCPSIM_TLS_REC_HANDSHAKE, 0x0002, mlen);
            it.hs = TCPSIM_TLS_HS_CLIENT_HELLO;
            it.hs_type = 1;
            d->any_record = true;
            if (tcpsim__parse_client_hello_v2(h + 2, mlen, &scratch_hello, &what) != TCPSIM_OK) {
                it.malformed = true;
                it.why.id = TCPSIM_TLS_X_MALFORMED;
                it.why.s[0] = what;
                emit(d, &it);
            } else {
                on_client_hello(d, &it, &scratch_hello);
                emit(d, &it);
            }
            off += 2 + mlen;
            continue;
        }
        if (avail < 5)
            break;
        uint16_t ver = (uint16_t)(h[1] << 8 | h[2]);
        size_t len = (size_t)h[3] << 8 | h[4];
        if (!header_plausible(h, 0)) {
            if (!d->any_record && d->side == TCPSIM_SIDE_SERVER) {
                /* the server answered in something other than TLS (e.g. an
                 * HTTP error to a TLS client): stop decoding this direction */
                d->not_tls = true;
                d->c->some_not_tls = true;
                d->rb_len = 0;
                return;
            }
            bool type_ok = h[0] >= 20 && h[0] <= 24 && ver >= 0x0300 && ver <= 0x0304;
            emit_malformed(d, type_ok ? (enum tcpsim_tls_record)h[0] : TCPSIM_TLS_REC_INVALID, ver, len,
                           TCPSIM_TLS_HS_NONE,
                           type_ok ? "record longer than 2^14+2048 bytes (RFC 8446 §5.2); resynchronising"
                                   : "not a TLS record header; resynchronising");
            d->resync = true;
            d->hs_len = 0;
            d->hs_skip = 0;
            off += 1;
            continue;
        }
        if (avail < 5 + len)
            break;
        on_record(d, h[0], ver, h + 5, len);
        off += 5 + len;
    }
    if (d->not_tls) {
        d->rb_len = 0;
        return;
    }
    if (off > 0) {
        memmove(RB(d), RB(d) + off, d->rb_len - off);
        d->rb_len -= off;
    }
    if (final && !cut_by_capture) {
        hs_cut(d, d->rec_version, "the end of the stream");
    } else if (final) {
        d->hs_len = 0;
        d->hs_skip = 0;
    }
    if (final && d->rb_len > 0) {
        /* the stream ended inside a record */
        if (!d->resync && !cut_by_capture)
            emit_malformed(d,
                           d->rb_len >= 1 && RB(d)[0] >= 20 && RB(d)[0] <= 24 ? (enum tcpsim_tls_record)RB(d)[0]
                                                                              : TCPSIM_TLS_REC_INVALID,
                           0, d->rb_len, TCPSIM_TLS_HS_NONE, "stream ends inside a record");
        d->rb_len = 0;
    }
}

static void parse_buffer(struct dir_state *d, bool final, bool cut_by_capture)
{
    parse_buffer_in(d, final, cut_by_capture);
    rb_give(d);
}

/* The application_data record being counted is complete (RFC 8446 §5.2:
 * its body is ciphertext, nothing in it is read). */
static void app_record_done(struct dir_state *d)
{
    on_record(d, TCPSIM_TLS_REC_APPLICATION_DATA, d->app_ver, NULL, d->app_len);
}

/* An application_data record starts whose body is not all here: count the
 * `have` body bytes there are, skip the rest as it comes. */
static void app_record_start(struct dir_state *d, uint16_t ver, size_t len, size_t have)
{
    d->app_ver = ver;
    d->app_len = (uint16_t)len; /* (a header's two bytes) */
    d->app_skip = len - have;
    if (d->app_skip == 0)
        app_record_done(d);
}

/* RFC 8446 §5.1 framing is lost (a gap, or a split record with no buffer to
 * gather it in): drop the partial record and message, hunt for the next
 * record header. The buffer goes back to the free list (when there is one). */
static void lose_framing(struct dir_state *d)
{
    d->rb_len = 0;
    d->app_skip = 0;
    d->hs_len = 0;
    d->hs_skip = 0;
    d->sslv2_first = false;
    d->resync = true;
    rb_give(d);
}

static void copy_in(struct dir_state *d, const uint8_t **p, size_t *n, size_t k)
{
    if (k > *n)
        k = *n;
    if (k == 0)
        return;
    if (!rb_take(d)) {
        /* no buffer for a split record: its bytes are lost, as after a gap */
        emit_malformed(d, TCPSIM_TLS_REC_INVALID, 0, *n, TCPSIM_TLS_HS_NONE,
                       "out of memory for a record spanning segments; resynchronising");
        *p += *n;
        *n = 0;
        lose_framing(d);
        return;
    }
    memcpy(RB(d) + d->rb_len, *p, k);
    d->rb_len += k;
    *p += k;
    *n -= k;
}

/* In-order stream bytes of a TLS direction. Records are taken straight from
 * the segment when they start at a record boundary (no copy); only a record
 * split across segments is gathered in rb, and only up to its end. The body
 * of an application_data record is never copied: its header says how many
 * bytes to count. The order of records and items, and the frame each item is
 * attached to, are those of gathering everything in rb (parse_buffer). */
static void record_bytes_in(struct dir_state *d, const uint8_t *p, size_t n)
{
    while (n > 0 && !d->not_tls) {
        if (d->app_skip > 0) {
            size_t k = n < d->app_skip ? n : d->app_skip;
            p += k;
            n -= k;
            d->app_skip -= k;
            if (d->app_skip == 0)
                app_record_done(d);
            continue;
        }
        if (!d->resync && !d->sslv2_first) {
            if (d->rb_len == 0 && n >= 5 && header_plausible(p, 0)) {
                uint16_t ver = (uint16_t)(p[1] << 8 | p[2]);
                size_t len = (size_t)p[3] << 8 | p[4];
                if (5 + len <= n) { /* a whole record in the segment: read it in place */
                    on_record(d, p[0], ver, p + 5, len);
                    p += 5 + len;
                    n -= 5 + len;
                    continue;
                }
                if (p[0] == TCPSIM_TLS_REC_APPLICATION_DATA) {
                    app_record_start(d, ver, len, n - 5);
                    return;
                }
                copy_in(d, &p, &n, n); /* less than a record: gather it */
                parse_buffer(d, false, false);
                continue;
            }
            if (d->rb_len > 0 && d->rb_len < 5) { /* complete the header first */
                copy_in(d, &p, &n, 5 - d->rb_len);
                if (d->rb_len < 5)
                    return;
                if (RB(d)[0] == TCPSIM_TLS_REC_APPLICATION_DATA && header_plausible(RB(d), 0)) {
                    d->rb_len = 0;
                    app_record_start(d, (uint16_t)(RB(d)[1] << 8 | RB(d)[2]), (size_t)RB(d)[3] << 8 | RB(d)[4], 0);
                    continue;
                }
                parse_buffer(d, false, false);
                continue;
            }
            if (d->rb_len >= 5 && header_plausible(RB(d), 0)) {
                /* a record split across segments: gather up to its end only */
                size_t end = 5 + ((size_t)RB(d)[3] << 8 | RB(d)[4]);
                copy_in(d, &p, &n, end > d->rb_len ? end - d->rb_len : 0);
                parse_buffer(d, false, false);
                continue;
            }
        }
        size_t k = RB_CAP - d->rb_len;
        if (k == 0) { /* cannot happen (parse_buffer leaves room); never spin */
            d->rb_len = 0;
            d->resync = true;
            continue;
        }
        copy_in(d, &p, &n, k);
        parse_buffer(d, false, false);
    }
}

static void record_bytes(struct dir_state *d, const uint8_t *p, size_t n)
{
    record_bytes_in(d, p, n);
    if (d->rb_len == 0 && RB(d)) /* (rb_give's test, here: the common segment holds none) */
        rb_give(d);
}

/* RFC 8446 §5.1 / RFC 5246 §E.2: does the client's stream start with a ClientHello? */
static enum detect detect_client(const uint8_t *b, size_t n, bool *sslv2)
{
    *sslv2 = false;
    if (n >= 1 && b[0] == 22) {
        if (n < 6)
            return DET_UNKNOWN;
        uint16_t ver = (uint16_t)(b[1] << 8 | b[2]);
        size_t len = (size_t)b[3] << 8 | b[4];
        if (ver >= 0x0300 && ver <= 0x0304 && len >= 4 && len <= TCPSIM_TLS_MAX_RECORD && b[5] == 1)
            return DET_TLS;
        return DET_NOT_TLS;
    }
    if (n >= 1 && (b[0] & 0x80)) {
        if (n < 5)
            return DET_UNKNOWN;
        size_t len = (size_t)(b[0] & 0x7f) << 8 | b[1];
        uint16_t ver = (uint16_t)(b[3] << 8 | b[4]);
        if (b[2] == 1 && len >= 9 + 3 + 16 && (ver == 0x0002 || (ver >= 0x0300 && ver <= 0x0304))) {
            *sslv2 = true;
            return DET_TLS;
        }
        return DET_NOT_TLS;
    }
    return n >= 1 ? DET_NOT_TLS : DET_UNKNOWN;
}

static void stop_not_tls(struct tcpsim_tls_conn *c)
{
    c->det = DET_NOT_TLS;
    c->some_not_tls = true;
    for (int i = 0; i < 2; i++) {
        c->d[i].not_tls = true;
        c->d[i].rb_len = 0;
        c->d[i].pre_len = 0;
        rb_give(&c->d[i]);
    }
}

/* reassembler callback: in-order bytes of one direction */
static void on_data(void *ctx, uint32_t seq, const uint8_t *data, size_t len)
{
    struct dir_state *d = ctx;
    struct tcpsim_tls_conn *c = d->c;
    (void)seq;
    if (c->det == DET_NOT_TLS || d->not_tls)
        return;
    if (c->det == DET_UNKNOWN) {
        if (d->side == TCPSIM_SIDE_SERVER) {
            /* the server spoke first: a TLS client always does (RFC 8446 §2) */
            stop_not_tls(c);
            return;
        }
        if (d->pre_len == 0 && len >= sizeof d->pre && !tcpsim__tls_long_way) {
            /* The first bytes in one piece (the common case): judged in
             * place, and the record layer reads them from the segment, as
             * it would after taking them from pre[] (test_tls_fast compares
             * the two ways). */
            bool v2;
            enum detect r = detect_client(data, sizeof d->pre, &v2);
            if (r != DET_TLS) { /* DET_UNKNOWN cannot be: 8 bytes decide */
                stop_not_tls(c);
                return;
            }
            c->det = DET_TLS;
            c->sum.is_tls = true;
            d->sslv2_first = v2;
            record_bytes(d, data, len);
            return;
        }
        size_t k = sizeof d->pre - d->pre_len;
        if (k > len)
            k = len;
        memcpy(d->pre + d->pre_len, data, k);
        d->pre_len = (uint8_t)(d->pre_len + k);
        data += k;
        len -= k;
        bool v2;
        enum detect r = detect_client(d->pre, d->pre_len, &v2);
        if (r == DET_NOT_TLS || (r == DET_UNKNOWN && d->fin)) {
            stop_not_tls(c);
            return;
        }
        if (r == DET_UNKNOWN)
            return;
        c->det = DET_TLS;
        c->sum.is_tls = true;
        d->sslv2_first = v2;
        record_bytes(d, d->pre, d->pre_len);
        d->pre_len = 0;
    }
    record_bytes(d, data, len);
}

/* reassembler callback: bytes that will never come */
static void on_gap(void *ctx, uint32_t seq, uint32_t len)
{
    struct dir_state *d = ctx;
    struct tcpsim_tls_conn *c = d->c;
    (void)seq;
    c->sum.gaps[d->side]++;
    c->sum.gap_bytes[d->side] += len;
    if (c->det == DET_UNKNOWN) {
        /* the start of the conversation is missing: we cannot tell */
        stop_not_tls(c);
        return;
    }
    if (c->det == DET_NOT_TLS || d->not_tls)
        return;
    lose_framing(d);
}

/* ------------------------------------------------------------ public API */

/* The reassembler's ring, when it may hold one: a direction whose
 * reassembler was never handed a segment has none (and its nisl is 0), and
 * its line 1 is not read. */
static void ring_free(struct dir_state *d)
{
    if (d->ooo)
        tcpsim_reasm_free(&d->reasm);
}

/* Released decoders kept for reuse, per thread, the last one freed on top
 * (the likeliest to be still cached): a capture opens one decoder per TLS
 * connection. The pool's array grows with the decoders freed and not taken
 * again, which is at most as many as were open at once, up to
 * TCPSIM_TLS_POOL; tcpsim_tls_release_caches frees them. */
static _Thread_local struct tcpsim_tls_conn **pool;
static _Thread_local size_t pool_n, pool_cap;
static _Thread_local uint64_t pool_reused, pool_allocated;

/* New decoders are carved from slabs of 2 MiB on huge pages (wire/mem.h):
 * a replay with ~900 TLS connections open holds ~14 MB of decoders read at
 * random, and on 4 KiB pages each decoder touched was also a TLB miss. A
 * decoder in a slab is never freed alone: past TCPSIM_TLS_POOL pooled ones
 * it gives back its buffers and waits, bare, on the `bare` list (so memory
 * stays what was open at once); tcpsim_tls_release_caches frees the slabs.
 * Under AddressSanitizer each decoder is its own allocation, so that a use
 * after free is still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define TLS_SLABS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLS_SLABS 0
#endif
#endif
#ifndef TLS_SLABS
#define TLS_SLABS 1
#endif
#define SLAB_BYTES ((size_t)2 << 20)
struct slab {
    struct slab *next;
};
static _Thread_local struct slab *slabs;
static _Thread_local unsigned char *slab_cur;
static _Thread_local size_t slab_left;
static _Thread_local struct tcpsim_tls_conn *bare; /* linked through their first bytes */
static _Thread_local size_t slab_carved, bare_n;   /* decoders carved from the slabs; of them bare */
/* Where this thread may prefault (wire/mem.h: the replay on two threads), a
 * slab half carved has the next one allocated and its pages made by a
 * helper thread, joined when the slab is taken (long done by then) or the
 * slabs are freed. */
static _Thread_local struct slab *slab_next;
static _Thread_local struct tcpsim__prefault slab_pf;
#define SLAB_DECODERS ((SLAB_BYTES - 64) / sizeof(struct tcpsim_tls_conn))

__attribute__((noinline, cold)) static void slab_prefault(void)
{
    slab_next = tcpsim__alloc_large(SLAB_BYTES, 64);
    if (slab_next)
        tcpsim__prefault_start(&slab_pf, slab_next, SLAB_BYTES);
}

static struct tcpsim_tls_conn *decoder_alloc(void)
{
    if (!TLS_SLABS)
        return aligned_alloc(64, sizeof(struct tcpsim_tls_conn));
    if (bare) {
        struct tcpsim_tls_conn *c = bare;
        memcpy(&bare, c, sizeof bare);
        bare_n--;
        return c;
    }
    if (slab_left == 0) {
        struct slab *sl = slab_next;
        if (sl)
            tcpsim__prefault_join(&slab_pf);
        else if (!(sl = tcpsim__alloc_large(SLAB_BYTES, 64)))
            return NULL;
        slab_next = NULL;
        sl->next = slabs;
        slabs = sl;
        slab_cur = (unsigned char *)sl + 64;
        slab_left = SLAB_DECODERS;
    } else if (slab_left == SLAB_DECODERS / 2 && !slab_next && tcpsim__prefault_allowed()) {
        slab_prefault();
    }
    struct tcpsim_tls_conn *c = (struct tcpsim_tls_conn *)(void *)slab_cur;
    slab_cur += sizeof *c;
    slab_left--;
    slab_carved++;
    return c;
}

static void decoder_release(struct tcpsim_tls_conn *c)
{
    if (!TLS_SLABS) {
        free(c);
        return;
    }
    memcpy(c, &bare, sizeof bare);
    bare = c;
    bare_n++;
}

/* Only when every decoder carved is bare: a decoder still in use keeps its
 * slab (and the rest) until a later call finds them all released. */
static void slabs_free(void)
{
    /* the helper joined either way: no thread outlives this call */
    tcpsim__prefault_join(&slab_pf);
    if (bare_n != slab_carved)
        return;
    free(slab_next);
    slab_next = NULL;
    while (slabs) {
        struct slab *sl = slabs;
        slabs = sl->next;
        free(sl);
    }
    slab_cur = NULL;
    slab_left = 0;
    bare = NULL;
    slab_carved = bare_n = 0;
}

#define SUM_OFF(f) offsetof(struct tcpsim_tls_summary, f)
#define SUM_END(f) (SUM_OFF(f) + sizeof(((struct tcpsim_tls_summary *)0)->f))

/* What of a summary is read before it is written: the scalars and counts,
 * the strings' first bytes, and alpn .. ja4 whole (packed whole). The
 * strings are written whole or as strings, the arrays up to their counts.
 * The layout this relies on is checked with tcpsim_tls_summary_copy's. */
static void sum_clear(struct tcpsim_tls_summary *s)
{
    memset(s, 0, SUM_OFF(sni) + 1);
    _Static_assert(SUM_OFF(ja3_full) + 1 - SUM_OFF(alpn) >= 16 && sizeof *s - SUM_OFF(nmsgs) >= 16, "clear16's size");
    clear16(s->alpn, SUM_OFF(ja3_full) + 1 - SUM_OFF(alpn));
    s->ja3s_full[0] = '\0';
    memset(&s->ncerts, 0, SUM_OFF(alerts) - SUM_OFF(ncerts));
    memset(&s->nalerts, 0, SUM_OFF(msgs) - SUM_OFF(nalerts));
    clear16(&s->nmsgs, sizeof *s - SUM_OFF(nmsgs));
}

/* A fresh connection's state: the header line, each direction's lines 0
 * and 6 (and 5 when its reassembler was used; its ring pointer and island
 * table only when its size changes), the handshake fields and what
 * sum_clear clears; the record and message buffers are kept. */
static void conn_setup(struct tcpsim_tls_conn *c, const struct tcpsim_tls_config *cfg, tcpsim_tls_item_fn on_item,
                       void *ctx)
{
    uint8_t *hs[2];
    bool used[2] = {c->d[0].ooo, c->d[1].ooo}; /* (read before anything is cleared) */
    uint32_t old_hs_cap = c->cfg.hs_cap;       /* the size of hs[] buffers held */
    uint32_t old_ooo_cap = c->cfg.ooo_cap;     /* and of the reassemblers (0: none set up) */
    for (int i = 0; i < 2; i++) {
        ring_free(&c->d[i]); /* its ring is large and rarely needed */
        c->d[i].rb_len = 0;  /* a record cut by the reset: its buffer goes back */
        rb_give(&c->d[i]);
        hs[i] = c->d[i].hs;
    }
    memset(c, 0, CONN_OFF(d)); /* rb[] are NULL now */
    if (cfg)
        c->cfg = *cfg;
    if (c->cfg.ooo_cap == 0)
        c->cfg.ooo_cap = TCPSIM_TLS_DEFAULT_CAP;
    if (c->cfg.hs_cap < 4096)
        c->cfg.hs_cap = c->cfg.hs_cap == 0 ? TCPSIM_TLS_DEFAULT_HS_CAP : 4096;
    c->on_item = on_item;
    c->ctx = ctx;
    for (int i = 0; i < 2; i++) {
        struct dir_state *d = &c->d[i];
        memset(d, 0, DIR_HOT_END);
        d->c = c;
        d->side = (uint8_t)i;
        struct tcpsim_reasm_cb cb = {on_data, on_gap, d};
        if (c->cfg.ooo_cap == old_ooo_cap) /* the same size, no ring (ring_free): line 1 stays as it is */
            tcpsim__reasm_restart(&d->reasm, cb, used[i]);
        else
            tcpsim_reasm_init(&d->reasm, c->cfg.ooo_cap / 2, cb);
        memset(&d->hs, 0, sizeof *d - offsetof(struct dir_state, hs));
        /* a message buffer sized for another hs_cap is not reused */
        if (hs[i] && old_hs_cap != c->cfg.hs_cap) {
            free(hs[i]);
            hs[i] = NULL;
        }
        d->hs = hs[i];
    }
    memset(&c->ch, 0, CONN_OFF(pad_) - CONN_OFF(ch));
    sum_clear(&c->sum);
}

struct tcpsim_tls_conn *tcpsim_tls_conn_new(const struct tcpsim_tls_config *cfg, tcpsim_tls_item_fn on_item, void *ctx)
{
    struct tcpsim_tls_conn *c;
    if (pool_n > 0) {
        c = pool[--pool_n];
        pool_reused++;
    } else {
        /* on 64-byte lines (the size is a multiple of 64); conn_setup
         * clears what a connection starts from and the rest is written
         * before it is read, so only what conn_setup reads first (the
         * buffer pointers and the size they were made for) is set here */
        c = decoder_alloc();
        if (!c)
            return NULL;
        c->rb[0] = c->rb[1] = NULL;
        c->cfg.hs_cap = 0;
        c->cfg.ooo_cap = 0; /* the reassemblers are set up whole */
        for (int i = 0; i < 2; i++) {
            memset(&c->d[i], 0, DIR_HOT_END);
            c->d[i].c = c;
            c->d[i].side = (uint8_t)i;
            c->d[i].reasm.ring = NULL;
            c->d[i].hs = NULL;
        }
        pool_allocated++;
    }
    conn_setup(c, cfg, on_item, ctx);
    return c;
}

void tcpsim_tls_conn_reset(struct tcpsim_tls_conn *c, const struct tcpsim_tls_config *cfg, tcpsim_tls_item_fn on_item,
                           void *ctx)
{
    if (c)
        conn_setup(c, cfg, on_item, ctx);
}

static void conn_destroy(struct tcpsim_tls_conn *c)
{
    for (int i = 0; i < 2; i++) {
        ring_free(&c->d[i]);
        c->d[i].rb_len = 0;
        rb_give(&c->d[i]);
        free(c->d[i].hs);
    }
    decoder_release(c);
}

void tcpsim_tls_conn_free(struct tcpsim_tls_conn *c)
{
    if (!c)
        return;
    if (pool_n == pool_cap && pool_cap < TCPSIM_TLS_POOL) {
        size_t cap = pool_cap ? pool_cap * 2 : 64;
        if (cap > TCPSIM_TLS_POOL)
            cap = TCPSIM_TLS_POOL;
        struct tcpsim_tls_conn **p = realloc(pool, cap * sizeof *p);
        if (p) {
            pool = p;
            pool_cap = cap;
        }
    }
    if (pool_n < pool_cap) {
        for (int i = 0; i < 2; i++) {
            ring_free(&c->d[i]);
            c->d[i].rb_len = 0;
            rb_give(&c->d[i]);
        }
        pool[pool_n++] = c;
        return;
    }
    conn_destroy(c);
}

void tcpsim_tls_cache_stats(struct tcpsim_tls_cache_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof *st);
    tcpsim__cert_cache_stats(&st->cert_hits, &st->cert_misses, &st->certs_held);
    st->conn_reused = pool_reused;
    st->conn_allocated = pool_allocated;
    st->conns_pooled = pool_n;
    st->rb_in_use = rb_used;
    st->rb_pooled = rb_free_n;
}

void tcpsim_tls_release_caches(void)
{
    while (pool_n > 0)
        conn_destroy(pool[--pool_n]);
    free(pool);
    pool = NULL;
    pool_cap = 0;
    slabs_free();
    while (rb_free) {
        uint8_t *b = rb_free;
        memcpy(&rb_free, b, sizeof rb_free);
        free(b);
    }
    rb_free_n = 0;
    tcpsim__cert_cache_release();
    tcpsim__fp_memo_release();
    tcpsim__md_release();
}

/* The frame being decoded and its time, in one 16-byte store where there is
 * SSE2: item_init reads them as one 16-byte load (the compiler pairs the
 * two), which waited for two 8-byte stores to reach the cache (a store
 * forwards only to a load it covers whole). */
static inline void set_now(struct tcpsim_tls_conn *c, uint64_t frame, tcpsim_time_t time)
{
#if defined(__SSE2__)
    _Static_assert(CONN_OFF(time) == CONN_OFF(frame) + 8 && sizeof(tcpsim_time_t) == 8, "frame, then time");
    _mm_storeu_si128((__m128i *)(void *)&c->frame, _mm_set_epi64x((long long)time, (long long)frame));
#else
    c->frame = frame;
    c->time = time;
#endif
}

static bool dir_ok(enum tcpsim_side dir)
{
    return dir == TCPSIM_SIDE_CLIENT || dir == TCPSIM_SIDE_SERVER;
}

void tcpsim_tls_start(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq)
{
    if (c && dir_ok(dir))
        tcpsim_reasm_start(&c->d[dir].reasm, seq);
}

void tcpsim_tls_set_explain(struct tcpsim_tls_conn *c, bool on)
{
    if (c)
        c->no_explain = !on;
}

void tcpsim_tls_set_quiet(struct tcpsim_tls_conn *c, bool on)
{
    if (c)
        c->quiet = on;
}

static void release_if_done(struct tcpsim_tls_conn *c)
{
    /* once a direction is known not to be TLS, hold nothing for it */
    if (!c->some_not_tls)
        return;
    for (int i = 0; i < 2; i++) {
        struct dir_state *d = &c->d[i];
        if (d->not_tls) {
            tcpsim_reasm_free(&d->reasm);
            d->reasm.nisl = 0;
        }
    }
}

enum tcpsim_err tcpsim_tls_feed(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq, const uint8_t *data,
                                size_t len, uint64_t frame, tcpsim_time_t time)
{
    if (!c || !dir_ok(dir) || (len > 0 && !data))
        return TCPSIM_ERR_INVALID;
    struct dir_state *d = &c->d[dir];
    if (c->det == DET_NOT_TLS || d->not_tls || len == 0)
        return TCPSIM_OK;
    set_now(c, frame, time);
    struct tcpsim_reasm *r = &d->reasm;
    if ((!r->started || seq == r->next) && (!d->ooo || r->nisl == 0) && len <= (1u << 30) && !tcpsim__tls_long_way) {
        /* In order with nothing held (the common segment, and the first):
         * exactly what tcpsim_reasm_push would do (start the stream here if
         * it was not started, deliver at once, RFC 9293 §3.10.7.4) and
         * on_data after it (straight to the record layer once the stream
         * is TLS), without the calls; test_tls_fast compares it with the
         * long way. */
        if (!r->started) {
            r->started = true;
            r->next = seq;
        }
        if (c->det == DET_TLS)
            record_bytes(d, data, len);
        else
            on_data(d, seq, data, len);
        r->next += (uint32_t)len;
        release_if_done(c);
        return TCPSIM_OK;
    }
    d->ooo = true;
    enum tcpsim_err err = tcpsim_reasm_push(r, seq, data, len);
    release_if_done(c);
    return err;
}

void tcpsim_tls_gap(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq, uint64_t frame, tcpsim_time_t time)
{
    if (!c || !dir_ok(dir))
        return;
    struct dir_state *d = &c->d[dir];
    if (c->det == DET_NOT_TLS || d->not_tls)
        return;
    set_now(c, frame, time);
    d->ooo = true;
    tcpsim_reasm_skip_to(&d->reasm, seq);
    release_if_done(c);
}

static void dir_end(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint64_t frame, tcpsim_time_t time,
                    bool cut_by_capture)
{
    if (!c || !dir_ok(dir))
        return;
    struct dir_state *d = &c->d[dir];
    if (d->fin)
        return;
    set_now(c, frame, time);
    if (c->det == DET_NOT_TLS || d->not_tls) {
        d->fin = true;
        return;
    }
    if (d->ooo) /* (else it holds nothing) */
        tcpsim_reasm_flush(&d->reasm);
    d->fin = true;
    if (c->det == DET_UNKNOWN && d->side == TCPSIM_SIDE_CLIENT && d->pre_len > 0)
        stop_not_tls(c); /* too short to be a ClientHello */
    else if (c->det == DET_TLS && !d->not_tls)
        parse_buffer(d, true, cut_by_capture);
    release_if_done(c);
}

void tcpsim_tls_fin(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint64_t frame, tcpsim_time_t time)
{
    dir_end(c, dir, frame, time, false);
}

void tcpsim_tls_capture_end(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint64_t frame, tcpsim_time_t time)
{
    dir_end(c, dir, frame, time, true);
}

bool tcpsim_tls_is_tls(const struct tcpsim_tls_conn *c)
{
    return c && c->det == DET_TLS;
}

bool tcpsim_tls_is_not_tls(const struct tcpsim_tls_conn *c)
{
    return c && c->det == DET_NOT_TLS;
}

/* The used parts only: a summary is ~14 KB, most of it certificate slots,
 * message slots and string buffers that hold a few bytes. The copy below
 * takes everything but the unused tails of sni, ja3_full, ja3s_full, certs,
 * alerts and msgs; the layout it relies on (no other field between or right
 * after them) is checked here, so that a field added there breaks the build. */
_Static_assert(SUM_END(sni) == SUM_OFF(alpn) && SUM_OFF(alpn) < SUM_OFF(ja3_full) &&
                   SUM_END(ja3_full) == SUM_OFF(ja3s_full) &&
                   SUM_OFF(certs) - SUM_END(ja3s_full) < _Alignof(struct tcpsim_tls_cert) &&
                   SUM_END(certs) == SUM_OFF(ncerts) && SUM_OFF(ncerts) < SUM_OFF(alerts) &&
                   SUM_END(alerts) == SUM_OFF(nalerts) && SUM_OFF(nalerts) < SUM_OFF(msgs) &&
                   SUM_END(msgs) == SUM_OFF(nmsgs),
               "tcpsim_tls_summary_copy follows this field order");

static void copy_str(char *dst, const char *src, size_t cap)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

#define SUM_RANGE(dst, src, from, to)                                                                                  \
    memcpy((char *)(dst) + SUM_OFF(from), (const char *)(src) + SUM_OFF(from), SUM_OFF(to) - SUM_OFF(from))

void tcpsim_tls_summary_copy(struct tcpsim_tls_summary *dst, const struct tcpsim_tls_summary *src)
{
    size_t nc = src->ncerts < TCPSIM_TLS_MAX_CERTS ? src->ncerts : TCPSIM_TLS_MAX_CERTS;
    size_t na = src->nalerts < TCPSIM_TLS_MAX_ALERTS ? src->nalerts : TCPSIM_TLS_MAX_ALERTS;
    size_t nm = src->nmsgs < TCPSIM_TLS_MAX_MSGS ? src->nmsgs : TCPSIM_TLS_MAX_MSGS;
    memcpy(dst, src, SUM_OFF(sni));
    copy_str(dst->sni, src->sni, sizeof dst->sni);
    SUM_RANGE(dst, src, alpn, ja3_full);
    copy_str(dst->ja3_full, src->ja3_full, sizeof dst->ja3_full);
    copy_str(dst->ja3s_full, src->ja3s_full, sizeof dst->ja3s_full);
    memcpy(dst->certs, src->certs, nc * sizeof src->certs[0]);
    SUM_RANGE(dst, src, ncerts, alerts);
    memcpy(dst->alerts, src->alerts, na * sizeof src->alerts[0]);
    SUM_RANGE(dst, src, nalerts, msgs);
    memcpy(dst->msgs, src->msgs, nm * sizeof src->msgs[0]);
    memcpy(&dst->nmsgs, &src->nmsgs, sizeof *src - SUM_OFF(nmsgs));
}

/* The packed form keeps what tcpsim_tls_summary_copy copies, back to back:
 * the fixed fields first (so that the counts are known before the arrays),
 * then the strings with their NUL and the used array slots. A TLS 1.3
 * summary packs into ~1 KB instead of ~14 KB, which matters for the closed
 * connections a replay keeps until their conn record is written. */
#define PACK_FIXED(X)                                                                                                  \
    X(0, SUM_OFF(sni))                                                                                                 \
    X(SUM_OFF(alpn), SUM_OFF(ja3_full))                                                                                \
    X(SUM_OFF(ncerts), SUM_OFF(alerts))                                                                                \
    X(SUM_OFF(nalerts), SUM_OFF(msgs))                                                                                 \
    X(SUM_OFF(nmsgs), sizeof(struct tcpsim_tls_summary))
#define FIXED_SIZE(from, to) +((to) - (from))
/* the fixed fields' bytes (constant sizes: each range one inline copy) */
#define PACK_RANGE(from, to)                                                                                           \
    memcpy(p, (const char *)s + (from), (to) - (from));                                                                \
    p += (to) - (from);
#define UNPACK_RANGE(from, to)                                                                                         \
    memcpy((char *)dst + (from), p, (to) - (from));                                                                    \
    p += (to) - (from);

static void used_counts(const struct tcpsim_tls_summary *s, size_t *nc, size_t *na, size_t *nm)
{
    *nc = s->ncerts < TCPSIM_TLS_MAX_CERTS ? s->ncerts : TCPSIM_TLS_MAX_CERTS;
    *na = s->nalerts < TCPSIM_TLS_MAX_ALERTS ? s->nalerts : TCPSIM_TLS_MAX_ALERTS;
    *nm = s->nmsgs < TCPSIM_TLS_MAX_MSGS ? s->nmsgs : TCPSIM_TLS_MAX_MSGS;
}

size_t tcpsim_tls_summary_packed_size(const struct tcpsim_tls_summary *s)
{
    size_t n = 0 PACK_FIXED(FIXED_SIZE), nc, na, nm;
    n += strnlen(s->sni, sizeof s->sni - 1) + 1;
    n += strnlen(s->ja3_full, sizeof s->ja3_full - 1) + 1;
    n += strnlen(s->ja3s_full, sizeof s->ja3s_full - 1) + 1;
    used_counts(s, &nc, &na, &nm);
    return n + nc * sizeof s->certs[0] + na * sizeof s->alerts[0] + nm * sizeof s->msgs[0];
}

static uint8_t *pack_str(uint8_t *p, const char *src, size_t cap)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(p, src, n);
    p[n] = '\0';
    return p + n + 1;
}

size_t tcpsim_tls_summary_pack(uint8_t *dst, const struct tcpsim_tls_summary *s)
{
    uint8_t *p = dst;
    size_t nc, na, nm;
    PACK_FIXED(PACK_RANGE)
    p = pack_str(p, s->sni, sizeof s->sni);
    p = pack_str(p, s->ja3_full, sizeof s->ja3_full);
    p = pack_str(p, s->ja3s_full, sizeof s->ja3s_full);
    used_counts(s, &nc, &na, &nm);
    memcpy(p, s->certs, nc * sizeof s->certs[0]);
    p += nc * sizeof s->certs[0];
    memcpy(p, s->alerts, na * sizeof s->alerts[0]);
    p += na * sizeof s->alerts[0];
    memcpy(p, s->msgs, nm * sizeof s->msgs[0]);
    p += nm * sizeof s->msgs[0];
    return (size_t)(p - dst);
}

static const uint8_t *unpack_str(const uint8_t *p, char *dst)
{
    size_t n = strlen((const char *)p) + 1;
    memcpy(dst, p, n);
    return p + n;
}

void tcpsim_tls_summary_unpack(struct tcpsim_tls_summary *dst, const uint8_t *src)
{
    const uint8_t *p = src;
    size_t nc, na, nm;
    PACK_FIXED(UNPACK_RANGE)
    p = unpack_str(p, dst->sni);
    p = unpack_str(p, dst->ja3_full);
    p = unpack_str(p, dst->ja3s_full);
    used_counts(dst, &nc, &na, &nm);
    memcpy(dst->certs, p, nc * sizeof dst->certs[0]);
    p += nc * sizeof dst->certs[0];
    memcpy(dst->alerts, p, na * sizeof dst->alerts[0]);
    p += na * sizeof dst->alerts[0];
    memcpy(dst->msgs, p, nm * sizeof dst->msgs[0]);
}

const struct tcpsim_tls_summary *tcpsim_tls_summary(const struct tcpsim_tls_conn *c)
{
    static const struct tcpsim_tls_summary empty;
    return c ? &c->sum : &empty;
}

/* The lines tcpsim_tls_feed and what it calls reach for a segment of one
 * direction (tls.h): the decoder's header line (detection, flags, frame,
 * record buffers), the direction's line 0 (record state, the reassembler's
 * head; its other lines only once it holds something), and the summary's
 * counters (application data, handshake messages). */
#define HOT_D(i) (CONN_OFF(d) + (i) * sizeof(struct dir_state))
#define HOT_LINES(i)                                                                                                   \
    {                                                                                                                  \
        0, HOT_D(i), CONN_OFF(sum) + SUM_OFF(nmsgs)                                                                    \
    }
_Static_assert(sizeof(struct tcpsim_tls_conn) <= UINT16_MAX, "hint offsets fit 16 bits");
_Static_assert(TCPSIM_TLS_HOT_LINES == 3, "HOT_LINES lists every line");
const uint16_t tcpsim_tls_hot_off[2][TCPSIM_TLS_HOT_LINES] = {HOT_LINES(0), HOT_LINES(1)};

static void prefetch_span(const char *from, const char *to)
{
    for (const char *p = from; p < to; p += 64)
        TCPSIM__PREFETCH(p);
    TCPSIM__PREFETCH(to - 1); /* the last line, whatever the alignment */
}

/* What conn_setup writes, as [from, to) byte ranges of a decoder (and the
 * first handshake-message slots of its summary). */
struct span {
    uint16_t from, to;
};
#define DIR_SPANS(i)                                                                                                   \
    {HOT_D(i), HOT_D(i) + 64},                                                                                         \
    {                                                                                                                  \
        HOT_D(i) + offsetof(struct dir_state, hs), HOT_D(i) + sizeof(struct dir_state)                                 \
    }
#define SUM_SPAN(from, to)                                                                                             \
    {                                                                                                                  \
        CONN_OFF(sum) + (from), CONN_OFF(sum) + (to)                                                                   \
    }
static const struct span fresh_spans[] = {
    {0, CONN_OFF(d)},
    DIR_SPANS(0),
    DIR_SPANS(1),
    {CONN_OFF(ch), CONN_OFF(pad_)},
    SUM_SPAN(0, SUM_OFF(sni) + 1),
    SUM_SPAN(SUM_OFF(alpn), SUM_OFF(ja3_full) + 1),
    SUM_SPAN(SUM_OFF(ja3s_full), SUM_OFF(ja3s_full) + 1),
    SUM_SPAN(SUM_OFF(ncerts), SUM_OFF(alerts)),
    SUM_SPAN(SUM_OFF(nalerts), SUM_OFF(msgs)),
    SUM_SPAN(SUM_OFF(nmsgs), sizeof(struct tcpsim_tls_summary)),
    SUM_SPAN(SUM_OFF(msgs), SUM_OFF(msgs) + 8 * sizeof(struct tcpsim_tls_msg)), /* written by the first items */
};

/* The decoder tcpsim_tls_conn_new would take now (the pool's top), the
 * lines conn_setup writes (16 of its 239) and the first message slots
 * the connection's first items fill. Out of line: the pool is the thread's. */
static _Thread_local uint16_t fresh_lines[64]; /* the spans' lines, made once per thread */
static _Thread_local unsigned fresh_n;

static void fresh_lines_make(void)
{
    for (size_t i = 0; i < sizeof fresh_spans / sizeof fresh_spans[0]; i++)
        for (unsigned l = fresh_spans[i].from / 64u; l <= (fresh_spans[i].to - 1u) / 64u; l++)
            if ((fresh_n == 0 || fresh_lines[fresh_n - 1] != l * 64u) && fresh_n < 64)
                fresh_lines[fresh_n++] = (uint16_t)(l * 64u); /* (the decoder starts a line) */
}

void tcpsim_tls_prefetch_fresh(void)
{
    if (pool_n == 0)
        return; /* a malloc: nothing to hint */
    if (fresh_n == 0)
        fresh_lines_make();
    const char *b = (const char *)pool[pool_n - 1];
    for (unsigned i = 0; i < fresh_n; i++)
        TCPSIM__PREFETCH(b + fresh_lines[i]);
}

/* A segment that ends the decoder's last open direction: what packing its
 * summary (tls_both_done in src/replay/tlsglue.c) finds cold, measured: the
 * counts tcpsim_tls_summary_packed_size reads and the first handshake
 * messages (their first lines: reading nmsgs here would wait for it), the
 * first fixed range with the host name's start, the range from alpn to ja4,
 * and the first bytes of the JA3 strings (all written at the hellos or at
 * set-up, and left to go cold since: tcpsim_tls_summary_packed_size's
 * strnlen waited for them on the bench file). */
void tcpsim_tls_prefetch_done(const struct tcpsim_tls_conn *c)
{
    TCPSIM__PREFETCH(&c->sum);
    prefetch_span(c->sum.alpn, c->sum.ja3_full);
    TCPSIM__PREFETCH(c->sum.ja3_full);
    TCPSIM__PREFETCH(c->sum.ja3s_full);
    TCPSIM__PREFETCH(&c->sum.ncerts);
    TCPSIM__PREFETCH(&c->sum.nalerts);
    TCPSIM__PREFETCH(&c->sum.nmsgs);
    prefetch_span((const char *)c->sum.msgs, (const char *)&c->sum.msgs[8]);
}
