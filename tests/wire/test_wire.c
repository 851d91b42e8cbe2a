/* test_wire.c - cmocka suite for src/wire: checksums, TCP header/options,
 * IPv4/IPv6, link layers, whole-packet encode, and every truncation of every
 * vector. Read first: RFC 1071, RFC 9293 §3.1-3.2, RFC 7323, RFC 2018,
 * RFC 791, RFC 8200. Vectors come from gen_vectors.py (checked with tshark). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcpsim/reader.h"
#include "tcpsim/wire.h"

#include "wire/test_wire_diff.h"
#include "wire/vectors.h"

/* ------------------------------------------------------------------ helpers */

static const struct wire_vector *vec(const char *name)
{
    for (size_t i = 0; i < WIRE_NVECTORS; i++)
        if (strcmp(wire_vectors[i].name, name) == 0)
            return &wire_vectors[i];
    fail_msg("no vector %s", name);
    return NULL;
}

/* A full decode of one frame: link, IP, TCP. */
struct frame {
    struct tcpsim_link link;
    struct tcpsim_ip ip;
    struct tcpsim_segment seg;
    const uint8_t *tcp; /* start of the TCP header */
    size_t tcp_len;     /* bytes of TCP header + captured payload */
};

static enum tcpsim_err frame_decode(int dlt, const uint8_t *buf, size_t len, struct frame *f)
{
    memset(f, 0, sizeof *f);
    enum tcpsim_err e = tcpsim_link_decode(dlt, buf, len, &f->link);
    if (e != TCPSIM_OK)
        return e;
    e = tcpsim_ip_decode(f->link.l3_data, f->link.l3_len, &f->ip);
    if (e != TCPSIM_OK)
        return e;
    if (f->ip.proto != 6 || !tcpsim_ip_l4_present(&f->ip))
        return TCPSIM_ERR_UNSUPPORTED;
    f->tcp = f->ip.payload;
    f->tcp_len = f->ip.payload_len;
    return tcpsim_tcp_decode(f->tcp, f->tcp_len, &f->seg);
}

static void frame_of(const char *name, struct frame *f)
{
    const struct wire_vector *v = vec(name);
    assert_int_equal(frame_decode(v->dlt, v->bytes, v->len, f), TCPSIM_OK);
}

/* Vectors whose frames carry a complete TCP segment. */
static bool vector_has_tcp(const struct wire_vector *v)
{
    struct frame f;
    return frame_decode(v->dlt, v->bytes, v->len, &f) == TCPSIM_OK;
}

/* Vectors whose TCP checksum is right on the wire (not loopback-partial). */
static bool vector_checksum_good(const struct wire_vector *v)
{
    return strcmp(v->name, "lo_syn_partial") != 0 && strcmp(v->name, "sll_v4_syn") != 0 &&
           strcmp(v->name, "sll2_v4_syn") != 0;
}

/* Copy into an exact-size heap block so ASan catches any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    if (n)
        memcpy(b, p, n);
    return b;
}

static const uint8_t http_req[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

/* ================================================== checksum (RFC 1071) */

static void test_csum_rfc1071_example_matches(void **state)
{
    (void)state;
    /* RFC 1071 §3 numerical example: the folded sum is ddf2. */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(tcpsim_csum_add(0, b, sizeof b), 0xddf2);
    assert_int_equal(tcpsim_csum_fold(tcpsim_csum_add(0, b, sizeof b)), 0x220d);
}

static void test_csum_odd_length_pads_zero(void **state)
{
    (void)state;
    const uint8_t b[] = {0x12, 0x34, 0xab};
    assert_int_equal(tcpsim_csum_add(0, b, 3), 0x1234 + 0xab00);
    assert_int_equal(tcpsim_csum_add(0, b, 0), 0);
}

static void test_csum_chunks_equal_whole(void **state)
{
    (void)state;
    const struct wire_vector *v = vec("eth_v4_data");
    uint32_t whole = tcpsim_csum_add(0, v->bytes, v->len);
    uint32_t parts = tcpsim_csum_add(tcpsim_csum_add(tcpsim_csum_add(0, v->bytes, 10), v->bytes + 10, 30),
                                     v->bytes + 40, v->len - 40);
    assert_int_equal(tcpsim_csum_fold(whole), tcpsim_csum_fold(parts));
}

static void test_csum_fold_carries_wrap(void **state)
{
    (void)state;
    /* 0x1fffe folds to 0xffff, whose complement is 0. */
    assert_int_equal(tcpsim_csum_fold(0x1fffe), 0x0000);
    assert_int_equal(tcpsim_csum_fold(0x0001), 0xfffe);
    /* Many 0xffff words never overflow the accumulator. */
    uint8_t ff[4096];
    memset(ff, 0xff, sizeof ff);
    uint32_t s = 0;
    for (int i = 0; i < 40; i++)
        s = tcpsim_csum_add(s, ff, sizeof ff);
    assert_int_equal(tcpsim_csum_fold(s), 0x0000);
}

static void test_csum_ipv4_headers_verify(void **state)
{
    (void)state;
    unsigned checked = 0;
    for (size_t i = 0; i < WIRE_NVECTORS; i++) {
        const struct wire_vector *v = &wire_vectors[i];
        struct tcpsim_link l;
        struct tcpsim_ip ip;
        assert_int_equal(tcpsim_link_decode(v->dlt, v->bytes, v->len, &l), TCPSIM_OK);
        if (tcpsim_ip_decode(l.l3_data, l.l3_len, &ip) != TCPSIM_OK || ip.version != 4)
            continue;
        assert_true(ip.checksum_ok);
        /* One flipped bit in the TTL must be caught. */
        uint8_t *copy = dup_exact(l.l3_data, l.l3_len);
        copy[8] ^= 0x01;
        assert_int_equal(tcpsim_ip_decode(copy, l.l3_len, &ip), TCPSIM_OK);
        assert_false(ip.checksum_ok);
        free(copy);
        checked++;
    }
    assert_true(checked >= 15);
}

static void test_csum_tcp_vectors_verify_to_zero(void **state)
{
    (void)state;
    unsigned checked = 0;
    for (size_t i = 0; i < WIRE_NVECTORS; i++) {
        const struct wire_vector *v = &wire_vectors[i];
        struct frame f;
        if (!vector_has_tcp(v) || !vector_checksum_good(v))
            continue;
        assert_int_equal(frame_decode(v->dlt, v->bytes, v->len, &f), TCPSIM_OK);
        if (f.ip.is_fragment)
            continue; /* the checksum covers the reassembled segment */
        assert_int_equal(f.ip.payload_len, f.ip.declared_payload_len);
        /* RFC 1071: summing over the checksum field too gives 0 when right. */
        assert_int_equal(tcpsim_tcp_checksum(&f.ip.src, &f.ip.dst, f.tcp, f.tcp_len), 0);
        /* Computing with the field zeroed gives back the field. */
        uint8_t *copy = dup_exact(f.tcp, f.tcp_len);
        copy[16] = copy[17] = 0;
        assert_int_equal(tcpsim_tcp_checksum(&f.ip.src, &f.ip.dst, copy, f.tcp_len), f.seg.checksum);
        free(copy);
        checked++;
    }
    assert_true(checked >= 18);
}

static void test_csum_tcp_partial_lo_matches_tshark(void **state)
{
    (void)state;
    /* Loopback capture with an offloaded (partial) checksum 0xfe30; tshark
     * 4.0: "incorrect, should be 0x9a12". */
    struct frame f;
    frame_of("lo_syn_partial", &f);
    assert_int_equal(f.seg.checksum, 0xfe30);
    assert_int_not_equal(tcpsim_tcp_checksum(&f.ip.src, &f.ip.dst, f.tcp, f.tcp_len), 0);
    uint8_t *copy = dup_exact(f.tcp, f.tcp_len);
    copy[16] = copy[17] = 0;
    assert_int_equal(tcpsim_tcp_checksum(&f.ip.src, &f.ip.dst, copy, f.tcp_len), 0x9a12);
    free(copy);
}

