/* tcpsim/tls.h - passive TLS decoder for one TCP connection (both directions).
 * Read first: RFC 8446 §4 and §5 (TLS 1.3 handshake and record layer),
 * RFC 5246 §6.2 and §7.4 (TLS 1.2), RFC 6066 (SNI), RFC 7301 (ALPN),
 * RFC 8701 (GREASE); JA3/JA4 rules in docs/reference-facts.md.
 *
 * The caller feeds TCP payload per direction with its raw sequence number and
 * capture frame; the decoder reassembles the stream (tcpsim/reasm.h), detects
 * TLS by content (a ClientHello, on any port), splits records and handshake
 * messages, and reports one item per record or handshake message through a
 * callback, attached to the frame where its last byte arrived (as Wireshark
 * does). Nothing is decrypted. Item pointers are valid only during the call.
 * Without a callback (on_item NULL) only the summary is kept and no item is
 * explained. Complete records are read in place from the segment; the body of
 * an application_data record is counted by its header and never copied.
 *
 * Memory per connection is bounded and never allocated per packet: the handle
 * itself (~15 KiB, most of it the summary's certificate slots, touched only
 * when used); when TLS is detected, a record buffer per direction
 * (2 x (5 + 2^14 + 2048) bytes each); on the first handshake message that
 * spans records, `hs_cap` bytes for that direction; on the first out-of-order
 * segment, `ooo_cap / 2` bytes for that direction. Before detection nothing is
 * allocated (unless segments arrive out of order); a direction judged not TLS
 * releases its buffers. */
#ifndef TCPSIM_TLS_H
#define TCPSIM_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/error.h"
#include "tcpsim/reasm.h"
#include "tcpsim/tcp.h"
#include "tcpsim/timeline.h"

#define TCPSIM_TLS_MAX_RECORD     (16384u + 2048u) /* TLSCiphertext.length limit, RFC 8446 §5.2 */
#define TCPSIM_TLS_DEFAULT_CAP    (256u * 1024u)   /* out-of-order bytes per connection */
#define TCPSIM_TLS_DEFAULT_HS_CAP (64u * 1024u)    /* largest handshake message decoded */

/* Record content types (RFC 8446 §5.1, RFC 6520). */
enum tcpsim_tls_record {
    TCPSIM_TLS_REC_INVALID = 0, /* not a record header: reported with malformed=true, name "invalid" */
    TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC = 20,
    TCPSIM_TLS_REC_ALERT = 21,
    TCPSIM_TLS_REC_HANDSHAKE = 22,
    TCPSIM_TLS_REC_APPLICATION_DATA = 23,
    TCPSIM_TLS_REC_HEARTBEAT = 24,
};

/* Handshake types (RFC 8446 §4, RFC 5246 §7.4, RFC 8879), plus pseudo types. */
enum tcpsim_tls_hs {
    TCPSIM_TLS_HS_HELLO_REQUEST = 0,
    TCPSIM_TLS_HS_CLIENT_HELLO = 1,
    TCPSIM_TLS_HS_SERVER_HELLO = 2,
    TCPSIM_TLS_HS_NEW_SESSION_TICKET = 4,
    TCPSIM_TLS_HS_END_OF_EARLY_DATA = 5,
    TCPSIM_TLS_HS_ENCRYPTED_EXTENSIONS = 8,
    TCPSIM_TLS_HS_CERTIFICATE = 11,
    TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TCPSIM_TLS_HS_CERTIFICATE_REQUEST = 13,
    TCPSIM_TLS_HS_SERVER_HELLO_DONE = 14,
    TCPSIM_TLS_HS_CERTIFICATE_VERIFY = 15,
    TCPSIM_TLS_HS_CLIENT_KEY_EXCHANGE = 16,
    TCPSIM_TLS_HS_FINISHED = 20,
    TCPSIM_TLS_HS_CERTIFICATE_STATUS = 22,
    TCPSIM_TLS_HS_KEY_UPDATE = 24,
    TCPSIM_TLS_HS_COMPRESSED_CERTIFICATE = 25,
    TCPSIM_TLS_HS_MESSAGE_HASH = 254,
    /* pseudo types, not on the wire */
    TCPSIM_TLS_HS_HELLO_RETRY_REQUEST = 0x100, /* ServerHello with the special random */
    TCPSIM_TLS_HS_ENCRYPTED = 0x101,           /* handshake record we cannot read */
    TCPSIM_TLS_HS_UNKNOWN = 0x102,             /* a type we have no name for */
    TCPSIM_TLS_HS_NONE = 0x103,                /* not a handshake item */
};

