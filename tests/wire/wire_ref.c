/* wire_ref.c - the wire decoders as they were before the straight-line
 * rewrite (git 8a5aeef: src/wire/link.c, ip.c, tcp.c), kept verbatim but for
 * the names, as the reference for test_wire_diff.c. Do not "fix" or speed
 * up anything here: the point is that it is the old code.
 * Read first: RFC 9293 §3.1-3.2, RFC 791 §3.1, RFC 8200 §3-4. */
#include "wire/wire_ref.h"

#include "tcpsim/reader.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu
#define IPV4_HDR_MIN   20u
#define IPV6_HDR_LEN   40u
#define TCP_HDR_MIN    20u

static void set_l3_from_ethertype(struct tcpsim_link *link, uint16_t et)
{
    link->ethertype = et;
    link->l3 = et == ETHERTYPE_IPV4 ? TCPSIM_L3_IPV4 : et == ETHERTYPE_IPV6 ? TCPSIM_L3_IPV6 : TCPSIM_L3_OTHER;
}

/* Skip any VLAN tags after an ethertype: each is TCI(16) + next ethertype(16).
 * The first two IDs are recorded (outermost first), further tags only counted. */
static bool skip_vlan_tags(struct tcpsim_reader *r, uint16_t *et, struct tcpsim_link *link)
{
    while (*et == 0x8100u || *et == 0x88a8u || *et == 0x9100u) {
        uint16_t tci;
        if (!tcpsim_read_u16(r, &tci) || !tcpsim_read_u16(r, et))
            return false;
        if (link->vlan_count < 2)
            link->vlan_id[link->vlan_count] = tci & 0x0fffu;
        link->vlan_count++;
    }
    return true;
}

/* BSD AF_ values as written by the capturing host; IPv6 differs per OS
 * (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). */
static enum tcpsim_l3 af_to_l3(uint32_t af)
{
    switch (af) {
    case 2:
        return TCPSIM_L3_IPV4;
    case 24:
    case 28:
    case 30:
        return TCPSIM_L3_IPV6;
    default:
        return TCPSIM_L3_OTHER;
    }
}

static void set_l3(struct tcpsim_link *link, enum tcpsim_l3 l3)
{
    link->l3 = l3;
    switch (l3) {
    case TCPSIM_L3_IPV4:
        link->ethertype = ETHERTYPE_IPV4;
        break;
    case TCPSIM_L3_IPV6:
        link->ethertype = ETHERTYPE_IPV6;
        break;
    case TCPSIM_L3_OTHER:
        link->ethertype = 0;
        break;
    }
}