static void test_csum_tcp_partial_sll_sll2_match_tshark(void **state)
{
    (void)state;
    /* Same SYN seen through SLL and SLL2; tshark: "should be 0x92ef". */
    const char *names[] = {"sll_v4_syn", "sll2_v4_syn"};
    for (int i = 0; i < 2; i++) {
        struct frame f;
        frame_of(names[i], &f);
        uint8_t *copy = dup_exact(f.tcp, f.tcp_len);
        copy[16] = copy[17] = 0;
        assert_int_equal(tcpsim_tcp_checksum(&f.ip.src, &f.ip.dst, copy, f.tcp_len), 0x92ef);
        free(copy);
    }
}

static void test_csum_tcp_v6_pseudo_header_differs_from_v4(void **state)
{
    (void)state;
    /* The v6 pseudo-header covers 16-byte addresses: reading the same
     * segment as if over IPv4 must not verify. */
    struct frame f;
    frame_of("eth_v6_ext", &f);
    assert_int_equal(tcpsim_tcp_checksum(&f.ip.src, &f.ip.dst, f.tcp, f.tcp_len), 0);
    struct tcpsim_ip_addr s4 = f.ip.src, d4 = f.ip.dst;
    s4.family = d4.family = 4;
    assert_int_not_equal(tcpsim_tcp_checksum(&s4, &d4, f.tcp, f.tcp_len), 0);
}

/* ================================================== TCP decode */

static void test_tcp_syn_decode_linux_options(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    const struct tcpsim_segment *s = &f.seg;
    assert_int_equal(s->src_port, 43348);
    assert_int_equal(s->dst_port, 443);
    assert_int_equal(s->seq, 0x8a3c12f0u);
    assert_int_equal(s->ack, 0);
    assert_int_equal(s->flags, TCPSIM_SYN);
    assert_int_equal(s->data_offset, 10);
    assert_int_equal(s->window, 64240);
    assert_int_equal(s->opts.present, TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE);
    assert_int_equal(s->opts.mss, 1460);
    assert_int_equal(s->opts.wscale, 7);
    assert_int_equal(s->opts.ts_val, 1000);
    assert_int_equal(s->opts.ts_ecr, 0);
    const uint8_t layout[] = {TCPSIM_OPT_MSS, TCPSIM_OPT_SACK_PERM, TCPSIM_OPT_TS, TCPSIM_OPT_NOP, TCPSIM_OPT_WSCALE};
    assert_int_equal(s->opts.layout_len, sizeof layout);
    assert_memory_equal(s->opts.layout, layout, sizeof layout);
    assert_int_equal(s->opts.unknown_len, 0);
    assert_int_equal(s->payload_len, 0);
    assert_int_equal(tcpsim_seg_len(s), 1);
}

static void test_tcp_synack_decode_fields(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_synack", &f);
    assert_int_equal(f.seg.flags, TCPSIM_SYN | TCPSIM_ACK);
    assert_int_equal(f.seg.seq, 0x1b2e4d60u);
    assert_int_equal(f.seg.ack, 0x8a3c12f1u);
    assert_int_equal(f.seg.window, 65160);
    assert_int_equal(f.seg.opts.ts_val, 2000);
    assert_int_equal(f.seg.opts.ts_ecr, 1000);
}

static void test_tcp_data_payload_is_view(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_data", &f);
    assert_int_equal(f.seg.flags, TCPSIM_PSH | TCPSIM_ACK);
    assert_int_equal(f.seg.data_offset, 8);
    assert_int_equal(f.seg.payload_len, sizeof http_req - 1);
    assert_memory_equal(f.seg.payload, http_req, sizeof http_req - 1);
    assert_ptr_equal(f.seg.payload, f.tcp + 32);
    const uint8_t layout[] = {TCPSIM_OPT_NOP, TCPSIM_OPT_NOP, TCPSIM_OPT_TS};
    assert_int_equal(f.seg.opts.layout_len, 3);
    assert_memory_equal(f.seg.opts.layout, layout, 3);
    assert_int_equal(tcpsim_seg_len(&f.seg), 37);
}

static void test_tcp_sack_blocks_decoded(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_sack", &f);
    assert_true(f.seg.opts.present & TCPSIM_HAS_SACK);
    assert_int_equal(f.seg.opts.sack_count, 2);
    assert_int_equal(f.seg.opts.sack[0].left, 0x8a3c12f0u + 1000);
    assert_int_equal(f.seg.opts.sack[0].right, 0x8a3c12f0u + 2448);
    assert_int_equal(f.seg.opts.sack[1].left, 0x8a3c12f0u + 3896);
    assert_int_equal(f.seg.opts.sack[1].right, 0x8a3c12f0u + 5344);
    assert_int_equal(f.seg.data_offset, 13);
}

static void test_tcp_fin_and_rst_flags(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_fin", &f);
    assert_int_equal(f.seg.flags, TCPSIM_FIN | TCPSIM_ACK);
    assert_int_equal(tcpsim_seg_len(&f.seg), 1);
    frame_of("eth_v4_rst", &f);
    assert_int_equal(f.seg.flags, TCPSIM_RST);
    assert_int_equal(f.seg.data_offset, 5);
    assert_int_equal(f.seg.opts.present, 0);
    assert_int_equal(f.seg.opts.layout_len, 0);
    assert_int_equal(f.seg.window, 0);
}

static void test_tcp_unknown_options_kept_raw(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn_unknown", &f);
    const uint8_t unknown[] = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 30, 4, 0x00, 0x81};
    assert_int_equal(f.seg.opts.unknown_len, sizeof unknown);
    assert_memory_equal(f.seg.opts.unknown, unknown, sizeof unknown);
    const uint8_t layout[] = {TCPSIM_OPT_MSS, 34, 30, TCPSIM_OPT_EOL, TCPSIM_OPT_EOL};
    assert_int_equal(f.seg.opts.layout_len, sizeof layout);
    assert_memory_equal(f.seg.opts.layout, layout, sizeof layout);
    assert_int_equal(f.seg.opts.present, TCPSIM_HAS_MSS);
}

static void test_tcp_macos_layout_with_eol_decoded(void **state)
{
    (void)state;
    struct frame f;
    frame_of("null_v4_le_syn", &f);
    assert_int_equal(f.seg.opts.mss, 16344);
    assert_int_equal(f.seg.opts.wscale, 6);
    const uint8_t layout[] = {2, 1, 3, 1, 1, 8, 4, 0, 0};
    assert_int_equal(f.seg.opts.layout_len, sizeof layout);
    assert_memory_equal(f.seg.opts.layout, layout, sizeof layout);
}

static void test_tcp_roundtrip_all_vectors_byte_identical(void **state)
{
    (void)state;
    unsigned n = 0;
    for (size_t i = 0; i < WIRE_NVECTORS; i++) {
        const struct wire_vector *v = &wire_vectors[i];
        struct frame f;
        if (!vector_has_tcp(v))
            continue;
        assert_int_equal(frame_decode(v->dlt, v->bytes, v->len, &f), TCPSIM_OK);
        uint8_t out[2048];
        size_t w = 0;
        assert_int_equal(tcpsim_tcp_encode(&f.seg, out, sizeof out, &w), TCPSIM_OK);
        assert_int_equal(w, f.tcp_len);
        if (memcmp(out, f.tcp, w) != 0)
            fail_msg("vector %s: re-encoded TCP differs", v->name);
        assert_int_equal(tcpsim_tcp_opts_size(&f.seg.opts), (size_t)f.seg.data_offset * 4 - 20);
        n++;
    }
    assert_true(n >= 22);
}

static void test_tcp_reserved_bits_roundtrip(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_fin", &f);
    uint8_t *copy = dup_exact(f.tcp, f.tcp_len);
    copy[12] |= 0x01; /* AE (RFC 9293 §3.1 reserved / accurate ECN) */
    struct tcpsim_segment s;
    assert_int_equal(tcpsim_tcp_decode(copy, f.tcp_len, &s), TCPSIM_OK);
    assert_int_equal(s.reserved, 1);
    uint8_t out[128];
    size_t w;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_memory_equal(out, copy, f.tcp_len);
    free(copy);
}