/* Stable ids of the one-line explanations (English text in explain.c); a
 * translation keys on the id and uses the same parameters. */
enum tcpsim_tls_explain_id {
    TCPSIM_TLS_X_NONE,
    TCPSIM_TLS_X_CLIENT_HELLO,      /* n0 ciphers, s0 max version, n1 via supported_versions, s1 SNI, s2 ALPN list */
    TCPSIM_TLS_X_CLIENT_HELLO_V2,   /* n0 cipher specs, s0 version */
    TCPSIM_TLS_X_SERVER_HELLO,      /* s0 cipher, s1 version, n1 resumed (session id echo) */
    TCPSIM_TLS_X_HELLO_RETRY,       /* s0 group asked for, s1 cipher */
    TCPSIM_TLS_X_CERTIFICATE,       /* n0 count, s0 leaf subject, s1 leaf issuer, s2 key ("RSA 2048") */
    TCPSIM_TLS_X_CERTIFICATE_EMPTY, /* no certificate (client has none) */
    TCPSIM_TLS_X_SKE_ECDHE,         /* s0 group, n0 public key bytes */
    TCPSIM_TLS_X_SKE_DHE,           /* n0 prime bits */
    TCPSIM_TLS_X_SKE_OTHER,         /* n0 bytes */
    TCPSIM_TLS_X_CERT_REQUEST,      /* server asks for a client certificate */
    TCPSIM_TLS_X_SERVER_HELLO_DONE,
    TCPSIM_TLS_X_CKE_RSA,            /* n0 bytes of encrypted pre-master secret */
    TCPSIM_TLS_X_CKE_ECDHE,          /* s0 group, n0 bytes */
    TCPSIM_TLS_X_CKE_DHE,            /* n0 bytes */
    TCPSIM_TLS_X_CKE_OTHER,          /* n0 bytes */
    TCPSIM_TLS_X_CCS,                /* switching to the negotiated keys */
    TCPSIM_TLS_X_CCS_COMPAT,         /* TLS 1.3 dummy CCS (RFC 8446 §D.4) */
    TCPSIM_TLS_X_FINISHED_ENC,       /* encrypted handshake verification */
    TCPSIM_TLS_X_ENCRYPTED_HS,       /* encrypted handshake record (after CCS) */
    TCPSIM_TLS_X_TLS13_FLIGHT_S,     /* server's encrypted flight: n0 bytes, n1 record k (1 = first),
                                        n2 enum tcpsim_tls_flight_guess */
    TCPSIM_TLS_X_TLS13_FLIGHT_C,     /* client's encrypted Finished, n0 bytes */
    TCPSIM_TLS_X_NEW_SESSION_TICKET, /* n0 lifetime seconds, n1 ticket bytes */
    TCPSIM_TLS_X_ALERT,              /* s0 level, s1 description, n0 level, n1 code */
    TCPSIM_TLS_X_ALERT_ENC,          /* encrypted alert, n0 bytes */
    TCPSIM_TLS_X_APP_DATA,           /* n0 bytes */
    TCPSIM_TLS_X_HEARTBEAT,          /* n0 bytes */
    TCPSIM_TLS_X_HANDSHAKE_OTHER,    /* s0 handshake name, n0 bytes */
    TCPSIM_TLS_X_TOO_LARGE,          /* s0 handshake name, n0 bytes (not decoded) */
    TCPSIM_TLS_X_MALFORMED,          /* s0 what was wrong */
};

