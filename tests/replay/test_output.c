/* test_output.c - the replay views' hand-made formatting (src/replay/output.c,
 * outfmt.h) against printf: the number formatters on edge values, and the
 * JSON and summary views, record by record, against a plain fprintf rendering
 * of the same records (docs/replay-json.md), on synthetic captures with edge
 * values (nanosecond times, 32-bit sequence ends, IPv4 and IPv6) and on every
 * bundled capture. Read first: docs/replay-json.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <inttypes.h>

#include "bundled.h"
#include "replay/outfmt.h"
#include "replay/pcapgen.h"
#include "replay/replay.h"
#include "replayrun.h"
#include "tls/tls_internal.h"

#ifndef TCPSIM_CAPTURES_DIR
#error "TCPSIM_CAPTURES_DIR: the bundled captures (tests/replay/CMakeLists.txt)"
#endif

/* ================= formatters: the same bytes as snprintf ================= */

static void check_u64(uint64_t v)
{
    char got[40], want[40];
    memset(got, 'x', sizeof got);
    char *e = tcpsim__fmt_u64(got, v);
    *e = '\0';
    snprintf(want, sizeof want, "%" PRIu64, v);
    if (strcmp(got, want) != 0)
        fail_msg("fmt_u64(%" PRIu64 "): got '%s', want '%s'", v, got, want);
    if (v <= UINT32_MAX) {
        memset(got, 'x', sizeof got);
        e = tcpsim__fmt_u32(got, (uint32_t)v);
        *e = '\0';
        if (strcmp(got, want) != 0)
            fail_msg("fmt_u32(%" PRIu64 "): got '%s', want '%s'", v, got, want);
    }
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    return *x;
}

static void test_fmt_decimal_edges_expect_snprintf(void **state)
{
    (void)state;
    const uint64_t fixed[] = {0,
                              9,
                              10,
                              99,
                              100,
                              255,
                              256,
                              65535,
                              65536,
                              UINT32_MAX - 1,
                              UINT32_MAX,
                              (uint64_t)UINT32_MAX + 1,
                              UINT64_MAX - 1,
                              UINT64_MAX};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_u64(fixed[i]);
    /* Each digit count's ends: 10^k - 1, 10^k, 10^k + 1 (and some around). */
    uint64_t p = 1;
    for (int k = 0; k <= 19; k++, p *= 10)
        for (int d = -3; d <= 3; d++)
            if (d >= 0 || p >= (uint64_t)-d)
                check_u64(p + (uint64_t)(int64_t)d);
    /* Sampled values of every size (each digit count equally often). */
    uint64_t x = 42;
    for (int i = 0; i < 200000; i++) {
        uint64_t v = lcg(&x);
        check_u64(v >> (lcg(&x) % 64));
        check_u64((uint32_t)v);
    }
}

static void test_fmt_time_edges_expect_truncated_microseconds(void **state)
{
    (void)state;
    /* "%llu.%06llu" of ns / 1000: microseconds truncated, never rounded. */
    const uint64_t ns[] = {0,
                           999,                  /* 0.000000 */
                           1000,                 /* 0.000001 */
                           999999999,            /* 0.999999 */
                           1000000000,           /* 1.000000 */
                           1700000000000000500u, /* a tie at the 7th digit: .000000 */
                           1700000000000001500u, /* .000001 */
                           1700000000999999500u, /* .999999 */
                           1700000000999999999u, /* .999999 */
                           1700000001000000000u, /* next second */
                           1700000000000000000u, /* back to an earlier second */
                           1700000000000000000u, /* the same value again */
                           (uint64_t)UINT32_MAX * 1000000000u + 999999999u,
                           UINT64_MAX - 1,
                           UINT64_MAX};
    struct tcpsim__fmt_sec cache = {0};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        char got[64], want[64];
        memset(got, 'x', sizeof got);
        char *e = tcpsim__fmt_time(got, &cache, ns[i]);
        *e = '\0';
        uint64_t us = ns[i] / 1000;
        snprintf(want, sizeof want, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
        if (strcmp(got, want) != 0)
            fail_msg("fmt_time(%" PRIu64 "): got '%s', want '%s'", ns[i], got, want);
    }
    /* Every microsecond fraction, in a second that changes now and then. */
    uint64_t x = 7;
    for (uint32_t f = 0; f < 1000000; f += 1 + (uint32_t)(lcg(&x) % 7)) {
        uint64_t t = (1700000000u + f / 100000) * UINT64_C(1000000000) + f * UINT64_C(1000) + lcg(&x) % 1000;
        char got[64], want[64];
        char *e = tcpsim__fmt_time(got, &cache, t);
        *e = '\0';
        snprintf(want, sizeof want, "%" PRIu64 ".%06" PRIu32, t / 1000000000u, f);
        if (strcmp(got, want) != 0)
            fail_msg("fmt_time(%" PRIu64 "): got '%s', want '%s'", t, got, want);
    }
}

static void check_next(struct tcpsim__fmt_last *c, uint64_t v)
{
    char got[64], want[40];
    char *e = tcpsim__fmt_next(got, c, v);
    *e = '\0';
    snprintf(want, sizeof want, "%" PRIu64, v);
    if (strcmp(got, want) != 0)
        fail_msg("fmt_next(%" PRIu64 "): got '%s', want '%s'", v, got, want);
}

static void test_fmt_frame_counter_expect_snprintf_across_carries(void **state)
{
    (void)state;
    struct tcpsim__fmt_last c = {0};
    for (uint64_t v = 0; v < 20000; v++) /* 9 -> 10, 99 -> 100, 1999 -> 2000 ... */
        check_next(&c, v);
    const uint64_t jumps[] = {5,
                              5,
                              4,
                              999999,
                              1000000,
                              1000001,
                              1000003,
                              1000002,
                              UINT32_MAX,
                              (uint64_t)UINT32_MAX + 1,
                              9999999999999999999u,
                              UINT64_MAX - 1,
                              UINT64_MAX,
                              0,
                              1};
    for (size_t i = 0; i < sizeof jumps / sizeof jumps[0]; i++)
        check_next(&c, jumps[i]);
}

static void test_fmt_milliseconds_expect_printf_rounding_or_tie_refused(void **state)
{
    (void)state;
    const uint64_t fixed[] = {
        0,      1,      499,     500,       501,        999,        1000,       999499,          999500,
        999501, 999999, 1000000, 854356000, 1449128499, 1449128500, 1449128501, 123456789012345u};
    uint64_t x = 3;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] + 100000; i++) {
        uint64_t ns = i < sizeof fixed / sizeof fixed[0] ? fixed[i] : lcg(&x) % UINT64_C(1000000000000000);
        if (i >= sizeof fixed / sizeof fixed[0] && i % 4 == 0)
            ns = ns / 1000 * 1000 + 500; /* a tie */
        char got[64], want[64];
        char *e = tcpsim__fmt_ms3(got, ns);
        snprintf(want, sizeof want, "%.3f", (double)ns / 1e6);
        if (ns % 1000 == 500) { /* ties go to printf */
            if (e)
                fail_msg("fmt_ms3(%" PRIu64 "): a tie must be left to printf", ns);
            continue;
        }
        assert_non_null(e);
        *e = '\0';
        if (strcmp(got, want) != 0)
            fail_msg("fmt_ms3(%" PRIu64 "): got '%s', want '%s'", ns, got, want);
    }
}

/* RFC 8259 §7 byte by byte, the plain way. */
static size_t ref_esc_buf(char *d, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            o += (size_t)sprintf(d + o, "\\%c", ch);
        else if (ch < 0x20)
            o += (size_t)sprintf(d + o, "\\u%04x", ch);
        else
            d[o++] = (char)ch;
    }
    return o;
}

static void check_esc(const char *s, size_t n)
{
    char got[512], want[512];
    size_t gl = (size_t)(tcpsim__json_esc(got, s, n) - got), wl = ref_esc_buf(want, s, n);
    if (gl != wl || memcmp(got, want, wl) != 0)
        fail_msg("json_esc of %zu bytes: got '%.*s', want '%.*s'", n, (int)gl, got, (int)wl, want);
}