/* ================================================== TCP decode errors */

static void test_tcp_decode_short_header_truncated(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_rst", &f);
    struct tcpsim_segment s;
    for (size_t n = 0; n < 20; n++)
        assert_int_equal(tcpsim_tcp_decode(f.tcp, n, &s), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_tcp_decode(f.tcp, 20, &s), TCPSIM_OK);
}

static void test_tcp_decode_doff_below_5_malformed(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_rst", &f);
    uint8_t b[20];
    memcpy(b, f.tcp, 20);
    for (unsigned off = 0; off < 5; off++) {
        struct tcpsim_segment s;
        b[12] = (uint8_t)(off << 4);
        assert_int_equal(tcpsim_tcp_decode(b, sizeof b, &s), TCPSIM_ERR_MALFORMED);
    }
}

static void test_tcp_decode_doff_past_end_truncated(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    struct tcpsim_segment s;
    for (size_t n = 20; n < 40; n++)
        assert_int_equal(tcpsim_tcp_decode(f.tcp, n, &s), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_tcp_decode(f.tcp, 40, &s), TCPSIM_OK);
}

static void test_tcp_opts_len_below_2_malformed(void **state)
{
    (void)state;
    struct tcpsim_tcp_opts o;
    const uint8_t zero_len[] = {30, 0, 1, 1};
    const uint8_t one_len[] = {1, 30, 1, 1};
    const uint8_t mss_one[] = {2, 1, 0, 0};
    assert_int_equal(tcpsim_tcp_opts_decode(zero_len, 4, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(one_len, 4, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(mss_one, 4, &o), TCPSIM_ERR_MALFORMED);
}

static void test_tcp_opts_past_end_malformed(void **state)
{
    (void)state;
    struct tcpsim_tcp_opts o;
    const uint8_t ts_cut[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0}; /* TS needs 10 bytes, 9 left */
    const uint8_t kind_last[] = {1, 1, 1, 2};                    /* MSS kind with no length byte */
    const uint8_t unknown_long[] = {254, 8, 0xf9, 0x89};         /* experimental, len 8 in 4 bytes */
    assert_int_equal(tcpsim_tcp_opts_decode(ts_cut, sizeof ts_cut, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(kind_last, sizeof kind_last, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(unknown_long, sizeof unknown_long, &o), TCPSIM_ERR_MALFORMED);
    /* Through the header decoder too: doff 6 with a runaway option. */
    uint8_t hdr[24] = {0};
    hdr[12] = 6 << 4;
    memcpy(hdr + 20, unknown_long, 4);
    struct tcpsim_segment s;
    assert_int_equal(tcpsim_tcp_decode(hdr, sizeof hdr, &s), TCPSIM_ERR_MALFORMED);
}

static void test_tcp_opts_bad_known_length_malformed(void **state)
{
    (void)state;
    struct tcpsim_tcp_opts o;
    const uint8_t mss3[] = {2, 3, 5, 1};
    const uint8_t ws4[] = {3, 4, 7, 0};
    const uint8_t ts8[] = {8, 8, 0, 0, 0, 1, 0, 0};
    const uint8_t sack9[] = {5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1};
    const uint8_t sack2[] = {5, 2, 1, 1};
    const uint8_t sackperm3[] = {4, 3, 0, 1};
    assert_int_equal(tcpsim_tcp_opts_decode(mss3, sizeof mss3, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(ws4, sizeof ws4, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(ts8, sizeof ts8, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(sack9, sizeof sack9, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(sack2, sizeof sack2, &o), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_tcp_opts_decode(sackperm3, sizeof sackperm3, &o), TCPSIM_ERR_MALFORMED);
}

static void test_tcp_opts_eol_stops_and_padding_kept(void **state)
{
    (void)state;
    /* RFC 9293 §3.2: nothing after EOL is an option, even bytes that look like one. */
    const uint8_t b[] = {2, 4, 5, 0xb4, 0, 3, 3, 7};
    struct tcpsim_tcp_opts o;
    assert_int_equal(tcpsim_tcp_opts_decode(b, sizeof b, &o), TCPSIM_OK);
    assert_int_equal(o.present, TCPSIM_HAS_MSS);
    assert_int_equal(o.mss, 1460);
    assert_int_equal(o.layout_len, 5); /* MSS + 4 EOL entries */
    assert_int_equal(tcpsim_tcp_opts_size(&o), 8);
    /* An empty area and an all-NOP area are fine. */
    const uint8_t nops[] = {1, 1, 1, 1};
    assert_int_equal(tcpsim_tcp_opts_decode(nops, 0, &o), TCPSIM_OK);
    assert_int_equal(o.layout_len, 0);
    assert_int_equal(tcpsim_tcp_opts_decode(nops, 4, &o), TCPSIM_OK);
    assert_int_equal(o.layout_len, 4);
    assert_int_equal(o.present, 0);
    /* More than 40 bytes of options cannot come from a valid header. */
    uint8_t many[44];
    memset(many, 1, sizeof many);
    assert_int_equal(tcpsim_tcp_opts_decode(many, sizeof many, &o), TCPSIM_ERR_MALFORMED);
}

/* ================================================== TCP encode */

static struct tcpsim_segment syn_like_vector(void)
{
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.src_port = 43348;
    s.dst_port = 443;
    s.seq = 0x8a3c12f0u;
    s.flags = TCPSIM_SYN;
    s.window = 64240;
    s.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
    s.opts.mss = 1460;
    s.opts.wscale = 7;
    s.opts.ts_val = 1000;
    return s;
}

static void test_tcp_encode_canonical_syn_matches_linux(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    struct tcpsim_segment s = syn_like_vector();
    s.checksum = f.seg.checksum;
    uint8_t out[64];
    size_t w;
    assert_int_equal(tcpsim_tcp_opts_size(&s.opts), 20);
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, 40);
    assert_memory_equal(out, f.tcp, 40);
}

static void test_tcp_encode_canonical_ts_data_matches_linux(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_data", &f);
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.src_port = 43348;
    s.dst_port = 443;
    s.seq = f.seg.seq;
    s.ack = f.seg.ack;
    s.flags = TCPSIM_PSH | TCPSIM_ACK;
    s.window = 502;
    s.checksum = f.seg.checksum;
    s.opts.present = TCPSIM_HAS_TS;
    s.opts.ts_val = 1001;
    s.opts.ts_ecr = 2000;
    s.payload = http_req;
    s.payload_len = sizeof http_req - 1;
    uint8_t out[128];
    size_t w;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, f.tcp_len);
    assert_memory_equal(out, f.tcp, w);
}

static void test_tcp_encode_canonical_sack_matches_linux(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_sack", &f);
    struct tcpsim_segment s = f.seg;
    s.opts.layout_len = 0; /* canonical order must reproduce Linux's layout */
    uint8_t out[128];
    size_t w;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, f.tcp_len);
    assert_memory_equal(out, f.tcp, w);
}

static void test_tcp_encode_canonical_without_ts_aligned(void **state)
{
    (void)state;
    /* No timestamps: Linux writes mss, nop,nop,sackOK, nop,wscale. */
    struct tcpsim_segment s = syn_like_vector();
    s.opts.present &= (uint8_t)~TCPSIM_HAS_TS;
    uint8_t out[64];
    size_t w;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
    assert_int_equal(w, 20 + sizeof want);
    assert_memory_equal(out + 20, want, sizeof want);
    assert_int_equal(out[12] >> 4, 8);
    /* TS without SACK-permitted: nop,nop,TS. */
    s = syn_like_vector();
    s.opts.present = TCPSIM_HAS_TS;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, 32);
    assert_int_equal(out[20], 1);
    assert_int_equal(out[21], 1);
    assert_int_equal(out[22], 8);
}

static void test_tcp_encode_layout_packetdrill_order(void **state)
{
    (void)state;
    /* packetdrill <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 8> */
    struct tcpsim_segment s = syn_like_vector();
    s.opts.ts_val = 1;
    s.opts.wscale = 8;
    const uint8_t layout[] = {2, 4, 8, 1, 3};
    memcpy(s.opts.layout, layout, sizeof layout);
    s.opts.layout_len = sizeof layout;
    uint8_t out[64];
    size_t w;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 8};
    assert_int_equal(w, 40);
    assert_memory_equal(out + 20, want, sizeof want);
    /* An odd-sized layout is padded with zeros (EOL) to 4 bytes. */
    const uint8_t odd[] = {3};
    memcpy(s.opts.layout, odd, 1);
    s.opts.layout_len = 1;
    s.opts.present = TCPSIM_HAS_WSCALE;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, 24);
    const uint8_t want_odd[] = {3, 3, 8, 0};
    assert_memory_equal(out + 20, want_odd, 4);
}

static void test_tcp_encode_layout_disagreement_invalid(void **state)
{
    (void)state;
    struct tcpsim_segment s = syn_like_vector();
    uint8_t out[64];
    size_t w = 99;
    /* Layout names SACK blocks the summary lacks. */
    const uint8_t l1[] = {2, 4, 8, 1, 3, 5};
    memcpy(s.opts.layout, l1, sizeof l1);
    s.opts.layout_len = sizeof l1;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_ERR_INVALID);
    assert_int_equal(w, 0);
    /* Summary has TS the layout leaves out. */
    const uint8_t l2[] = {2, 4, 1, 3};
    memcpy(s.opts.layout, l2, sizeof l2);
    s.opts.layout_len = sizeof l2;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_opts_size(&s.opts), 0);
    /* Unknown kind in layout with no TLV in unknown[]. */
    const uint8_t l3[] = {2, 4, 8, 1, 3, 30};
    memcpy(s.opts.layout, l3, sizeof l3);
    s.opts.layout_len = sizeof l3;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_ERR_INVALID);
    /* HAS_SACK with zero blocks. */
    s = syn_like_vector();
    s.opts.present |= TCPSIM_HAS_SACK;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_ERR_INVALID);
}

