/* csum.c - the Internet checksum and the TCP pseudo-header checksum.
 * Read first: RFC 1071 (computing the checksum), RFC 9293 §3.1 (TCP pseudo-header
 * for IPv4), RFC 8200 §8.1 (upper-layer checksums over IPv6). */
#include "tcpsim/wire.h"

uint32_t tcpsim_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    /* RFC 1071 §4.1: sum 16-bit big-endian words, an odd trailing byte padded
     * with a zero byte. Only the last chunk of a multi-call sum may be odd. */
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        acc += (uint32_t)data[i] << 8 | data[i + 1];
    if (i < len)
        acc += (uint32_t)data[i] << 8;
    /* Fold the carries back in (end-around carry) so repeated calls never overflow. */
    while (acc >> 16)
        acc = (acc & 0xffffu) + (acc >> 16);
    return (uint32_t)acc;
}

uint16_t tcpsim_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t tcpsim_tcp_checksum(const struct tcpsim_ip_addr *src, const struct tcpsim_ip_addr *dst, const uint8_t *tcp,
                             size_t tcp_len)
{
    uint32_t sum = 0;
    if (src->family == 6) {
        /* RFC 8200 §8.1: src, dst, 32-bit upper-layer length, 3 zero bytes, next header. */
        uint8_t ph[8] = {
            (uint8_t)(tcp_len >> 24), (uint8_t)(tcp_len >> 16), (uint8_t)(tcp_len >> 8), (uint8_t)tcp_len, 0, 0, 0, 6};
        sum = tcpsim_csum_add(sum, src->a, 16);
        sum = tcpsim_csum_add(sum, dst->a, 16);
        sum = tcpsim_csum_add(sum, ph, sizeof ph);
    } else {
        /* RFC 9293 §3.1: src, dst, zero, PTCL = 6, TCP length (16 bits). */
        uint8_t ph[4] = {0, 6, (uint8_t)(tcp_len >> 8), (uint8_t)tcp_len};
        sum = tcpsim_csum_add(sum, src->a, 4);
        sum = tcpsim_csum_add(sum, dst->a, 4);
        sum = tcpsim_csum_add(sum, ph, sizeof ph);
    }
    sum = tcpsim_csum_add(sum, tcp, tcp_len);
    return tcpsim_csum_fold(sum);
}
