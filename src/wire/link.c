/* link.c - link-layer headers of captured packets, by pcap LINKTYPE.
 * Read first: https://www.tcpdump.org/linktypes.html (LINKTYPE_ETHERNET,
 * LINKTYPE_NULL/LOOP, LINKTYPE_LINUX_SLL/SLL2, LINKTYPE_RAW), IEEE 802.1Q
 * (C-tag 0x8100, S-tag 0x88a8; 0x9100 is the pre-standard QinQ tag). */
#include "tcpsim/reader.h"
#include "tcpsim/wire.h"
#include "wire/wire_internal.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu

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

/* Every link type and every case: VLAN tags, BSD loopback, errors. */
enum tcpsim_err tcpsim__link_decode_generic(int dlt, const uint8_t *buf, size_t caplen, struct tcpsim_link *link)
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

/* The link types of nearly every capture, untagged: one length check, one
 * load, every field of *link written (the same values link_decode_generic
 * gives, which handles everything else: tags, loopback, errors). */
static inline bool untagged(uint16_t et)
{
    return et != 0x8100u && et != 0x88a8u && et != 0x9100u;
}

enum tcpsim_err tcpsim_link_decode(int dlt, const uint8_t *buf, size_t caplen, struct tcpsim_link *link)
{
    struct tcpsim_reader r = tcpsim_reader_make(buf, caplen);
    const uint8_t *h;
    uint16_t et;
    if (dlt == TCPSIM_DLT_EN10MB) {
        /* dst MAC, src MAC, ethertype. */
        if (!tcpsim_read_bytes(&r, 14, &h) || !untagged(et = tcpsim_get_u16(h + 12)))
            return tcpsim__link_decode_generic(dlt, buf, caplen, link);
    } else if (dlt == TCPSIM_DLT_LINUX_SLL) {
        /* packet type, ARPHRD type, address length, 8 address bytes, protocol. */
        if (!tcpsim_read_bytes(&r, 16, &h) || !untagged(et = tcpsim_get_u16(h + 14)))
            return tcpsim__link_decode_generic(dlt, buf, caplen, link);
    } else if (dlt == TCPSIM_DLT_LINUX_SLL2) {
        /* protocol first, then 18 bytes: reserved, ifindex, ARPHRD, type, address. */
        if (!tcpsim_read_bytes(&r, 20, &h) || !untagged(et = tcpsim_get_u16(h)))
            return tcpsim__link_decode_generic(dlt, buf, caplen, link);
    } else {
        return tcpsim__link_decode_generic(dlt, buf, caplen, link);
    }
    link->ethertype = et;
    link->l3 = et == ETHERTYPE_IPV4 ? TCPSIM_L3_IPV4 : et == ETHERTYPE_IPV6 ? TCPSIM_L3_IPV6 : TCPSIM_L3_OTHER;
    link->vlan_count = 0;
    link->vlan_id[0] = 0;
    link->vlan_id[1] = 0;
    link->l3_data = r.p;
    link->l3_len = tcpsim_reader_left(&r);
    return TCPSIM_OK;
}