static void test_tcp_encode_options_over_40_invalid(void **state)
{
    (void)state;
    /* TS (12 aligned) + 4 SACK blocks (36 aligned) = 48 > 40. */
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.flags = TCPSIM_ACK;
    s.opts.present = TCPSIM_HAS_TS | TCPSIM_HAS_SACK;
    s.opts.sack_count = 4;
    uint8_t out[128];
    size_t w;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_ERR_INVALID);
    /* TS + 3 blocks = 12 + 28 = 40 fits exactly (what Linux sends). */
    s.opts.sack_count = 3;
    assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, 60);
    assert_int_equal(out[12] >> 4, 15);
}

static void test_tcp_encode_small_buffer_nospace(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_data", &f);
    for (size_t cap = 0; cap < f.tcp_len; cap++) {
        uint8_t *out = malloc(cap ? cap : 1);
        size_t w = 7;
        assert_int_equal(tcpsim_tcp_encode(&f.seg, out, cap, &w), TCPSIM_ERR_NOSPACE);
        assert_int_equal(w, 0);
        free(out);
    }
}

static void test_tcp_flags_str_wireshark_order(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(tcpsim_tcp_flags_str(TCPSIM_SYN | TCPSIM_ACK, b, sizeof b), "SYN,ACK");
    assert_string_equal(tcpsim_tcp_flags_str(TCPSIM_FIN | TCPSIM_PSH | TCPSIM_ACK, b, sizeof b), "FIN,PSH,ACK");
    assert_string_equal(tcpsim_tcp_flags_str(0, b, sizeof b), "");
    assert_string_equal(tcpsim_tcp_flags_str(0xff, b, sizeof b), "FIN,SYN,RST,PSH,ACK,URG,ECE,CWR");
    assert_string_equal(tcpsim_tcp_flags_str(TCPSIM_SYN | TCPSIM_ECE | TCPSIM_CWR, b, sizeof b), "SYN,ECE,CWR");
    /* A short buffer holds whole names only. */
    char s[6];
    assert_string_equal(tcpsim_tcp_flags_str(TCPSIM_SYN | TCPSIM_ACK, s, sizeof s), "SYN");
}

/* ================================================== IPv4 */

static void test_ipv4_decode_fields(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    char a[64];
    assert_int_equal(f.ip.version, 4);
    assert_string_equal(tcpsim_ip_addr_str(&f.ip.src, a, sizeof a), "10.0.0.1");
    assert_string_equal(tcpsim_ip_addr_str(&f.ip.dst, a, sizeof a), "10.0.0.2");
    assert_int_equal(f.ip.ttl, 64);
    assert_int_equal(f.ip.ip_id, 0x5d1f);
    assert_true(f.ip.dont_fragment);
    assert_false(f.ip.is_fragment);
    assert_int_equal(f.ip.proto, 6);
    assert_int_equal(f.ip.header_len, 20);
    assert_int_equal(f.ip.total_len, 60);
    assert_int_equal(f.ip.declared_payload_len, 40);
    assert_int_equal(f.ip.payload_len, 40);
}

static void test_ipv4_options_skipped(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_ipopts", &f);
    assert_int_equal(f.ip.header_len, 24);
    assert_true(f.ip.checksum_ok);
    assert_int_equal(f.seg.src_port, 43348);
    assert_int_equal(f.seg.opts.ts_val, 1001);
}

static void test_ipv4_fragments_first_and_later(void **state)
{
    (void)state;
    const struct wire_vector *v1 = vec("eth_v4_frag1"), *v2 = vec("eth_v4_frag2");
    struct frame f;
    assert_int_equal(frame_decode(v1->dlt, v1->bytes, v1->len, &f), TCPSIM_OK);
    assert_true(f.ip.is_fragment);
    assert_true(f.ip.first_fragment);
    assert_true(tcpsim_ip_l4_present(&f.ip));
    assert_int_equal(f.seg.data_offset, 8);
    assert_int_equal(f.seg.payload_len, 8); /* the rest is in the next fragment */

    struct tcpsim_link l;
    struct tcpsim_ip ip;
    assert_int_equal(tcpsim_link_decode(v2->dlt, v2->bytes, v2->len, &l), TCPSIM_OK);
    assert_int_equal(tcpsim_ip_decode(l.l3_data, l.l3_len, &ip), TCPSIM_OK);
    assert_true(ip.is_fragment);
    assert_false(ip.first_fragment);
    assert_false(tcpsim_ip_l4_present(&ip));
    assert_int_equal(ip.proto, 6);
    assert_int_equal(ip.payload_len, 40);
    /* The frame helper refuses to read it as TCP. */
    assert_int_equal(frame_decode(v2->dlt, v2->bytes, v2->len, &f), TCPSIM_ERR_UNSUPPORTED);
}

static void test_ipv4_ethernet_padding_not_payload(void **state)
{
    (void)state;
    struct frame f;
    const struct wire_vector *v = vec("eth_v4_padded");
    assert_int_equal(v->len, 60);
    frame_of("eth_v4_padded", &f);
    assert_int_equal(f.ip.total_len, 40);
    assert_int_equal(f.ip.payload_len, 20);
    assert_int_equal(f.seg.payload_len, 0);
    assert_int_equal(f.link.l3_len, 46);
}

static void test_ipv4_snapped_after_headers_still_decodes(void **state)
{
    (void)state;
    const struct wire_vector *v = vec("eth_v4_data");
    size_t cut = 14 + 20 + 32 + 5; /* 5 of 37 payload bytes captured */
    uint8_t *b = dup_exact(v->bytes, cut);
    struct frame f;
    assert_int_equal(frame_decode(v->dlt, b, cut, &f), TCPSIM_OK);
    assert_int_equal(f.ip.declared_payload_len, 32 + 37);
    assert_int_equal(f.ip.payload_len, 32 + 5);
    assert_int_equal(f.seg.payload_len, 5);
    assert_int_equal(f.seg.seq, 0x8a3c12f1u);
    free(b);
}

