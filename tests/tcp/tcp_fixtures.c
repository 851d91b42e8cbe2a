/* tcp_fixtures.c - fixtures and assertion helpers for test_tcp (see tcp_test.h). */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

struct tcpsim_tcp_config fx_config(enum tcpsim_tcp_profile p)
{
    struct tcpsim_tcp_config c;
    tcpsim_tcp_config_default(&c, p);
    c.iss = ISS_L;
    return c;
}

struct fx *fx_new_cfg(const struct tcpsim_tcp_config *cfg)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tcpsim_tcp_init(&f->ep, cfg, LPORT, RPORT), TCPSIM_OK);
    f->now = TCPSIM_SEC(10);
    return f;
}

struct fx *fx_new(enum tcpsim_tcp_profile p)
{
    struct tcpsim_tcp_config c = fx_config(p);
    return fx_new_cfg(&c);
}

/* ---- transition recorder: every out of every fixture passes through here
 * before it is cleared (fx_reset) or thrown away (fx_free), so the suite knows
 * each from -> to it produced (test_tcp_coverage.c reads the matrix last). */
unsigned long fx_trans_matrix[TCPSIM_TCP_NSTATES][TCPSIM_TCP_NSTATES];
unsigned long fx_asserted_matrix[TCPSIM_TCP_NSTATES][TCPSIM_TCP_NSTATES];

void fx_record(const struct tcpsim_tcp_out *out)
{
    size_t n = out->ntrans < TCPSIM_TCP_OUT_TRANS ? out->ntrans : TCPSIM_TCP_OUT_TRANS;
    for (size_t i = 0; i < n; i++) {
        unsigned from = (unsigned)out->trans[i].from, to = (unsigned)out->trans[i].to;
        if (from < TCPSIM_TCP_NSTATES && to < TCPSIM_TCP_NSTATES)
            fx_trans_matrix[from][to]++;
    }
}

void fx_free(struct fx *f)
{
    if (f == NULL)
        return;
    fx_record(&f->out);
    tcpsim_tcp_free(&f->ep);
    free(f);
}

void fx_reset(struct fx *f)
{
    fx_record(&f->out);
    tcpsim_tcp_out_reset(&f->out);
}

struct tcpsim_segment seg_make(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const void *data, size_t len)
{
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.src_port = RPORT;
    s.dst_port = LPORT;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.window = win;
    s.data_offset = 5;
    s.payload = data;
    s.payload_len = len;
    return s;
}

void seg_mss(struct tcpsim_segment *s, uint16_t mss)
{
    s->opts.present |= TCPSIM_HAS_MSS;
    s->opts.mss = mss;
}

void seg_wscale(struct tcpsim_segment *s, uint8_t ws)
{
    s->opts.present |= TCPSIM_HAS_WSCALE;
    s->opts.wscale = ws;
}

void seg_sackok(struct tcpsim_segment *s)
{
    s->opts.present |= TCPSIM_HAS_SACK_PERM;
}

void seg_ts(struct tcpsim_segment *s, uint32_t val, uint32_t ecr)
{
    s->opts.present |= TCPSIM_HAS_TS;
    s->opts.ts_val = val;
    s->opts.ts_ecr = ecr;
}

void fx_arrive(struct fx *f, const struct tcpsim_segment *s)
{
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_segment_arrives(&f->ep, s, f->now, &f->out), TCPSIM_OK);
}

void fx_arrive_at(struct fx *f, tcpsim_time_t at, const struct tcpsim_segment *s)
{
    f->now = at;
    fx_arrive(f, s);
}

void fx_timeout_at(struct fx *f, tcpsim_time_t at)
{
    f->now = at;
    fx_reset(f);
    tcpsim_tcp_timeout(&f->ep, at, &f->out);
}

struct fx *fx_listen(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_new(p);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->ep.state, TCPSIM_TCP_LISTEN);
    return f;
}

struct fx *fx_syn_sent(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_new(p);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->ep.state, TCPSIM_TCP_SYN_SENT);
    return f;
}

struct fx *fx_syn_received(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_listen(p);
    struct tcpsim_segment s = seg_make(TCPSIM_SYN, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_SYN_RECEIVED);
    return f;
}

struct fx *fx_established(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_syn_sent(p);
    struct tcpsim_segment s = seg_make(TCPSIM_SYN | TCPSIM_ACK, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive_at(f, f->now + TCPSIM_MSEC(100), &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_ESTABLISHED);
    return f;
}

struct fx *fx_established_passive(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_syn_received(p);
    struct tcpsim_segment s = seg_make(TCPSIM_ACK, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive_at(f, f->now + TCPSIM_MSEC(100), &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_ESTABLISHED);
    return f;
}

struct fx *fx_fin_wait_1(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_established(p);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->ep.state, TCPSIM_TCP_FIN_WAIT_1);
    return f;
}

struct fx *fx_fin_wait_2(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_fin_wait_1(p);
    struct tcpsim_segment s = seg_make(TCPSIM_ACK, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_FIN_WAIT_2);
    return f;
}

struct fx *fx_close_wait(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_established(p);
    struct tcpsim_segment s = seg_make(TCPSIM_FIN | TCPSIM_ACK, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_CLOSE_WAIT);
    return f;
}

struct fx *fx_last_ack(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_close_wait(p);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->ep.state, TCPSIM_TCP_LAST_ACK);
    return f;
}

