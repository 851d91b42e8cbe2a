/* ip.c - IPv4 and IPv6 (with extension headers) decode, plain header encode,
 * address text forms.
 * Read first: RFC 791 §3.1 (IPv4 header), RFC 8200 §3-4 (IPv6 header and
 * extension headers), RFC 4302 §2.2 (AH length), RFC 7045 (which next-header
 * values are extension headers), RFC 5952 (IPv6 text form). */
#include "wire_internal.h"

#include "tcpsim/reader.h"
#include "tcpsim/wire.h"
#include "wire/wire_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define IPV4_HDR_MIN 20u
#define IPV6_HDR_LEN 40u

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

/* Every case: options, extension headers, fragments, errors. */
enum tcpsim_err tcpsim__ip_decode_generic(const uint8_t *buf, size_t len, struct tcpsim_ip *ip)
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

/* RFC 1071 §2: the one's-complement sum may be taken in wider words with the
 * carries folded in at the end (§2(C)), and in either byte order (§2(B)): the
 * folded sum of host-order words is the byte swap of the network-order one.
 * Folding (adding the carries back in) keeps the value modulo 0xffff, since
 * 2^16 and 2^32 are 1 modulo 0xffff, and never reaches 0 from a non-zero
 * sum. So the header folds to 0xffff (intact; 0xffff is its own byte swap)
 * exactly when the plain sum is a non-zero multiple of 0xffff; it is never
 * 0 here, as the first byte holds version 4. hlen is 20..60, a multiple of
 * 4: at most 15 words, no overflow in 64 bits. */
static inline bool ipv4_header_sums_ok(const uint8_t *h, size_t hlen)
{
    uint64_t acc = (uint64_t)tcpsim_get_u32_host(h) + tcpsim_get_u32_host(h + 4) + tcpsim_get_u32_host(h + 8) +
                   tcpsim_get_u32_host(h + 12) + tcpsim_get_u32_host(h + 16);
    for (size_t i = IPV4_HDR_MIN; i < hlen; i += 4)
        acc += tcpsim_get_u32_host(h + i);
    return acc % 0xffffu == 0;
}

/* The common packets in a straight line: IPv4 whose header is all there and
 * whose total length covers it, IPv6 with an upper-layer header (no
 * extension header) next. One length check, loads at fixed offsets, every
 * field of *ip written with what ip_decode_generic gives; anything else (and
 * every error) goes to ip_decode_generic. */
