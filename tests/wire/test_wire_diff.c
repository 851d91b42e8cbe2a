/* test_wire_diff.c - differential tests: the straight-line decoders of
 * src/wire against their general code (the code before the rewrite, kept as
 * the fallback: tcpsim__*_decode_generic in src/wire/wire_internal.h), on every packet of every bundled capture, the
 * test vectors, generated headers with every option kind and length, IPv4 headers of every length and IPv6 with every
 * next header, and every prefix and deterministic byte flips of all of those. Every output field and the error code
 * must agree. Read first: RFC 9293 §3.1-3.2, RFC 7323, RFC 2018, RFC 791 §3.1, RFC 8200 §3-4, RFC 1071. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundled.h"
#include "tcpsim/wire.h"

#include "wire/test_wire_diff.h"
#include "wire/vectors.h"
#include "wire/wire_internal.h"

#ifndef TCPSIM_CAPTURES_DIR
#error "TCPSIM_CAPTURES_DIR must name the bundled captures directory"
#endif

/* What the inputs reached, so that a test cannot pass without exercising the
 * paths it is about (every counter is asserted non-zero at the end). */
struct diff_stats {
    unsigned long link_ok, link_err;
    unsigned long ip4_ok, ip6_ok, ip_err, csum_good, csum_bad, ip6_ext;
    unsigned long tcp_ok, tcp_trunc, tcp_malformed, tcp_ts_only, tcp_linux_syn, tcp_sack, tcp_unknown, tcp_eol;
    unsigned long opts_ok, opts_err;
    bool every_opt_len; /* also tcpsim_tcp_opts_decode on every length of the area (slower) */
};

/* Deterministic generator (xorshift32): the same inputs on every run. */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Fail naming the input, the field and both values. */
#define SAME(ctx, what, a, b)                                                                                          \
    do {                                                                                                               \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                                 \
        if (a_ != b_)                                                                                                  \
            fail_msg("%s: %s: new %llu, old %llu", (ctx), (what), a_, b_);                                             \
    } while (0)
#define SAMEP(ctx, what, a, b)                                                                                         \
    do {                                                                                                               \
        if ((const void *)(a) != (const void *)(b))                                                                    \
            fail_msg("%s: %s: new %p, old %p", (ctx), (what), (const void *)(a), (const void *)(b));                   \
    } while (0)

static void cmp_link(const char *ctx, const struct tcpsim_link *n, const struct tcpsim_link *o)
{
    SAME(ctx, "link.l3", n->l3, o->l3);
    SAME(ctx, "link.ethertype", n->ethertype, o->ethertype);
    SAME(ctx, "link.vlan_count", n->vlan_count, o->vlan_count);
    SAME(ctx, "link.vlan_id[0]", n->vlan_id[0], o->vlan_id[0]);
    SAME(ctx, "link.vlan_id[1]", n->vlan_id[1], o->vlan_id[1]);
    SAMEP(ctx, "link.l3_data", n->l3_data, o->l3_data);
    SAME(ctx, "link.l3_len", n->l3_len, o->l3_len);
}

static void cmp_addr(const char *ctx, const char *what, const struct tcpsim_ip_addr *n, const struct tcpsim_ip_addr *o)
{
    SAME(ctx, what, n->family, o->family);
    for (size_t i = 0; i < sizeof n->a; i++)
        SAME(ctx, what, n->a[i], o->a[i]);
}

static void cmp_ip(const char *ctx, const struct tcpsim_ip *n, const struct tcpsim_ip *o)
{
    SAME(ctx, "ip.version", n->version, o->version);
    cmp_addr(ctx, "ip.src", &n->src, &o->src);
    cmp_addr(ctx, "ip.dst", &n->dst, &o->dst);
    SAME(ctx, "ip.proto", n->proto, o->proto);
    SAME(ctx, "ip.ttl", n->ttl, o->ttl);
    SAME(ctx, "ip.tos", n->tos, o->tos);
    SAME(ctx, "ip.ip_id", n->ip_id, o->ip_id);
    SAME(ctx, "ip.flow_label", n->flow_label, o->flow_label);
    SAME(ctx, "ip.dont_fragment", n->dont_fragment, o->dont_fragment);
    SAME(ctx, "ip.is_fragment", n->is_fragment, o->is_fragment);
    SAME(ctx, "ip.first_fragment", n->first_fragment, o->first_fragment);
    SAME(ctx, "ip.header_len", n->header_len, o->header_len);
    SAME(ctx, "ip.total_len", n->total_len, o->total_len);
    SAMEP(ctx, "ip.payload", n->payload, o->payload);
    SAME(ctx, "ip.payload_len", n->payload_len, o->payload_len);
    SAME(ctx, "ip.declared_payload_len", n->declared_payload_len, o->declared_payload_len);
    SAME(ctx, "ip.checksum_ok", n->checksum_ok, o->checksum_ok);
}