static void test_fmt_json_escape_every_position_expect_byte_by_byte_result(void **state)
{
    (void)state;
    /* One byte that needs escaping (or not) at every position of plain
     * strings of every length up to 40: the word-at-a-time copy and its
     * overlapping last word. */
    const unsigned char special[] = {'"', '\\', 0x00, 0x01, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff};
    char s[64];
    for (size_t n = 0; n <= 40; n++)
        for (size_t at = 0; at <= n; at++)
            for (size_t k = 0; k < sizeof special; k++) {
                for (size_t i = 0; i < n; i++)
                    s[i] = (char)('a' + i % 26);
                if (at < n)
                    s[at] = (char)special[k];
                check_esc(s, n);
            }
    /* Random strings drawn mostly from the special bytes. */
    uint64_t x = 11;
    for (int r = 0; r < 20000; r++) {
        size_t n = lcg(&x) % 48;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = lcg(&x) >> 33;
            s[i] = (char)(v % 3 ? special[v % sizeof special] : (unsigned char)(v >> 8));
        }
        check_esc(s, n);
    }
}

/* ================= views: the writer against a plain fprintf rendering ================= */

/* JSON string contents escaped as RFC 8259 §7 asks. */
static void ref_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
}

static void ref_time(FILE *f, tcpsim_ns_t ns)
{
    fprintf(f, "%" PRIu64 ".%06" PRIu64, ns / 1000 / 1000000, ns / 1000 % 1000000);
}

static void ref_segment(FILE *f, const struct tcpsim_rp_segment *s)
{
    static const char *const fl[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    fprintf(f, "{\"type\":\"segment\",\"frame\":%" PRIu64 ",\"time\":", s->frame);
    ref_time(f, s->time);
    fprintf(f, ",\"conn\":%" PRIu32 ",\"dir\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"flags\":[", s->conn,
            s->dir == TCPSIM_SIDE_CLIENT ? "c2s" : "s2c", s->src, s->dst);
    for (int b = 0, n = 0; b < 8; b++)
        if (s->seg->flags & (1u << b))
            fprintf(f, "%s\"%s\"", n++ ? "," : "", fl[b]);
    fprintf(f, "],\"seq\":%" PRIu32 ",\"ack\":%" PRIu32, s->seg->seq, s->seg->ack);
    if (s->rel_seq_known)
        fprintf(f, ",\"rel_seq\":%" PRIu32, s->rel_seq);
    if (s->rel_ack_known)
        fprintf(f, ",\"rel_ack\":%" PRIu32, s->rel_ack);
    fprintf(f, ",\"len\":%" PRIu32 ",\"win\":%" PRIu64 ",\"analysis\":[", s->len, s->win);
    for (unsigned b = 0, n = 0; b < 32; b++)
        if (s->analysis & (1u << b))
            fprintf(f, "%s\"%s\"", n++ ? "," : "", tcpsim__rp_an_name(b));
    fprintf(f, "],\"client_state\":\"%s\",\"server_state\":\"%s\",\"events\":[", tcpsim_tcp_state_name(s->client_state),
            tcpsim_tcp_state_name(s->server_state));
    for (size_t i = 0; i < s->nevents; i++) {
        const struct tcpsim_rp_event *e = &s->events[i];
        fprintf(f, "%s{\"endpoint\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"rule\":\"", i ? "," : "",
                e->endpoint == TCPSIM_SIDE_CLIENT ? "client" : "server", tcpsim_tcp_state_name(e->from),
                tcpsim_tcp_state_name(e->to));
        ref_esc(f, tcpsim_tcp_why_rule(e->why));
        fputs("\",\"why\":\"", f);
        ref_esc(f, tcpsim_tcp_why_text(e->why));
        fputs("\"}", f);
    }
    fprintf(f, "],\"tls\":[%.*s]", (int)s->tls_json_len, s->tls_json ? s->tls_json : "");
    if (s->tls_errors_len)
        fprintf(f, ",\"tls_errors\":[%.*s]", (int)s->tls_errors_len, s->tls_errors_json);
    if (s->tls_dropped)
        fprintf(f, ",\"tls_dropped\":%" PRIu32, s->tls_dropped);
    fputs("}\n", f);
}

static void ref_states(FILE *f, const struct tcpsim_rp_conn *c, int side, const char *open, const char *sep,
                       const char *q, const char *close)
{
    fputs(open, f);
    if (c->nstates[side] == 0)
        fprintf(f, "%s%s%s", q, tcpsim_tcp_state_name(tcpsim__rp_obs_state(c, side)), q);
    for (unsigned i = 0; i < c->nstates[side]; i++)
        fprintf(f, "%s%s%s%s", i ? sep : "", q, tcpsim_tcp_state_name(c->states[side][i]), q);
    fputs(close, f);
}

static void ref_conn(FILE *f, const struct tcpsim_rp_conn *c)
{
    fprintf(f, "{\"type\":\"conn\",\"conn\":%" PRIu32 ",\"client\":\"", c->id);
    ref_esc(f, c->label[0]);
    fputs("\",\"server\":\"", f);
    ref_esc(f, c->label[1]);
    fprintf(f, "\",\"first_frame\":%" PRIu64 ",\"last_frame\":%" PRIu64 ",\"start\":", c->first_frame, c->last_frame);
    ref_time(f, c->start);
    fputs(",\"end\":", f);
    ref_time(f, c->end);
    fprintf(f,
            ",\"packets\":{\"c2s\":%" PRIu64 ",\"s2c\":%" PRIu64 "},\"payload_bytes\":{\"c2s\":%" PRIu64
            ",\"s2c\":%" PRIu64 "},\"client_states\":",
            c->d[0].packets, c->d[1].packets, c->d[0].bytes, c->d[1].bytes);
    ref_states(f, c, 0, "[", ",", "\"", "]");
    fputs(",\"server_states\":", f);
    ref_states(f, c, 1, "[", ",", "\"", "]");
    fprintf(f, ",\"inferred\":%s,\"server_inferred\":%s,\"completeness\":%u,\"conn_state\":\"%s\",\"history\":\"",
            c->inferred ? "true" : "false", c->server_inferred ? "true" : "false", c->completeness,
            tcpsim__rp_conn_state(c));
    ref_esc(f, c->history);
    fputs("\",\"handshake_rtt_ms\":", f);
    if (c->rtt_known)
        fprintf(f, "%" PRIu64 ".%03" PRIu64, c->rtt / 1000 / 1000, c->rtt / 1000 % 1000);
    else
        fputs("null", f);
    fputs(",\"analysis\":{", f);
    for (unsigned b = 0, n = 0; b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b])
            fprintf(f, "%s\"%s\":%" PRIu32, n++ ? "," : "", tcpsim__rp_an_name(b), c->an_count[b]);
    fputs("},\"tls\":", f);
    static char tls[65536];
    size_t tl = 0;
    const struct tcpsim_tls_summary *ts = tcpsim__rp_tls_summary(c);
    if (ts && tcpsim_tls_summary_json(ts, tls, sizeof tls, &tl) == TCPSIM_OK && tl > 0) {
        fprintf(f, "%.*s,\"alpn_offered\":[", (int)(tl - 1), tls);
        const char *a = c->alpn_offered;
        for (int n = 0; a && *a; n++) {
            size_t k = strcspn(a, "\n");
            char one[256]; /* the writer keeps 255 bytes of one name */
            snprintf(one, sizeof one, "%.*s", (int)k, a);
            fprintf(f, "%s\"", n ? "," : "");
            ref_esc(f, one);
            fputs("\"", f);
            a += k + (a[k] == '\n');
        }
        fputs("]}", f);
    } else
        fputs("null", f);
    fputs("}\n", f);
}