enum tcpsim_err tcpsim_ip_decode(const uint8_t *buf, size_t len, struct tcpsim_ip *ip)
{
    const uint8_t *h;
    if (len >= IPV4_HDR_MIN && (buf[0] >> 4) == 4) {
        struct tcpsim_reader r = tcpsim_reader_make(buf, len);
        size_t hlen = (size_t)(buf[0] & 0x0fu) * 4;
        uint16_t total = tcpsim_get_u16(buf + 2);
        /* RFC 791 §3.1: IHL at least 5 words, all captured; total length 0
         * (segmentation offload, see ipv4_decode) or at least the header. */
        if (hlen < IPV4_HDR_MIN || !tcpsim_read_bytes(&r, hlen, &h) || (total != 0 && total < hlen))
            return tcpsim__ip_decode_generic(buf, len, ip);
        uint16_t frag = tcpsim_get_u16(h + 6);
        size_t declared = total == 0 ? len - hlen : (size_t)total - hlen;
        ip->version = 4;
        ip->tos = h[1];
        ip->total_len = total;
        ip->ip_id = tcpsim_get_u16(h + 4);
        ip->ttl = h[8];
        ip->proto = h[9];
        ip->flow_label = 0;
        ip->src.family = ip->dst.family = 4;
        memcpy(ip->src.a, h + 12, 4);
        memset(ip->src.a + 4, 0, 12);
        memcpy(ip->dst.a, h + 16, 4);
        memset(ip->dst.a + 4, 0, 12);
        ip->dont_fragment = (frag & 0x4000u) != 0;
        ip->is_fragment = (frag & 0x3fffu) != 0; /* MF or an offset */
        ip->first_fragment = (frag & 0x1fffu) == 0;
        ip->header_len = (uint16_t)hlen;
        ip->checksum_ok = ipv4_header_sums_ok(h, hlen);
        ip->declared_payload_len = declared;
        ip->payload = r.p;
        ip->payload_len = tcpsim_reader_left(&r) < declared ? tcpsim_reader_left(&r) : declared;
        return TCPSIM_OK;
    }
    if (len >= IPV6_HDR_LEN && (buf[0] >> 4) == 6) {
        struct tcpsim_reader r = tcpsim_reader_make(buf, len);
        uint8_t nh = buf[6];
        if (ipv6_generic_ext(nh) || nh == 44 || nh == 51 || !tcpsim_read_bytes(&r, IPV6_HDR_LEN, &h))
            return tcpsim__ip_decode_generic(buf, len, ip);
        uint32_t vtf = tcpsim_get_u32(h);
        uint16_t plen = tcpsim_get_u16(h + 4);
        /* Payload length 0: jumbogram or offload, use what was captured (see ipv6_decode). */
        size_t declared_total = plen ? IPV6_HDR_LEN + plen : len;
        ip->version = 6;
        ip->tos = (uint8_t)(vtf >> 20);
        ip->flow_label = vtf & 0xfffffu;
        ip->ttl = h[7];
        ip->proto = nh;
        ip->ip_id = 0;
        ip->src.family = ip->dst.family = 6;
        memcpy(ip->src.a, h + 8, 16);
        memcpy(ip->dst.a, h + 24, 16);
        ip->dont_fragment = false;
        ip->is_fragment = false;
        ip->first_fragment = true;
        ip->checksum_ok = true; /* no header checksum (RFC 8200 §8.1) */
        ip->header_len = IPV6_HDR_LEN;
        ip->total_len = declared_total > 0xffffu ? 0xffffu : (uint16_t)declared_total;
        ip->declared_payload_len = declared_total - IPV6_HDR_LEN;
        ip->payload = r.p;
        ip->payload_len =
            tcpsim_reader_left(&r) < ip->declared_payload_len ? tcpsim_reader_left(&r) : ip->declared_payload_len;
        return TCPSIM_OK;
    }
    return tcpsim__ip_decode_generic(buf, len, ip);
}

enum tcpsim_err tcpsim__ip_header_encode(const struct tcpsim_ip *ip, size_t payload_len, uint8_t *buf, size_t cap,
                                         size_t *written)
{
    *written = 0;
    if (ip->src.family != ip->version || ip->dst.family != ip->version)
        return TCPSIM_ERR_INVALID;
    struct tcpsim_writer w = tcpsim_writer_make(buf, cap);
    if (ip->version == 4) {
        if (payload_len > 0xffffu - IPV4_HDR_MIN)
            return TCPSIM_ERR_INVALID;
        if (cap < IPV4_HDR_MIN)
            return TCPSIM_ERR_NOSPACE;
        /* RFC 791 §3.1; no options, so IHL 5. The fragment fields stay zero
         * except DF: we never fragment. */
        tcpsim_write_u8(&w, 0x45);
        tcpsim_write_u8(&w, ip->tos);
        tcpsim_write_u16(&w, (uint16_t)(IPV4_HDR_MIN + payload_len));
        tcpsim_write_u16(&w, ip->ip_id);
        tcpsim_write_u16(&w, ip->dont_fragment ? 0x4000u : 0);
        tcpsim_write_u8(&w, ip->ttl);
        tcpsim_write_u8(&w, ip->proto);
        tcpsim_write_u16(&w, 0);
        tcpsim_write_bytes(&w, ip->src.a, 4);
        tcpsim_write_bytes(&w, ip->dst.a, 4);
        (void)tcpsim_write_u16_at(buf, cap, 10, tcpsim_csum_fold(tcpsim_csum_add(0, buf, IPV4_HDR_MIN)));
        *written = IPV4_HDR_MIN;
        return TCPSIM_OK;
    }
    if (ip->version == 6) {
        if (payload_len > 0xffffu)
            return TCPSIM_ERR_INVALID;
        if (cap < IPV6_HDR_LEN)
            return TCPSIM_ERR_NOSPACE;
        /* RFC 8200 §3: version 6, traffic class, flow label, payload length,
         * next header, hop limit, addresses. */
        tcpsim_write_u32(&w, 6u << 28 | (uint32_t)ip->tos << 20 | (ip->flow_label & 0xfffffu));
        tcpsim_write_u16(&w, (uint16_t)payload_len);
        tcpsim_write_u8(&w, ip->proto);
        tcpsim_write_u8(&w, ip->ttl);
        tcpsim_write_bytes(&w, ip->src.a, 16);
        tcpsim_write_bytes(&w, ip->dst.a, 16);
        *written = IPV6_HDR_LEN;
        return TCPSIM_OK;
    }
    return TCPSIM_ERR_INVALID;
}

