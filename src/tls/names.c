/* names.c - printable names for TLS numbers, from the IANA TLS registries.
 * Read first: RFC 8446 §4.2 and §B.3 (extensions, groups, signature schemes),
 * RFC 8447, RFC 8701 (GREASE), RFC 5246 §7.2 (alerts). */
#include <stddef.h>

#include "tls/parse_internal.h"
#include "tls/tls_internal.h"

const char *tcpsim_tls_record_name(enum tcpsim_tls_record r)
{
    switch (r) {
    case TCPSIM_TLS_REC_INVALID:
        return "invalid";
    case TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC:
        return "change_cipher_spec";
    case TCPSIM_TLS_REC_ALERT:
        return "alert";
    case TCPSIM_TLS_REC_HANDSHAKE:
        return "handshake";
    case TCPSIM_TLS_REC_APPLICATION_DATA:
        return "application_data";
    case TCPSIM_TLS_REC_HEARTBEAT:
        return "heartbeat";
    }
    return "unknown";
}

const char *tcpsim_tls_hs_name(enum tcpsim_tls_hs hs)
{
    switch (hs) {
    case TCPSIM_TLS_HS_HELLO_REQUEST:
        return "HelloRequest";
    case TCPSIM_TLS_HS_CLIENT_HELLO:
        return "ClientHello";
    case TCPSIM_TLS_HS_SERVER_HELLO:
        return "ServerHello";
    case TCPSIM_TLS_HS_NEW_SESSION_TICKET:
        return "NewSessionTicket";
    case TCPSIM_TLS_HS_END_OF_EARLY_DATA:
        return "EndOfEarlyData";
    case TCPSIM_TLS_HS_ENCRYPTED_EXTENSIONS:
        return "EncryptedExtensions";
    case TCPSIM_TLS_HS_CERTIFICATE:
        return "Certificate";
    case TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE:
        return "ServerKeyExchange";
    case TCPSIM_TLS_HS_CERTIFICATE_REQUEST:
        return "CertificateRequest";
    case TCPSIM_TLS_HS_SERVER_HELLO_DONE:
        return "ServerHelloDone";
    case TCPSIM_TLS_HS_CERTIFICATE_VERIFY:
        return "CertificateVerify";
    case TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE:
        return "ClientKeyExchange";
    case TCPSIM_TLS_HS_FINISHED:
        return "Finished";
    case TCPSIM_TLS_HS_CERTIFICATE_STATUS:
        return "CertificateStatus";
    case TCPSIM_TLS_HS_KEY_UPDATE:
        return "KeyUpdate";
    case TCPSIM_TLS_HS_COMPRESSED_CERTIFICATE:
        return "CompressedCertificate";
    case TCPSIM_TLS_HS_MESSAGE_HASH:
        return "MessageHash";
    case TCPSIM_TLS_HS_HELLO_RETRY_REQUEST:
        return "HelloRetryRequest";
    case TCPSIM_TLS_HS_ENCRYPTED:
        return "encrypted";
    case TCPSIM_TLS_HS_UNKNOWN:
        return "unknown";
    case TCPSIM_TLS_HS_NONE:
        return "";
    }
    return "unknown";
}

const char *tcpsim_tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0002:
        return "SSL 2.0";
    case 0x0300:
        return "SSL 3.0";
    case 0x0301:
        return "TLS 1.0";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    default:
        break; /* plain integer switch: any value may arrive from the wire */
    }
    if (tcpsim_tls_is_grease(v))
        return "GREASE";
    return "unknown";
}