/* The summary view's block of one connection. */
static void ref_summary_conn(FILE *f, const struct tcpsim_rp_conn *c)
{
    /* the endpoints from their numbers: the summary view has the replay make
     * no labels (cfg.labels_unread) */
    char l[2][sizeof c->label[0]];
    for (int i = 0; i < 2; i++)
        tcpsim_endpoint_str(&c->addr[i], c->port[i], l[i], sizeof l[i]);
    fprintf(f, "conn %" PRIu32 " %s -> %s%s pkts %" PRIu64 "/%" PRIu64 " bytes %" PRIu64 "/%" PRIu64 "\n  client ",
            c->id, l[0], l[1], c->inferred ? " (inferred)" : "", c->d[0].packets, c->d[1].packets, c->d[0].bytes,
            c->d[1].bytes);
    ref_states(f, c, 0, "", ">", "", "");
    fputs("\n  server ", f);
    ref_states(f, c, 1, "", ">", "", "");
    fprintf(f, "%s\n  zeek %s %s  completeness %u", c->server_inferred ? " (never answered: LISTEN assumed)" : "",
            tcpsim__rp_conn_state(c), c->history[0] ? c->history : "-", c->completeness);
    if (c->rtt_known)
        fprintf(f, "  rtt %.3f ms", (double)c->rtt / 1e6);
    for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b])
            fprintf(f, "  %s=%" PRIu32, tcpsim__rp_an_name(b), c->an_count[b]);
    fputs("\n", f);
    /* The TLS line, made with snprintf into fixed buffers. */
    const struct tcpsim_tls_summary *ts = tcpsim__rp_tls_summary(c);
    if (!ts)
        return;
    char t[640], hex[8], offered[200] = "", alpn[260];
    const char *cn = ts->have_server_hello ? tcpsim_tls_cipher_name(ts->cipher) : NULL;
    if (ts->have_server_hello && !cn) {
        snprintf(hex, sizeof hex, "0x%04x", ts->cipher);
        cn = hex;
    }
    if (c->alpn_offered) {
        snprintf(offered, sizeof offered, "%s", c->alpn_offered);
        for (char *x = offered; *x; x++)
            if (*x == '\n')
                *x = ',';
    }
    if (ts->alpn[0])
        snprintf(alpn, sizeof alpn, "%s", ts->alpn);
    else if (offered[0] && ts->have_server_hello && ts->version == 0x0304)
        snprintf(alpn, sizeof alpn, "offered %s (server's choice encrypted)", offered);
    else if (offered[0])
        snprintf(alpn, sizeof alpn, "- (offered %s)", offered);
    else
        snprintf(alpn, sizeof alpn, "-");
    snprintf(t, sizeof t, "  tls %s %s%s sni %s alpn %s ja4 %s",
             ts->have_server_hello ? tcpsim_tls_version_name(ts->version) : "(no ServerHello)", cn ? cn : "-",
             ts->hrr ? " (HelloRetryRequest)" : "", ts->sni[0] ? ts->sni : "-", alpn, ts->ja4[0] ? ts->ja4 : "-");
    fputs(t, f);
    bool enc_c = false, enc_s = false, all_enc = ts->nalerts > 0;
    for (size_t i = 0; i < ts->nalerts; i++) {
        const struct tcpsim_tls_alert *a = &ts->alerts[i];
        const char *an = a->encrypted ? "encrypted" : tcpsim_tls_alert_name(a->desc);
        fprintf(f, "%s%s from %s", i ? ", " : "  alerts ", an ? an : "?",
                a->dir == TCPSIM_SIDE_CLIENT ? "client" : "server");
        all_enc = all_enc && a->encrypted;
        enc_c = enc_c || (a->encrypted && a->dir == TCPSIM_SIDE_CLIENT);
        enc_s = enc_s || (a->encrypted && a->dir == TCPSIM_SIDE_SERVER);
    }
    if (ts->alerts_total > ts->nalerts)
        fprintf(f, " (+%zu more)", ts->alerts_total - ts->nalerts);
    if (all_enc && enc_c && enc_s)
        fputs(" (both sides; at the close these are usually close_notify)", f);
    fputs("\n", f);
}

static void ref_summary_total(FILE *f, const struct tcpsim_rp_summary *s)
{
    fprintf(f,
            "total: %" PRIu64 " frames, %" PRIu64 " TCP segments, %" PRIu64 " connections, %.6f s; skipped %" PRIu64
            " non-TCP, %" PRIu64 " non-IP, %" PRIu64 " truncated, %" PRIu64 " fragments, %" PRIu64
            " bad headers, %" PRIu64 " filtered\n",
            s->frames, s->tcp_segments, s->connections, s->seconds, s->skipped.non_tcp, s->skipped.non_ip,
            s->skipped.truncated, s->skipped.fragment, s->skipped.bad_header, s->skipped.filtered);
}

static void ref_json_summary(FILE *f, const struct tcpsim_rp_summary *s)
{
    fprintf(f,
            "{\"type\":\"summary\",\"frames\":%" PRIu64 ",\"tcp_segments\":%" PRIu64 ",\"connections\":%" PRIu64
            ",\"skipped\":{\"non_tcp\":%" PRIu64 ",\"non_ip\":%" PRIu64 ",\"truncated\":%" PRIu64
            ",\"fragment\":%" PRIu64 ",\"bad_header\":%" PRIu64 ",\"filtered\":%" PRIu64
            ",\"unsupported_link\":%" PRIu64 "},\"max_open\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"seconds\":%.6f}\n",
            s->frames, s->tcp_segments, s->connections, s->skipped.non_tcp, s->skipped.non_ip, s->skipped.truncated,
            s->skipped.fragment, s->skipped.bad_header, s->skipped.filtered, s->skipped.unsupported_link, s->max_open,
            s->evicted, s->seconds);
}

/* Both renderings of one replay: the writer's handler is called after the
 * reference has written the same record. */
struct both {
    FILE *ref;
    enum tcpsim_rp_format fmt;
    struct tcpsim_rp_handler w;
    size_t nseg, nconn;
};

static void both_seg(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct both *b = ctx;
    b->nseg++;
    ref_segment(b->ref, s);
    b->w.segment(b->w.ctx, c, s);
}

static void both_conn(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct both *b = ctx;
    b->nconn++;
    /* the summary view writes the endpoints from their numbers: the replay
     * made no labels for it (cfg.labels_unread), and did for JSON */
    assert_int_equal(c->label[0][0] == '\0', b->fmt == TCPSIM_RP_SUMMARY);
    if (b->fmt == TCPSIM_RP_JSON)
        ref_conn(b->ref, c);
    else
        ref_summary_conn(b->ref, c);
    b->w.conn(b->w.ctx, c, why);
}

static void both_sum(void *ctx, const struct tcpsim_rp_summary *s)
{
    struct both *b = ctx;
    if (b->fmt == TCPSIM_RP_JSON)
        ref_json_summary(b->ref, s);
    else
        ref_summary_total(b->ref, s);
    b->w.summary(b->w.ctx, s);
}

/* Replay `cap` through the writer and the reference; the outputs must be the
 * same bytes. Returns the number of segment records (JSON). */
static size_t compare_view(const char *cap, enum tcpsim_rp_format fmt)
{
    char *rt = NULL;
    size_t rl = 0;
    FILE *rf = open_memstream(&rt, &rl);
    assert_non_null(rf);
    struct rr_out wo;
    struct tcpsim_rp_writer *w = rr_open(&wo, fmt, -1);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    tcpsim_rp_writer_setup(w, &cfg);
    struct both b = {rf, fmt, cfg.h, 0, 0};
    cfg.h.ctx = &b;
    cfg.h.segment_ref = NULL; /* every record through both_seg (the writer's ctx is b's now) */
    if (cfg.h.segment)
        cfg.h.segment = both_seg;
    cfg.h.conn = both_conn;
    cfg.h.summary = both_sum;
    rr_read(&cfg, cap, NULL);
    assert_true(rr_close(&wo));
    fclose(rf);
    char *wt = wo.text;
    assert_true(b.nconn > 0);
    if (strcmp(wt, rt) != 0) {
        size_t i = 0, line = 1;
        while (wt[i] && wt[i] == rt[i])
            line += wt[i++] == '\n';
        size_t at = i > 60 ? i - 60 : 0;
        fail_msg("%s (%s): line %zu differs at byte %zu:\nwriter:    ...%.120s\nreference: ...%.120s", cap,
                 fmt == TCPSIM_RP_JSON ? "json" : "summary", line, i, wt + at, rt + at);
    }
    free(wt);
    free(rt);
    return b.nseg;
}

/* A nanosecond capture with edge values: times on .000000, .999999 and
 * nanosecond ties, sequence numbers at both ends of the 32-bit space,
 * addresses and ports at their ends, IPv6, a non-TCP record between frames
 * (frame numbers jump), and enough frames to cross 9 -> 10 and 99 -> 100. */