struct fx *fx_closing(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_fin_wait_1(p);
    struct tcpsim_segment s = seg_make(TCPSIM_FIN | TCPSIM_ACK, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_CLOSING);
    return f;
}

struct fx *fx_time_wait(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_fin_wait_2(p);
    struct tcpsim_segment s = seg_make(TCPSIM_FIN | TCPSIM_ACK, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, TCPSIM_TCP_TIME_WAIT);
    return f;
}

void expect_seg_(struct fx *f, size_t i, uint8_t flags, uint32_t seq, uint32_t ack, const char *file, int line)
{
    if (i >= f->out.nseg) {
        print_error("expected segment %zu, only %zu emitted\n", i, f->out.nseg);
        _fail(file, line);
        return;
    }
    const struct tcpsim_segment *s = &f->out.seg[i].seg;
    if (s->flags != flags || s->seq != seq || s->ack != ack || s->src_port != LPORT || s->dst_port != RPORT) {
        print_error("segment %zu: flags 0x%02x seq %u ack %u ports %u>%u; expected flags 0x%02x seq %u ack %u\n", i,
                    s->flags, s->seq, s->ack, s->src_port, s->dst_port, flags, seq, ack);
        _fail(file, line);
    }
}

void expect_nseg_(struct fx *f, size_t n, const char *file, int line)
{
    if (f->out.nseg != n) {
        print_error("expected %zu segments, got %zu\n", n, f->out.nseg);
        for (size_t i = 0; i < f->out.nseg; i++)
            print_error("  seg %zu: flags 0x%02x seq %u ack %u len %zu why %s\n", i, f->out.seg[i].seg.flags,
                        f->out.seg[i].seg.seq, f->out.seg[i].seg.ack, f->out.seg[i].seg.payload_len,
                        tcpsim_tcp_why_id(f->out.seg[i].why));
        _fail(file, line);
    }
}

void expect_trans_(struct fx *f, size_t i, enum tcpsim_tcp_state from, enum tcpsim_tcp_state to,
                   enum tcpsim_tcp_why why, const char *file, int line)
{
    if (i >= f->out.ntrans) {
        print_error("expected transition %zu, only %zu recorded\n", i, f->out.ntrans);
        _fail(file, line);
        return;
    }
    const struct tcpsim_tcp_transition *t = &f->out.trans[i];
    if (t->from != from || t->to != to || t->why != why || t->at != f->now) {
        print_error("transition %zu: %s -> %s (%s) at %llu; expected %s -> %s (%s)\n", i,
                    tcpsim_tcp_state_name(t->from), tcpsim_tcp_state_name(t->to), tcpsim_tcp_why_id(t->why),
                    (unsigned long long)t->at, tcpsim_tcp_state_name(from), tcpsim_tcp_state_name(to),
                    tcpsim_tcp_why_id(why));
        _fail(file, line);
        return;
    }
    if ((unsigned)from < TCPSIM_TCP_NSTATES && (unsigned)to < TCPSIM_TCP_NSTATES)
        fx_asserted_matrix[from][to]++;
}

void expect_ntrans_(struct fx *f, size_t n, const char *file, int line)
{
    if (f->out.ntrans != n) {
        print_error("expected %zu transitions, got %zu\n", n, f->out.ntrans);
        for (size_t i = 0; i < f->out.ntrans; i++)
            print_error("  %s -> %s (%s)\n", tcpsim_tcp_state_name(f->out.trans[i].from),
                        tcpsim_tcp_state_name(f->out.trans[i].to), tcpsim_tcp_why_id(f->out.trans[i].why));
        _fail(file, line);
    }
}

void expect_state_(struct fx *f, enum tcpsim_tcp_state s, const char *file, int line)
{
    if (f->ep.state != s) {
        print_error("state %s, expected %s\n", tcpsim_tcp_state_name(f->ep.state), tcpsim_tcp_state_name(s));
        _fail(file, line);
    }
}

bool has_note(const struct fx *f, enum tcpsim_tcp_why why)
{
    for (size_t i = 0; i < f->out.nnote; i++)
        if (f->out.note[i].why == why)
            return true;
    return false;
}

bool has_err(const struct fx *f, enum tcpsim_err e)
{
    for (size_t i = 0; i < f->out.nerr; i++)
        if (f->out.err[i] == e)
            return true;
    return false;
}

void expect_layout(struct fx *f, size_t i, const uint8_t *kinds, size_t n)
{
    assert_true(i < f->out.nseg);
    const struct tcpsim_tcp_opts *o = &f->out.seg[i].seg.opts;
    assert_int_equal(o->layout_len, n);
    assert_memory_equal(o->layout, kinds, n);
}