enum tcpsim_err ref_link_decode(int dlt, const uint8_t *buf, size_t caplen, struct tcpsim_link *link)
{
    memset(link, 0, sizeof *link);
    struct tcpsim_reader r = tcpsim_reader_make(buf, caplen);
    uint16_t et;
    switch (dlt) {
    case TCPSIM_DLT_EN10MB:
        /* dst MAC, src MAC, ethertype (values < 0x0600 are 802.3 lengths: not IP). */
        if (!tcpsim_read_skip(&r, 12) || !tcpsim_read_u16(&r, &et) || !skip_vlan_tags(&r, &et, link))
            return TCPSIM_ERR_TRUNCATED;
        set_l3_from_ethertype(link, et);
        break;
    case TCPSIM_DLT_LINUX_SLL:
        /* packet type, ARPHRD type, address length, 8 address bytes, protocol. */
        if (!tcpsim_read_skip(&r, 14) || !tcpsim_read_u16(&r, &et) || !skip_vlan_tags(&r, &et, link))
            return TCPSIM_ERR_TRUNCATED;
        set_l3_from_ethertype(link, et);
        break;
    case TCPSIM_DLT_LINUX_SLL2:
        /* protocol, reserved, ifindex, ARPHRD type, packet type, addr len, 8 addr bytes. */
        if (!tcpsim_read_u16(&r, &et) || !tcpsim_read_skip(&r, 18) || !skip_vlan_tags(&r, &et, link))
            return TCPSIM_ERR_TRUNCATED;
        set_l3_from_ethertype(link, et);
        break;
    case TCPSIM_DLT_RAW:
    case 12: /* DLT_RAW on most BSDs and Linux in old files */
    case 14: /* DLT_RAW on OpenBSD */
        /* No header; the version nibble says what follows. */
        if (caplen < 1)
            return TCPSIM_ERR_TRUNCATED;
        set_l3(link, (buf[0] >> 4) == 4 ? TCPSIM_L3_IPV4 : (buf[0] >> 4) == 6 ? TCPSIM_L3_IPV6 : TCPSIM_L3_OTHER);
        break;
    case TCPSIM_DLT_IPV4:
        set_l3(link, TCPSIM_L3_IPV4);
        break;
    case TCPSIM_DLT_IPV6:
        set_l3(link, TCPSIM_L3_IPV6);
        break;
    case TCPSIM_DLT_NULL: {
        /* The AF is in the capturing host's byte order, which the file does not
         * record: try little-endian (x86, ARM) first, then big-endian. */
        struct tcpsim_reader r2 = r;
        uint32_t le, be;
        if (!tcpsim_read_u32_le(&r, &le) || !tcpsim_read_u32(&r2, &be))
            return TCPSIM_ERR_TRUNCATED;
        enum tcpsim_l3 l3 = af_to_l3(le);
        set_l3(link, l3 != TCPSIM_L3_OTHER ? l3 : af_to_l3(be));
        break;
    }
    case TCPSIM_DLT_LOOP: {
        uint32_t be;
        if (!tcpsim_read_u32(&r, &be))
            return TCPSIM_ERR_TRUNCATED;
        set_l3(link, af_to_l3(be));
        break;
    }
    default:
        return TCPSIM_ERR_UNSUPPORTED;
    }
    link->l3_data = r.p;
    link->l3_len = tcpsim_reader_left(&r);
    return TCPSIM_OK;
}

static enum tcpsim_err ipv4_decode(const uint8_t *buf, size_t len, struct tcpsim_ip *ip)
{
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    uint8_t vihl, ttl, proto;
    uint16_t total, id, frag, csum;
    const uint8_t *src, *dst;
    if (!tcpsim_read_u8(&r, &vihl) || !tcpsim_read_u8(&r, &ip->tos) || !tcpsim_read_u16(&r, &total) ||
        !tcpsim_read_u16(&r, &id) || !tcpsim_read_u16(&r, &frag) || !tcpsim_read_u8(&r, &ttl) ||
        !tcpsim_read_u8(&r, &proto) || !tcpsim_read_u16(&r, &csum) || !tcpsim_read_bytes(&r, 4, &src) ||
        !tcpsim_read_bytes(&r, 4, &dst))
        return TCPSIM_ERR_TRUNCATED;
    (void)csum; /* verified below over the whole header */
    size_t hlen = (size_t)(vihl & 0x0fu) * 4;
    /* RFC 791 §3.1: IHL counts 32-bit words, minimum 5; options follow the fixed part. */
    if (hlen < IPV4_HDR_MIN)
        return TCPSIM_ERR_MALFORMED;
    if (hlen > len)
        return TCPSIM_ERR_TRUNCATED;
    ip->version = 4;
    ip->ttl = ttl;
    ip->proto = proto;
    ip->ip_id = id;
    ip->total_len = total;
    ip->header_len = (uint16_t)hlen;
    ip->src.family = ip->dst.family = 4;
    memcpy(ip->src.a, src, 4);
    memcpy(ip->dst.a, dst, 4);
    ip->dont_fragment = (frag & 0x4000u) != 0;
    bool more = (frag & 0x2000u) != 0;
    uint16_t offset = frag & 0x1fffu;
    ip->is_fragment = more || offset != 0;
    ip->first_fragment = offset == 0;
    /* RFC 1071: the header sums to 0xffff (folds to 0) when the checksum is right. */
    ip->checksum_ok = tcpsim_csum_fold(tcpsim_csum_add(0, buf, hlen)) == 0;
    size_t declared;
    if (total == 0) {
        /* Captured on the sender with segmentation offload: Linux hands libpcap
         * a packet whose total length is 0; Wireshark then uses the captured
         * length ("assuming TSO"). Do the same. */
        declared = len - hlen;
    } else {
        if (total < hlen)
            return TCPSIM_ERR_MALFORMED; /* total length shorter than the header */
        declared = (size_t)total - hlen;
    }
    ip->declared_payload_len = declared;
    ip->payload = buf + hlen;
    /* Trailing bytes past the total length (Ethernet padding) are not payload. */
    ip->payload_len = len - hlen < declared ? len - hlen : declared;
    return TCPSIM_OK;
}