static void write_edge_capture(const char *path)
{
    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    assert_non_null(p);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    assert_non_null(d);
    struct pkt {
        uint64_t ns;
        const char *src, *dst;
        uint16_t sp, dp;
        uint8_t fl;
        uint32_t seq, ack;
        uint16_t len;
    };
    const uint64_t t0 = UINT64_C(1700000000) * 1000000000u;
    const struct pkt v[] = {
        {t0, "255.255.255.254", "1.2.3.4", 65535, 1, PG_S, UINT32_MAX, 0, 0},
        {t0 + 500, "1.2.3.4", "255.255.255.254", 1, 65535, PG_S | PG_A, 0, 0, 0},
        {t0 + 999999999, "255.255.255.254", "1.2.3.4", 65535, 1, PG_A, 0, 1, 0},
        {t0 + 1000000000, "255.255.255.254", "1.2.3.4", 65535, 1, PG_A | PG_P, 0, 1, 100},
        {t0 + 1000000500, "1.2.3.4", "255.255.255.254", 1, 65535, PG_A, 1, 100, 0},
        {t0 + 1999999500, "2001:db8::1", "2001:db8:ffff::ffff", 40000, 443, PG_S, 123456789, 0, 0},
        {t0 + 1999999999, "2001:db8:ffff::ffff", "2001:db8::1", 443, 40000, PG_R | PG_A, 0, 123456790, 0},
        {t0 + 2000000000, "10.0.0.1", "10.0.0.2", 9, 10, PG_A | PG_P, 4000000000u, 1, 10},
    };
    uint8_t buf[2048];
    struct pcap_pkthdr h;
    uint16_t id = 1;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = pg_build(DLT_EN10MB, buf, sizeof buf, v[i].src, v[i].sp, v[i].dst, v[i].dp, v[i].fl, v[i].seq,
                            v[i].ack, 64240, v[i].len, NULL, id++);
        h.ts.tv_sec = (time_t)(v[i].ns / 1000000000u);
        h.ts.tv_usec = (suseconds_t)(v[i].ns % 1000000000u); /* nanoseconds in a nano capture */
        h.caplen = h.len = (bpf_u_int32)n;
        pcap_dump((u_char *)d, &h, buf);
        if (i == 3) { /* a record that is not TCP: the next frame number jumps */
            memset(buf, 0, 60);
            h.caplen = h.len = 60;
            pcap_dump((u_char *)d, &h, buf);
        }
    }
    /* A long connection: frames 10 to 120, seq wrapping past 2^32. */
    uint64_t t = t0 + 3000000000u;
    uint32_t cs = UINT32_MAX - 5000, ss = 77;
    for (int i = 0; i < 112; i++, t += 1234567) {
        bool c2s = i % 2 == 0;
        uint8_t fl = i == 0 ? PG_S : i == 1 ? (PG_S | PG_A) : PG_A | (i % 5 == 0 ? PG_P : 0);
        uint16_t len = i < 3 || !c2s ? 0 : 1000;
        size_t n = c2s ? pg_build(DLT_EN10MB, buf, sizeof buf, "192.168.100.200", 50000, "8.8.8.8", 80, fl, cs,
                                  i ? ss : 0, 65535, len, NULL, id++)
                       : pg_build(DLT_EN10MB, buf, sizeof buf, "8.8.8.8", 80, "192.168.100.200", 50000, fl, ss, cs,
                                  65535, 0, NULL, id++);
        if (i == 0 || (c2s && i >= 2))
            cs += i == 0 ? 1 : len;
        if (i == 1)
            ss++;
        h.ts.tv_sec = (time_t)(t / 1000000000u);
        h.ts.tv_usec = (suseconds_t)(t % 1000000000u);
        h.caplen = h.len = (bpf_u_int32)n;
        pcap_dump((u_char *)d, &h, buf);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

static void test_json_edge_capture_expect_reference_bytes(void **state)
{
    (void)state;
    char path[] = "/tmp/tcpsim-output-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_edge_capture(path);
    assert_true(compare_view(path, TCPSIM_RP_JSON) >= 120);
    compare_view(path, TCPSIM_RP_SUMMARY);
    unlink(path);
}

/* The JSON writer keeps each connection's endpoint text in a table by
 * connection number (4096 entries): connections 4096 apart share an entry,
 * and a connection's segments in both directions use it. Each record must
 * still show its own addresses. */
static void test_json_conns_sharing_a_slot_expect_own_endpoints(void **state)
{
    (void)state;
    char path[] = "/tmp/tcpsim-output-test-XXXXXX";
    struct pg g;
    assert_int_equal(pg_open_temp(&g, path, DLT_EN10MB), 0);
    uint64_t t = 1000000;
    pg_tcp(&g, t, "10.1.0.1", 1000, "10.2.0.1", 80, PG_S, 100, 0, 64240, 0, NULL); /* conn 0 */
    for (unsigned i = 1; i <= 4097; i++)                                           /* conns 1..4097, one SYN each */
        pg_tcp(&g, t += 10, i % 3 ? "10.3.0.7" : "2001:db8::7", (uint16_t)(2000 + i),
               i % 3 ? "10.4.0.9" : "2001:db8::9", 443, PG_S, i, 0, 64240, 0, NULL);
    pg_tcp(&g, t += 10, "10.2.0.1", 80, "10.1.0.1", 1000, PG_S | PG_A, 500, 101, 64240, 0, NULL); /* conn 0, s2c */
    pg_tcp(&g, t += 10, "10.4.0.9", 443, "10.3.0.7", 2001, PG_S | PG_A, 9, 2, 64240, 0, NULL);    /* conn 1, s2c */
    pg_tcp(&g, t += 10, "10.1.0.1", 1000, "10.2.0.1", 80, PG_A, 101, 501, 502, 0, NULL);          /* conn 0 */
    pg_tcp(&g, t += 10, "10.3.0.7", 6097, "10.4.0.9", 443, PG_A, 4098, 1, 502, 0, NULL);          /* conn 4097 */
    pg_close(&g);
    assert_true(compare_view(path, TCPSIM_RP_JSON) >= 4102);
    unlink(path);
}

static void both_views(const char *cap, void *ctx)
{
    size_t *total = ctx;
    *total += compare_view(cap, TCPSIM_RP_JSON);
    compare_view(cap, TCPSIM_RP_SUMMARY);
}

static void test_json_bundled_captures_expect_reference_bytes(void **state)
{
    (void)state;
    size_t total = 0;
    unsigned ncap = bundled_each_file(TCPSIM_CAPTURES_DIR, both_views, &total);
    assert_true(ncap >= 10);
    assert_true(total > 100);
}

/* Every (client, server) state pair, two out of range, in records with and
 * without events and TLS: the JSON writer copies a segment record's states
 * and its usual end from one table slot per pair (output.c); each record
 * must be what the reference writes. Inline and through the writer thread
 * with the smallest ring. */
static void state_pairs(bool thread)
{
    char *rt = NULL;
    size_t rl = 0;
    FILE *rf = open_memstream(&rt, &rl);
    assert_non_null(rf);
    struct rr_out wo;
    struct tcpsim_rp_writer *w = rr_open(&wo, TCPSIM_RP_JSON, -1);
    if (thread)
        assert_true(tcpsim_rp_writer_thread(w, 256));
    struct tcpsim_rp_handler h = tcpsim_rp_writer_handler(w);
    const struct tcpsim_rp_event ev[2] = {
        {TCPSIM_SIDE_SERVER, TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_RECEIVED, (enum tcpsim_tcp_why)0},
        {TCPSIM_SIDE_CLIENT, TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED, (enum tcpsim_tcp_why)1},
    };
    struct tcpsim_segment seg;
    memset(&seg, 0, sizeof seg);
    uint64_t frame = 1, n = 0;
    const unsigned top = TCPSIM_TCP_NSTATES + 2; /* NSTATES and NSTATES + 1: out of range */
    for (unsigned c = 0; c < top; c++)
        for (unsigned v = 0; v < top; v++)
            for (unsigned kind = 0; kind < 5; kind++) {
                struct tcpsim_rp_segment s;
                memset(&s, 0, sizeof s);
                s.frame = frame++;
                s.time = UINT64_C(1700000000000000000) + s.frame * 1000;
                s.conn = c * top + v;
                s.dir = kind % 2 ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
                s.src_ip.family = s.dst_ip.family = 4;
                memcpy(s.src_ip.a, (const uint8_t[]){10, 0, 0, 1}, 4);
                memcpy(s.dst_ip.a, (const uint8_t[]){10, 0, 0, 2}, 4);
                s.src_port = 1000;
                s.dst_port = 80;
                s.src = "10.0.0.1:1000";
                s.dst = "10.0.0.2:80";
                seg.flags = (uint8_t)(c * 16 + v + kind);
                seg.seq = c * 1000003u;
                seg.ack = v * 7919u;
                s.seg = &seg;
                s.rel_seq_known = true;
                s.rel_ack_known = kind != 3;
                s.rel_seq = c;
                s.rel_ack = v;
                s.win = 65535;
                s.analysis = kind == 4 ? 5u : 0u;
                s.client_state = (enum tcpsim_tcp_state)c;
                s.server_state = (enum tcpsim_tcp_state)v;
                s.events = ev;
                s.nevents = kind == 1 ? 1 : kind == 2 ? 2 : 0;
                s.tls_json = "";
                s.tls_errors_json = "";
                if (kind == 3)
                    s.tls_dropped = 1; /* not the usual end */
                if (kind == 4) {
                    s.tls_json = "{\"x\":1}";
                    s.tls_json_len = 7;
                }
                ref_segment(rf, &s);
                h.segment(h.ctx, NULL, &s);
                n++;
            }
    assert_true(rr_close(&wo));
    fclose(rf);
    assert_int_equal(n, (uint64_t)top * top * 5);
    if (strcmp(wo.text, rt) != 0) {
        size_t i = 0, line = 1;
        while (wo.text[i] && wo.text[i] == rt[i])
            line += wo.text[i++] == '\n';
        size_t at = i > 60 ? i - 60 : 0;
        fail_msg("state pairs (%s): line %zu differs:\nwriter:    ...%.120s\nreference: ...%.120s",
                 thread ? "thread" : "inline", line, wo.text + at, rt + at);
    }
    free(wo.text);
    free(rt);
}

static void test_json_every_state_pair_expect_reference_bytes(void **state)
{
    (void)state;
    state_pairs(false);
    state_pairs(true);
}

/* Connections of seven kinds (closed, half closed, reset, refused, never
 * answered, started mid-stream; some with data), two in a row of one kind:
 * the JSON writer copies a conn record's middle when every input is the last
 * record's (output.c, conn_mid), so it is used here between real records;
 * each must be what the reference writes. */
static void test_json_conns_ending_alike_expect_own_middles(void **state)
{
    (void)state;
    char path[] = "/tmp/tcpsim-output-test-XXXXXX";
    struct pg g;
    assert_int_equal(pg_open_temp(&g, path, DLT_EN10MB), 0);
    uint64_t t = 1000000, x = 12345;
    for (unsigned i = 0; i < 600; i++) {
        uint16_t cp = (uint16_t)(10000 + i);
        uint32_t cs = 1000u * i, ss = 5000u * i + 7;
        /* two in a row of the same kind, then one at random */
        unsigned k = i % 3 != 2 ? (i / 3) % 7 : (unsigned)(lcg(&x) >> 33) % 7;
        if (k != 6)
            pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_S, cs, 0, 64240, 0, NULL);
        if (k != 0 && k != 5)
            pg_tcp(&g, t += 10, "10.2.0.1", 80, "10.1.0.1", cp, PG_S | PG_A, ss, cs + 1, 64240, 0, NULL);
        if (k == 5)
            pg_tcp(&g, t += 10, "10.2.0.1", 80, "10.1.0.1", cp, PG_R | PG_A, 0, cs + 1, 0, 0, NULL);
        if (k >= 1 && k <= 4)
            pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_A, cs + 1, ss + 1, 502, 0, NULL);
        uint16_t len = (uint16_t)(i % 4 == 0 ? 100 : 0);
        if (len && k != 5)
            pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_A | PG_P, cs + 1, ss + 1, 502, len, NULL);
        if (k == 1 || k == 2 || k == 3) {
            pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_F | PG_A, cs + 1 + len, ss + 1, 502, 0, NULL);
            if (k != 3)
                pg_tcp(&g, t += 10, "10.2.0.1", 80, "10.1.0.1", cp, PG_F | PG_A, ss + 1, cs + 2 + len, 502, 0, NULL);
            if (k == 1) /* the last ACK: both endpoints' lists end differently without it */
                pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_A, cs + 2 + len, ss + 2, 502, 0, NULL);
        }
        if (k == 4)
            pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_R | PG_A, cs + 1 + len, ss + 1, 0, 0, NULL);
        if (k == 6) /* no SYN: a mid-stream start */
            pg_tcp(&g, t += 10, "10.1.0.1", cp, "10.2.0.1", 80, PG_A | PG_P, cs + 1, ss + 1, 502, 10, NULL);
    }
    pg_close(&g);
    assert_true(compare_view(path, TCPSIM_RP_JSON) >= 1800);
    unlink(path);
}

