/* tcpsim/wire.h - wire decoders and encoders: TCP header and options, IPv4,
 * IPv6 (with extension headers), the Internet checksum.
 * Read first: RFC 9293 §3.1 (header), §3.2 (options), RFC 7323 (window scale,
 * timestamps), RFC 2018 (SACK), RFC 791 (IPv4), RFC 8200 (IPv6), RFC 1071.
 * Decoders never allocate: payload and unknown options are views into the
 * caller's buffer (or, for segments an endpoint builds, into its own buffers). */
#ifndef TCPSIM_WIRE_H
#define TCPSIM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/error.h"

/* ---- TCP flags (RFC 9293 §3.1, RFC 3168 for ECE/CWR) ---- */
#define TCPSIM_FIN 0x01u
#define TCPSIM_SYN 0x02u
#define TCPSIM_RST 0x04u
#define TCPSIM_PSH 0x08u
#define TCPSIM_ACK 0x10u
#define TCPSIM_URG 0x20u
#define TCPSIM_ECE 0x40u
#define TCPSIM_CWR 0x80u

/* ---- TCP option kinds ---- */
#define TCPSIM_OPT_EOL       0
#define TCPSIM_OPT_NOP       1
#define TCPSIM_OPT_MSS       2
#define TCPSIM_OPT_WSCALE    3
#define TCPSIM_OPT_SACK_PERM 4
#define TCPSIM_OPT_SACK      5
#define TCPSIM_OPT_TS        8

/* Bits of tcpsim_tcp_opts.present */
#define TCPSIM_HAS_MSS       0x01u
#define TCPSIM_HAS_WSCALE    0x02u
#define TCPSIM_HAS_SACK_PERM 0x04u
#define TCPSIM_HAS_SACK      0x08u
#define TCPSIM_HAS_TS        0x10u

#define TCPSIM_TCP_OPT_SPACE   40 /* max option bytes (data offset 15 words) */
#define TCPSIM_MAX_SACK_BLOCKS 4

struct tcpsim_sack_block {
    uint32_t left, right; /* [left, right) as on the wire */
};

/* Decoded TCP options. The summary fields are what protocol code reads;
 * `layout` keeps the kinds in wire order (NOP/EOL included) so that encoding a
 * decoded header gives back the same bytes, and so that tests can check an
 * exact layout such as packetdrill's <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 8>.
 * Options of unknown kind are kept raw, concatenated TLVs in `unknown`.
 * After a decode, entries of sack[], layout[] and unknown[] past sack_count,
 * layout_len and unknown_len are unspecified (the decoders do not clear them):
 * read only up to the counts. Every other field is always set.
 * The order puts what nearly every segment reads (the flags and counts, MSS,
 * window scale, timestamps) in the first 16 bytes: the replay's reader hands
 * decoded segments to another core, which then reads only the cache lines
 * holding those (src/replay/reader.c). */
struct tcpsim_tcp_opts {
    uint8_t present; /* TCPSIM_HAS_* */
    uint8_t wscale;  /* as sent (the shift count; may exceed 14 on the wire) */
    uint8_t sack_count;
    uint8_t layout_len;  /* 0 = use the canonical order */
    uint8_t unknown_len; /* bytes used in unknown[] */
    uint16_t mss;
    uint32_t ts_val, ts_ecr;
    struct tcpsim_sack_block sack[TCPSIM_MAX_SACK_BLOCKS];
    uint8_t layout[TCPSIM_TCP_OPT_SPACE];  /* option kinds in wire order */
    uint8_t unknown[TCPSIM_TCP_OPT_SPACE]; /* raw kind,len,data... TLVs */
};

/* A TCP segment as a plain struct (header fields in host order). */
struct tcpsim_segment {
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t flags;       /* TCPSIM_FIN | ... */
    uint8_t data_offset; /* header length in 32-bit words, as decoded or encoded */
    uint8_t reserved;    /* the 4 reserved bits (incl. AE/NS), kept for round trips */
    uint16_t window;     /* raw, unscaled */
    uint16_t checksum;   /* as decoded; filled in by encoders */
    uint16_t urg_ptr;
    const uint8_t *payload; /* before the options: read with the header (tcpsim_tcp_opts) */
    size_t payload_len;
    struct tcpsim_tcp_opts opts;
};