/* TCPSIM_TLS_X_TLS13_FLIGHT_S n2: what the record probably holds, inferred
 * from its position and size (RFC 8446 §5.2); never certain */
enum tcpsim_tls_flight_guess {
    TCPSIM_TLS_FLIGHT_UNKNOWN = 0,
    TCPSIM_TLS_FLIGHT_EE,       /* first record, EncryptedExtensions-sized */
    TCPSIM_TLS_FLIGHT_EE_MORE,  /* first record, larger: EncryptedExtensions and what follows */
    TCPSIM_TLS_FLIGHT_FINISHED, /* exactly the size of a Finished for the suite's hash */
};

struct tcpsim_tls_explain {
    enum tcpsim_tls_explain_id id;
    long long n[3];
    const char *s[3]; /* never NULL for used slots; "" when absent */
};

#define TCPSIM_TLS_MAX_LIST 128 /* values kept per list; more are counted */
#define TCPSIM_TLS_MAX_EXT  64
#define TCPSIM_TLS_MAX_ALPN 8

/* Decoded ClientHello / ServerHello (also the SSLv2-compatible ClientHello). */
struct tcpsim_tls_hello {
    bool sslv2;                  /* SSLv2-compatible record header (RFC 5246 §E.2) */
    uint16_t legacy_version;     /* ClientHello.legacy_version / ServerHello.legacy_version */
    uint16_t version;            /* client: highest offered (supported_versions or legacy);
                                    server: chosen (supported_versions or legacy) */
    bool via_supported_versions; /* `version` came from extension 43 */
    uint8_t random[32];
    uint8_t session_id[32];
    uint8_t session_id_len;
    uint16_t ciphers[TCPSIM_TLS_MAX_LIST]; /* server: ciphers[0] is the chosen one */
    size_t nciphers;                       /* total offered (may exceed the array) */
    uint8_t compressions[16];
    size_t ncompressions;
    uint16_t exts[TCPSIM_TLS_MAX_EXT]; /* extension types in wire order */
    size_t nexts;
    uint16_t groups[TCPSIM_TLS_MAX_LIST]; /* supported_groups */
    size_t ngroups;
    uint8_t point_formats[16];
    size_t npoint_formats;
    uint16_t sig_algs[TCPSIM_TLS_MAX_LIST]; /* signature_algorithms, wire order */
    size_t nsig_algs;
    uint16_t versions[32]; /* supported_versions (server: the one chosen) */
    size_t nversions;
    uint16_t key_share_groups[16]; /* client: offered shares; server: the one chosen (or HRR group) */
    size_t nkey_shares;
    uint8_t psk_modes[8];
    size_t npsk_modes;
    char sni[256]; /* host_name, "" if absent (non-printable bytes escaped as \xNN) */
    bool has_sni;
    char alpn[TCPSIM_TLS_MAX_ALPN][64]; /* protocol names (server: the chosen one) */
    size_t nalpn;
    uint8_t alpn0_raw[255]; /* first ALPN value as raw bytes (for JA4) */
    size_t alpn0_len;
    bool session_ticket_ext;
    size_t session_ticket_len; /* >0: client presents a ticket (resumption attempt) */
    bool ems;                  /* extended_master_secret */
    bool reneg_info;           /* renegotiation_info extension or SCSV */
    bool has_psk;              /* pre_shared_key */
    size_t psk_identities;
    unsigned psk_selected; /* server */
    bool early_data;
    bool hrr; /* this ServerHello is a HelloRetryRequest */
};