bool tcpsim_tls_is_grease(uint16_t v)
{
    /* RFC 8701 §2: 0x0A0A, 0x1A1A, ..., 0xFAFA */
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The ~350 suites take 9 steps of binary search (~100 instructions); the
 * decoder names the negotiated suite of every ServerHello and the JSON view
 * every extension of every hello, and a capture holds a handful of each: a
 * small direct-mapped memo per thread and table (key 0: empty) gives the
 * same pointer the search gives. */
#define NAME_MEMO 64u

struct name_memo {
    uint32_t key[NAME_MEMO]; /* value + 1 */
    const char *name[NAME_MEMO];
};

static _Thread_local struct name_memo cs_memo, ext_memo, group_memo;
_Thread_local bool tcpsim__names_memo_off;

/* the value itself below 64 (extension types: every common one its own
 * slot), its high bits folded in above */
static unsigned memo_index(uint16_t v)
{
    return (v ^ v >> 6 ^ v >> 12) & (NAME_MEMO - 1);
}

static void memo_put(struct name_memo *m, uint16_t v, const char *name)
{
    unsigned i = memo_index(v);
    m->key[i] = v + 1u;
    m->name[i] = name;
}

static const char *cipher_search(uint16_t cs)
{
    size_t lo = 0, hi = tcpsim__nciphers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tcpsim__ciphers[mid].value == cs)
            return tcpsim__ciphers[mid].name;
        if (tcpsim__ciphers[mid].value < cs)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *tcpsim_tls_cipher_name(uint16_t cs)
{
    if (tcpsim_tls_is_grease(cs))
        return "GREASE";
    if (tcpsim__names_memo_off)
        return cipher_search(cs);
    unsigned i = memo_index(cs);
    if (cs_memo.key[i] == cs + 1u)
        return cs_memo.name[i];
    const char *n = cipher_search(cs);
    memo_put(&cs_memo, cs, n);
    return n;
}

struct num_name {
    uint16_t v;
    const char *name;
};

/* Binary search: every table below is sorted by value, strictly
 * (tcpsim__names_sorted checks them, a test calls it); the JSON view looks
 * up every extension of every ClientHello. */
static const char *lookup(const struct num_name *t, size_t n, uint16_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].v == v)
            return t[mid].name;
        if (t[mid].v < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
#define LOOKUP(t, v) lookup(t, sizeof t / sizeof t[0], v)

static const char *memo_lookup(struct name_memo *m, const struct num_name *t, size_t n, uint16_t v)
{
    if (tcpsim__names_memo_off)
        return lookup(t, n, v);
    unsigned i = memo_index(v);
    if (m->key[i] == v + 1u)
        return m->name[i];
    const char *name = lookup(t, n, v);
    memo_put(m, v, name);
    return name;
}
#define MEMO_LOOKUP(m, t, v) memo_lookup(m, t, sizeof t / sizeof t[0], v)

static bool sorted(const struct num_name *t, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (t[i - 1].v >= t[i].v)
            return false;
    return true;
}
#define SORTED(t) sorted(t, sizeof t / sizeof t[0])

/* IANA "TLS Supported Groups" (RFC 8422, RFC 7919, RFC 8446 §4.2.7) */
static const struct num_name groups[] = {
    {1, "sect163k1"},
    {2, "sect163r1"},
    {3, "sect163r2"},
    {4, "sect193r1"},
    {5, "sect193r2"},
    {6, "sect233k1"},
    {7, "sect233r1"},
    {8, "sect239k1"},
    {9, "sect283k1"},
    {10, "sect283r1"},
    {11, "sect409k1"},
    {12, "sect409r1"},
    {13, "sect571k1"},
    {14, "sect571r1"},
    {15, "secp160k1"},
    {16, "secp160r1"},
    {17, "secp160r2"},
    {18, "secp192k1"},
    {19, "secp192r1"},
    {20, "secp224k1"},
    {21, "secp224r1"},
    {22, "secp256k1"},
    {23, "secp256r1"},
    {24, "secp384r1"},
    {25, "secp521r1"},
    {26, "brainpoolP256r1"},
    {27, "brainpoolP384r1"},
    {28, "brainpoolP512r1"},
    {29, "x25519"},
    {30, "x448"},
    {31, "brainpoolP256r1tls13"},
    {32, "brainpoolP384r1tls13"},
    {33, "brainpoolP512r1tls13"},
    {34, "GC256A"},
    {35, "GC256B"},
    {36, "GC256C"},
    {37, "GC256D"},
    {38, "GC512A"},
    {39, "GC512B"},
    {40, "GC512C"},
    {41, "curveSM2"},
    {256, "ffdhe2048"},
    {257, "ffdhe3072"},
    {258, "ffdhe4096"},
    {259, "ffdhe6144"},
    {260, "ffdhe8192"},
    {0x0200, "MLKEM512"},
    {0x0201, "MLKEM768"},
    {0x0202, "MLKEM1024"},
    {0x11EB, "SecP256r1MLKEM768"},
    {0x11EC, "X25519MLKEM768"},
    {0x11ED, "SecP384r1MLKEM1024"},
    {0x6399, "X25519Kyber768Draft00"},
    {0xFF01, "arbitrary_explicit_prime_curves"},
    {0xFF02, "arbitrary_explicit_char2_curves"},
};

const char *tcpsim_tls_group_name(uint16_t g)
{
    if (tcpsim_tls_is_grease(g))
        return "GREASE";
    return MEMO_LOOKUP(&group_memo, groups, g);
}

/* IANA "TLS SignatureScheme" (RFC 8446 §4.2.3, RFC 8734) and the TLS 1.2
 * hash/signature pairs (RFC 5246 §7.4.1.4.1) still offered by clients */
static const struct num_name sigalgs[] = {
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0202, "dsa_sha1"},
    {0x0203, "ecdsa_sha1"},
    {0x0301, "rsa_sha224"},
    {0x0302, "dsa_sha224"},
    {0x0303, "ecdsa_sha224"},
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0402, "dsa_sha256"},
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0420, "rsa_pkcs1_sha256_legacy"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0502, "dsa_sha384"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0520, "rsa_pkcs1_sha384_legacy"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0602, "dsa_sha512"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0620, "rsa_pkcs1_sha512_legacy"},
    {0x0704, "eccsi_sha256"},
    {0x0705, "iso_ibs1"},
    {0x0706, "iso_ibs2"},
    {0x0707, "iso_chinese_ibs"},
    {0x0708, "sm2sig_sm3"},
    {0x0709, "gostr34102012_256a"},
    {0x070A, "gostr34102012_256b"},
    {0x070B, "gostr34102012_256c"},
    {0x070C, "gostr34102012_256d"},
    {0x070D, "gostr34102012_512a"},
    {0x070E, "gostr34102012_512b"},
    {0x070F, "gostr34102012_512c"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080A, "rsa_pss_pss_sha384"},
    {0x080B, "rsa_pss_pss_sha512"},
    {0x081A, "ecdsa_brainpoolP256r1tls13_sha256"},
    {0x081B, "ecdsa_brainpoolP384r1tls13_sha384"},
    {0x081C, "ecdsa_brainpoolP512r1tls13_sha512"},
};