/* Sequence space a segment occupies: payload + 1 for SYN + 1 for FIN. */
static inline uint32_t tcpsim_seg_len(const struct tcpsim_segment *s)
{
    return (uint32_t)s->payload_len + ((s->flags & TCPSIM_SYN) ? 1u : 0u) + ((s->flags & TCPSIM_FIN) ? 1u : 0u);
}

/* Decode a TCP header + options from `len` bytes; the rest is the payload.
 * Errors: ERR_TRUNCATED (fewer bytes than the header or data offset says),
 * ERR_MALFORMED (data offset < 5, option length < 2 or past the header). */
enum tcpsim_err tcpsim_tcp_decode(const uint8_t *buf, size_t len, struct tcpsim_segment *seg) TCPSIM_WUR;

/* Decode only the option bytes (a header's option area, at most 40 bytes).
 * A known kind with the wrong length (MSS != 4, WS != 3, SACK-perm != 2,
 * TS != 10, SACK not 2+8n with 1..4 blocks) is ERR_MALFORMED, as Wireshark
 * flags it. Bytes after EOL are padding: each is kept as an EOL entry in
 * layout (so the header length round-trips; non-zero padding comes back as 0). */
enum tcpsim_err tcpsim_tcp_opts_decode(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts) TCPSIM_WUR;

/* Encoded size of the options (padded to a multiple of 4). */
size_t tcpsim_tcp_opts_size(const struct tcpsim_tcp_opts *opts);

/* Encode header + options + payload into buf. The checksum field is written as
 * seg->checksum; use tcpsim_tcp_checksum (or tcpsim_packet_encode) to compute
 * it. data_offset is computed from the options, not read from seg. Options come
 * from opts.layout when layout_len > 0 (every kind there must be present, every
 * present option must be there, unknown kinds take the next TLV of opts.unknown),
 * else in the canonical Linux order. Sets *written.
 * Errors: ERR_NOSPACE (cap too small), ERR_INVALID (options over 40 bytes or
 * layout and summary disagree). */
enum tcpsim_err tcpsim_tcp_encode(const struct tcpsim_segment *seg, uint8_t *buf, size_t cap,
                                  size_t *written) TCPSIM_WUR;

/* Printable flags in Wireshark/tcpdump-ish form: "SYN,ACK" (empty string for none). */
const char *tcpsim_tcp_flags_str(uint8_t flags, char *buf, size_t cap);

/* ---- IP ---- */
struct tcpsim_ip_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t a[16];  /* IPv4 in the first 4 bytes */
};

struct tcpsim_ip {
    uint8_t version; /* 4 or 6 */
    struct tcpsim_ip_addr src, dst;
    uint8_t proto;  /* upper-layer protocol after extension headers */
    uint8_t ttl;    /* TTL / hop limit */
    uint8_t tos;    /* IPv4 TOS / IPv6 traffic class */
    uint16_t ip_id; /* IPv4 identification */
    uint32_t flow_label;
    bool dont_fragment;
    bool is_fragment;            /* IPv4 MF or offset != 0; IPv6 fragment header present */
    bool first_fragment;         /* offset 0 */
    uint16_t header_len;         /* bytes up to the upper-layer header (incl. v4 options, v6 ext headers) */
    uint16_t total_len;          /* from the header: v4 total length; v6 40 + payload length */
    const uint8_t *payload;      /* upper-layer bytes, clipped to what was captured */
    size_t payload_len;          /* bytes available (may be < declared when snapped) */
    size_t declared_payload_len; /* what the header says */
    bool checksum_ok;            /* IPv4 header checksum verified (true for v6) */
};

/* True when the upper-layer header starts in this packet's payload: not a
 * fragment, or the first fragment (RFC 791 §3.2, RFC 8200 §4.5). A non-first
 * fragment's payload is the middle of a segment and must not be decoded as TCP. */
static inline bool tcpsim_ip_l4_present(const struct tcpsim_ip *ip)
{
    return !ip->is_fragment || ip->first_fragment;
}

/* Decode an IPv4 or IPv6 packet (version nibble chooses). `len` is what was
 * captured; a packet cut short after its headers still decodes, with
 * payload_len < declared_payload_len. */