/* Array entries past the counts are unspecified after a successful decode
 * (wire.h); after an error the new code is the old code, so all of them. */
static void cmp_opts(const char *ctx, const struct tcpsim_tcp_opts *n, const struct tcpsim_tcp_opts *o, bool whole)
{
    SAME(ctx, "opts.present", n->present, o->present);
    SAME(ctx, "opts.mss", n->mss, o->mss);
    SAME(ctx, "opts.wscale", n->wscale, o->wscale);
    SAME(ctx, "opts.ts_val", n->ts_val, o->ts_val);
    SAME(ctx, "opts.ts_ecr", n->ts_ecr, o->ts_ecr);
    SAME(ctx, "opts.sack_count", n->sack_count, o->sack_count);
    SAME(ctx, "opts.layout_len", n->layout_len, o->layout_len);
    SAME(ctx, "opts.unknown_len", n->unknown_len, o->unknown_len);
    size_t ns = whole ? TCPSIM_MAX_SACK_BLOCKS : o->sack_count;
    size_t nl = whole ? TCPSIM_TCP_OPT_SPACE : o->layout_len;
    size_t nu = whole ? TCPSIM_TCP_OPT_SPACE : o->unknown_len;
    for (size_t i = 0; i < ns && i < TCPSIM_MAX_SACK_BLOCKS; i++) {
        SAME(ctx, "opts.sack[].left", n->sack[i].left, o->sack[i].left);
        SAME(ctx, "opts.sack[].right", n->sack[i].right, o->sack[i].right);
    }
    for (size_t i = 0; i < nl && i < TCPSIM_TCP_OPT_SPACE; i++)
        SAME(ctx, "opts.layout[]", n->layout[i], o->layout[i]);
    for (size_t i = 0; i < nu && i < TCPSIM_TCP_OPT_SPACE; i++)
        SAME(ctx, "opts.unknown[]", n->unknown[i], o->unknown[i]);
}

static void cmp_seg(const char *ctx, const struct tcpsim_segment *n, const struct tcpsim_segment *o, bool whole)
{
    SAME(ctx, "seg.src_port", n->src_port, o->src_port);
    SAME(ctx, "seg.dst_port", n->dst_port, o->dst_port);
    SAME(ctx, "seg.seq", n->seq, o->seq);
    SAME(ctx, "seg.ack", n->ack, o->ack);
    SAME(ctx, "seg.flags", n->flags, o->flags);
    SAME(ctx, "seg.data_offset", n->data_offset, o->data_offset);
    SAME(ctx, "seg.reserved", n->reserved, o->reserved);
    SAME(ctx, "seg.window", n->window, o->window);
    SAME(ctx, "seg.checksum", n->checksum, o->checksum);
    SAME(ctx, "seg.urg_ptr", n->urg_ptr, o->urg_ptr);
    cmp_opts(ctx, &n->opts, &o->opts, whole);
    SAMEP(ctx, "seg.payload", n->payload, o->payload);
    SAME(ctx, "seg.payload_len", n->payload_len, o->payload_len);
}

/* TCP header and option area alone: tcpsim_tcp_decode on all of buf, and
 * tcpsim_tcp_opts_decode on every length of the bytes after the fixed header
 * (up to the 40 bytes of option space, and one more). The outputs start out
 * filled with different junk, so a field one side leaves unset shows. */