/* Each connection of a capture, then copies of it that differ in one input
 * of the conn record's middle only, each followed by the connection again:
 * the JSON writer copies that middle when every input is the last record's
 * (output.c, conn_mid), so a copy must not get the original's bytes, nor the
 * original the copy's. Inline and through the writer thread. */
struct mid_run {
    FILE *ref;
    struct tcpsim_rp_handler h;
    size_t n;
};

static void mid_both(struct mid_run *r, const struct tcpsim_rp_conn *c)
{
    ref_conn(r->ref, c);
    r->h.conn(r->h.ctx, c, TCPSIM_RP_LEAVE_CLOSED);
    r->n++;
}

static void mid_conn(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct mid_run *r = ctx;
    (void)why;
    struct tcpsim_rp_conn *d = malloc(sizeof *d);
    assert_non_null(d);
    mid_both(r, c);
    for (int k = 0; k < 9; k++) {
        memcpy(d, c, sizeof *d);
        int side = k % 2;
        unsigned n = d->nstates[side];
        switch (k) {
        case 0:
        case 1: /* the last state of a list */
            if (n == 0)
                continue;
            d->states[side][n - 1] =
                (enum tcpsim_tcp_state)(((unsigned)d->states[side][n - 1] + 1) % TCPSIM_TCP_NSTATES);
            break;
        case 2:
        case 3: /* a list one shorter */
            if (n < 2)
                continue;
            d->nstates[side]--;
            break;
        case 4: { /* the history's last letter */
            size_t hl = strnlen(d->history, TCPSIM_RP_HIST_MAX);
            if (hl == 0)
                continue;
            d->history[hl - 1] = d->history[hl - 1] == 'x' ? 'y' : 'x';
            break;
        }
        case 5:
            d->completeness ^= 1;
            break;
        case 6:
            d->server_inferred = !d->server_inferred;
            break;
        case 7:
            d->inferred = !d->inferred;
            break;
        case 8: /* a byte after the history's end (none is shown) */
            if (strnlen(d->history, TCPSIM_RP_HIST_MAX) + 1 >= TCPSIM_RP_HIST_MAX)
                continue;
            d->history[TCPSIM_RP_HIST_MAX - 1] = 'z';
            break;
        }
        mid_both(r, d);
        mid_both(r, c);
    }
    free(d);
}

static void mid_capture(const char *cap, bool thread)
{
    char *rt = NULL;
    size_t rl = 0;
    struct mid_run r = {open_memstream(&rt, &rl), {0}, 0};
    assert_non_null(r.ref);
    struct rr_out wo;
    struct tcpsim_rp_writer *w = rr_open(&wo, TCPSIM_RP_JSON, -1);
    if (thread)
        assert_true(tcpsim_rp_writer_thread(w, 0));
    r.h = tcpsim_rp_writer_handler(w);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.h.segment = NULL;
    cfg.h.conn = mid_conn;
    cfg.h.summary = NULL;
    cfg.h.ctx = &r;
    rr_read(&cfg, cap, NULL);
    assert_true(rr_close(&wo));
    fclose(r.ref);
    assert_true(r.n > 10);
    if (strcmp(wo.text, rt) != 0) {
        size_t i = 0, line = 1;
        while (wo.text[i] && wo.text[i] == rt[i])
            line += wo.text[i++] == '\n';
        size_t at = i > 60 ? i - 60 : 0;
        fail_msg("%s (%s): conn record %zu differs:\nwriter:    ...%.120s\nreference: ...%.120s", cap,
                 thread ? "thread" : "inline", line, wo.text + at, rt + at);
    }
    free(wo.text);
    free(rt);
}

static void mid_both_ways(const char *cap, void *ctx)
{
    (void)ctx;
    mid_capture(cap, false);
    mid_capture(cap, true);
}

static void test_json_conn_differing_in_one_input_expect_own_middle(void **state)
{
    (void)state;
    assert_true(bundled_each_file(TCPSIM_CAPTURES_DIR, mid_both_ways, NULL) >= 10);
}