/* Next-header values that are IPv6 extension headers with the generic
 * (next header, length in 8-octet units not counting the first 8) format. */
static bool ipv6_generic_ext(uint8_t nh)
{
    switch (nh) {
    case 0:   /* Hop-by-Hop Options, RFC 8200 §4.3 */
    case 43:  /* Routing, RFC 8200 §4.4 */
    case 60:  /* Destination Options, RFC 8200 §4.6 */
    case 135: /* Mobility, RFC 6275 §6.1 */
    case 139: /* HIP, RFC 7401 §5.1 */
    case 140: /* Shim6, RFC 5533 §5.1 */
        return true;
    default:
        return false;
    }
}

static enum tcpsim_err ipv6_decode(const uint8_t *buf, size_t len, struct tcpsim_ip *ip)
{
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    uint32_t vtf;
    uint16_t plen;
    uint8_t nh, hlim;
    const uint8_t *src, *dst;
    if (!tcpsim_read_u32(&r, &vtf) || !tcpsim_read_u16(&r, &plen) || !tcpsim_read_u8(&r, &nh) ||
        !tcpsim_read_u8(&r, &hlim) || !tcpsim_read_bytes(&r, 16, &src) || !tcpsim_read_bytes(&r, 16, &dst))
        return TCPSIM_ERR_TRUNCATED;
    ip->version = 6;
    ip->tos = (uint8_t)(vtf >> 20);
    ip->flow_label = vtf & 0xfffffu;
    ip->ttl = hlim;
    ip->src.family = ip->dst.family = 6;
    memcpy(ip->src.a, src, 16);
    memcpy(ip->dst.a, dst, 16);
    ip->checksum_ok = true; /* IPv6 has no header checksum (RFC 8200 §8.1) */
    ip->first_fragment = true;
    /* Payload length 0: a jumbogram (RFC 2675) or an offloaded super-packet
     * captured on the sender; like Wireshark, use what was captured. */
    size_t declared_total = plen ? IPV6_HDR_LEN + plen : len;
    ip->total_len = declared_total > 0xffffu ? 0xffffu : (uint16_t)declared_total;