static void diff_tcp(const char *ctx, const uint8_t *buf, size_t len, struct diff_stats *st)
{
    struct tcpsim_segment sn, so;
    memset(&sn, 0xa5, sizeof sn);
    memset(&so, 0x5a, sizeof so);
    enum tcpsim_err en = tcpsim_tcp_decode(buf, len, &sn);
    enum tcpsim_err eo = tcpsim__tcp_decode_generic(buf, len, &so);
    SAME(ctx, "tcp_decode error", en, eo);
    cmp_seg(ctx, &sn, &so, en != TCPSIM_OK);
    if (en == TCPSIM_OK) {
        st->tcp_ok++;
        const struct tcpsim_tcp_opts *o = &so.opts;
        if (o->layout_len == 3 && o->present == TCPSIM_HAS_TS && o->layout[0] == TCPSIM_OPT_NOP)
            st->tcp_ts_only++;
        if (o->layout_len == 5 && o->layout[0] == TCPSIM_OPT_MSS && o->layout[1] == TCPSIM_OPT_SACK_PERM &&
            o->layout[2] == TCPSIM_OPT_TS && o->layout[3] == TCPSIM_OPT_NOP && o->layout[4] == TCPSIM_OPT_WSCALE)
            st->tcp_linux_syn++;
        if (o->present & TCPSIM_HAS_SACK)
            st->tcp_sack++;
        if (o->unknown_len > 0)
            st->tcp_unknown++;
        if (o->layout_len > 0 && o->layout[o->layout_len - 1] == TCPSIM_OPT_EOL)
            st->tcp_eol++;
    } else if (en == TCPSIM_ERR_TRUNCATED) {
        st->tcp_trunc++;
    } else if (en == TCPSIM_ERR_MALFORMED) {
        st->tcp_malformed++;
    }
    if (len < 20 || !st->every_opt_len)
        return;
    size_t area = len - 20 < TCPSIM_TCP_OPT_SPACE + 1 ? len - 20 : TCPSIM_TCP_OPT_SPACE + 1;
    for (size_t n = 0; n <= area; n++) {
        struct tcpsim_tcp_opts on, oo;
        memset(&on, 0xa5, sizeof on);
        memset(&oo, 0x5a, sizeof oo);
        en = tcpsim_tcp_opts_decode(buf + 20, n, &on);
        eo = tcpsim__tcp_opts_decode_generic(buf + 20, n, &oo);
        SAME(ctx, "tcp_opts_decode error", en, eo);
        cmp_opts(ctx, &on, &oo, en != TCPSIM_OK);
        if (en == TCPSIM_OK)
            st->opts_ok++;
        else
            st->opts_err++;
    }
}

static void diff_ip(const char *ctx, const uint8_t *buf, size_t len, struct diff_stats *st, bool and_tcp)
{
    struct tcpsim_ip in, io;
    memset(&in, 0xa5, sizeof in);
    memset(&io, 0x5a, sizeof io);
    enum tcpsim_err en = tcpsim_ip_decode(buf, len, &in);
    enum tcpsim_err eo = tcpsim__ip_decode_generic(buf, len, &io);
    SAME(ctx, "ip_decode error", en, eo);
    cmp_ip(ctx, &in, &io);
    if (en != TCPSIM_OK) {
        st->ip_err++;
        return;
    }
    if (io.version == 4) {
        st->ip4_ok++;
        if (io.checksum_ok)
            st->csum_good++;
        else
            st->csum_bad++;
    } else {
        st->ip6_ok++;
        if (io.header_len > 40)
            st->ip6_ext++;
    }
    /* The payload as TCP whatever the protocol says: more junk for the TCP decoder. */
    if (and_tcp)
        diff_tcp(ctx, io.payload, io.payload_len, st);
}

/* Link, IP and TCP decode of one frame, as replay chains them. */
static void diff_chain(const char *ctx, int dlt, const uint8_t *buf, size_t len, struct diff_stats *st)
{
    struct tcpsim_link ln, lo;
    memset(&ln, 0xa5, sizeof ln);
    memset(&lo, 0x5a, sizeof lo);
    enum tcpsim_err en = tcpsim_link_decode(dlt, buf, len, &ln);
    enum tcpsim_err eo = tcpsim__link_decode_generic(dlt, buf, len, &lo);
    SAME(ctx, "link_decode error", en, eo);
    cmp_link(ctx, &ln, &lo);
    if (en != TCPSIM_OK) {
        st->link_err++;
        return;
    }
    st->link_ok++;
    diff_ip(ctx, lo.l3_data, lo.l3_len, st, true);
}

