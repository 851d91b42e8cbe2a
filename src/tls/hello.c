/* hello.c - ClientHello and ServerHello bodies and their extensions.
 * Read first: RFC 8446 §4.1.2-4.1.4 and §4.2 (extensions), RFC 5246 §7.4.1,
 * RFC 6066 §3 (SNI), RFC 7301 §3.1 (ALPN), RFC 5246 §E.2 (SSLv2 hello).
 * Every length-prefixed block must be consumed exactly (picotls discipline). */
#include <string.h>

#include "tls/tls_internal.h"

/* SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3 */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

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
static bool ext_sni(struct tcpsim_reader *e, struct tcpsim_tls_hello *h)
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
            h->has_sni = true;
            tcpsim__printable(name.p, tcpsim_reader_left(&name), h->sni, sizeof h->sni);
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

static bool ext_key_share(struct tcpsim_reader *e, struct tcpsim_tls_hello *h, bool client, bool hrr)
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
        if (h->nkey_shares < sizeof h->key_share_groups / sizeof h->key_share_groups[0])
            h->key_share_groups[h->nkey_shares++] = g;
        if (!client)
            break;
    }
    return tcpsim_reader_left(&list) == 0;
}

/* One extension; `client` selects the ClientHello layouts (RFC 8446 §4.2). */
static bool parse_ext(uint16_t type, struct tcpsim_reader *e, struct tcpsim_tls_hello *h, bool client)
{
    struct tcpsim_reader sub;
    switch (type) {
    case 0:
        return ext_sni(e, h);
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
                h->psk_identities++;
            }
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
            uint16_t v;
            if (!tcpsim_read_u16(e, &v) || tcpsim_reader_left(e) != 0)
                return false;
            h->versions[0] = v;
            h->nversions = 1;
            h->version = v;
            h->via_supported_versions = true;
            return true;
        }
    case 45: /* psk_key_exchange_modes, RFC 8446 §4.2.9 */
        if (!tcpsim_read_vec(e, 1, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return read_u8_list(&sub, h->psk_modes, sizeof h->psk_modes, &h->npsk_modes);
    case 51:
        return ext_key_share(e, h, client, h->hrr);
    case 65281: /* renegotiation_info, RFC 5746 §3.2 */
        h->reneg_info = true;
        if (!tcpsim_read_vec(e, 1, &sub) || tcpsim_reader_left(e) != 0)
            return false;
        return true;
    default: /* integer switch over wire values: other extensions are listed, not decoded */
        return true;
    }
}

static bool parse_exts(struct tcpsim_reader *r, struct tcpsim_tls_hello *h, bool client, const char **what)
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
        if (!parse_ext(type, &e, h, client)) {
            *what = "extension body does not match its length";
            return false;
        }
    }
    if (h->nexts > TCPSIM_TLS_MAX_EXT)
        h->nexts = TCPSIM_TLS_MAX_EXT;
    return true;
}

enum tcpsim_err tcpsim__parse_client_hello(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                           const char **what)
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
    if (!tcpsim_read_vec(&r, 1, &sub) || tcpsim_reader_left(&sub) > 32) {
        *what = "session id longer than 32 bytes or truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    h->session_id_len = (uint8_t)tcpsim_reader_left(&sub);
    memcpy(h->session_id, sub.p, h->session_id_len);
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
    if (!parse_exts(&r, h, true, what))
        return TCPSIM_ERR_MALFORMED;
    return TCPSIM_OK;
}

enum tcpsim_err tcpsim__parse_server_hello(const uint8_t *body, size_t len, struct tcpsim_tls_hello *h,
                                           const char **what)
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
    if (!tcpsim_read_vec(&r, 1, &sub) || tcpsim_reader_left(&sub) > 32) {
        *what = "session id longer than 32 bytes or truncated";
        return TCPSIM_ERR_MALFORMED;
    }
    h->session_id_len = (uint8_t)tcpsim_reader_left(&sub);
    memcpy(h->session_id, sub.p, h->session_id_len);
    if (!tcpsim_read_u16(&r, &cs) || !tcpsim_read_u8(&r, &comp)) {
        *what = "ServerHello ends before cipher suite and compression";
        return TCPSIM_ERR_MALFORMED;
    }
    h->ciphers[0] = cs;
    h->nciphers = 1;
    h->compressions[0] = comp;
    h->ncompressions = 1;
    if (!parse_exts(&r, h, false, what))
        return TCPSIM_ERR_MALFORMED;
    return TCPSIM_OK;
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
