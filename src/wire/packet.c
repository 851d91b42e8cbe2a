/* packet.c - whole Ethernet + IP + TCP frames for the captures the simulator writes.
 * Read first: RFC 9293 §3.1 (TCP checksum), RFC 791 §3.1, RFC 8200 §3, RFC 894
 * (IP over Ethernet). */
#include "wire_internal.h"

#include "tcpsim/reader.h"
#include "tcpsim/wire.h"

#include <string.h>

#define ETH_HDR_LEN 14u

/* A locally administered unicast MAC (02:...) built from the last 4 bytes of
 * the address, so every host in a capture keeps one stable, readable MAC. */
static void mac_for(const struct tcpsim_ip_addr *a, uint8_t mac[6])
{
    const uint8_t *tail = a->family == 6 ? a->a + 12 : a->a;
    mac[0] = 0x02;
    mac[1] = a->family == 6 ? 0x06 : 0x04;
    memcpy(mac + 2, tail, 4);
}

enum tcpsim_err tcpsim_packet_encode(const struct tcpsim_ip_addr *src, const struct tcpsim_ip_addr *dst,
                                     const struct tcpsim_segment *seg, uint16_t ip_id, uint8_t *buf, size_t cap,
                                     size_t *written)
{
    *written = 0;
    if ((src->family != 4 && src->family != 6) || dst->family != src->family)
        return TCPSIM_ERR_INVALID;
    size_t iphlen = src->family == 4 ? 20u : 40u;
    if (cap < ETH_HDR_LEN + iphlen)
        return TCPSIM_ERR_NOSPACE;

    /* TCP first, at its final offset, so the checksum covers the real bytes. */
    uint8_t *tcp = buf + ETH_HDR_LEN + iphlen;
    size_t tcp_len;
    struct tcpsim_segment s = *seg;
    s.checksum = 0;
    enum tcpsim_err e = tcpsim_tcp_encode(&s, tcp, cap - ETH_HDR_LEN - iphlen, &tcp_len);
    if (e != TCPSIM_OK)
        return e;
    if (src->family == 4 && tcp_len > 0xffffu - iphlen)
        return TCPSIM_ERR_INVALID;
    if (src->family == 6 && tcp_len > 0xffffu)
        return TCPSIM_ERR_INVALID;
    (void)tcpsim_write_u16_at(tcp, tcp_len, 16, tcpsim_tcp_checksum(src, dst, tcp, tcp_len));

    struct tcpsim_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.version = src->family;
    ip.src = *src;
    ip.dst = *dst;
    ip.proto = 6;
    ip.ttl = 64;
    ip.ip_id = ip_id;
    ip.dont_fragment = true; /* what Linux sets on TCP (path MTU discovery, RFC 1191) */
    size_t iplen;
    e = tcpsim__ip_header_encode(&ip, tcp_len, buf + ETH_HDR_LEN, iphlen, &iplen);
    if (e != TCPSIM_OK)
        return e;

    uint8_t mac[6];
    mac_for(dst, mac);
    memcpy(buf, mac, 6);
    mac_for(src, mac);
    memcpy(buf + 6, mac, 6);
    (void)tcpsim_write_u16_at(buf, cap, 12, src->family == 4 ? 0x0800u : 0x86ddu);
    *written = ETH_HDR_LEN + iplen + tcp_len;
    return TCPSIM_OK;
}