/* The input in an exact-size heap block (ASan sees any read past the end),
 * then: as is, every prefix up to `prefixes` bytes, and `flips` copies with
 * one to three bytes changed in the first `flip_span` bytes. */
static void diff_variants(const char *name, int dlt, const uint8_t *bytes, size_t len, size_t prefixes, unsigned flips,
                          size_t flip_span, uint32_t *seed, struct diff_stats *st,
                          void (*run)(const char *, int, const uint8_t *, size_t, struct diff_stats *))
{
    char ctx[200];
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    size_t top = prefixes < len ? prefixes : len;
    for (size_t n = 0; n <= top; n++) {
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, bytes, n);
        snprintf(ctx, sizeof ctx, "%s, first %zu bytes", name, n);
        run(ctx, dlt, p, n, st);
        free(p);
    }
    if (len > top) {
        memcpy(b, bytes, len);
        snprintf(ctx, sizeof ctx, "%s, all %zu bytes", name, len);
        run(ctx, dlt, b, len, st);
    }
    size_t span = flip_span < len ? flip_span : len;
    for (unsigned f = 0; f < flips && span > 0; f++) {
        memcpy(b, bytes, len);
        unsigned k = 1 + rnd(seed) % 3;
        size_t at[3] = {0, 0, 0};
        for (unsigned j = 0; j < k; j++) {
            at[j] = rnd(seed) % span;
            b[at[j]] ^= (uint8_t)(1 + rnd(seed) % 255);
        }
        snprintf(ctx, sizeof ctx, "%s, bytes %zu/%zu/%zu changed (flip %u)", name, at[0], at[1], at[2], f);
        run(ctx, dlt, b, len, st);
    }
    free(b);
}

static void run_chain(const char *ctx, int dlt, const uint8_t *buf, size_t len, struct diff_stats *st)
{
    diff_chain(ctx, dlt, buf, len, st);
}

static void run_ip(const char *ctx, int dlt, const uint8_t *buf, size_t len, struct diff_stats *st)
{
    (void)dlt;
    diff_ip(ctx, buf, len, st, true);
}

static void run_tcp(const char *ctx, int dlt, const uint8_t *buf, size_t len, struct diff_stats *st)
{
    (void)dlt;
    diff_tcp(ctx, buf, len, st);
}

/* Every link type the decoder knows, and two it does not. */
static const int all_dlts[] = {TCPSIM_DLT_NULL,
                               TCPSIM_DLT_EN10MB,
                               12,
                               14,
                               TCPSIM_DLT_RAW,
                               TCPSIM_DLT_LOOP,
                               TCPSIM_DLT_LINUX_SLL,
                               TCPSIM_DLT_LINUX_SLL2,
                               TCPSIM_DLT_IPV4,
                               TCPSIM_DLT_IPV6,
                               105,
                               -1};

/* ------------------------------------------------------------ captures */

struct walk {
    struct diff_stats st;
    uint32_t seed;
};

static void one_packet(const char *name, int dlt, const uint8_t *data, size_t caplen, void *ctx)
{
    struct walk *w = ctx;
    w->st.every_opt_len = true;
    diff_chain(name, dlt, data, caplen, &w->st);
    w->st.every_opt_len = false;
    /* Prefixes through the headers (up to 160 bytes: Ethernet + IPv6
     * + TCP with full options fit), flips in the same span. */
    diff_variants(name, dlt, data, caplen, 160, 24, 140, &w->seed, &w->st, run_chain);
    /* The same bytes read as every other link type. */
    for (size_t i = 0; i < sizeof all_dlts / sizeof all_dlts[0]; i++)
        diff_chain(name, all_dlts[i], data, caplen, &w->st);
}

