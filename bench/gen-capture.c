/* gen-capture.c - writes a large synthetic capture for bench/run.sh: many TCP
 * connections, a fixed number open at once and interleaved, complete
 * handshakes and closes (RFC 9293 §3.5, §3.6), plain data and some TLS
 * (RFC 8446 ClientHello/ServerHello with SNI, ALPN, key_share; TLS 1.2
 * flights with a certificate, RFC 5246 §7.4). Ethernet + IPv4, correct IP and
 * TCP checksums (RFC 791, RFC 9293 §3.1), written with libpcap.
 * Not a test: a load generator. Read first: bench/run.sh, docs/performance.md.
 *
 *   gen-capture -o FILE [--conns N] [--concurrent K] [--tls PCT] [--seed S]
 *               [--gap-us U] [--cert DER]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#define MAX_STEPS 48
#define C2S_MAX   4096
#define S2C_MAX   16384

struct step {
    uint8_t dir;       /* 0 client -> server */
    uint8_t flags;     /* TCP flags */
    uint8_t after_fin; /* this side's FIN went before: it took one sequence number */
    uint32_t off;      /* offset in the direction's stream buffer */
    uint32_t len;
};

struct conn {
    uint32_t id;
    uint32_t caddr, saddr;
    uint16_t cport, sport;
    uint32_t isn[2];
    uint32_t sent[2]; /* stream bytes of each direction already placed in steps */
    uint8_t fin[2];
    unsigned nsteps, next;
    struct step st[MAX_STEPS];
    uint8_t c2s[C2S_MAX];
    uint8_t s2c[S2C_MAX];
    uint32_t c2s_len, s2c_len;
};

static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(void)
{
    /* xorshift64* (Vigna): fast, good enough for traffic shapes */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
    return lo + rnd() % (hi - lo + 1);
}

static const uint8_t *cert_der;
static size_t cert_len;

/* ---- stream builders: TLS records into a direction's buffer ---- */

struct buf {
    uint8_t *p;
    uint32_t len, cap;
};

static void put8(struct buf *b, unsigned v)
{
    if (b->len < b->cap)
        b->p[b->len++] = (uint8_t)v;
}