static void test_ipv4_bad_header_fields_malformed(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_rst", &f);
    const uint8_t *ipb = f.link.l3_data;
    uint8_t b[40];
    memcpy(b, ipb, 40);
    struct tcpsim_ip ip;
    b[0] = 0x44; /* IHL 4 */
    assert_int_equal(tcpsim_ip_decode(b, 40, &ip), TCPSIM_ERR_MALFORMED);
    b[0] = 0x4f; /* IHL 15 = 60 bytes, only 40 captured */
    assert_int_equal(tcpsim_ip_decode(b, 40, &ip), TCPSIM_ERR_TRUNCATED);
    memcpy(b, ipb, 40);
    b[2] = 0;
    b[3] = 19; /* total length shorter than the header */
    assert_int_equal(tcpsim_ip_decode(b, 40, &ip), TCPSIM_ERR_MALFORMED);
    memcpy(b, ipb, 40);
    b[0] = 0x55; /* version 5 */
    assert_int_equal(tcpsim_ip_decode(b, 40, &ip), TCPSIM_ERR_MALFORMED);
    assert_int_equal(tcpsim_ip_decode(b, 0, &ip), TCPSIM_ERR_TRUNCATED);
}

static void test_ipv4_total_len_zero_uses_captured(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_data", &f);
    uint8_t *b = dup_exact(f.link.l3_data, f.link.l3_len);
    b[2] = b[3] = 0; /* TSO capture on the sender */
    struct tcpsim_ip ip;
    assert_int_equal(tcpsim_ip_decode(b, f.link.l3_len, &ip), TCPSIM_OK);
    assert_int_equal(ip.declared_payload_len, f.link.l3_len - 20);
    assert_int_equal(ip.payload_len, f.link.l3_len - 20);
    free(b);
}

/* ================================================== IPv6 */

static void test_ipv6_syn_decode_fields(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v6_syn", &f);
    char a[64];
    assert_int_equal(f.ip.version, 6);
    assert_string_equal(tcpsim_ip_addr_str(&f.ip.src, a, sizeof a), "2001:db8::1");
    assert_int_equal(f.ip.flow_label, 0x12345);
    assert_int_equal(f.ip.ttl, 64);
    assert_int_equal(f.ip.header_len, 40);
    assert_int_equal(f.ip.total_len, 80);
    assert_true(f.ip.checksum_ok);
    assert_false(f.ip.is_fragment);
    assert_int_equal(f.seg.opts.mss, 1440);
}

static void test_ipv6_ext_chain_skipped(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v6_ext", &f);
    /* 40 + hop-by-hop 8 + routing (2+1)*8 = 24 + destination 8 */
    assert_int_equal(f.ip.header_len, 80);
    assert_int_equal(f.ip.proto, 6);
    assert_int_equal(f.seg.payload_len, 5);
    assert_memory_equal(f.seg.payload, "hello", 5);
}

static void test_ipv6_ah_length_in_4_byte_units(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v6_ah", &f);
    /* RFC 4302 §2.2: (4 + 2) * 4 = 24 bytes of AH. */
    assert_int_equal(f.ip.header_len, 64);
    assert_int_equal(f.seg.dst_port, 443);
}

static void test_ipv6_fragments_first_and_later(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v6_frag1", &f);
    assert_true(f.ip.is_fragment);
    assert_true(f.ip.first_fragment);
    assert_int_equal(f.ip.header_len, 48);
    assert_int_equal(f.seg.payload_len, 16);

    const struct wire_vector *v = vec("eth_v6_frag2");
    struct tcpsim_link l;
    struct tcpsim_ip ip;
    assert_int_equal(tcpsim_link_decode(v->dlt, v->bytes, v->len, &l), TCPSIM_OK);
    assert_int_equal(tcpsim_ip_decode(l.l3_data, l.l3_len, &ip), TCPSIM_OK);
    assert_true(ip.is_fragment);
    assert_false(ip.first_fragment);
    assert_false(tcpsim_ip_l4_present(&ip));
    assert_int_equal(ip.proto, 6);
    assert_int_equal(ip.header_len, 48);
    assert_int_equal(ip.payload_len, 16);
}

static void test_ipv6_esp_and_no_next_stop_chain(void **state)
{
    (void)state;
    const struct wire_vector *v = vec("eth_v6_esp");
    struct tcpsim_link l;
    struct tcpsim_ip ip;
    assert_int_equal(tcpsim_link_decode(v->dlt, v->bytes, v->len, &l), TCPSIM_OK);
    assert_int_equal(tcpsim_ip_decode(l.l3_data, l.l3_len, &ip), TCPSIM_OK);
    assert_int_equal(ip.proto, 50);
    assert_int_equal(ip.header_len, 40);
    assert_int_equal(ip.payload_len, 32);
    /* Next header 59 after a destination-options header. */
    uint8_t b[56] = {0x60, 0, 0, 0, 0, 16, 60, 64};
    b[40] = 59;
    b[41] = 0;
    assert_int_equal(tcpsim_ip_decode(b, sizeof b, &ip), TCPSIM_OK);
    assert_int_equal(ip.proto, 59);
    assert_int_equal(ip.header_len, 48);
    assert_int_equal(ip.payload_len, 8);
}

static void test_ipv6_ext_past_payload_length_malformed(void **state)
{
    (void)state;
    /* Payload length 8 but a hop-by-hop header of (1+1)*8 = 16 bytes. */
    uint8_t b[56] = {0x60, 0, 0, 0, 0, 8, 0, 64};
    b[40] = 6;
    b[41] = 1;
    struct tcpsim_ip ip;
    assert_int_equal(tcpsim_ip_decode(b, sizeof b, &ip), TCPSIM_ERR_MALFORMED);
    /* Header runs past what was captured: truncated. */
    b[5] = 16;
    assert_int_equal(tcpsim_ip_decode(b, 50, &ip), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_ip_decode(b, 56, &ip), TCPSIM_OK);
    assert_int_equal(ip.header_len, 56);
    assert_int_equal(ip.payload_len, 0);
}

static void test_ipv6_mobility_hip_shim6_skipped(void **state)
{
    (void)state;
    const uint8_t kinds[] = {135, 139, 140};
    for (int i = 0; i < 3; i++) {
        uint8_t b[68] = {0x60, 0, 0, 0, 0, 28, 0, 64};
        b[6] = kinds[i];
        b[40] = 6; /* next: TCP */
        b[41] = 0; /* 8 bytes */
        b[48 + 12] = 5 << 4;
        struct tcpsim_ip ip;
        assert_int_equal(tcpsim_ip_decode(b, sizeof b, &ip), TCPSIM_OK);
        assert_int_equal(ip.proto, 6);
        assert_int_equal(ip.header_len, 48);
        assert_int_equal(ip.payload_len, 20);
    }
}

/* ================================================== IP encode, addresses */