void test_diff_captures_every_packet_prefix_and_flip_same(void **state)
{
    (void)state;
    struct walk w;
    memset(&w, 0, sizeof w);
    w.seed = 0x2545f491u;
    unsigned long packets = 0;
    unsigned files = bundled_each_packet(TCPSIM_CAPTURES_DIR, one_packet, &w, &packets);
    const struct diff_stats st = w.st;
    assert_true(files >= 19);
    assert_true(packets >= 900);
    /* The paths of interest were all taken, on valid and on broken input. */
    assert_true(st.link_ok > 0 && st.link_err > 0);
    assert_true(st.ip4_ok > 0 && st.ip6_ok > 0 && st.ip_err > 0);
    assert_true(st.csum_good > 0 && st.csum_bad > 0);
    assert_true(st.tcp_ok > 0 && st.tcp_trunc > 0 && st.tcp_malformed > 0);
    assert_true(st.tcp_ts_only > 0 && st.tcp_linux_syn > 0);
    assert_true(st.opts_ok > 0 && st.opts_err > 0);
}

void test_diff_vectors_every_prefix_and_flip_same(void **state)
{
    (void)state;
    struct diff_stats st;
    memset(&st, 0, sizeof st);
    uint32_t seed = 0x9e3779b9u;
    for (size_t i = 0; i < WIRE_NVECTORS; i++) {
        const struct wire_vector *v = &wire_vectors[i];
        st.every_opt_len = true;
        diff_chain(v->name, v->dlt, v->bytes, v->len, &st);
        st.every_opt_len = false;
        diff_variants(v->name, v->dlt, v->bytes, v->len, v->len, 400, v->len, &seed, &st, run_chain);
        for (size_t k = 0; k < sizeof all_dlts / sizeof all_dlts[0]; k++)
            diff_chain(v->name, all_dlts[k], v->bytes, v->len, &st);
    }
    assert_true(st.link_ok > 0 && st.link_err > 0);
    assert_true(st.ip4_ok > 0 && st.ip6_ok > 0 && st.ip6_ext > 0);
    assert_true(st.tcp_sack > 0 && st.tcp_unknown > 0 && st.tcp_eol > 0);
}

/* ------------------------------------------------------ generated TCP */

/* A 20-byte TCP header with data offset `doff` words, the option area
 * `opt` (doff * 4 - 20 bytes) and `extra` payload bytes. */
static size_t build_tcp(uint8_t *out, uint8_t doff, const uint8_t *opt, size_t optlen, size_t extra, uint32_t *seed)
{
    for (size_t i = 0; i < 20; i++)
        out[i] = (uint8_t)rnd(seed);
    out[12] = (uint8_t)(doff << 4 | (out[12] & 0x0fu));
    memcpy(out + 20, opt, optlen);
    for (size_t i = 0; i < extra; i++)
        out[20 + optlen + i] = (uint8_t)rnd(seed);
    return 20 + optlen + extra;
}

/* An option area of `area` bytes (a multiple of 4, at most 40): `prefix`,
 * then one option of `kind` with length byte `olen` (its data random), then
 * `fill` to the end. */
static size_t place_option(uint8_t *opt, size_t area, const uint8_t *prefix, size_t plen, uint8_t kind, uint8_t olen,
                           uint8_t fill, uint32_t *seed)
{
    memset(opt, fill, area);
    if (plen > 0)
        memcpy(opt, prefix, plen);
    if (plen < area)
        opt[plen] = kind;
    if (plen + 1 < area)
        opt[plen + 1] = olen;
    for (size_t i = plen + 2; i < area && i < plen + (olen > 2 ? olen : 2); i++)
        opt[i] = (uint8_t)rnd(seed);
    return area;
}

