/* pcapgen.c - synthetic captures for the replay tests (see pcapgen.h).
 * Read first: RFC 791, RFC 8200, RFC 9293 §3.1, RFC 1071 (checksum). */
#include "replay/pcapgen.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static const uint8_t *next_payload; /* pg_set_payload: bytes of the next packet */

void pg_set_payload(const uint8_t *p)
{
    next_payload = p;
}

size_t pg_build(int dlt, uint8_t *buf, size_t cap, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint16_t paylen, const struct pg_opts *o,
                uint16_t ip_id)
{
    uint8_t a[16], b[16];
    int v6 = strchr(src, ':') != NULL;
    if (v6) {
        inet_pton(AF_INET6, src, a);
        inet_pton(AF_INET6, dst, b);
    } else {
        inet_pton(AF_INET, src, a);
        inet_pton(AF_INET, dst, b);
    }
    uint8_t opt[40];
    size_t ol = 0;
    if (o && o->mss) {
        opt[ol++] = 2, opt[ol++] = 4;
        put16(opt + ol, (uint16_t)o->mss);
        ol += 2;
    }
    if (o && o->wscale >= 0) {
        opt[ol++] = 1, opt[ol++] = 3, opt[ol++] = 3, opt[ol++] = (uint8_t)o->wscale;
    }
    while (ol % 4)
        opt[ol++] = 1;
    size_t link = dlt == DLT_EN10MB ? 14 : 0;
    size_t iph = v6 ? 40 : 20;
    size_t tcpl = 20 + ol;
    size_t total = link + iph + tcpl + paylen;
    if (total > cap)
        return 0;
    memset(buf, 0, total);
    uint8_t *ip = buf + link;
    if (link) {
        memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
        put16(buf + 12, v6 ? 0x86dd : 0x0800);
    }
    uint8_t *t = ip + iph;
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)((tcpl / 4) << 4);
    t[13] = flags;
    put16(t + 14, win);
    memcpy(t + 20, opt, ol);
    for (size_t i = 0; i < paylen; i++)
        t[tcpl + i] = next_payload ? next_payload[i] : (uint8_t)('a' + i % 26);
    next_payload = NULL;
    uint32_t ps = 0;
    size_t alen = v6 ? 16 : 4;
    ps = sum16(ps, a, alen);
    ps = sum16(ps, b, alen);
    ps += 6 + (uint32_t)(tcpl + paylen);
    put16(t + 16, fold(sum16(ps, t, tcpl + paylen)));
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(tcpl + paylen));
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, a, 16);
        memcpy(ip + 24, b, 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(iph + tcpl + paylen));
        put16(ip + 4, ip_id);
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, a, 4);
        memcpy(ip + 16, b, 4);
        put16(ip + 10, fold(sum16(0, ip, 20)));
    }
    return total;
}

int pg_open(struct pg *g, const char *path, int dlt)
{
    memset(g, 0, sizeof *g);
    g->dlt = dlt;
    g->p = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_MICRO);
    if (!g->p)
        return -1;
    g->d = pcap_dump_open(g->p, path);
    return g->d ? 0 : -1;
}

int pg_open_temp(struct pg *g, char *path, int dlt)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return pg_open(g, path, dlt);
}

void pg_close(struct pg *g)
{
    if (g->d)
        pcap_dump_close(g->d);
    if (g->p)
        pcap_close(g->p);
    g->d = NULL;
    g->p = NULL;
}

void pg_raw(struct pg *g, uint64_t t_us, const uint8_t *data, size_t len)
{
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(t_us / 1000000);
    h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)g->d, &h, data);
}

void pg_tcp(struct pg *g, uint64_t t_us, const char *src, uint16_t sport, const char *dst, uint16_t dport,
            uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint16_t paylen, const struct pg_opts *o)
{
    static uint8_t buf[70000];
    size_t n = pg_build(g->dlt, buf, sizeof buf, src, sport, dst, dport, flags, seq, ack, win, paylen, o, g->ip_id++);
    pg_raw(g, t_us, buf, n);
}