    /* RFC 8200 §4.1: walk the chain until an upper-layer header. Each step
     * consumes at least 8 bytes, so the loop ends with the input. */
    for (;;) {
        if (ipv6_generic_ext(nh) || nh == 51) {
            uint8_t next, hl;
            struct tcpsim_reader save = r;
            if (!tcpsim_read_u8(&r, &next) || !tcpsim_read_u8(&r, &hl))
                return TCPSIM_ERR_TRUNCATED;
            /* RFC 4302 §2.2: AH's length is in 4-octet units minus 2. */
            size_t elen = nh == 51 ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
            r = save;
            if (!tcpsim_read_skip(&r, elen))
                return TCPSIM_ERR_TRUNCATED;
            nh = next;
        } else if (nh == 44) {
            /* RFC 8200 §4.5: next header, reserved, offset(13)|res(2)|M(1), id. */
            uint8_t next, res;
            uint16_t offm;
            uint32_t id;
            if (!tcpsim_read_u8(&r, &next) || !tcpsim_read_u8(&r, &res) || !tcpsim_read_u16(&r, &offm) ||
                !tcpsim_read_u32(&r, &id))
                return TCPSIM_ERR_TRUNCATED;
            ip->is_fragment = true;
            ip->first_fragment = (offm >> 3) == 0;
            nh = next;
            /* A later fragment carries the middle of the fragmentable part:
             * its bytes are not headers, stop here. */
            if (!ip->first_fragment)
                break;
        } else {
            /* Upper layer, ESP (50: everything after is encrypted) or No Next
             * Header (59). */
            break;
        }
    }
    size_t hlen = (size_t)(r.p - buf);
    if (hlen > declared_total)
        return TCPSIM_ERR_MALFORMED; /* extension headers run past the payload length */
    if (hlen > 0xffffu)
        return TCPSIM_ERR_MALFORMED;
    ip->proto = nh;
    ip->header_len = (uint16_t)hlen;
    ip->declared_payload_len = declared_total - hlen;
    ip->payload = buf + hlen;
    ip->payload_len = len - hlen < ip->declared_payload_len ? len - hlen : ip->declared_payload_len;
    return TCPSIM_OK;
}

enum tcpsim_err ref_ip_decode(const uint8_t *buf, size_t len, struct tcpsim_ip *ip)
{
    memset(ip, 0, sizeof *ip);
    if (len < 1)
        return TCPSIM_ERR_TRUNCATED;
    switch (buf[0] >> 4) {
    case 4:
        return ipv4_decode(buf, len, ip);
    case 6:
        return ipv6_decode(buf, len, ip);
    default:
        return TCPSIM_ERR_MALFORMED;
    }
}

/* Wire length a known option must have (RFC 9293 §3.2 table; RFC 7323; RFC 2018). */
static bool known_len_ok(uint8_t kind, uint8_t len)
{
    switch (kind) {
    case TCPSIM_OPT_MSS:
        return len == 4;
    case TCPSIM_OPT_WSCALE:
        return len == 3;
    case TCPSIM_OPT_SACK_PERM:
        return len == 2;
    case TCPSIM_OPT_TS:
        return len == 10;
    case TCPSIM_OPT_SACK:
        /* RFC 2018 §3: 2 + 8n bytes, at least one block; 40 bytes of option
         * space leave room for at most 4. */
        return len >= 10 && (len - 2) % 8 == 0 && (len - 2) / 8 <= TCPSIM_MAX_SACK_BLOCKS;
    default:
        return true; /* unknown kinds: any length >= 2 */
    }
}