static void test_ip_encode_v4_matches_vector(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    struct tcpsim_ip ip = f.ip;
    uint8_t out[128];
    size_t w;
    assert_int_equal(tcpsim_ip_encode(&ip, f.tcp, f.tcp_len, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, f.link.l3_len);
    assert_memory_equal(out, f.link.l3_data, w);
}

static void test_ip_encode_v6_matches_vector(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v6_syn", &f);
    uint8_t out[128];
    size_t w;
    assert_int_equal(tcpsim_ip_encode(&f.ip, f.tcp, f.tcp_len, out, sizeof out, &w), TCPSIM_OK);
    assert_int_equal(w, f.link.l3_len);
    assert_memory_equal(out, f.link.l3_data, w);
}

static void test_ip_encode_bad_args_rejected(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    struct tcpsim_ip ip = f.ip;
    uint8_t out[128];
    size_t w;
    ip.dst.family = 6;
    assert_int_equal(tcpsim_ip_encode(&ip, f.tcp, f.tcp_len, out, sizeof out, &w), TCPSIM_ERR_INVALID);
    ip = f.ip;
    assert_int_equal(tcpsim_ip_encode(&ip, f.tcp, f.tcp_len, out, 19, &w), TCPSIM_ERR_NOSPACE);
    assert_int_equal(tcpsim_ip_encode(&ip, f.tcp, f.tcp_len, out, 59, &w), TCPSIM_ERR_NOSPACE);
    assert_int_equal(tcpsim_ip_encode(&ip, f.tcp, 65516, out, sizeof out, &w), TCPSIM_ERR_INVALID);
    ip.version = 5;
    assert_int_equal(tcpsim_ip_encode(&ip, f.tcp, f.tcp_len, out, sizeof out, &w), TCPSIM_ERR_INVALID);
}

static void test_addr_str_rfc5952(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* §4.2.3: first of equal runs */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* §4.2.3: longest run */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* §4.2.2: one 0 group not compressed */
        {"2001:DB8::ABCD", "2001:db8::abcd"},             /* §4.3: lowercase */
        {"::", "::"},
        {"::1", "::1"},
        {"fe80::", "fe80::"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"}, /* §5: IPv4-mapped */
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"10.0.0.1", "10.0.0.1"},
        {"255.255.255.255", "255.255.255.255"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tcpsim_ip_addr a;
        char b[64];
        assert_true(tcpsim_ip_addr_parse(cases[i].in, &a));
        assert_string_equal(tcpsim_ip_addr_str(&a, b, sizeof b), cases[i].want);
    }
}

static void test_addr_parse_rejects_garbage(void **state)
{
    (void)state;
    const char *bad[] = {"",     "10.0.0", "10.0.0.256",       "1.2.3.4.5", "2001:db8:::1", "2001:db8::1::2",
                         "g::1", "hello",  "1:2:3:4:5:6:7:8:9"};
    struct tcpsim_ip_addr a;
    memset(&a, 0xaa, sizeof a);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tcpsim_ip_addr_parse(bad[i], &a))
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_false(tcpsim_ip_addr_parse(NULL, &a));
    assert_int_equal(a.family, 0xaa); /* untouched on failure */
}

static void test_endpoint_str_v4_and_v6(void **state)
{
    (void)state;
    struct tcpsim_ip_addr a;
    char b[80];
    assert_true(tcpsim_ip_addr_parse("10.0.0.1", &a));
    assert_string_equal(tcpsim_endpoint_str(&a, 443, b, sizeof b), "10.0.0.1:443");
    assert_true(tcpsim_ip_addr_parse("2001:db8::1", &a));
    assert_string_equal(tcpsim_endpoint_str(&a, 443, b, sizeof b), "[2001:db8::1]:443");
    assert_string_equal(tcpsim_endpoint_str(&a, 65535, b, sizeof b), "[2001:db8::1]:65535");
    char small[8];
    assert_string_equal(tcpsim_endpoint_str(&a, 443, small, sizeof small), "[2001:d");
}

/* ================================================== link layer */

static void test_link_ethernet_plain(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    assert_int_equal(f.link.ethertype, 0x0800);
    assert_int_equal(f.link.vlan_count, 0);
    assert_int_equal(f.link.l3_len, vec("eth_v4_syn")->len - 14);
    frame_of("eth_v6_syn", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV6);
    assert_int_equal(f.link.ethertype, 0x86dd);
}

static void test_link_vlan_single_tag(void **state)
{
    (void)state;
    struct frame f;
    frame_of("vlan_v4_data", &f);
    assert_int_equal(f.link.vlan_count, 1);
    assert_int_equal(f.link.vlan_id[0], 100);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    assert_int_equal(f.seg.payload_len, 37);
}

static void test_link_qinq_two_tags(void **state)
{
    (void)state;
    struct frame f;
    frame_of("qinq_v6_ack", &f);
    assert_int_equal(f.link.vlan_count, 2);
    assert_int_equal(f.link.vlan_id[0], 200);
    assert_int_equal(f.link.vlan_id[1], 100);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV6);
    assert_int_equal(f.link.ethertype, 0x86dd);
}

static void test_link_three_tags_third_skipped(void **state)
{
    (void)state;
    struct frame f;
    frame_of("vlan3_v4_ack", &f);
    assert_int_equal(f.link.vlan_count, 3);
    assert_int_equal(f.link.vlan_id[0], 300);
    assert_int_equal(f.link.vlan_id[1], 200);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    assert_int_equal(f.link.l3_len, vec("vlan3_v4_ack")->len - 26);
}

static void test_link_sll_and_sll2(void **state)
{
    (void)state;
    struct frame f;
    frame_of("sll_v4_syn", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    assert_int_equal(f.link.l3_len, vec("sll_v4_syn")->len - 16);
    assert_int_equal(f.seg.src_port, 57832);
    assert_int_equal(f.seg.dst_port, 40125);
    assert_int_equal(f.seg.opts.wscale, 10);
    frame_of("sll2_v4_syn", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    assert_int_equal(f.link.l3_len, vec("sll2_v4_syn")->len - 20);
    assert_int_equal(f.seg.opts.mss, 65495);
}

static void test_link_null_both_byte_orders(void **state)
{
    (void)state;
    struct frame f;
    frame_of("null_v4_le_syn", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    assert_int_equal(f.link.ethertype, 0x0800);
    frame_of("null_v6_le_syn", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV6);
    frame_of("null_v4_be_ack", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    /* Every IPv6 AF value, in both orders. */
    const uint32_t afs[] = {24, 28, 30};
    for (int i = 0; i < 3; i++) {
        uint8_t le[4] = {(uint8_t)afs[i], 0, 0, 0}, be[4] = {0, 0, 0, (uint8_t)afs[i]};
        struct tcpsim_link l;
        assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_NULL, le, 4, &l), TCPSIM_OK);
        assert_int_equal(l.l3, TCPSIM_L3_IPV6);
        assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_NULL, be, 4, &l), TCPSIM_OK);
        assert_int_equal(l.l3, TCPSIM_L3_IPV6);
        assert_int_equal(l.l3_len, 0);
    }
    uint8_t other[4] = {7, 0, 0, 0};
    struct tcpsim_link l;
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_NULL, other, 4, &l), TCPSIM_OK);
    assert_int_equal(l.l3, TCPSIM_L3_OTHER);
}

static void test_link_loop_network_order(void **state)
{
    (void)state;
    struct frame f;
    frame_of("loop_v6_ack", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV6);
    uint8_t v4[4] = {0, 0, 0, 2};
    struct tcpsim_link l;
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_LOOP, v4, 4, &l), TCPSIM_OK);
    assert_int_equal(l.l3, TCPSIM_L3_IPV4);
}

static void test_link_raw_and_aliases(void **state)
{
    (void)state;
    struct frame f;
    frame_of("raw_v4_ack", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV4);
    frame_of("raw_v6_ack", &f);
    assert_int_equal(f.link.l3, TCPSIM_L3_IPV6);
    const struct wire_vector *v = vec("raw_v4_ack");
    const int dlts[] = {12, 14, TCPSIM_DLT_IPV4};
    for (int i = 0; i < 3; i++) {
        struct tcpsim_link l;
        assert_int_equal(tcpsim_link_decode(dlts[i], v->bytes, v->len, &l), TCPSIM_OK);
        assert_int_equal(l.l3, TCPSIM_L3_IPV4);
        assert_ptr_equal(l.l3_data, v->bytes);
        assert_int_equal(l.l3_len, v->len);
    }
    struct tcpsim_link l;
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_IPV6, vec("raw_v6_ack")->bytes, 40, &l), TCPSIM_OK);
    assert_int_equal(l.l3, TCPSIM_L3_IPV6);
}