/* One certificate of a chain (parsed with OpenSSL libcrypto). */
struct tcpsim_tls_cert {
    bool parsed; /* false: the DER did not parse; only der_len is valid */
    size_t der_len;
    char subject[256]; /* RFC 2253 form, "CN=server.test,O=Example" */
    char issuer[256];
    char not_before[32]; /* "2025-01-31T12:00:00Z" */
    char not_after[32];
    char key_type[16]; /* "RSA", "EC", "Ed25519", "DSA", ... */
    int key_bits;
    char key_curve[32]; /* EC: "prime256v1", else "" */
    char sans[512];     /* "DNS:a.test,DNS:b.test,IP:127.0.0.1" */
    char serial[80];    /* hex */
    char sha256[65];    /* fingerprint of the DER, lowercase hex */
    bool self_signed;   /* subject == issuer */
};

#define TCPSIM_TLS_MAX_CERTS 8

/* One item: a record, or one handshake message (several per record possible). */
struct tcpsim_tls_item {
    enum tcpsim_side dir;
    uint64_t frame;     /* frame where the last byte of the item arrived */
    tcpsim_time_t time; /* capture/virtual time of that frame */
    enum tcpsim_tls_record record;
    uint16_t record_version;
    size_t length;         /* record: payload length; handshake message: body length */
    enum tcpsim_tls_hs hs; /* TCPSIM_TLS_HS_NONE unless record == HANDSHAKE */
    uint8_t hs_type;       /* raw handshake type (for UNKNOWN) */
    bool malformed;        /* decoding failed; `explain` says what was wrong */
    /* decoded fields: at most one of these is set, according to `hs`/`record` */
    const struct tcpsim_tls_hello *hello; /* ClientHello, ServerHello, HRR */
    const struct tcpsim_tls_cert *certs;
    size_t ncerts;                   /* Certificate (first MAX_CERTS) */
    size_t chain_len;                /* Certificate: total certificates */
    uint16_t group;                  /* ServerKeyExchange / ClientKeyExchange (ECDHE): named group */
    size_t key_bytes;                /* SKE / CKE public key or encrypted secret size */
    unsigned dh_prime_bits;          /* SKE (DHE) */
    uint8_t alert_level, alert_desc; /* ALERT, when not encrypted */
    bool encrypted;                  /* record body is ciphertext (alert/handshake after CCS, TLS 1.3) */
    uint32_t ticket_lifetime;
    size_t ticket_len; /* NewSessionTicket */
    struct tcpsim_tls_explain why;
    const char *explain; /* English rendering of `why` */
};

/* Per-connection summary: the `tls` object of the conn record. */
struct tcpsim_tls_msg {
    uint64_t frame;
    enum tcpsim_side dir;
    enum tcpsim_tls_record record;
    enum tcpsim_tls_hs hs;
};

struct tcpsim_tls_alert {
    uint64_t frame;
    enum tcpsim_side dir;
    bool encrypted;
    uint8_t level, desc;
};

enum tcpsim_tls_resumption {
    TCPSIM_TLS_RESUME_NONE,
    TCPSIM_TLS_RESUME_SESSION_ID, /* ServerHello echoed the client's session id (TLS <= 1.2) */
    TCPSIM_TLS_RESUME_TICKET,     /* TLS <= 1.2 ticket presented and abbreviated handshake */
    TCPSIM_TLS_RESUME_PSK,        /* TLS 1.3 pre_shared_key accepted */
};

#define TCPSIM_TLS_MAX_MSGS   64
#define TCPSIM_TLS_MAX_ALERTS 8