enum tcpsim_err ref_tcp_opts_decode(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    if (len > TCPSIM_TCP_OPT_SPACE)
        return TCPSIM_ERR_MALFORMED;
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    uint8_t kind;
    while (tcpsim_read_u8(&r, &kind)) {
        opts->layout[opts->layout_len++] = kind;
        if (kind == TCPSIM_OPT_EOL) {
            /* RFC 9293 §3.2: EOL ends the list; what follows is padding. Keep
             * each padding byte as an EOL entry so re-encoding gives the same
             * header length (non-zero padding comes back as zeros). */
            while (tcpsim_read_u8(&r, &kind))
                opts->layout[opts->layout_len++] = TCPSIM_OPT_EOL;
            break;
        }
        if (kind == TCPSIM_OPT_NOP)
            continue;
        /* RFC 9293 §3.2: every other option is kind, length (counting both), data. */
        uint8_t olen;
        if (!tcpsim_read_u8(&r, &olen))
            return TCPSIM_ERR_MALFORMED; /* kind byte is the last of the area */
        if (olen < 2)
            return TCPSIM_ERR_MALFORMED;
        const uint8_t *data;
        if (!tcpsim_read_bytes(&r, (size_t)olen - 2, &data))
            return TCPSIM_ERR_MALFORMED; /* runs past the header */
        if (!known_len_ok(kind, olen))
            return TCPSIM_ERR_MALFORMED;
        struct tcpsim_reader d = tcpsim_reader_make(data, (size_t)olen - 2);
        bool ok = true;
        switch (kind) {
        case TCPSIM_OPT_MSS:
            ok = tcpsim_read_u16(&d, &opts->mss);
            opts->present |= TCPSIM_HAS_MSS;
            break;
        case TCPSIM_OPT_WSCALE:
            ok = tcpsim_read_u8(&d, &opts->wscale);
            opts->present |= TCPSIM_HAS_WSCALE;
            break;
        case TCPSIM_OPT_SACK_PERM:
            opts->present |= TCPSIM_HAS_SACK_PERM;
            break;
        case TCPSIM_OPT_TS:
            ok = tcpsim_read_u32(&d, &opts->ts_val) && tcpsim_read_u32(&d, &opts->ts_ecr);
            opts->present |= TCPSIM_HAS_TS;
            break;
        case TCPSIM_OPT_SACK:
            opts->sack_count = 0;
            while (ok && tcpsim_reader_left(&d) > 0) {
                struct tcpsim_sack_block *b = &opts->sack[opts->sack_count++];
                ok = tcpsim_read_u32(&d, &b->left) && tcpsim_read_u32(&d, &b->right);
            }
            opts->present |= TCPSIM_HAS_SACK;
            break;
        default:
            /* Kept raw (kind, len, data) so it survives a round trip. Fits:
             * the unknown TLVs are a subset of at most 40 option bytes. */
            opts->unknown[opts->unknown_len++] = kind;
            opts->unknown[opts->unknown_len++] = olen;
            memcpy(opts->unknown + opts->unknown_len, data, (size_t)olen - 2);
            opts->unknown_len = (uint8_t)(opts->unknown_len + olen - 2);
            break;
        }
        if (!ok)
            return TCPSIM_ERR_MALFORMED; /* cannot happen after known_len_ok */
    }
    return TCPSIM_OK;
}

enum tcpsim_err ref_tcp_decode(const uint8_t *buf, size_t len, struct tcpsim_segment *seg)
{
    memset(seg, 0, sizeof *seg);
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    uint8_t off_res;
    if (!tcpsim_read_u16(&r, &seg->src_port) || !tcpsim_read_u16(&r, &seg->dst_port) ||
        !tcpsim_read_u32(&r, &seg->seq) || !tcpsim_read_u32(&r, &seg->ack) || !tcpsim_read_u8(&r, &off_res) ||
        !tcpsim_read_u8(&r, &seg->flags) || !tcpsim_read_u16(&r, &seg->window) ||
        !tcpsim_read_u16(&r, &seg->checksum) || !tcpsim_read_u16(&r, &seg->urg_ptr))
        return TCPSIM_ERR_TRUNCATED;
    seg->data_offset = off_res >> 4;
    seg->reserved = off_res & 0x0fu;
    /* RFC 9293 §3.1: data offset counts 32-bit words, minimum 5. */
    if (seg->data_offset < 5)
        return TCPSIM_ERR_MALFORMED;
    const uint8_t *opt;
    size_t optlen = (size_t)seg->data_offset * 4 - TCP_HDR_MIN;
    if (!tcpsim_read_bytes(&r, optlen, &opt))
        return TCPSIM_ERR_TRUNCATED;
    enum tcpsim_err e = ref_tcp_opts_decode(opt, optlen, &seg->opts);
    if (e != TCPSIM_OK)
        return e;
    seg->payload = r.p;
    seg->payload_len = tcpsim_reader_left(&r);
    return TCPSIM_OK;
}