static void test_link_unsupported_and_truncated(void **state)
{
    (void)state;
    struct tcpsim_link l;
    const struct wire_vector *v = vec("eth_v4_syn");
    assert_int_equal(tcpsim_link_decode(105 /* 802.11 */, v->bytes, v->len, &l), TCPSIM_ERR_UNSUPPORTED);
    assert_int_equal(tcpsim_link_decode(-1, v->bytes, v->len, &l), TCPSIM_ERR_UNSUPPORTED);
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_EN10MB, v->bytes, 13, &l), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_LINUX_SLL, v->bytes, 15, &l), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_LINUX_SLL2, v->bytes, 19, &l), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_NULL, v->bytes, 3, &l), TCPSIM_ERR_TRUNCATED);
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_RAW, v->bytes, 0, &l), TCPSIM_ERR_TRUNCATED);
    /* A VLAN tag cut in half. */
    const struct wire_vector *q = vec("qinq_v6_ack");
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_EN10MB, q->bytes, 20, &l), TCPSIM_ERR_TRUNCATED);
    /* 802.3 length field: not IP. */
    uint8_t llc[20] = {0};
    llc[12] = 0x00;
    llc[13] = 0x26;
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_EN10MB, llc, sizeof llc, &l), TCPSIM_OK);
    assert_int_equal(l.l3, TCPSIM_L3_OTHER);
}

/* ================================================== whole packets */

static void test_packet_encode_v4_matches_vector(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_syn", &f);
    struct tcpsim_segment s = f.seg;
    s.checksum = 0xdead; /* must be recomputed */
    uint8_t out[256];
    size_t w;
    assert_int_equal(tcpsim_packet_encode(&f.ip.src, &f.ip.dst, &s, 0x5d1f, out, sizeof out, &w), TCPSIM_OK);
    const struct wire_vector *v = vec("eth_v4_syn");
    assert_int_equal(w, v->len);
    /* Everything after the MACs is byte-identical to the Linux frame. */
    assert_memory_equal(out + 12, v->bytes + 12, v->len - 12);
    /* MACs are stable, unicast and locally administered. */
    assert_int_equal(out[0] & 0x03, 0x02);
    assert_int_equal(out[6] & 0x03, 0x02);
    assert_memory_not_equal(out, out + 6, 6);
}

static void test_packet_encode_v6_checksums_valid(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v6_ext", &f);
    uint8_t out[256];
    size_t w;
    assert_int_equal(tcpsim_packet_encode(&f.ip.src, &f.ip.dst, &f.seg, 0, out, sizeof out, &w), TCPSIM_OK);
    struct frame g;
    assert_int_equal(frame_decode(TCPSIM_DLT_EN10MB, out, w, &g), TCPSIM_OK);
    assert_int_equal(g.ip.version, 6);
    assert_int_equal(g.ip.header_len, 40);
    assert_int_equal(g.ip.ttl, 64);
    assert_int_equal(tcpsim_tcp_checksum(&g.ip.src, &g.ip.dst, g.tcp, g.tcp_len), 0);
    /* Same TCP bytes as the original (its checksum is right for the same addresses). */
    assert_int_equal(g.tcp_len, f.tcp_len);
    assert_memory_equal(g.tcp, f.tcp, f.tcp_len);
}

static void test_packet_encode_bad_args_and_small_buffers(void **state)
{
    (void)state;
    struct frame f;
    frame_of("eth_v4_data", &f);
    size_t need = vec("eth_v4_data")->len;
    size_t w;
    uint8_t big[256];
    struct tcpsim_ip_addr v6 = f.ip.dst;
    v6.family = 6;
    assert_int_equal(tcpsim_packet_encode(&f.ip.src, &v6, &f.seg, 1, big, sizeof big, &w), TCPSIM_ERR_INVALID);
    struct tcpsim_ip_addr none = f.ip.src;
    none.family = 0;
    assert_int_equal(tcpsim_packet_encode(&none, &none, &f.seg, 1, big, sizeof big, &w), TCPSIM_ERR_INVALID);
    for (size_t cap = 0; cap < need; cap++) {
        uint8_t *out = malloc(cap ? cap : 1);
        assert_int_equal(tcpsim_packet_encode(&f.ip.src, &f.ip.dst, &f.seg, 1, out, cap, &w), TCPSIM_ERR_NOSPACE);
        free(out);
    }
    uint8_t *out = malloc(need);
    assert_int_equal(tcpsim_packet_encode(&f.ip.src, &f.ip.dst, &f.seg, 0x5d20, out, need, &w), TCPSIM_OK);
    assert_int_equal(w, need);
    assert_memory_equal(out + 12, vec("eth_v4_data")->bytes + 12, need - 12);
    free(out);
}

/* ================================================== truncation and junk */

/* Every prefix of every vector: an error, or a result that stays inside the
 * bytes given and is consistent with the full decode. */
static void test_trunc_every_prefix_error_or_consistent(void **state)
{
    (void)state;
    unsigned shortened_ok = 0;
    for (size_t i = 0; i < WIRE_NVECTORS; i++) {
        const struct wire_vector *v = &wire_vectors[i];
        struct frame full;
        enum tcpsim_err fe = frame_decode(v->dlt, v->bytes, v->len, &full);
        assert_true(fe == TCPSIM_OK || fe == TCPSIM_ERR_UNSUPPORTED); /* non-first fragments, ESP */
        for (size_t n = 0; n < v->len; n++) {
            uint8_t *b = dup_exact(v->bytes, n);
            struct frame f;
            enum tcpsim_err e = frame_decode(v->dlt, b, n, &f);
            if (e == TCPSIM_OK) {
                /* Only a capture snapped inside the payload (or inside the
                 * link-layer padding after it) may still decode. */
                assert_int_equal(fe, TCPSIM_OK);
                size_t off = (size_t)(full.seg.payload - v->bytes);
                assert_true(n >= off);
                size_t want = n - off < full.seg.payload_len ? n - off : full.seg.payload_len;
                assert_true(f.seg.payload + f.seg.payload_len <= b + n);
                assert_ptr_equal(f.seg.payload, b + off);
                assert_int_equal(f.seg.payload_len, want);
                assert_int_equal(f.ip.payload_len < f.ip.declared_payload_len, want < full.seg.payload_len);
                assert_int_equal(f.seg.seq, full.seg.seq);
                assert_int_equal(f.seg.data_offset, full.seg.data_offset);
                if (want < full.seg.payload_len)
                    shortened_ok++;
            } else {
                assert_true(e == TCPSIM_ERR_TRUNCATED || e == TCPSIM_ERR_UNSUPPORTED || e == TCPSIM_ERR_MALFORMED);
            }
            free(b);
        }
    }
    assert_true(shortened_ok > 0);
}

/* Prefixes that stop inside a header must say ERR_TRUNCATED, not anything else. */
static void test_trunc_inside_headers_is_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < WIRE_NVECTORS; i++) {
        const struct wire_vector *v = &wire_vectors[i];
        struct frame full;
        if (frame_decode(v->dlt, v->bytes, v->len, &full) != TCPSIM_OK)
            continue;
        size_t link_hdr = (size_t)(full.link.l3_data - v->bytes);
        size_t l4_start = link_hdr + full.ip.header_len;
        size_t hdr_end = l4_start + (size_t)full.seg.data_offset * 4;
        for (size_t n = 0; n < hdr_end; n++) {
            uint8_t *b = dup_exact(v->bytes, n);
            struct tcpsim_link l;
            struct tcpsim_ip ip;
            struct tcpsim_segment s;
            enum tcpsim_err e = tcpsim_link_decode(v->dlt, b, n, &l);
            if (e == TCPSIM_OK)
                e = tcpsim_ip_decode(l.l3_data, l.l3_len, &ip);
            if (e == TCPSIM_OK)
                e = tcpsim_tcp_decode(ip.payload, ip.payload_len, &s);
            if (e != TCPSIM_ERR_TRUNCATED)
                fail_msg("vector %s cut at %zu: %s, expected ERR_TRUNCATED", v->name, n, tcpsim_errname(e));
            free(b);
        }
    }
}

/* Deterministic junk: an LCG fills buffers, headers made plausible so the
 * decoders go deep. Checks bounds of every view returned. */