struct tcpsim_tls_summary {
    bool is_tls;      /* a ClientHello was seen */
    uint16_t version; /* negotiated (0 when no ServerHello) */
    uint16_t cipher;  /* negotiated */
    bool have_server_hello;
    bool hrr;
    char sni[256];
    char alpn[64]; /* negotiated ALPN ("" if none) */
    enum tcpsim_tls_resumption resumption;
    char ja3[33], ja3s[33], ja4[40];
    char ja3_full[1024], ja3s_full[512]; /* the strings hashed */
    struct tcpsim_tls_cert certs[TCPSIM_TLS_MAX_CERTS];
    size_t ncerts, chain_len;
    struct tcpsim_tls_alert alerts[TCPSIM_TLS_MAX_ALERTS];
    size_t nalerts, alerts_total;
    struct tcpsim_tls_msg msgs[TCPSIM_TLS_MAX_MSGS]; /* every non-application-data item */
    size_t nmsgs, msgs_total;
    uint64_t app_records[2], app_bytes[2]; /* per direction */
    uint64_t gaps[2], gap_bytes[2], malformed[2];
};

struct tcpsim_tls_config {
    uint32_t ooo_cap; /* out-of-order bytes per connection (split evenly), 0 = default */
    uint32_t hs_cap;  /* largest handshake message decoded, 0 = default */
};

struct tcpsim_tls_conn; /* opaque */

/* Reuse, per thread (no locks): a freed decoder goes to a pool that
 * tcpsim_tls_conn_new takes from (last freed first), which grows to as many
 * decoders as are freed and not taken again, up to TCPSIM_TLS_POOL (a
 * replay's pool holds at most as many as it had open at once; decoders are
 * carved from 2 MiB slabs on huge pages, and one freed past the pool's bound
 * keeps only its ~15 KB in its slab, for the next new one); a record buffer is
 * held only while a record split across segments waits in it, and goes back
 * to a free list of the thread as soon as it is empty;
 * parsed certificates are kept by their DER (the last TCPSIM_TLS_CERT_CACHE
 * used), so a server's chain is parsed once, not once per connection; and
 * JA3/JA4/JA3S are kept by the hello fields they are computed from, so a
 * client build's fingerprints are computed once. tcpsim_tls_release_caches
 * frees them all for the calling thread (e.g. at exit; the slabs once no
 * decoder of theirs is still in use). They are bounded
 * (the pooled decoders, ~15 KB each, up to TCPSIM_TLS_POOL, and bare ones
 * up to the most that were in use at once; the rest up to
 * ~5 MB with the certificates' DER copies) but not freed when a
 * thread ends: a thread that decoded TLS should call it before it returns. */
#define TCPSIM_TLS_POOL       4096
#define TCPSIM_TLS_CERT_CACHE 256

struct tcpsim_tls_cache_stats {
    uint64_t cert_hits, cert_misses; /* certificates taken from the cache / parsed */
    size_t certs_held;
    uint64_t conn_reused, conn_allocated; /* tcpsim_tls_conn_new from the pool / from malloc */
    size_t conns_pooled;
    size_t rb_in_use, rb_pooled; /* record buffers (split records waiting) held by decoders / free */
};
void tcpsim_tls_cache_stats(struct tcpsim_tls_cache_stats *st);
void tcpsim_tls_release_caches(void);

/* Cache hints (the replay's look-ahead, src/replay/flow.h): byte offsets in
 * a decoder (allocated on 64-byte lines) of the lines a segment of each
 * direction touches: the decoder's header, that direction's record state
 * and the head of its reassembly, the summary's counters. Only hints:
 * whatever the layout, they are read, never written through. [side][0] is
 * the line a bare ACK reads too. */
#define TCPSIM_TLS_HOT_LINES 3
extern const uint16_t tcpsim_tls_hot_off[2][TCPSIM_TLS_HOT_LINES];
/* ... and the lines of the decoder tcpsim_tls_conn_new would hand out next
 * on this thread that it clears (a connection's first TLS bytes). */
void tcpsim_tls_prefetch_fresh(void);
/* ... and, for a segment that ends its last open direction, the lines of
 * its summary that packing it reads (tcpsim_tls_summary_pack) first. */
void tcpsim_tls_prefetch_done(const struct tcpsim_tls_conn *c);

typedef void (*tcpsim_tls_item_fn)(void *ctx, const struct tcpsim_tls_item *item);

