/* wire_pcap_gen.c - writes a pcap of frames built by tcpsim_packet_encode, for
 * the tshark cross-check (tshark_check.sh): a v4 and a v6 handshake, data with
 * timestamps, SACK, unknown options, FIN and RST. RFC 9293 §3.1 for the checksum. */
#include <stdio.h>
#include <string.h>

#include "tcpsim/wire.h"

static FILE *out;
static unsigned nframes;

static void put_le32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static int emit(const char *src, const char *dst, struct tcpsim_segment *s)
{
    struct tcpsim_ip_addr a, b;
    uint8_t frame[2048], rec[16];
    size_t n;
    if (!tcpsim_ip_addr_parse(src, &a) || !tcpsim_ip_addr_parse(dst, &b))
        return 1;
    enum tcpsim_err e = tcpsim_packet_encode(&a, &b, s, (uint16_t)(0x100 + nframes), frame, sizeof frame, &n);
    if (e != TCPSIM_OK) {
        fprintf(stderr, "wire_pcap_gen: frame %u: %s\n", nframes + 1, tcpsim_strerror(e));
        return 1;
    }
    put_le32(rec, nframes);
    put_le32(rec + 4, 0);
    put_le32(rec + 8, (uint32_t)n);
    put_le32(rec + 12, (uint32_t)n);
    nframes++;
    return fwrite(rec, 1, 16, out) != 16 || fwrite(frame, 1, n, out) != n;
}

static struct tcpsim_segment seg(uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win)
{
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.src_port = sp;
    s.dst_port = dp;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.window = win;
    return s;
}

static int conversation(const char *c, const char *srv)
{
    static const uint8_t req[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    static const uint8_t odd[] = "odd-length payload!";
    int rc = 0;
    struct tcpsim_segment s = seg(40000, 80, 1000, 0, TCPSIM_SYN, 64240);
    s.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
    s.opts.mss = 1460;
    s.opts.wscale = 7;
    s.opts.ts_val = 1;
    rc |= emit(c, srv, &s);
    s = seg(80, 40000, 5000, 1001, TCPSIM_SYN | TCPSIM_ACK, 65160);
    s.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
    s.opts.mss = 1460;
    s.opts.wscale = 7;
    s.opts.ts_val = 2;
    s.opts.ts_ecr = 1;
    rc |= emit(srv, c, &s);
    s = seg(40000, 80, 1001, 5001, TCPSIM_ACK, 502);
    s.opts.present = TCPSIM_HAS_TS;
    s.opts.ts_val = 3;
    s.opts.ts_ecr = 2;
    rc |= emit(c, srv, &s);
    s.flags = TCPSIM_PSH | TCPSIM_ACK;
    s.payload = req;
    s.payload_len = sizeof req - 1;
    rc |= emit(c, srv, &s);
    s = seg(80, 40000, 5001, 1038, TCPSIM_PSH | TCPSIM_ACK, 509);
    s.payload = odd;
    s.payload_len = sizeof odd - 1; /* odd length: checksum pads a zero byte */
    rc |= emit(srv, c, &s);
    s = seg(40000, 80, 1038, 5020, TCPSIM_ACK, 502);
    s.opts.present = TCPSIM_HAS_TS | TCPSIM_HAS_SACK;
    s.opts.sack_count = 3;
    for (unsigned i = 0; i < 3; i++) {
        s.opts.sack[i].left = 6000 + 2000 * i;
        s.opts.sack[i].right = 7000 + 2000 * i;
    }
    rc |= emit(c, srv, &s);
    /* An unknown option (experimental 253, RFC 6994 form) kept raw. */
    s = seg(40000, 80, 1038, 5020, TCPSIM_FIN | TCPSIM_ACK, 502);
    const uint8_t exp[] = {253, 6, 0x12, 0x34, 0xab, 0xcd};
    memcpy(s.opts.unknown, exp, sizeof exp);
    s.opts.unknown_len = sizeof exp;
    rc |= emit(c, srv, &s);
    s = seg(80, 40000, 5020, 0, TCPSIM_RST, 0);
    rc |= emit(srv, c, &s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: wire_pcap_gen OUT.pcap\n");
        return 2;
    }
    out = fopen(argv[1], "wb");
    if (!out) {
        fprintf(stderr, "wire_pcap_gen: cannot create %s\n", argv[1]);
        return 1;
    }
    uint8_t gh[24] = {0};
    put_le32(gh, 0xa1b2c3d4u);
    gh[4] = 2; /* version 2.4 */
    gh[6] = 4;
    put_le32(gh + 16, 65535);
    put_le32(gh + 20, TCPSIM_DLT_EN10MB);
    int rc = fwrite(gh, 1, sizeof gh, out) != sizeof gh;
    rc |= conversation("10.0.0.1", "10.0.0.2");
    rc |= conversation("2001:db8::1", "2001:db8::2");
    rc |= fclose(out) != 0;
    printf("%u\n", nframes);
    return rc;
}