enum tcpsim_err tcpsim_ip_encode(const struct tcpsim_ip *ip, const uint8_t *payload, size_t payload_len, uint8_t *buf,
                                 size_t cap, size_t *written)
{
    size_t hlen;
    *written = 0;
    if (payload_len > 0 && payload == NULL)
        return TCPSIM_ERR_INVALID;
    enum tcpsim_err e = tcpsim__ip_header_encode(ip, payload_len, buf, cap, &hlen);
    if (e != TCPSIM_OK)
        return e;
    if (payload_len > cap - hlen)
        return TCPSIM_ERR_NOSPACE;
    if (payload_len > 0)
        memmove(buf + hlen, payload, payload_len); /* payload may already sit in buf */
    *written = hlen + payload_len;
    return TCPSIM_OK;
}

/* RFC 5952 §4: lowercase, no leading zeros, the longest run (>= 2) of zero
 * groups as "::" (the first on a tie); §5: IPv4-mapped as ::ffff:a.b.c.d. */
static void ipv6_str(const uint8_t a[16], char *buf, size_t cap)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0) {
        snprintf(buf, cap, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        return;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2)
        best = -1;
    char tmp[48];
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            tmp[n++] = ':';
            tmp[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (n > 0 && tmp[n - 1] != ':')
            tmp[n++] = ':';
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%x", g[i]);
    }
    tmp[n] = '\0';
    snprintf(buf, cap, "%s", tmp);
}

const char *tcpsim_ip_addr_str(const struct tcpsim_ip_addr *a, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    if (a->family == 4)
        snprintf(buf, cap, "%u.%u.%u.%u", a->a[0], a->a[1], a->a[2], a->a[3]);
    else if (a->family == 6)
        ipv6_str(a->a, buf, cap);
    else
        snprintf(buf, cap, "?");
    return buf;
}

bool tcpsim_ip_addr_parse(const char *s, struct tcpsim_ip_addr *a)
{
    struct tcpsim_ip_addr out;
    memset(&out, 0, sizeof out);
    if (s == NULL)
        return false;
    if (inet_pton(AF_INET, s, out.a) == 1) {
        out.family = 4;
    } else if (inet_pton(AF_INET6, s, out.a) == 1) {
        out.family = 6;
    } else {
        return false;
    }
    *a = out;
    return true;
}

const char *tcpsim_endpoint_str(const struct tcpsim_ip_addr *a, uint16_t port, char *buf, size_t cap)
{
    char addr[64];
    tcpsim_ip_addr_str(a, addr, sizeof addr);
    if (cap == 0)
        return buf;
    if (a->family == 6)
        snprintf(buf, cap, "[%s]:%u", addr, (unsigned)port);
    else
        snprintf(buf, cap, "%s:%u", addr, (unsigned)port);
    return buf;
}