/* Create a decoder for one connection. `cfg` may be NULL. Small; the buffers
 * are allocated when TLS is first seen. Returns NULL when out of memory. */
struct tcpsim_tls_conn *tcpsim_tls_conn_new(const struct tcpsim_tls_config *cfg, tcpsim_tls_item_fn on_item, void *ctx);
void tcpsim_tls_conn_free(struct tcpsim_tls_conn *c);
/* Make `c` a fresh decoder for another connection, as if it came from
 * tcpsim_tls_conn_new(cfg, on_item, ctx), keeping its message buffers. */
void tcpsim_tls_conn_reset(struct tcpsim_tls_conn *c, const struct tcpsim_tls_config *cfg, tcpsim_tls_item_fn on_item,
                           void *ctx);
/* Optional, for a caller that shows few sentences (rendering one costs more
 * than decoding a record): with `on` false, items are delivered with
 * `explain` NULL unless malformed; their `why` is set and
 * tcpsim_tls_explain_en renders it. A new or reset decoder explains. */
void tcpsim_tls_set_explain(struct tcpsim_tls_conn *c, bool on);
/* Optional, for a caller that only keeps the summary: with `on` true, only
 * malformed items and ClientHellos reach `on_item`; an application_data
 * record is then only counted. Malformed items are the same (same checks,
 * text and frame). The summary is kept the same but for what a quiet reader
 * does not look at (the summary view, src/replay/output.c summary_tls):
 * ja3, ja3_full, ja3s and ja3s_full stay "" (ja4 is kept); no
 * certificate is kept (ncerts and chain_len stay 0; a Certificate message's
 * framing is still checked, its DER not parsed); and msgs[] is not kept
 * (nmsgs stays 0, msgs_total counts as before). With quiet on and
 * tcpsim_tls_set_explain(c, false), a ClientHello item is delivered with
 * `hello` but `why` left empty (TCPSIM_TLS_X_NONE). A new or reset decoder
 * delivers every item. Set it before the first tcpsim_tls_feed. */
void tcpsim_tls_set_quiet(struct tcpsim_tls_conn *c, bool on);
/* Optional: the first payload byte of `dir` has sequence number `seq` (ISN+1). */
void tcpsim_tls_start(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq);
/* TCP payload of one segment. Items completed by it are delivered before this
 * returns. Never fails on bad input (that is reported as malformed items); the
 * only errors are TCPSIM_ERR_INVALID and TCPSIM_ERR_NOMEM. */
enum tcpsim_err tcpsim_tls_feed(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq, const uint8_t *data,
                                size_t len, uint64_t frame, tcpsim_time_t time);
/* The bytes of `dir` before `seq` are lost for good (capture loss). */
void tcpsim_tls_gap(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint32_t seq, uint64_t frame, tcpsim_time_t time);
/* `dir` ended (FIN/RST): flush what is buffered; a record or handshake
 * message it cut is reported as malformed. */
void tcpsim_tls_fin(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint64_t frame, tcpsim_time_t time);
/* The capture (or the tracking of the connection) ended with `dir` still
 * open: complete records are delivered as by tcpsim_tls_fin, and a record or
 * message cut by the end of the capture is dropped, not reported. */
void tcpsim_tls_capture_end(struct tcpsim_tls_conn *c, enum tcpsim_side dir, uint64_t frame, tcpsim_time_t time);
/* True once a ClientHello was seen; false while undecided or not TLS. */
bool tcpsim_tls_is_tls(const struct tcpsim_tls_conn *c);
/* True once the connection was judged not to be TLS (nothing is buffered then). */
bool tcpsim_tls_is_not_tls(const struct tcpsim_tls_conn *c);
/* The summary so far; never NULL. */
const struct tcpsim_tls_summary *tcpsim_tls_summary(const struct tcpsim_tls_conn *c);
/* Copy a summary to keep it after its decoder is freed: every field a reader
 * may look at (strings up to their NUL, arrays up to their counts), not the
 * unused slots (a summary is ~14 KB, most of it unused). */