const char *tcpsim_tls_sigalg_name(uint16_t s)
{
    if (tcpsim_tls_is_grease(s))
        return "GREASE";
    return LOOKUP(sigalgs, s);
}

/* IANA "TLS ExtensionType Values" */
static const struct num_name exts[] = {
    {0, "server_name"},
    {1, "max_fragment_length"},
    {2, "client_certificate_url"},
    {3, "trusted_ca_keys"},
    {4, "truncated_hmac"},
    {5, "status_request"},
    {6, "user_mapping"},
    {7, "client_authz"},
    {8, "server_authz"},
    {9, "cert_type"},
    {10, "supported_groups"},
    {11, "ec_point_formats"},
    {12, "srp"},
    {13, "signature_algorithms"},
    {14, "use_srtp"},
    {15, "heartbeat"},
    {16, "application_layer_protocol_negotiation"},
    {17, "status_request_v2"},
    {18, "signed_certificate_timestamp"},
    {19, "client_certificate_type"},
    {20, "server_certificate_type"},
    {21, "padding"},
    {22, "encrypt_then_mac"},
    {23, "extended_master_secret"},
    {24, "token_binding"},
    {25, "cached_info"},
    {26, "tls_lts"},
    {27, "compress_certificate"},
    {28, "record_size_limit"},
    {29, "pwd_protect"},
    {30, "pwd_clear"},
    {31, "password_salt"},
    {32, "ticket_pinning"},
    {33, "tls_cert_with_extern_psk"},
    {34, "delegated_credential"},
    {35, "session_ticket"},
    {36, "TLMSP"},
    {37, "TLMSP_proxying"},
    {38, "TLMSP_delegate"},
    {39, "supported_ekt_ciphers"},
    {41, "pre_shared_key"},
    {42, "early_data"},
    {43, "supported_versions"},
    {44, "cookie"},
    {45, "psk_key_exchange_modes"},
    {47, "certificate_authorities"},
    {48, "oid_filters"},
    {49, "post_handshake_auth"},
    {50, "signature_algorithms_cert"},
    {51, "key_share"},
    {52, "transparency_info"},
    {53, "connection_id_deprecated"},
    {54, "connection_id"},
    {55, "external_id_hash"},
    {56, "external_session_id"},
    {57, "quic_transport_parameters"},
    {58, "ticket_request"},
    {59, "dnssec_chain"},
    {60, "sequence_number_encryption_algorithms"},
    {61, "rrc"},
    {17513, "application_settings"},
    {64768, "ech_outer_extensions"},
    {65037, "encrypted_client_hello"},
    {65281, "renegotiation_info"},
};

const char *tcpsim_tls_ext_name(uint16_t e)
{
    if (tcpsim_tls_is_grease(e))
        return "GREASE";
    return MEMO_LOOKUP(&ext_memo, exts, e);
}

/* RFC 8446 §6, RFC 5246 §7.2 and the IANA "TLS Alerts" registry */
static const struct num_name alerts[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {21, "decryption_failed"},
    {22, "record_overflow"},
    {30, "decompression_failure"},
    {40, "handshake_failure"},
    {41, "no_certificate"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {52, "too_many_cids_requested"},
    {60, "export_restriction"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {100, "no_renegotiation"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {111, "certificate_unobtainable"},
    {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"},
    {114, "bad_certificate_hash_value"},
    {115, "unknown_psk_identity"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
    {121, "ech_required"},
};

const char *tcpsim_tls_alert_name(uint8_t desc)
{
    return LOOKUP(alerts, desc);
}

const char *tcpsim_tls_alert_level_name(uint8_t level)
{
    return level == 1 ? "warning" : level == 2 ? "fatal" : NULL;
}

const char *tcpsim_tls_side_name(enum tcpsim_side s)
{
    switch (s) {
    case TCPSIM_SIDE_CLIENT:
        return "c2s";
    case TCPSIM_SIDE_SERVER:
        return "s2c";
    }
    return "c2s";
}

bool tcpsim__names_sorted(void)
{
    for (size_t i = 1; i < tcpsim__nciphers; i++)
        if (tcpsim__ciphers[i - 1].value >= tcpsim__ciphers[i].value)
            return false;
    return SORTED(groups) && SORTED(sigalgs) && SORTED(exts) && SORTED(alerts);
}