void test_diff_tcp_every_option_kind_and_length_same(void **state)
{
    (void)state;
    struct diff_stats st;
    memset(&st, 0, sizeof st);
    uint32_t seed = 0x1234567u;
    static const uint8_t nop_nop_ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    static const uint8_t linux_syn[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 3, 0xe8, 0, 0, 0, 0, 1, 3, 3, 7};
    static const uint8_t nop_nop[2] = {1, 1};
    const struct {
        const uint8_t *p;
        size_t n;
    } prefixes[] = {{NULL, 0}, {nop_nop, 2}, {nop_nop_ts, 12}, {linux_syn, 20}};
    const uint8_t fills[] = {TCPSIM_OPT_EOL, TCPSIM_OPT_NOP, 0xee};
    uint8_t opt[TCPSIM_TCP_OPT_SPACE], pkt[20 + TCPSIM_TCP_OPT_SPACE + 8];
    char ctx[160];
    for (unsigned kind = 0; kind < 256; kind++) {
        for (unsigned olen = 0; olen <= 42; olen++) {
            for (size_t pi = 0; pi < sizeof prefixes / sizeof prefixes[0]; pi++) {
                for (size_t fi = 0; fi < sizeof fills; fi++) {
                    /* The smallest area that holds prefix + option, and the largest. */
                    size_t need = prefixes[pi].n + (olen > 2 ? olen : 2);
                    size_t areas[2] = {(need + 3) & ~(size_t)3, TCPSIM_TCP_OPT_SPACE};
                    for (size_t ai = 0; ai < 2; ai++) {
                        size_t area = areas[ai] > TCPSIM_TCP_OPT_SPACE ? TCPSIM_TCP_OPT_SPACE : areas[ai];
                        place_option(opt, area, prefixes[pi].p, prefixes[pi].n, (uint8_t)kind, (uint8_t)olen, fills[fi],
                                     &seed);
                        size_t extra = rnd(&seed) % 4;
                        size_t n = build_tcp(pkt, (uint8_t)(5 + area / 4), opt, area, extra, &seed);
                        snprintf(ctx, sizeof ctx, "kind %u len %u after %zu bytes, area %zu, fill %u", kind, olen,
                                 prefixes[pi].n, area, fills[fi]);
                        uint8_t *b = malloc(n);
                        assert_non_null(b);
                        memcpy(b, pkt, n);
                        st.every_opt_len = ai == 0 && fi == 0 && (pi == 0 || pi == 2);
                        diff_tcp(ctx, b, n, &st);
                        free(b);
                    }
                }
            }
        }
    }
    /* Every data offset against every captured length, on a full area. */
    for (unsigned doff = 0; doff < 16; doff++) {
        memcpy(opt, linux_syn, sizeof linux_syn);
        memcpy(opt + 20, nop_nop_ts, sizeof nop_nop_ts);
        memset(opt + 32, TCPSIM_OPT_NOP, 8);
        size_t n = build_tcp(pkt, (uint8_t)doff, opt, TCPSIM_TCP_OPT_SPACE, 8, &seed);
        for (size_t len = 0; len <= n; len++) {
            snprintf(ctx, sizeof ctx, "data offset %u, %zu bytes", doff, len);
            uint8_t *b = malloc(len ? len : 1);
            assert_non_null(b);
            memcpy(b, pkt, len);
            diff_tcp(ctx, b, len, &st);
            free(b);
        }
    }
    assert_true(st.tcp_ok > 0 && st.tcp_trunc > 0 && st.tcp_malformed > 0);
    assert_true(st.tcp_ts_only > 0 && st.tcp_linux_syn > 0 && st.tcp_sack > 0 && st.tcp_unknown > 0);
    assert_true(st.tcp_eol > 0 && st.opts_ok > 0 && st.opts_err > 0);
}

/* Random well-formed option lists (every known kind, SACK with 1-4 blocks,
 * unknown kinds of any length, NOP and EOL anywhere), then flips of them. */
static size_t random_options(uint8_t *opt, uint32_t *seed)
{
    size_t n = 0;
    unsigned count = rnd(seed) % 8;
    for (unsigned i = 0; i < count; i++) {
        uint8_t buf[TCPSIM_TCP_OPT_SPACE];
        size_t l = 0;
        switch (rnd(seed) % 9) {
        case 0:
            buf[l++] = TCPSIM_OPT_NOP;
            break;
        case 1:
            buf[l++] = TCPSIM_OPT_EOL;
            break;
        case 2:
            buf[l++] = TCPSIM_OPT_MSS;
            buf[l++] = 4;
            buf[l++] = (uint8_t)rnd(seed);
            buf[l++] = (uint8_t)rnd(seed);
            break;
        case 3:
            buf[l++] = TCPSIM_OPT_WSCALE;
            buf[l++] = 3;
            buf[l++] = (uint8_t)rnd(seed);
            break;
        case 4:
            buf[l++] = TCPSIM_OPT_SACK_PERM;
            buf[l++] = 2;
            break;
        case 5:
            buf[l++] = TCPSIM_OPT_TS;
            buf[l++] = 10;
            for (int k = 0; k < 8; k++)
                buf[l++] = (uint8_t)rnd(seed);
            break;
        case 6: {
            unsigned blocks = 1 + rnd(seed) % 4;
            buf[l++] = TCPSIM_OPT_SACK;
            buf[l++] = (uint8_t)(2 + 8 * blocks);
            for (unsigned k = 0; k < 8 * blocks; k++)
                buf[l++] = (uint8_t)rnd(seed);
            break;
        }
        default: {
            uint8_t kind = (uint8_t)(9 + rnd(seed) % 247);
            unsigned len = 2 + rnd(seed) % 12;
            buf[l++] = kind;
            buf[l++] = (uint8_t)len;
            for (unsigned k = 2; k < len; k++)
                buf[l++] = (uint8_t)rnd(seed);
            break;
        }
        }
        if (n + l > TCPSIM_TCP_OPT_SPACE)
            break;
        memcpy(opt + n, buf, l);
        n += l;
    }
    /* Pad to a word with EOL or NOP, as senders do. */
    uint8_t pad = rnd(seed) % 2 ? TCPSIM_OPT_EOL : TCPSIM_OPT_NOP;
    while (n % 4 != 0)
        opt[n++] = pad;
    return n;
}