/* ============ TLS items: the straight writer against the builder ============ */

/* src/tls/json.c: the item through the builder piece by piece, the reference
 * of tcpsim_tls_item_json's straight writer (not in a header: for this test). */
enum tcpsim_err tcpsim__tls_item_json_sb(const struct tcpsim_tls_item *it, char *buf, size_t cap, size_t *len_out);

static uint64_t tx = 0x2545f4914f6cdd1du;
static uint32_t trnd(void)
{
    tx ^= tx << 13;
    tx ^= tx >> 7;
    tx ^= tx << 17;
    return (uint32_t)(tx >> 16);
}

/* Text with what a JSON string must escape or check: quotes, backslashes,
 * control bytes, DEL, valid UTF-8 of 2 to 4 bytes, invalid and cut
 * sequences, surrogates; mostly plain. Up to cap - 1 bytes. */
static void rnd_text(char *s, size_t cap)
{
    static const char *const odd[] = {"\"",   "\\",       "\x01",         "\x1f",
                                      "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                      "\xff", "\xc3",     "\xed\xa0\x80", "\t"};
    size_t n = trnd() % 4 == 0 ? trnd() % 8 : trnd() % (cap < 160 ? cap : 160), i = 0;
    bool plain = trnd() % 2 == 0;
    while (i + 1 < cap && i < n) {
        if (!plain && trnd() % 12 == 0) {
            const char *o = odd[trnd() % (sizeof odd / sizeof odd[0])];
            size_t ol = strlen(o);
            if (i + ol + 1 > cap)
                break;
            memcpy(s + i, o, ol);
            i += ol;
        } else {
            s[i++] = (char)(' ' + trnd() % 95);
        }
    }
    s[i] = '\0';
}

static uint16_t rnd_code(void)
{
    static const uint16_t known[] = {0, 10, 11, 13, 16, 23, 35, 43, 45, 51, 0xff01, 0x1301, 0xc02f, 29, 23, 0x0a0a};
    return trnd() % 3 ? known[trnd() % (sizeof known / sizeof known[0])] : (uint16_t)trnd();
}

static void rnd_item(struct tcpsim_tls_item *it, struct tcpsim_tls_hello *h, struct tcpsim_tls_cert *cert,
                     char *explain, size_t excap)
{
    static const enum tcpsim_tls_record recs[] = {
        TCPSIM_TLS_REC_INVALID,   TCPSIM_TLS_REC_CHANGE_CIPHER_SPEC, TCPSIM_TLS_REC_ALERT,
        TCPSIM_TLS_REC_HANDSHAKE, TCPSIM_TLS_REC_APPLICATION_DATA,   TCPSIM_TLS_REC_HEARTBEAT};
    static const enum tcpsim_tls_hs hss[] = {TCPSIM_TLS_HS_CLIENT_HELLO,
                                             TCPSIM_TLS_HS_SERVER_HELLO,
                                             TCPSIM_TLS_HS_NEW_SESSION_TICKET,
                                             TCPSIM_TLS_HS_CERTIFICATE,
                                             TCPSIM_TLS_HS_FINISHED,
                                             TCPSIM_TLS_HS_HELLO_RETRY_REQUEST,
                                             TCPSIM_TLS_HS_SERVER_KEY_EXCHANGE,
                                             TCPSIM_TLS_HS_ENCRYPTED,
                                             TCPSIM_TLS_HS_UNKNOWN,
                                             TCPSIM_TLS_HS_NONE,
                                             TCPSIM_TLS_HS_NONE};
    static const uint16_t versions[] = {0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0002, 0x1a1a, 0x7f17};
    memset(it, 0, sizeof *it);
    it->dir = trnd() % 2 ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    it->record = recs[trnd() % (sizeof recs / sizeof recs[0])];
    it->hs = hss[trnd() % (sizeof hss / sizeof hss[0])];
    it->hs_type = (uint8_t)trnd();
    it->record_version = versions[trnd() % (sizeof versions / sizeof versions[0])];
    it->length = trnd() % 4 == 0 ? ((size_t)trnd() << 32 | trnd()) : trnd() % 20000;
    it->malformed = trnd() % 5 == 0;
    it->encrypted = trnd() % 4 == 0;
    if (it->hs == TCPSIM_TLS_HS_CLIENT_HELLO || it->hs == TCPSIM_TLS_HS_SERVER_HELLO ||
        it->hs == TCPSIM_TLS_HS_HELLO_RETRY_REQUEST || trnd() % 8 == 0) {
        memset(h, 0, sizeof *h);
        h->version = versions[trnd() % (sizeof versions / sizeof versions[0])];
        h->nciphers = trnd() % 3 ? trnd() % 40 : trnd();
        h->ciphers[0] = rnd_code();
        h->has_sni = trnd() % 3 != 0;
        rnd_text(h->sni, sizeof h->sni);
        h->nalpn = trnd() % (TCPSIM_TLS_MAX_ALPN + 1);
        for (size_t i = 0; i < h->nalpn; i++)
            rnd_text(h->alpn[i], sizeof h->alpn[i]);
        h->nexts = trnd() % (TCPSIM_TLS_MAX_EXT + 1);
        for (size_t i = 0; i < h->nexts; i++)
            h->exts[i] = rnd_code();
        h->sslv2 = trnd() % 6 == 0;
        h->nkey_shares = trnd() % 3;
        h->key_share_groups[0] = rnd_code();
        it->hello = h;
    }
    memset(cert, 0, sizeof *cert);
    cert->parsed = trnd() % 4 != 0;
    rnd_text(cert->subject, sizeof cert->subject);
    rnd_text(cert->issuer, sizeof cert->issuer);
    it->certs = cert;
    it->ncerts = trnd() % 3 ? 1 : 0;
    it->chain_len = trnd() % 5;
    it->group = trnd() % 3 ? 0 : rnd_code();
    it->key_bytes = trnd() % 3 ? 0 : trnd() % 600;
    it->dh_prime_bits = trnd() % 4 ? 0 : trnd() % 5000;
    it->alert_level = (uint8_t)(trnd() % 4);
    it->alert_desc = (uint8_t)(trnd() % 3 ? rnd_code() % 120 : trnd());
    it->ticket_lifetime = trnd();
    it->ticket_len = trnd() % 300;
    it->why.id = TCPSIM_TLS_X_NONE;
    rnd_text(explain, excap);
    it->explain = trnd() % 10 == 0 ? NULL : explain;
}

/* The builder's decimals (tcpsim__sb_putu, two digits per step, which the
 * straight writer shares) against printf, at every digit-count edge and on
 * random values, and dropped whole when they do not fit. */
static void test_tls_builder_decimal_edges_expect_printf(void **state)
{
    (void)state;
    char got[64], want[64];
    for (int k = 0; k < 200000; k++) {
        unsigned long long v;
        if (k < 20 * 3) { /* 10^d - 1, 10^d, 10^d + 1 */
            v = 1;
            for (int d = 0; d < k / 3; d++)
                v *= 10;
            v = v - 1 + (unsigned long long)(k % 3);
        } else if (k == 60) {
            v = ~0ull;
        } else {
            v = ((unsigned long long)trnd() << 32 | trnd()) >> (trnd() % 64);
        }
        int n = snprintf(want, sizeof want, "x%llu", v);
        for (size_t cap = (size_t)n - 1; cap <= (size_t)n + 1; cap++) {
            struct tcpsim__sb b;
            tcpsim__sb_init(&b, got, cap);
            tcpsim__sb_putc(&b, 'x');
            tcpsim__sb_putu(&b, v);
            assert_int_equal(b.overflow, cap <= (size_t)n);
            if (!b.overflow)
                assert_string_equal(got, want);
            else
                assert_string_equal(got, cap >= 2 ? "x" : ""); /* (the x itself needs two bytes) */
        }
    }
}

/* src/tls/explain.c: every sentence through the builder, the reference of
 * the sentences with numbers only written straight (not in a header). */
const char *tcpsim__tls_explain_en_sb(const struct tcpsim_tls_explain *x, char *buf, size_t cap);

/* tcpsim_tls_explain_en (the sentences with numbers only written straight
 * when the buffer has room) gives the builder's text for every id, every
 * branch of the TLS 1.3 flight's sentence, numbers from 0 to the extremes
 * (negative ones too) and buffers from roomy down to one byte. */
static void test_tls_explain_every_id_expect_builder_text(void **state)
{
    (void)state;
    static const long long edge[] = {
        0, 1, 9, 10, 99, 100, 12345, 4294967295ll, -1, -100, 9223372036854775807ll, -9223372036854775807ll - 1};
    char got[600], want[600], s0[80], s1[80];
    size_t straight = 0;
    for (int k = 0; k < 40000; k++) {
        struct tcpsim_tls_explain x;
        memset(&x, 0, sizeof x);
        x.id = (enum tcpsim_tls_explain_id)(k % (TCPSIM_TLS_X_MALFORMED + 1));
        for (int i = 0; i < 3; i++)
            x.n[i] = trnd() % 3 ? (long long)(trnd() % 5000) : edge[trnd() % (sizeof edge / sizeof edge[0])];
        if (trnd() % 2) { /* the flight's branches */
            x.n[1] = trnd() % 4;
            x.n[2] = trnd() % 5;
        }
        rnd_text(s0, sizeof s0);
        rnd_text(s1, sizeof s1);
        x.s[0] = s0;
        x.s[1] = s1;
        x.s[2] = trnd() % 2 ? "" : "RSA 2048";
        size_t caps[3] = {sizeof got, 256 + trnd() % 8, 1 + trnd() % 300};
        for (int c = 0; c < 3; c++) {
            memset(got, 'g', sizeof got);
            memset(want, 'w', sizeof want);
            assert_ptr_equal(tcpsim_tls_explain_en(&x, got, caps[c]), got);
            assert_ptr_equal(tcpsim__tls_explain_en_sb(&x, want, caps[c]), want);
            assert_string_equal(got, want);
        }
        straight += x.id == TCPSIM_TLS_X_APP_DATA;
    }
    assert_true(straight > 1000);
}

/* The names the straight writer copies without an escaping scan (json.c
 * fw_name_or_hex: extension, cipher suite and group names) need none: every
 * value's name comes out of the builder's escaper as it is. */
static void test_tls_item_json_names_expect_nothing_to_escape(void **state)
{
    (void)state;
    char a[300], want[300];
    size_t named = 0;
    for (unsigned v = 0; v < 0x10000; v++) {
        const char *names[3] = {tcpsim_tls_ext_name((uint16_t)v), tcpsim_tls_cipher_name((uint16_t)v),
                                tcpsim_tls_group_name((uint16_t)v)};
        for (int k = 0; k < 3; k++) {
            if (!names[k])
                continue;
            struct tcpsim_tls_item it;
            memset(&it, 0, sizeof it);
            named++;
            snprintf(want, sizeof want, "\"%s\"", names[k]);
            /* the builder's string through a whole item: its "explain" */
            it.record = TCPSIM_TLS_REC_HEARTBEAT;
            it.hs = TCPSIM_TLS_HS_NONE;
            it.explain = names[k];
            size_t n = 0;
            assert_int_equal(tcpsim__tls_item_json_sb(&it, a, sizeof a, &n), TCPSIM_OK);
            const char *x = strstr(a, ",\"explain\":");
            assert_non_null(x);
            x += strlen(",\"explain\":");
            assert_int_equal(strlen(x), strlen(want) + 1); /* and the closing brace */
            assert_memory_equal(x, want, strlen(want));
        }
    }
    assert_true(named > 300);
}

/* tcpsim_tls_item_json (straight into the buffer when the item fits) gives
 * the builder's bytes, length and result on random items of every kind,
 * with room to spare, exactly enough, one byte short and at random. */
static void test_tls_item_json_random_items_expect_builder_bytes(void **state)
{
    (void)state;
    static struct tcpsim_tls_hello h;
    static struct tcpsim_tls_cert cert;
    static char got[8192], want[8192];
    char explain[300];
    size_t escaped = 0, short_ok = 0;
    for (int k = 0; k < 20000; k++) {
        struct tcpsim_tls_item it;
        rnd_item(&it, &h, &cert, explain, sizeof explain);
        size_t gl = 1, wl = 2;
        enum tcpsim_err ge = tcpsim_tls_item_json(&it, got, sizeof got, &gl);
        enum tcpsim_err we = tcpsim__tls_item_json_sb(&it, want, sizeof want, &wl);
        assert_int_equal(ge, TCPSIM_OK);
        assert_int_equal(we, TCPSIM_OK);
        assert_int_equal(gl, wl);
        assert_string_equal(got, want);
        escaped += strchr(want, '\\') != NULL;
        size_t caps[4] = {wl + 1, wl, trnd() % (wl + 2), 1 + trnd() % 64};
        for (int c = 0; c < 4; c++) {
            memset(got, 'g', sizeof got);
            memset(want, 'w', sizeof want);
            gl = 1;
            wl = 2;
            ge = tcpsim_tls_item_json(&it, got, caps[c], &gl);
            we = tcpsim__tls_item_json_sb(&it, want, caps[c], &wl);
            assert_int_equal(ge, we);
            assert_int_equal(gl, wl);
            if (caps[c])
                assert_string_equal(got, want); /* the item, or the same NUL-terminated prefix */
            short_ok += c == 0 && ge == TCPSIM_OK;
        }
    }
    assert_true(escaped > 2000); /* strings that needed escapes were among them */
    assert_int_equal(short_ok, 20000);
}

/* src/tls/json.c: the item memo's switch and counters (for the test below) */
extern _Thread_local bool tcpsim__tls_item_memo_off;
void tcpsim__tls_item_memo_stats(uint64_t *hits, uint64_t *misses);

/* a byte of s (NUL-terminated, not empty) changed to another printable one */
static void poke_text(char *s)
{
    size_t n = strlen(s);
    if (n == 0) {
        s[0] = 'x';
        s[1] = '\0';
        return;
    }
    char *c = s + trnd() % n;
    *c = *c == 'a' ? 'b' : 'a';
}

/* The sentence as "<a><the length in decimal><b>[, <digits>]" (the length
 * in the sentence as an application_data record's; maybe digits again, the
 * length's or others), with and without bytes to escape around it. */
static void digits_text(char *explain, size_t excap, const struct tcpsim_tls_item *it, unsigned again)
{
    static const char *const a[] = {"", "x ", "record of ", "\xc3\xa9 ", "q\"uote ", "12"};
    static const char *const b[] = {"", " bytes", " bytes of encrypted application data", "\\", "3 more", "\x01"};
    const char *pa = a[trnd() % 6], *pb = b[trnd() % 6];
    if (again == 0)
        snprintf(explain, excap, "%s%zu%s", pa, it->length, pb);
    else if (again == 1)
        snprintf(explain, excap, "%s%zu%s, %zu", pa, it->length, pb, it->length);
    else
        snprintf(explain, excap, "%s%zu%s, %u", pa, it->length, pb, trnd() % 1000);
}

/* One field of the item (or of what it points at) changed, picked by k:
 * every field tcpsim_tls_item_json writes, the length alone and with the
 * sentence that says it, and the sentence. */
static void mutate_item(struct tcpsim_tls_item *it, struct tcpsim_tls_hello *h, struct tcpsim_tls_cert *cert,
                        char *explain, size_t excap, unsigned k)
{
    static const enum tcpsim_tls_hs hss[] = {
        TCPSIM_TLS_HS_CLIENT_HELLO,       TCPSIM_TLS_HS_SERVER_HELLO, TCPSIM_TLS_HS_CERTIFICATE,
        TCPSIM_TLS_HS_NEW_SESSION_TICKET, TCPSIM_TLS_HS_UNKNOWN,      TCPSIM_TLS_HS_NONE,
        TCPSIM_TLS_HS_HELLO_RETRY_REQUEST};
    switch (k) {
    case 0:
        it->dir = it->dir == TCPSIM_SIDE_CLIENT ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
        break;
    case 1:
        it->record = it->record == TCPSIM_TLS_REC_ALERT ? TCPSIM_TLS_REC_HANDSHAKE : TCPSIM_TLS_REC_ALERT;
        break;
    case 2:
        it->hs = hss[trnd() % (sizeof hss / sizeof hss[0])];
        break;
    case 3:
        it->hs_type++;
        break;
    case 4:
        it->record_version ^= (uint16_t)(1u << trnd() % 16);
        break;
    case 5: /* the length alone (a sentence that said it no longer does) */
        it->length += 1 + trnd() % 3000;
        break;
    case 6: { /* the length and the sentence saying it: the kept JSON fits, other digits put back */
        char od[24], t[300];
        snprintf(od, sizeof od, "%zu", it->length);
        const char *c = it->explain == explain ? strstr(explain, od) : NULL;
        it->length = trnd() % 3 ? trnd() % 20000 : ((size_t)trnd() << 32 | trnd());
        if (c) {
            snprintf(t, sizeof t, "%.*s%zu%s", (int)(c - explain), explain, it->length, c + strlen(od));
            snprintf(explain, excap, "%s", t);
        } else {
            digits_text(explain, excap, it, trnd() % 3);
            it->explain = explain;
        }
        break;
    }
    case 7:
        it->malformed = !it->malformed;
        break;
    case 8:
        it->encrypted = !it->encrypted;
        break;
    case 9:
        it->hello = it->hello ? NULL : h;
        break;
    case 10:
        h->version ^= (uint16_t)(1u << trnd() % 16);
        break;
    case 11:
        h->nciphers += 1 + trnd() % 200;
        break;
    case 12:
        h->has_sni = !h->has_sni;
        break;
    case 13:
        poke_text(h->sni);
        break;
    case 14:
        h->nalpn = (h->nalpn + 1) % (TCPSIM_TLS_MAX_ALPN + 1);
        if (h->nalpn)
            rnd_text(h->alpn[h->nalpn - 1], sizeof h->alpn[0]);
        break;
    case 15:
        poke_text(h->alpn[h->nalpn ? trnd() % h->nalpn : 0]);
        break;
    case 16:
        h->nexts = (h->nexts + 1) % (TCPSIM_TLS_MAX_EXT + 1);
        if (h->nexts)
            h->exts[h->nexts - 1] = rnd_code();
        break;
    case 17:
        h->exts[h->nexts ? trnd() % h->nexts : 0] ^= (uint16_t)(1u << trnd() % 16);
        break;
    case 18:
        h->sslv2 = !h->sslv2;
        break;
    case 19:
        h->ciphers[0] ^= (uint16_t)(1u << trnd() % 16);
        break;
    case 20:
        h->nkey_shares = h->nkey_shares ? 0 : 1;
        break;
    case 21:
        h->key_share_groups[0] ^= (uint16_t)(1u << trnd() % 16);
        break;
    case 22:
        it->chain_len++;
        break;
    case 23:
        it->ncerts = it->ncerts ? 0 : 1;
        break;
    case 24:
        cert->parsed = !cert->parsed;
        break;
    case 25:
        poke_text(cert->subject);
        break;
    case 26:
        poke_text(cert->issuer);
        break;
    case 27:
        it->group ^= (uint16_t)(1u << trnd() % 16);
        break;
    case 28:
        it->key_bytes++;
        break;
    case 29:
        it->dh_prime_bits++;
        break;
    case 30:
        it->alert_level++;
        break;
    case 31:
        it->alert_desc++;
        break;
    case 32:
        it->ticket_lifetime++;
        break;
    case 33:
        it->ticket_len++;
        break;
    case 34: /* the sentence: a byte of it */
        if (it->explain == explain)
            poke_text(explain);
        else
            it->explain = explain;
        break;
    default: /* the sentence rendered from its id (an application_data record's, with the length) */
        it->explain = it->explain ? NULL : explain;
        it->why.id = TCPSIM_TLS_X_APP_DATA;
        it->why.n[0] = (long long)(it->length & 0xffffff);
        break;
    }
}
#define MUTATIONS 36u

/* tcpsim_tls_item_json against the builder on it, roomy and short */
static void memo_check(const struct tcpsim_tls_item *it, uint64_t *hits)
{
    static char got[8192], want[8192];
    size_t gl = 1, wl = 2;
    uint64_t h0, h1, m;
    tcpsim__tls_item_memo_stats(&h0, &m);
    enum tcpsim_err ge = tcpsim_tls_item_json(it, got, sizeof got, &gl);
    tcpsim__tls_item_memo_stats(&h1, &m);
    *hits += h1 - h0;
    enum tcpsim_err we = tcpsim__tls_item_json_sb(it, want, sizeof want, &wl);
    assert_int_equal(ge, TCPSIM_OK);
    assert_int_equal(we, TCPSIM_OK);
    assert_int_equal(gl, wl);
    assert_string_equal(got, want);
    size_t caps[3] = {wl + 1, wl, 1 + trnd() % (wl + 1)};
    for (int c = 0; c < 3; c++) {
        gl = 1;
        wl = 2;
        ge = tcpsim_tls_item_json(it, got, caps[c], &gl);
        we = tcpsim__tls_item_json_sb(it, want, caps[c], &wl);
        assert_int_equal(ge, we);
        assert_int_equal(gl, wl);
        assert_string_equal(got, want);
    }
}

/* The item memo (json.c: a repeated item takes the JSON kept from an
 * earlier one, with its own length and sentence) gives the builder's bytes
 * for an item, for the same item again (taken from the memo), and for items
 * that differ from a kept one in one field each, every field it writes in
 * turn (a field left out of the memo's key takes the kept JSON and fails
 * here, as does a sentence taken without its escapes); and the same with
 * the memo switched off. */
static void test_tls_item_json_memo_one_field_apart_expect_builder_bytes(void **state)
{
    (void)state;
    static struct tcpsim_tls_hello h;
    static struct tcpsim_tls_cert cert;
    char explain[300];
    uint64_t hits = 0, h0, m0, h1, m1;
    size_t spliced = 0;
    for (int off = 0; off < 2; off++) {
        tcpsim__tls_item_memo_off = off;
        tcpsim__tls_item_memo_stats(&h0, &m0);
        for (int k = 0; k < 3000; k++) {
            struct tcpsim_tls_item it;
            rnd_item(&it, &h, &cert, explain, sizeof explain);
            if (trnd() % 2) { /* the length's digits in the sentence */
                digits_text(explain, sizeof explain, &it, trnd() % 3);
                it.explain = explain;
            }
            memo_check(&it, &hits);
            memo_check(&it, &hits); /* again: from the memo */
            for (unsigned m = 0; m < MUTATIONS; m++) {
                struct tcpsim_tls_item base = it;
                unsigned which = (m + (unsigned)k) % MUTATIONS;
                mutate_item(&it, &h, &cert, explain, sizeof explain, which);
                memo_check(&it, &hits);
                if (which == 6) { /* and once more: the digits now surely in the sentence */
                    uint64_t before = hits;
                    mutate_item(&it, &h, &cert, explain, sizeof explain, which);
                    memo_check(&it, &hits);
                    spliced += hits > before && !off;
                }
                if (trnd() % 4 == 0)
                    it = base; /* back (its strings and lists stay changed) */
            }
        }
        tcpsim__tls_item_memo_stats(&h1, &m1);
        if (off) /* switched off: neither read nor filled */
            assert_true(h1 == h0 && m1 == m0);
        else
            assert_true(h1 - h0 > 20000 && m1 - m0 > 20000);
    }
    tcpsim__tls_item_memo_off = false;
    assert_true(spliced > 500); /* kept JSON with other digits put back, checked */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_decimal_edges_expect_snprintf),
        cmocka_unit_test(test_fmt_time_edges_expect_truncated_microseconds),
        cmocka_unit_test(test_fmt_frame_counter_expect_snprintf_across_carries),
        cmocka_unit_test(test_fmt_milliseconds_expect_printf_rounding_or_tie_refused),
        cmocka_unit_test(test_fmt_json_escape_every_position_expect_byte_by_byte_result),
        cmocka_unit_test(test_json_edge_capture_expect_reference_bytes),
        cmocka_unit_test(test_json_conns_sharing_a_slot_expect_own_endpoints),
        cmocka_unit_test(test_json_bundled_captures_expect_reference_bytes),
        cmocka_unit_test(test_json_every_state_pair_expect_reference_bytes),
        cmocka_unit_test(test_json_conns_ending_alike_expect_own_middles),
        cmocka_unit_test(test_json_conn_differing_in_one_input_expect_own_middle),
        cmocka_unit_test(test_tls_item_json_random_items_expect_builder_bytes),
        cmocka_unit_test(test_tls_item_json_memo_one_field_apart_expect_builder_bytes),
        cmocka_unit_test(test_tls_item_json_names_expect_nothing_to_escape),
        cmocka_unit_test(test_tls_builder_decimal_edges_expect_printf),
        cmocka_unit_test(test_tls_explain_every_id_expect_builder_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