static void put16(struct buf *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put24(struct buf *b, unsigned v)
{
    put8(b, v >> 16);
    put16(b, v & 0xffff);
}

static void putrand(struct buf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put8(b, rnd());
}

static void putbytes(struct buf *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(b, ((const uint8_t *)p)[i]);
}

/* Patch a length field written as a placeholder at `at` (`bytes` wide). */
static void patch(struct buf *b, uint32_t at, unsigned bytes, uint32_t v)
{
    for (unsigned i = 0; i < bytes; i++)
        b->p[at + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint32_t rec_begin(struct buf *b, unsigned type, unsigned ver)
{
    put8(b, type);
    put16(b, ver);
    uint32_t at = b->len;
    put16(b, 0);
    return at;
}

static void rec_end(struct buf *b, uint32_t at)
{
    patch(b, at, 2, b->len - at - 2);
}

static uint32_t hs_begin(struct buf *b, unsigned type)
{
    put8(b, type);
    uint32_t at = b->len;
    put24(b, 0);
    return at;
}

static void hs_end(struct buf *b, uint32_t at)
{
    patch(b, at, 3, b->len - at - 3);
}

static const char *const hosts[] = {"www.example.com",   "api.example.net",    "cdn.tcpsim.test",  "mail.example.org",
                                    "login.example.com", "static.example.net", "shop.example.org", "img.tcpsim.test"};

/* A ClientHello as current browsers send it (RFC 8446 §4.1.2): 16 suites,
 * SNI, supported_groups, ec_point_formats, signature_algorithms, ALPN,
 * supported_versions (1.3, 1.2), psk_key_exchange_modes, key_share x25519. */
static void client_hello(struct buf *b)
{
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                                      0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x00ff};
    uint32_t r = rec_begin(b, 22, 0x0301);
    uint32_t h = hs_begin(b, 1);
    put16(b, 0x0303);
    putrand(b, 32);
    put8(b, 32);
    putrand(b, 32); /* legacy_session_id (middlebox compatibility, RFC 8446 §D.4) */
    put16(b, sizeof suites);
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        put16(b, suites[i]);
    put8(b, 1);
    put8(b, 0);
    uint32_t ex = b->len;
    put16(b, 0);
    const char *host = hosts[rnd() % 8];
    size_t hl = strlen(host);
    put16(b, 0); /* server_name (RFC 6066 §3) */
    put16(b, (unsigned)hl + 5);
    put16(b, (unsigned)hl + 3);
    put8(b, 0);
    put16(b, (unsigned)hl);
    putbytes(b, host, hl);
    put16(b, 10); /* supported_groups */
    put16(b, 8);
    put16(b, 6);
    put16(b, 0x001d);
    put16(b, 0x0017);
    put16(b, 0x0018);
    put16(b, 11); /* ec_point_formats */
    put16(b, 2);
    put8(b, 1);
    put8(b, 0);
    put16(b, 13); /* signature_algorithms */
    put16(b, 10);
    put16(b, 8);
    put16(b, 0x0403);
    put16(b, 0x0804);
    put16(b, 0x0401);
    put16(b, 0x0503);
    put16(b, 16); /* ALPN (RFC 7301) */
    put16(b, 14);
    put16(b, 12);
    put8(b, 2);
    putbytes(b, "h2", 2);
    put8(b, 8);
    putbytes(b, "http/1.1", 8);
    put16(b, 43); /* supported_versions */
    put16(b, 5);
    put8(b, 4);
    put16(b, 0x0304);
    put16(b, 0x0303);
    put16(b, 45); /* psk_key_exchange_modes */
    put16(b, 2);
    put8(b, 1);
    put8(b, 1);
    put16(b, 51); /* key_share: x25519 */
    put16(b, 38);
    put16(b, 36);
    put16(b, 0x001d);
    put16(b, 32);
    putrand(b, 32);
    patch(b, ex, 2, b->len - ex - 2);
    hs_end(b, h);
    rec_end(b, r);
}

static void server_hello(struct buf *b, bool tls13, uint16_t suite)
{
    uint32_t r = rec_begin(b, 22, 0x0303);
    uint32_t h = hs_begin(b, 2);
    put16(b, 0x0303);
    putrand(b, 32);
    put8(b, 32);
    putrand(b, 32);
    put16(b, suite);
    put8(b, 0);
    uint32_t ex = b->len;
    put16(b, 0);
    if (tls13) {
        put16(b, 43); /* supported_versions: TLS 1.3 (RFC 8446 §4.2.1) */
        put16(b, 2);
        put16(b, 0x0304);
        put16(b, 51); /* key_share */
        put16(b, 36);
        put16(b, 0x001d);
        put16(b, 32);
        putrand(b, 32);
    } else {
        put16(b, 0xff01); /* renegotiation_info */
        put16(b, 1);
        put8(b, 0);
        put16(b, 16); /* ALPN: the one chosen */
        put16(b, 11);
        put16(b, 9);
        put8(b, 8);
        putbytes(b, "http/1.1", 8);
    }
    patch(b, ex, 2, b->len - ex - 2);
    hs_end(b, h);
    if (!tls13) {
        /* Certificate, ServerKeyExchange (ECDHE x25519), ServerHelloDone in
         * the same record, as OpenSSL sends them (RFC 5246 §7.4.2-7.4.5). */
        uint32_t c = hs_begin(b, 11);
        size_t n = cert_len ? cert_len : 700;
        put24(b, (unsigned)n + 3);
        put24(b, (unsigned)n);
        if (cert_len)
            putbytes(b, cert_der, cert_len);
        else
            putrand(b, (unsigned)n);
        hs_end(b, c);
        uint32_t k = hs_begin(b, 12);
        put8(b, 3);
        put16(b, 0x001d);
        put8(b, 32);
        putrand(b, 32);
        put16(b, 0x0804);
        put16(b, 256);
        putrand(b, 256);
        hs_end(b, k);
        uint32_t d = hs_begin(b, 14);
        hs_end(b, d);
    }
    rec_end(b, r);
}

static void ccs(struct buf *b)
{
    uint32_t r = rec_begin(b, 20, 0x0303);
    put8(b, 1);
    rec_end(b, r);
}

static void opaque(struct buf *b, unsigned type, unsigned n)
{
    uint32_t r = rec_begin(b, type, 0x0303);
    putrand(b, n);
    rec_end(b, r);
}

/* ---- the connection's script ---- */

static void step(struct conn *c, int dir, uint8_t flags, uint32_t len)
{
    if (c->nsteps == MAX_STEPS)
        return;
    struct step *s = &c->st[c->nsteps++];
    s->dir = (uint8_t)dir;
    s->flags = flags;
    s->off = c->sent[dir];
    s->len = len;
    s->after_fin = c->fin[dir];
    if (flags & 0x01)
        c->fin[dir] = 1;
    c->sent[dir] += len;
}

/* Send the bytes written to a direction since the last step, in MSS-sized
 * segments (PSH on the last), the peer ACKing every second one. */
static void flush_dir(struct conn *c, int dir)
{
    uint32_t have = dir ? c->s2c_len : c->c2s_len;
    unsigned n = 0;
    while (c->sent[dir] < have) {
        uint32_t k = have - c->sent[dir];
        if (k > 1448)
            k = 1448;
        bool last = c->sent[dir] + k == have;
        step(c, dir, 0x10 | (last ? 0x08 : 0), k);
        if (++n % 2 == 0 && !last)
            step(c, !dir, 0x10, 0);
    }
    step(c, !dir, 0x10, 0);
}

static void conn_script(struct conn *c, int tls_pct)
{
    struct buf cb = {c->c2s, 0, C2S_MAX}, sb = {c->s2c, 0, S2C_MAX};
    c->nsteps = c->next = 0;
    c->sent[0] = c->sent[1] = 0;
    c->fin[0] = c->fin[1] = 0;
    step(c, 0, 0x02, 0);                                               /* SYN */
    step(c, 1, 0x12, 0);                                               /* SYN-ACK */
    step(c, 0, 0x10, 0);                                               /* ACK */
    int kind = (int)(rnd() % 100) < tls_pct ? (rnd() % 4 ? 2 : 1) : 0; /* 2: TLS 1.3, 1: TLS 1.2 */
    c->sport = kind ? 443 : 80;
    if (kind == 2) {
        client_hello(&cb);
        c->c2s_len = cb.len;
        flush_dir(c, 0);
        server_hello(&sb, true, 0x1301);
        ccs(&sb);
        opaque(&sb, 23, rnd_range(1800, 3800)); /* EncryptedExtensions..Finished */
        c->s2c_len = sb.len;
        flush_dir(c, 1);
        ccs(&cb);
        opaque(&cb, 23, 53);                 /* Finished */
        opaque(&cb, 23, rnd_range(80, 400)); /* request */
        c->c2s_len = cb.len;
        flush_dir(c, 0);
        opaque(&sb, 23, 250); /* NewSessionTicket */
        for (unsigned i = rnd_range(1, 4); i > 0; i--)
            opaque(&sb, 23, rnd_range(100, 2000));
        c->s2c_len = sb.len;
        flush_dir(c, 1);
    } else if (kind == 1) {
        client_hello(&cb);
        c->c2s_len = cb.len;
        flush_dir(c, 0);
        server_hello(&sb, false, 0xc02f);
        c->s2c_len = sb.len;
        flush_dir(c, 1);
        uint32_t r = rec_begin(&cb, 22, 0x0303); /* ClientKeyExchange (ECDHE) */
        uint32_t h = hs_begin(&cb, 16);
        put8(&cb, 32);
        putrand(&cb, 32);
        hs_end(&cb, h);
        rec_end(&cb, r);
        ccs(&cb);
        opaque(&cb, 22, 40); /* encrypted Finished */
        c->c2s_len = cb.len;
        flush_dir(c, 0);
        ccs(&sb);
        opaque(&sb, 22, 40);
        c->s2c_len = sb.len;
        flush_dir(c, 1);
        opaque(&cb, 23, rnd_range(80, 400));
        c->c2s_len = cb.len;
        flush_dir(c, 0);
        for (unsigned i = rnd_range(1, 3); i > 0; i--)
            opaque(&sb, 23, rnd_range(100, 3000));
        c->s2c_len = sb.len;
        flush_dir(c, 1);
    } else {
        static const char req[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\nX-Pad: ";
        putbytes(&cb, req, sizeof req - 1);
        for (unsigned i = rnd_range(0, 200); i > 0; i--)
            put8(&cb, 'a' + rnd() % 26);
        putbytes(&cb, "\r\n\r\n", 4);
        c->c2s_len = cb.len;
        flush_dir(c, 0);
        char rsp[96];
        unsigned body = rnd_range(200, 6000);
        int rl = snprintf(rsp, sizeof rsp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
                          body);
        putbytes(&sb, rsp, (size_t)rl);
        for (unsigned i = body; i > 0; i--)
            put8(&sb, 'a' + rnd() % 26);
        c->s2c_len = sb.len;
        flush_dir(c, 1);
    }
    /* The client closes first (RFC 9293 §3.6 case 1). */
    step(c, 0, 0x11, 0);
    step(c, 1, 0x11, 0);
    step(c, 0, 0x10, 0);
}

static void conn_new(struct conn *c, uint32_t id, int tls_pct)
{
    c->id = id;
    c->caddr = 0x0a000000u | (id % 0xfffeu + 1); /* 10.0.x.y */
    c->cport = (uint16_t)(1024 + (id / 0xfffeu) % 60000);
    c->saddr = 0xc0a80001u + rnd() % 16; /* 192.168.0.1-16 */
    c->isn[0] = rnd();
    c->isn[1] = rnd();
    conn_script(c, tls_pct);
}

/* ---- packets ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static size_t build(const struct conn *c, const struct step *s, uint8_t *pkt)
{
    int d = s->dir;
    uint32_t src = d ? c->saddr : c->caddr, dst = d ? c->caddr : c->saddr;
    uint16_t sp = d ? c->sport : c->cport, dp = d ? c->cport : c->sport;
    bool syn = s->flags & 0x02;
    /* SEG.SEQ: ISN for a SYN, else ISN + 1 + bytes before; FIN after data. */
    uint32_t seq = c->isn[d] + (syn ? 0 : 1 + s->off + s->after_fin);
    size_t optlen = syn ? 12 : 0;
    size_t tcplen = 20 + optlen + s->len;
    uint8_t *e = pkt, *ip = pkt + 14, *tcp = ip + 20;
    memcpy(e,
           d ? "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" : "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01",
           12);
    e[12] = 0x08;
    e[13] = 0x00;
    ip[0] = 0x45;
    ip[1] = 0;
    ip[2] = (uint8_t)((20 + tcplen) >> 8);
    ip[3] = (uint8_t)(20 + tcplen);
    ip[4] = ip[5] = 0;
    ip[6] = 0x40; /* DF */
    ip[7] = 0;
    ip[8] = 64;
    ip[9] = 6;
    ip[10] = ip[11] = 0;
    for (int i = 0; i < 4; i++) {
        ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
        ip[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
    }
    uint16_t ic = csum_fold(csum_add(0, ip, 20));
    ip[10] = (uint8_t)(ic >> 8);
    ip[11] = (uint8_t)ic;
    tcp[0] = (uint8_t)(sp >> 8);
    tcp[1] = (uint8_t)sp;
    tcp[2] = (uint8_t)(dp >> 8);
    tcp[3] = (uint8_t)dp;
    for (int i = 0; i < 4; i++)
        tcp[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
    tcp[8] = tcp[9] = tcp[10] = tcp[11] = 0; /* ACK: patched by the caller */
    tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    tcp[13] = s->flags;
    tcp[14] = 0xfa; /* window 64240 (scaled by 2^7 after the handshake) */
    tcp[15] = 0xf0;
    tcp[16] = tcp[17] = tcp[18] = tcp[19] = 0;
    if (syn) {
        static const uint8_t o[12] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1}; /* MSS 1460, SACK ok, WS 7 */
        memcpy(tcp + 20, o, 12);
    }
    if (s->len)
        memcpy(tcp + 20 + optlen, (d ? c->s2c : c->c2s) + s->off, s->len);
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    ph[10] = (uint8_t)(tcplen >> 8);
    ph[11] = (uint8_t)tcplen;
    uint16_t tc = csum_fold(csum_add(csum_add(0, ph, 12), tcp, tcplen));
    tcp[16] = (uint8_t)(tc >> 8);
    tcp[17] = (uint8_t)tc;
    return 14 + 20 + tcplen;
}

/* ACK field: everything the peer has sent up to this step (a simple, honest
 * receiver). Computed from the steps before `upto`. */
static uint32_t ack_for(const struct conn *c, unsigned upto)
{
    const struct step *s = &c->st[upto];
    int peer = !s->dir;
    uint32_t got = 0;
    bool syn = false, fin = false;
    for (unsigned i = 0; i < upto; i++) {
        const struct step *p = &c->st[i];
        if (p->dir != peer)
            continue;
        if (p->flags & 0x02)
            syn = true;
        if (p->flags & 0x01)
            fin = true;
        got = p->off + p->len;
    }
    if (!syn)
        return 0;
    return c->isn[peer] + 1 + got + (fin ? 1 : 0);
}

static void usage(void)
{
    fprintf(stderr, "usage: gen-capture -o FILE [--conns N] [--concurrent K] [--tls PCT] [--seed S] [--gap-us U] "
                    "[--cert DER]\n");
}

int main(int argc, char **argv)
{
    const char *outp = NULL, *certp = NULL;
    unsigned long conns = 100000, conc = 2000, tls_pct = 30, gap_us = 1000;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "-o"))
            outp = v;
        else if (!strcmp(a, "--conns"))
            conns = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--concurrent"))
            conc = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--tls"))
            tls_pct = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--gap-us"))
            gap_us = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--cert"))
            certp = v;
        else {
            usage();
            return 2;
        }
    }
    if (!outp || conc == 0 || conns == 0 || tls_pct > 100) {
        usage();
        return 2;
    }
    rng_state ^= seed * 0x9e3779b97f4a7c15ull;
    static uint8_t certbuf[16384];
    if (certp) {
        FILE *f = fopen(certp, "rb");
        if (!f) {
            fprintf(stderr, "gen-capture: %s: %s\n", certp, strerror(errno));
            return 2;
        }
        cert_len = fread(certbuf, 1, sizeof certbuf, f);
        fclose(f);
        cert_der = certbuf;
    }
    if (conc > conns)
        conc = conns;
    struct conn *slot = calloc(conc, sizeof *slot);
    pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *dump = pd ? pcap_dump_open(pd, outp) : NULL;
    if (!slot || !dump) {
        fprintf(stderr, "gen-capture: cannot write %s: %s\n", outp, pd ? pcap_geterr(pd) : "out of memory");
        return 1;
    }
    uint32_t next_id = 0;
    for (unsigned long i = 0; i < conc; i++)
        conn_new(&slot[i], next_id++, (int)tls_pct);
    unsigned long live = conc, packets = 0;
    uint64_t t_us = 1700000000ull * 1000000u;
    static uint8_t pkt[2048];
    while (live) {
        /* A random open connection sends its next segment: interleaved. */
        struct conn *c = &slot[rnd() % live];
        struct step *s = &c->st[c->next];
        size_t n = build(c, s, pkt);
        uint32_t ack = ack_for(c, c->next);
        if (s->flags & 0x10) {
            /* patch the ACK field and fix the checksum incrementally (RFC 1624) */
            uint8_t *tcp = pkt + 34;
            uint32_t sum = (uint32_t)(~((uint32_t)tcp[16] << 8 | tcp[17]) & 0xffff);
            for (int i = 0; i < 4; i++)
                tcp[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
            sum += (uint32_t)tcp[8] << 8 | tcp[9];
            sum += (uint32_t)tcp[10] << 8 | tcp[11];
            uint16_t tc = csum_fold(sum);
            tcp[16] = (uint8_t)(tc >> 8);
            tcp[17] = (uint8_t)tc;
        }
        struct pcap_pkthdr h;
        t_us += gap_us / 2 + rnd() % (gap_us + 1);
        h.ts.tv_sec = (time_t)(t_us / 1000000u);
        h.ts.tv_usec = (suseconds_t)(t_us % 1000000u);
        h.caplen = h.len = (bpf_u_int32)n;
        pcap_dump((u_char *)dump, &h, pkt);
        packets++;
        if (++c->next == c->nsteps) {
            if (next_id < conns)
                conn_new(c, next_id++, (int)tls_pct);
            else
                *c = slot[--live]; /* keep the open ones packed */
        }
    }
    pcap_dump_close(dump);
    pcap_close(pd);
    free(slot);
    fprintf(stderr, "gen-capture: %s: %lu connections, %lu packets, %lu open at once\n", outp, conns, packets, conc);
    return 0;
}