void test_diff_tcp_random_option_lists_same(void **state)
{
    (void)state;
    struct diff_stats st;
    memset(&st, 0, sizeof st);
    uint32_t seed = 0xdeadbeefu;
    uint8_t opt[TCPSIM_TCP_OPT_SPACE], pkt[20 + TCPSIM_TCP_OPT_SPACE + 8];
    char name[64];
    st.every_opt_len = true;
    for (unsigned i = 0; i < 3000; i++) {
        size_t area = random_options(opt, &seed);
        size_t n = build_tcp(pkt, (uint8_t)(5 + area / 4), opt, area, rnd(&seed) % 8, &seed);
        snprintf(name, sizeof name, "random options #%u", i);
        diff_variants(name, 0, pkt, n, 0, 6, n, &seed, &st, run_tcp);
    }
    assert_true(st.tcp_ok > 0 && st.tcp_malformed > 0);
    assert_true(st.tcp_sack > 0 && st.tcp_unknown > 0 && st.tcp_eol > 0);
}

/* ------------------------------------------------------- generated IP */

static void ipv4_fill_checksum(uint8_t *h, size_t hlen)
{
    h[10] = h[11] = 0;
    uint16_t c = tcpsim_csum_fold(tcpsim_csum_add(0, h, hlen));
    h[10] = (uint8_t)(c >> 8);
    h[11] = (uint8_t)c;
}

void test_diff_ipv4_every_header_length_same(void **state)
{
    (void)state;
    struct diff_stats st;
    memset(&st, 0, sizeof st);
    uint32_t seed = 0xa5a5a5a5u;
    uint8_t pkt[60 + 60];
    char name[96];
    for (unsigned ihl = 0; ihl < 16; ihl++) {
        for (unsigned variant = 0; variant < 120; variant++) {
            size_t hlen = ihl < 5 ? 20 : (size_t)ihl * 4;
            size_t n = hlen + rnd(&seed) % 60;
            for (size_t i = 0; i < n; i++)
                pkt[i] = (uint8_t)rnd(&seed);
            pkt[0] = (uint8_t)(0x40 | ihl);
            /* Total length: 0 (offload), exact, shorter than the header, past the capture. */
            unsigned total;
            switch (variant % 4) {
            case 0:
                total = 0;
                break;
            case 1:
                total = (unsigned)n;
                break;
            case 2:
                total = (unsigned)(rnd(&seed) % (hlen + 1));
                break;
            default:
                total = (unsigned)(n + rnd(&seed) % 3000);
                break;
            }
            pkt[2] = (uint8_t)(total >> 8);
            pkt[3] = (uint8_t)total;
            /* Fragment fields: none, DF, MF, an offset, all. */
            static const uint16_t frags[] = {0, 0x4000, 0x2000, 0x00b9, 0x7fff, 0x8000};
            uint16_t frag = frags[variant % 6];
            pkt[6] = (uint8_t)(frag >> 8);
            pkt[7] = (uint8_t)frag;
            if (variant % 3 != 0 && ihl >= 5)
                ipv4_fill_checksum(pkt, hlen);
            if (variant % 11 == 0)
                memset(pkt + 1, 0, hlen - 1); /* nearly all zero */
            snprintf(name, sizeof name, "IPv4 ihl %u variant %u", ihl, variant);
            diff_variants(name, 0, pkt, n, hlen + 2, 4, hlen, &seed, &st, run_ip);
        }
    }
    /* Zeros but for version and IHL: the smallest possible sum, not a multiple of 0xffff. */
    uint8_t zero[20] = {0x45};
    diff_ip("IPv4 zeros", zero, sizeof zero, &st, false);
    assert_true(st.ip4_ok > 0 && st.ip_err > 0 && st.csum_good > 0 && st.csum_bad > 0);
}