static void test_junk_random_bytes_never_escape_bounds(void **state)
{
    (void)state;
    uint32_t x = 12345;
    const int dlts[] = {TCPSIM_DLT_EN10MB, TCPSIM_DLT_RAW, TCPSIM_DLT_LINUX_SLL, TCPSIM_DLT_NULL};
    unsigned deep = 0;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0;
        x = x * 1103515245u + 12345u;
        n = (x >> 16) % 160;
        uint8_t *b = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            b[k] = (uint8_t)(x >> 24);
        }
        int dlt = dlts[iter % 4];
        size_t l3 = dlt == TCPSIM_DLT_EN10MB ? 14 : dlt == TCPSIM_DLT_LINUX_SLL ? 16 : dlt == TCPSIM_DLT_NULL ? 4 : 0;
        if (n > l3 + 1) {
            if (dlt == TCPSIM_DLT_EN10MB || dlt == TCPSIM_DLT_LINUX_SLL) {
                b[l3 - 2] = (iter & 8) ? 0x86 : 0x08;
                b[l3 - 1] = (iter & 8) ? 0xdd : 0x00;
            }
            b[l3] = (uint8_t)((iter & 8) ? 0x60 : (0x45 | (b[l3] & 0x03)));
        }
        if (n > l3 + 9)
            b[l3 + ((iter & 8) ? 6 : 9)] = (iter & 16) ? 6 : (uint8_t)(b[l3 + 6] % 64);
        struct frame f;
        enum tcpsim_err e = frame_decode(dlt, b, n, &f);
        if (e == TCPSIM_OK) {
            assert_true(f.seg.payload >= b && f.seg.payload + f.seg.payload_len <= b + n);
            assert_true(f.seg.data_offset >= 5);
            deep++;
            uint8_t out[128];
            size_t w;
            /* Re-encode what was decoded: the header bytes come back. */
            struct tcpsim_segment s = f.seg;
            s.payload_len = 0;
            assert_int_equal(tcpsim_tcp_encode(&s, out, sizeof out, &w), TCPSIM_OK);
            assert_int_equal(w, (size_t)f.seg.data_offset * 4);
        }
        if (f.link.l3_data != NULL)
            assert_true(f.link.l3_data >= b && f.link.l3_data + f.link.l3_len <= b + n);
        free(b);
    }
    assert_true(deep > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csum_rfc1071_example_matches),
        cmocka_unit_test(test_csum_odd_length_pads_zero),
        cmocka_unit_test(test_csum_chunks_equal_whole),
        cmocka_unit_test(test_csum_fold_carries_wrap),
        cmocka_unit_test(test_csum_ipv4_headers_verify),
        cmocka_unit_test(test_csum_tcp_vectors_verify_to_zero),
        cmocka_unit_test(test_csum_tcp_partial_lo_matches_tshark),
        cmocka_unit_test(test_csum_tcp_partial_sll_sll2_match_tshark),
        cmocka_unit_test(test_csum_tcp_v6_pseudo_header_differs_from_v4),
        cmocka_unit_test(test_tcp_syn_decode_linux_options),
        cmocka_unit_test(test_tcp_synack_decode_fields),
        cmocka_unit_test(test_tcp_data_payload_is_view),
        cmocka_unit_test(test_tcp_sack_blocks_decoded),
        cmocka_unit_test(test_tcp_fin_and_rst_flags),
        cmocka_unit_test(test_tcp_unknown_options_kept_raw),
        cmocka_unit_test(test_tcp_macos_layout_with_eol_decoded),
        cmocka_unit_test(test_tcp_roundtrip_all_vectors_byte_identical),
        cmocka_unit_test(test_tcp_reserved_bits_roundtrip),
        cmocka_unit_test(test_tcp_decode_short_header_truncated),
        cmocka_unit_test(test_tcp_decode_doff_below_5_malformed),
        cmocka_unit_test(test_tcp_decode_doff_past_end_truncated),
        cmocka_unit_test(test_tcp_opts_len_below_2_malformed),
        cmocka_unit_test(test_tcp_opts_past_end_malformed),
        cmocka_unit_test(test_tcp_opts_bad_known_length_malformed),
        cmocka_unit_test(test_tcp_opts_eol_stops_and_padding_kept),
        cmocka_unit_test(test_tcp_encode_canonical_syn_matches_linux),
        cmocka_unit_test(test_tcp_encode_canonical_ts_data_matches_linux),
        cmocka_unit_test(test_tcp_encode_canonical_sack_matches_linux),
        cmocka_unit_test(test_tcp_encode_canonical_without_ts_aligned),
        cmocka_unit_test(test_tcp_encode_layout_packetdrill_order),
        cmocka_unit_test(test_tcp_encode_layout_disagreement_invalid),
        cmocka_unit_test(test_tcp_encode_options_over_40_invalid),
        cmocka_unit_test(test_tcp_encode_small_buffer_nospace),
        cmocka_unit_test(test_tcp_flags_str_wireshark_order),
        cmocka_unit_test(test_ipv4_decode_fields),
        cmocka_unit_test(test_ipv4_options_skipped),
        cmocka_unit_test(test_ipv4_fragments_first_and_later),
        cmocka_unit_test(test_ipv4_ethernet_padding_not_payload),
        cmocka_unit_test(test_ipv4_snapped_after_headers_still_decodes),
        cmocka_unit_test(test_ipv4_bad_header_fields_malformed),
        cmocka_unit_test(test_ipv4_total_len_zero_uses_captured),
        cmocka_unit_test(test_ipv6_syn_decode_fields),
        cmocka_unit_test(test_ipv6_ext_chain_skipped),
        cmocka_unit_test(test_ipv6_ah_length_in_4_byte_units),
        cmocka_unit_test(test_ipv6_fragments_first_and_later),
        cmocka_unit_test(test_ipv6_esp_and_no_next_stop_chain),
        cmocka_unit_test(test_ipv6_ext_past_payload_length_malformed),
        cmocka_unit_test(test_ipv6_mobility_hip_shim6_skipped),
        cmocka_unit_test(test_ip_encode_v4_matches_vector),
        cmocka_unit_test(test_ip_encode_v6_matches_vector),
        cmocka_unit_test(test_ip_encode_bad_args_rejected),
        cmocka_unit_test(test_addr_str_rfc5952),
        cmocka_unit_test(test_addr_parse_rejects_garbage),
        cmocka_unit_test(test_endpoint_str_v4_and_v6),
        cmocka_unit_test(test_link_ethernet_plain),
        cmocka_unit_test(test_link_vlan_single_tag),
        cmocka_unit_test(test_link_qinq_two_tags),
        cmocka_unit_test(test_link_three_tags_third_skipped),
        cmocka_unit_test(test_link_sll_and_sll2),
        cmocka_unit_test(test_link_null_both_byte_orders),
        cmocka_unit_test(test_link_loop_network_order),
        cmocka_unit_test(test_link_raw_and_aliases),
        cmocka_unit_test(test_link_unsupported_and_truncated),
        cmocka_unit_test(test_packet_encode_v4_matches_vector),
        cmocka_unit_test(test_packet_encode_v6_checksums_valid),
        cmocka_unit_test(test_packet_encode_bad_args_and_small_buffers),
        cmocka_unit_test(test_trunc_every_prefix_error_or_consistent),
        cmocka_unit_test(test_trunc_inside_headers_is_truncated),
        cmocka_unit_test(test_junk_random_bytes_never_escape_bounds),
        cmocka_unit_test(test_diff_captures_every_packet_prefix_and_flip_same),
        cmocka_unit_test(test_diff_vectors_every_prefix_and_flip_same),
        cmocka_unit_test(test_diff_tcp_every_option_kind_and_length_same),
        cmocka_unit_test(test_diff_tcp_random_option_lists_same),
        cmocka_unit_test(test_diff_ipv4_every_header_length_same),
        cmocka_unit_test(test_diff_ipv6_every_next_header_same),
        cmocka_unit_test(test_diff_link_every_type_and_tag_same),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