enum tcpsim_err tcpsim_ip_decode(const uint8_t *buf, size_t len, struct tcpsim_ip *ip) TCPSIM_WUR;

/* Encode an IPv4 (20-byte header, no options) or IPv6 (40-byte, no extension
 * headers) header followed by `payload`; fills the IPv4 header checksum. */
enum tcpsim_err tcpsim_ip_encode(const struct tcpsim_ip *ip, const uint8_t *payload, size_t payload_len, uint8_t *buf,
                                 size_t cap, size_t *written) TCPSIM_WUR;

/* "10.0.0.1" or "2001:db8::1" (RFC 5952 form). Returns buf. */
const char *tcpsim_ip_addr_str(const struct tcpsim_ip_addr *a, char *buf, size_t cap);
/* Parse a dotted quad or an IPv6 text address. */
bool tcpsim_ip_addr_parse(const char *s, struct tcpsim_ip_addr *a);
/* "10.0.0.1:443" or "[2001:db8::1]:443". Returns buf. */
const char *tcpsim_endpoint_str(const struct tcpsim_ip_addr *a, uint16_t port, char *buf, size_t cap);

/* ---- Internet checksum (RFC 1071) ---- */
/* One's-complement sum folded to 16 bits, starting from `sum` (use 0). */
uint32_t tcpsim_csum_add(uint32_t sum, const uint8_t *data, size_t len);
uint16_t tcpsim_csum_fold(uint32_t sum); /* returns ~folded sum */
/* TCP checksum over pseudo-header + segment bytes (checksum field included as is:
 * verify by checking for 0, compute with the field zeroed). */
uint16_t tcpsim_tcp_checksum(const struct tcpsim_ip_addr *src, const struct tcpsim_ip_addr *dst, const uint8_t *tcp,
                             size_t tcp_len);

/* ---- link layer (pcap link types) ---- */
#define TCPSIM_DLT_NULL       0   /* BSD loopback: 4-byte AF in host order of the capturing machine */
#define TCPSIM_DLT_EN10MB     1   /* Ethernet, with 802.1Q / 802.1ad (QinQ) tags */
#define TCPSIM_DLT_RAW        101 /* LINKTYPE_RAW: raw IPv4/IPv6 (DLT_RAW 12 and 14 map here too) */
#define TCPSIM_DLT_LOOP       108 /* OpenBSD loopback: AF in network order */
#define TCPSIM_DLT_LINUX_SLL  113 /* Linux cooked v1 */
#define TCPSIM_DLT_IPV4       228
#define TCPSIM_DLT_IPV6       229
#define TCPSIM_DLT_LINUX_SLL2 276 /* Linux cooked v2 */

enum tcpsim_l3 { TCPSIM_L3_OTHER, TCPSIM_L3_IPV4, TCPSIM_L3_IPV6 };

struct tcpsim_link {
    enum tcpsim_l3 l3;      /* what the link header says follows */
    uint16_t ethertype;     /* innermost ethertype (or mapped from AF / SLL protocol) */
    unsigned vlan_count;    /* 802.1Q / 802.1ad tags skipped */
    uint16_t vlan_id[2];    /* outermost first */
    const uint8_t *l3_data; /* bytes after the link header, within caplen */
    size_t l3_len;
};

/* Decode the link header of a captured packet for link type `dlt` (the pcap
 * LINKTYPE value). ERR_TRUNCATED when caplen is shorter than the link header,
 * ERR_UNSUPPORTED for an unknown link type. */
enum tcpsim_err tcpsim_link_decode(int dlt, const uint8_t *buf, size_t caplen, struct tcpsim_link *link) TCPSIM_WUR;

/* ---- whole packets (for writing captures) ---- */
/* Build Ethernet (fixed MACs derived from the addresses) + IPv4/IPv6 + TCP with
 * correct IP and TCP checksums; the IP version follows src->family. */
enum tcpsim_err tcpsim_packet_encode(const struct tcpsim_ip_addr *src, const struct tcpsim_ip_addr *dst,
                                     const struct tcpsim_segment *seg, uint16_t ip_id, uint8_t *buf, size_t cap,
                                     size_t *written) TCPSIM_WUR;

#endif