void test_diff_ipv6_every_next_header_same(void **state)
{
    (void)state;
    struct diff_stats st;
    memset(&st, 0, sizeof st);
    uint32_t seed = 0x0badf00du;
    uint8_t pkt[40 + 200];
    char name[96];
    for (unsigned nh = 0; nh < 256; nh++) {
        for (unsigned variant = 0; variant < 6; variant++) {
            size_t n = 40 + rnd(&seed) % 200;
            for (size_t i = 0; i < n; i++)
                pkt[i] = (uint8_t)rnd(&seed);
            pkt[0] = (uint8_t)(0x60 | (pkt[0] & 0x0f));
            pkt[6] = (uint8_t)nh;
            unsigned plen = variant % 3 == 0 ? 0 : variant % 3 == 1 ? (unsigned)(n - 40) : rnd(&seed) % 300;
            pkt[4] = (uint8_t)(plen >> 8);
            pkt[5] = (uint8_t)plen;
            /* Extension headers that chain to TCP after a short length, sometimes. */
            if (variant >= 3) {
                pkt[40] = 6;
                pkt[41] = (uint8_t)(rnd(&seed) % 3);
                if (n > 42)
                    pkt[42] = 0; /* fragment offset 0 for a fragment header */
                if (n > 43)
                    pkt[43] = (uint8_t)(pkt[43] & 0x07);
            }
            snprintf(name, sizeof name, "IPv6 next header %u variant %u", nh, variant);
            diff_variants(name, 0, pkt, n, 64, 4, 64, &seed, &st, run_ip);
        }
    }
    assert_true(st.ip6_ok > 0 && st.ip6_ext > 0 && st.ip_err > 0);
}

/* ------------------------------------------------------ generated link */

void test_diff_link_every_type_and_tag_same(void **state)
{
    (void)state;
    struct diff_stats st;
    memset(&st, 0, sizeof st);
    uint32_t seed = 0x31415926u;
    static const uint16_t ethertypes[] = {0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x0806, 0x05dc, 0x0000, 0xffff};
    uint8_t pkt[64];
    char name[96];
    for (size_t a = 0; a < sizeof ethertypes / sizeof ethertypes[0]; a++) {
        for (size_t b = 0; b < sizeof ethertypes / sizeof ethertypes[0]; b++) {
            for (unsigned r = 0; r < 4; r++) {
                for (size_t i = 0; i < sizeof pkt; i++)
                    pkt[i] = (uint8_t)rnd(&seed);
                /* Ethernet ethertype and SLL protocol, then a tag's inner type. */
                for (size_t k = 0; k < sizeof all_dlts / sizeof all_dlts[0]; k++) {
                    static const size_t et_at[] = {12, 14, 0};
                    for (size_t e = 0; e < 3; e++) {
                        pkt[et_at[e]] = (uint8_t)(ethertypes[a] >> 8);
                        pkt[et_at[e] + 1] = (uint8_t)ethertypes[a];
                    }
                    for (size_t e = 16; e < 26; e += 2) {
                        pkt[e] = (uint8_t)(ethertypes[b] >> 8);
                        pkt[e + 1] = (uint8_t)ethertypes[b];
                    }
                    snprintf(name, sizeof name, "link %d type %04x/%04x", all_dlts[k], ethertypes[a], ethertypes[b]);
                    diff_variants(name, all_dlts[k], pkt, sizeof pkt, 30, 0, 0, &seed, &st, run_chain);
                }
            }
        }
    }
    assert_true(st.link_ok > 0 && st.link_err > 0);
}