void tcpsim_tls_summary_copy(struct tcpsim_tls_summary *dst, const struct tcpsim_tls_summary *src);
/* The same fields packed into bytes (~1 KB for a TLS 1.3 connection, one
 * certificate adds ~1.3 KB): tcpsim_tls_summary_pack writes exactly
 * tcpsim_tls_summary_packed_size(s) bytes to `dst` (any alignment) and
 * returns that size; tcpsim_tls_summary_unpack writes to `dst` what
 * tcpsim_tls_summary_copy would have written from the packed summary. */
size_t tcpsim_tls_summary_packed_size(const struct tcpsim_tls_summary *s);
size_t tcpsim_tls_summary_pack(uint8_t *dst, const struct tcpsim_tls_summary *s);
void tcpsim_tls_summary_unpack(struct tcpsim_tls_summary *dst, const uint8_t *src);

/* ---- names (never NULL) ---- */
const char *tcpsim_tls_record_name(enum tcpsim_tls_record r); /* "handshake" ... */
const char *tcpsim_tls_hs_name(enum tcpsim_tls_hs hs);        /* "ClientHello" ... "encrypted" */
const char *tcpsim_tls_version_name(uint16_t v);              /* "TLS 1.3", "SSL 3.0", "unknown" */
/* IANA name of a cipher suite, NULL when unassigned (GREASE gives "GREASE"). */
const char *tcpsim_tls_cipher_name(uint16_t cs);
const char *tcpsim_tls_group_name(uint16_t g);          /* "x25519", NULL if unknown */
const char *tcpsim_tls_sigalg_name(uint16_t s);         /* "rsa_pss_rsae_sha256", NULL if unknown */
const char *tcpsim_tls_ext_name(uint16_t e);            /* "server_name", NULL if unknown */
const char *tcpsim_tls_alert_name(uint8_t desc);        /* "handshake_failure", NULL if unknown */
const char *tcpsim_tls_alert_level_name(uint8_t level); /* "warning", "fatal", NULL */
bool tcpsim_tls_is_grease(uint16_t v);                  /* RFC 8701 0x?A?A */
const char *tcpsim_tls_side_name(enum tcpsim_side s);   /* "c2s" / "s2c" */

/* ---- explanations ---- */
/* English one-liner for an explanation into buf; returns buf. */
const char *tcpsim_tls_explain_en(const struct tcpsim_tls_explain *x, char *buf, size_t cap);

/* ---- JSON (compact, UTF-8, escaped; replay-json.md) ---- */
/* The per-segment `tls` array element. *len_out gets the length written (no NUL
 * counted); TCPSIM_ERR_NOSPACE when it does not fit (buf holds a NUL-terminated prefix). */
enum tcpsim_err tcpsim_tls_item_json(const struct tcpsim_tls_item *item, char *buf, size_t cap, size_t *len_out);
/* The `tls` object of the conn record ("null" when the connection is not TLS). */
enum tcpsim_err tcpsim_tls_summary_json(const struct tcpsim_tls_summary *s, char *buf, size_t cap, size_t *len_out);

/* ---- fingerprints (also used by the summary) ---- */
/* JA3 / JA3S (MD5 over the string), JA4 (reference-facts.md). Buffers: ja3 33,
 * full string as large as needed (NOSPACE otherwise), ja4 >= 37. */
enum tcpsim_err tcpsim_tls_ja3(const struct tcpsim_tls_hello *ch, char *full, size_t fullcap, char md5hex[33]);
enum tcpsim_err tcpsim_tls_ja3s(const struct tcpsim_tls_hello *sh, char *full, size_t fullcap, char md5hex[33]);
enum tcpsim_err tcpsim_tls_ja4(const struct tcpsim_tls_hello *ch, char *out, size_t cap);

#endif
