/* test_tcp_states.c - the state-transition catalogue of
 * docs/reference-facts.md, one banner per state (RFC 9293 §3.10). */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

static const uint8_t data100[100] =
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqr";

/* ===================================================================== CLOSED */

static void test_closed_syn_gets_rst_ack(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment s = seg_make(F_S, 7000, 0, 65535, NULL, 0);
    fx_arrive(f, &s);
    /* RFC 9293 §3.10.7.1: ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R | F_A, 0, 7001);
    assert_int_equal(f->out.seg[0].why, W(RST_CLOSED));
    expect_ntrans(f, 0);
    expect_state(f, S(CLOSED));
    fx_free(f);
}

static void test_closed_ack_gets_rst_seq_ack(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment s = seg_make(F_A, 7000, 777, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, 777, 0);
    assert_int_equal(f->out.seg[0].seg.payload_len, 0);
    fx_free(f);
}

static void test_closed_data_fin_rst_covers_length(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment s = seg_make(F_F, 100, 0, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R | F_A, 0, 111); /* 10 bytes + FIN */
    fx_free(f);
}

static void test_closed_rst_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment s = seg_make(F_R | F_A, 7000, 1, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    assert_true(has_note(f, W(RST_TO_CLOSED_IGNORED)));
    expect_state(f, S(CLOSED));
    fx_free(f);
}

static void test_closed_open_passive_listens(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_OK);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(CLOSED), S(LISTEN), W(OPEN_PASSIVE));
    expect_nseg(f, 0);
    assert_true(f->ep.passive);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_closed_open_active_sends_syn(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(CLOSED), S(SYN_SENT), W(OPEN_ACTIVE));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_S, ISS_L, 0);
    const struct tcpsim_segment *s = &f->out.seg[0].seg;
    assert_int_equal(s->opts.mss, 1460);
    assert_int_equal(s->opts.wscale, 7);
    assert_int_equal(s->window, 65535);
    assert_true(s->opts.present & TCPSIM_HAS_TS);
    assert_int_equal(s->opts.ts_ecr, 0);
    assert_int_equal(s->data_offset, 10); /* 20 option bytes */
    assert_false(f->out.seg[0].retransmission);
    assert_int_equal(f->ep.snd_una, ISS_L);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 1);
    /* RFC 6298 (2.1): initial RTO 1 s */
    assert_int_equal(f->ep.t_rtx, f->now + TCPSIM_SEC(1));
    fx_free(f);
}

static uint32_t fixed_isn(void *ctx, tcpsim_time_t now)
{
    (void)now;
    return *(uint32_t *)ctx;
}

static void test_closed_isn_fn_chooses_iss(void **st)
{
    (void)st;
    uint32_t isn = 0xdeadbeefu;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.isn_fn = fixed_isn;
    c.isn_ctx = &isn;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    expect_seg(f, 0, F_S, 0xdeadbeefu, 0);
    assert_int_equal(f->ep.iss, 0xdeadbeefu);
    fx_free(f);
}

static void test_closed_user_calls_notconn(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    size_t n = 99;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, "x", 1, &n, f->now, &f->out), TCPSIM_ERR_NOTCONN);
    assert_int_equal(n, 0);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_ERR_NOTCONN);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_ERR_NOTCONN);
    assert_int_equal(tcpsim_tcp_shutdown(&f->ep, f->now, &f->out), TCPSIM_ERR_NOTCONN);
    char b[4];
    assert_int_equal(tcpsim_tcp_receive(&f->ep, b, sizeof b, &n, f->now, &f->out), TCPSIM_ERR_NOTCONN);
    expect_nseg(f, 0);
    fx_free(f);
}

/* ===================================================================== LISTEN */

static void test_listen_syn_synack(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(LISTEN), S(SYN_RECEIVED), W(SYN_IN_LISTEN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_S | F_A, ISS_L, ISS_R + 1);
    /* the peer offered only an MSS: the SYN-ACK mirrors (MSS only) */
    static const uint8_t lay[] = {TCPSIM_OPT_MSS};
    expect_layout(f, 0, lay, sizeof lay);
    assert_int_equal(f->out.seg[0].seg.window, 65535);
    assert_int_equal(f->ep.irs, ISS_R);
    assert_int_equal(f->ep.rcv_nxt, ISS_R + 1);
    assert_int_equal(f->ep.snd_mss, 1460);
    assert_false(f->ep.ws_ok);
    assert_false(f->ep.ts_ok);
    assert_false(f->ep.sack_ok);
    assert_true(f->ep.passive);
    fx_free(f);
}

static void test_listen_syn_options_negotiated(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 29200, NULL, 0);
    seg_mss(&s, 1000);
    seg_sackok(&s);
    seg_ts(&s, 4444, 0);
    seg_wscale(&s, 5);
    fx_arrive(f, &s);
    expect_seg(f, 0, F_S | F_A, ISS_L, ISS_R + 1);
    const struct tcpsim_segment *o = &f->out.seg[0].seg;
    static const uint8_t lay[] = {TCPSIM_OPT_MSS, TCPSIM_OPT_SACK_PERM, TCPSIM_OPT_TS, TCPSIM_OPT_NOP,
                                  TCPSIM_OPT_WSCALE};
    expect_layout(f, 0, lay, sizeof lay);
    assert_int_equal(o->opts.mss, 1460);
    assert_int_equal(o->opts.ts_ecr, 4444);
    assert_int_equal(o->opts.wscale, 7);
    assert_int_equal(f->ep.snd_mss, 1000);
    assert_true(f->ep.ws_ok);
    assert_int_equal(f->ep.snd_wscale, 5);
    assert_int_equal(f->ep.rcv_wscale, 7);
    assert_true(f->ep.ts_ok);
    assert_true(f->ep.sack_ok);
    assert_int_equal(f->ep.ts_recent, 4444);
    assert_int_equal(f->ep.snd_wnd, 29200); /* SYN window is not scaled (RFC 7323 §2.2) */
    fx_free(f);
}

static void test_listen_syn_mss_clamped_to_ours(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 9000);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_mss, 1460);
    fx_free(f);
}

static void test_listen_syn_tiny_mss_clamped(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 12);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_mss, 88);
    assert_true(has_note(f, W(MSS_CLAMPED)));
    expect_state(f, S(SYN_RECEIVED));
    fx_free(f);
}

static void test_listen_syn_tiny_mss_linux_clamped_48(void **st)
{
    (void)st;
    /* Linux floors the send MSS at net.ipv4.tcp_min_snd_mss = 48, not the RFC profile's 88 */
    struct fx *f = fx_listen(LNX);
    assert_int_equal(f->ep.cfg.min_snd_mss, 48);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 10);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_mss, 48);
    assert_true(has_note(f, W(MSS_CLAMPED)));
    expect_state(f, S(SYN_RECEIVED));
    fx_free(f);
}

static void test_listen_syn_mss_above_floor_kept(void **st)
{
    (void)st;
    /* 60 is below the RFC profile's floor but above Linux's: only the RFC profile raises it */
    struct fx *l = fx_listen(LNX);
    struct fx *r = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 60);
    fx_arrive(l, &s);
    fx_arrive(r, &s);
    assert_int_equal(l->ep.snd_mss, 60);
    assert_false(has_note(l, W(MSS_CLAMPED)));
    assert_int_equal(r->ep.snd_mss, 88);
    assert_true(has_note(r, W(MSS_CLAMPED)));
    fx_free(l);
    fx_free(r);
}

static void test_listen_syn_tiny_mss_no_floor_configured(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.min_snd_mss = 0; /* no floor: the peer's value stands */
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 10);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_mss, 10);
    assert_false(has_note(f, W(MSS_CLAMPED)));
    fx_free(f);
}

static void test_listen_syn_zero_mss_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_mss, 536); /* as if absent (RFC 9293 §3.7.1 default) */
    assert_true(has_note(f, W(MSS_CLAMPED)));
    fx_free(f);
}

static void test_listen_syn_no_mss_default_536(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_mss, 536);
    assert_false(has_note(f, W(MSS_CLAMPED)));
    fx_free(f);
}

static void test_listen_syn_wscale_not_offered_not_used(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 1460);
    seg_ts(&s, 1, 0);
    fx_arrive(f, &s);
    assert_false(f->out.seg[0].seg.opts.present & TCPSIM_HAS_WSCALE);
    assert_false(f->ep.ws_ok);
    assert_int_equal(f->ep.rcv_wscale, 0);
    /* TS without SACK: <mss,nop,nop,TS> */
    static const uint8_t lay[] = {TCPSIM_OPT_MSS, TCPSIM_OPT_NOP, TCPSIM_OPT_NOP, TCPSIM_OPT_TS};
    expect_layout(f, 0, lay, sizeof lay);
    fx_free(f);
}

static void test_listen_syn_wscale_above_14_clamped(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_wscale(&s, 20);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.snd_wscale, 14);
    assert_true(has_note(f, W(WSCALE_CLAMPED)));
    fx_free(f);
}

static void test_listen_we_do_not_offer_wscale(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.opt_wscale = false;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_wscale(&s, 7);
    fx_arrive(f, &s);
    assert_false(f->ep.ws_ok);
    assert_false(f->out.seg[0].seg.opts.present & TCPSIM_HAS_WSCALE);
    fx_free(f);
}

static void test_listen_ack_gets_rst(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R, 777, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, 777, 0);
    expect_state(f, S(LISTEN));
    expect_ntrans(f, 0);
    fx_free(f);
}

static void test_listen_rst_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    assert_true(has_note(f, W(LISTEN_RST_IGNORED)));
    expect_state(f, S(LISTEN));
    fx_free(f);
}

static void test_listen_synack_rejected_with_rst(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, 4242, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, 4242, 0);
    expect_state(f, S(LISTEN));
    fx_free(f);
}

static void test_listen_no_syn_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_F, ISS_R, 0, 65535, data100, 5);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    assert_true(has_note(f, W(LISTEN_NO_SYN)));
    expect_state(f, S(LISTEN));
    fx_free(f);
}

static void test_listen_close_closed(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(LISTEN), S(CLOSED), W(CLOSE_LISTEN));
    expect_nseg(f, 0);
    fx_free(f);
}

static void test_listen_syn_data_not_acked(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, data100, 20);
    fx_arrive(f, &s);
    expect_seg(f, 0, F_S | F_A, ISS_L, ISS_R + 1);
    assert_true(has_note(f, W(SYN_DATA_IGNORED)));
    assert_int_equal(tcpsim_tcp_readable(&f->ep), 0);
    fx_free(f);
}

static void test_listen_open_active_turns_active(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(LISTEN), S(SYN_SENT), W(OPEN_ACTIVE));
    expect_seg(f, 0, F_S, ISS_L, 0);
    assert_false(f->ep.passive);
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_ERR_EXISTS);
    fx_free(f);
}

static void test_listen_open_passive_again_exists(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_ERR_EXISTS);
    expect_ntrans(f, 0);
    fx_free(f);
}

static void test_listen_send_rfc_goes_active(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    size_t n = 0;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 10, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 10);
    expect_trans(f, 0, S(LISTEN), S(SYN_SENT), W(OPEN_ACTIVE));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_S, ISS_L, 0);
    fx_free(f);
}

static void test_listen_send_linux_notconn(void **st)
{
    (void)st;
    struct fx *f = fx_listen(LNX);
    size_t n = 5;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 10, &n, f->now, &f->out), TCPSIM_ERR_NOTCONN);
    assert_int_equal(n, 0);
    expect_state(f, S(LISTEN));
    fx_free(f);
}

static void test_listen_abort_closed(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(LISTEN), S(CLOSED), W(ABORT));
    expect_nseg(f, 0);
    fx_free(f);
}

/* =================================================================== SYN_SENT */

static void test_syn_sent_synack_established(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(SYN_SENT), S(ESTABLISHED), W(SYNACK_ACKS_SYN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 0);
    assert_int_equal(f->ep.snd_una, ISS_L + 1);
    assert_int_equal(f->ep.snd_wnd, 65535);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER);
    /* the SYN was timed: 100 ms */
    assert_true(f->ep.rtt_valid);
    assert_int_equal(f->ep.srtt, TCPSIM_MSEC(100));
    fx_free(f);
}

static void test_syn_sent_syn_simultaneous_open(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive(f, &s);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(SYN_SENT), S(SYN_RECEIVED), W(SIMULTANEOUS_OPEN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_S | F_A, ISS_L, ISS_R + 1);
    assert_false(f->ep.passive);
    assert_true(f->ep.t_rtx != TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_syn_sent_ack_too_low_rst_state_unchanged(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L, 0);
    expect_ntrans(f, 0);
    expect_state(f, S(SYN_SENT));
    assert_true(has_note(f, W(SYN_SENT_BAD_ACK)));
    fx_free(f);
}

static void test_syn_sent_ack_too_high_rst_state_unchanged(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R, ISS_L + 50, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 50, 0);
    expect_state(f, S(SYN_SENT));
    fx_free(f);
}

static void test_syn_sent_rst_acceptable_ack_refused(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_R | F_A, 0, ISS_L + 1, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(SYN_SENT), S(CLOSED), W(RST_REFUSED));
    assert_true(has_err(f, TCPSIM_ERR_REFUSED));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_syn_sent_rst_without_ack_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_R, 0, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_ntrans(f, 0);
    expect_state(f, S(SYN_SENT));
    assert_true(has_note(f, W(SYN_SENT_RST_IGNORED)));
    fx_free(f);
}

static void test_syn_sent_rst_bad_ack_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_R | F_A, 0, ISS_L + 9, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0); /* never answer a reset with a reset */
    expect_state(f, S(SYN_SENT));
    assert_int_equal(f->out.nerr, 0);
    fx_free(f);
}

static void test_syn_sent_close_closed_nothing_sent(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    expect_trans(f, 0, S(SYN_SENT), S(CLOSED), W(CLOSE_SYN_SENT));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_syn_sent_send_queues_until_established(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    size_t n = 0;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 100);
    expect_nseg(f, 0);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive(f, &s);
    expect_state(f, S(ESTABLISHED));
    /* the queued data carries the ACK of the SYN-ACK */
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 100);
    assert_memory_equal(f->out.seg[0].seg.payload, data100, 100);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 101);
    fx_free(f);
}

static void test_syn_sent_no_syn_no_rst_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_state(f, S(SYN_SENT));
    assert_true(has_note(f, W(SYN_SENT_NO_SYN)));
    fx_free(f);
}

static void test_syn_sent_abort_closed_no_rst(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    expect_trans(f, 0, S(SYN_SENT), S(CLOSED), W(ABORT));
    fx_free(f);
}

static void test_syn_sent_synack_options_negotiated(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 1000, NULL, 0);
    seg_mss(&s, 1200);
    seg_wscale(&s, 2);
    seg_sackok(&s);
    seg_ts(&s, 777, 10000);
    f->now = TCPSIM_SEC(11);
    fx_arrive(f, &s);
    assert_true(f->ep.ws_ok && f->ep.ts_ok && f->ep.sack_ok);
    assert_int_equal(f->ep.snd_mss, 1200);
    assert_int_equal(f->ep.snd_wnd, 1000); /* unscaled in the SYN-ACK */
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    const struct tcpsim_segment *a = &f->out.seg[0].seg;
    static const uint8_t lay[] = {TCPSIM_OPT_NOP, TCPSIM_OPT_NOP, TCPSIM_OPT_TS};
    expect_layout(f, 0, lay, sizeof lay);
    assert_int_equal(a->opts.ts_ecr, 777);
    assert_int_equal(a->opts.ts_val, 11000); /* ms clock */
    assert_int_equal(a->window, 65535 >> 7); /* scaled from now on */
    assert_int_equal(a->data_offset, 8);
    fx_free(f);
}

static void test_syn_sent_shutdown_then_fin_after_established(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_shutdown(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_ntrans(f, 2);
    expect_trans(f, 0, S(SYN_SENT), S(ESTABLISHED), W(SYNACK_ACKS_SYN));
    expect_trans(f, 1, S(ESTABLISHED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 1);
    fx_free(f);
}

/* =============================================================== SYN_RECEIVED */

static void test_syn_received_ack_established(void **st)
{
    (void)st;
    struct fx *f = fx_established_passive(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    expect_nseg(f, 0);
    assert_int_equal(f->ep.snd_una, ISS_L + 1);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_syn_received_ack_too_low_rst(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L, 0);
    expect_ntrans(f, 0);
    expect_state(f, S(SYN_RECEIVED));
    fx_free(f);
}

static void test_syn_received_ack_too_high_rst(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 5, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 5, 0);
    expect_state(f, S(SYN_RECEIVED));
    assert_true(has_note(f, W(SYN_RCVD_BAD_ACK)));
    fx_free(f);
}

static void test_syn_received_fin_close_wait(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_ntrans(f, 2);
    expect_trans(f, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    expect_trans(f, 1, S(ESTABLISHED), S(CLOSE_WAIT), W(FIN_RECEIVED));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 2);
    assert_true(tcpsim_tcp_peer_closed(&f->ep));
    fx_free(f);
}

static void test_syn_received_rst_passive_listen(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 1, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(SYN_RECEIVED), S(LISTEN), W(RST_RECEIVED));
    assert_int_equal(f->out.nerr, 0);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    /* and the listener accepts a new SYN */
    struct tcpsim_segment s2 = seg_make(F_S, 9000, 0, 65535, NULL, 0);
    fx_arrive(f, &s2);
    expect_seg(f, 0, F_S | F_A, ISS_L, 9001);
    fx_free(f);
}

static struct fx *fx_simopen(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_syn_sent(p);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, S(SYN_RECEIVED));
    return f;
}

static void test_syn_received_rst_active_closed_refused(void **st)
{
    (void)st;
    struct fx *f = fx_simopen(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 1, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(SYN_RECEIVED), S(CLOSED), W(RST_REFUSED));
    assert_true(has_err(f, TCPSIM_ERR_REFUSED));
    fx_free(f);
}

static void test_syn_received_close_fin_wait_1(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(SYN_RECEIVED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 1);
    assert_true(f->ep.fin_sent);
    assert_int_equal(f->ep.fin_seq, ISS_L + 1);
    fx_free(f);
}

static void test_syn_received_dup_syn_synack_again(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_S | F_A, ISS_L, ISS_R + 1);
    assert_true(f->out.seg[0].retransmission);
    expect_ntrans(f, 0);
    assert_true(has_note(f, W(DUP_SYN_SYNACK)));
    fx_free(f);
}

static void test_syn_received_new_syn_in_window_listen(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R + 10, 0, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(SYN_RECEIVED), S(LISTEN), W(SYN_RCVD_SYN_LISTEN));
    expect_nseg(f, 0);
    fx_free(f);
}

static void test_syn_received_no_ack_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(0, ISS_R + 1, 0, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_state(f, S(SYN_RECEIVED));
    assert_true(has_note(f, W(NO_ACK_DROPPED)));
    assert_int_equal(tcpsim_tcp_readable(&f->ep), 0);
    fx_free(f);
}

static void test_syn_received_simultaneous_synack_established(void **st)
{
    (void)st;
    struct fx *f = fx_simopen(RFC);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&s, 1460);
    fx_arrive(f, &s);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    expect_nseg(f, 0);
    assert_int_equal(f->ep.snd_una, ISS_L + 1);
    assert_int_equal(f->ep.rcv_nxt, ISS_R + 1);
    fx_free(f);
}

static void test_syn_received_send_queued_until_established(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    size_t n = 0;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 50, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 50);
    expect_nseg(f, 0);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 50);
    fx_free(f);
}

static void test_syn_received_abort_sends_rst(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 1, 0);
    expect_trans(f, 0, S(SYN_RECEIVED), S(CLOSED), W(ABORT));
    fx_free(f);
}

static void test_syn_received_out_of_window_acked(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 100000, ISS_L + 1, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    expect_state(f, S(SYN_RECEIVED));
    fx_free(f);
}

static void test_syn_received_ack_with_data_delivered(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    struct tcpsim_segment s = seg_make(F_A | F_P, ISS_R + 1, ISS_L + 1, 65535, data100, 30);
    fx_arrive(f, &s);
    expect_state(f, S(ESTABLISHED));
    assert_int_equal(f->out.ndeliv, 1);
    assert_int_equal(f->out.deliv[0].len, 30);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 31);
    fx_free(f);
}

/* ================================================================ ESTABLISHED */

static void test_established_data_in_order_acked(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A | F_P, ISS_R + 1, ISS_L + 1, 65535, data100, 100);
    fx_arrive(f, &s);
    assert_int_equal(f->out.ndeliv, 1);
    assert_int_equal(f->out.deliv[0].seq, ISS_R + 1);
    assert_int_equal(f->out.deliv[0].len, 100);
    assert_memory_equal(f->out.deliv[0].data, data100, 100);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 101);
    assert_int_equal(f->out.seg[0].seg.window, 65535 - 100);
    assert_int_equal(f->out.seg[0].why, W(DATA_RECEIVED));
    assert_int_equal(tcpsim_tcp_readable(&f->ep), 100);
    expect_ntrans(f, 0);
    fx_free(f);
}

static void test_established_receive_returns_bytes(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 100);
    fx_arrive(f, &s);
    char buf[64];
    size_t got = 0;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, buf, 40, &got, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(got, 40);
    assert_memory_equal(buf, data100, 40);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, buf, 64, &got, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(got, 60);
    assert_memory_equal(buf, data100 + 40, 60);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, buf, 64, &got, f->now, &f->out), TCPSIM_ERR_WOULDBLOCK);
    assert_int_equal(got, 0);
    fx_free(f);
}

static void test_established_out_of_window_data_acked_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1 + 70000, ISS_L + 1, 65535, data100, 100);
    fx_arrive(f, &s);
    assert_int_equal(f->out.ndeliv, 0);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(NOT_ACCEPTABLE));
    assert_true(has_note(f, W(NOT_ACCEPTABLE)));
    fx_free(f);
}

static void test_established_old_duplicate_acked_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 100);
    fx_arrive(f, &s);
    fx_arrive(f, &s); /* the same segment again: entirely old */
    assert_int_equal(f->out.ndeliv, 0);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 101);
    assert_int_equal(tcpsim_tcp_readable(&f->ep), 100);
    fx_free(f);
}

static void test_established_straddling_segment_new_part_only(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 60);
    fx_arrive(f, &s);
    struct tcpsim_segment s2 = seg_make(F_A, ISS_R + 1 + 30, ISS_L + 1, 65535, data100 + 30, 70);
    fx_arrive(f, &s2);
    assert_int_equal(f->out.ndeliv, 1);
    assert_int_equal(f->out.deliv[0].seq, ISS_R + 61);
    assert_int_equal(f->out.deliv[0].len, 40);
    assert_memory_equal(f->out.deliv[0].data, data100 + 60, 40);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 101);
    fx_free(f);
}

static void test_established_no_ack_segment_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_P, ISS_R + 1, 0, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    assert_int_equal(f->out.ndeliv, 0);
    assert_true(has_note(f, W(NO_ACK_DROPPED)));
    assert_int_equal(f->ep.rcv_nxt, ISS_R + 1);
    fx_free(f);
}

static void test_established_old_ack_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 101, 65535, NULL, 0);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.snd_una, ISS_L + 101);
    struct tcpsim_segment old = seg_make(F_A, ISS_R + 1, ISS_L + 50, 65535, NULL, 0);
    fx_arrive(f, &old);
    expect_nseg(f, 0);
    assert_int_equal(f->ep.snd_una, ISS_L + 101);
    assert_int_equal(f->ep.dup_acks, 0);
    fx_free(f);
}

static void test_established_ack_of_unsent_acked_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 500, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(ACK_UNSENT));
    assert_int_equal(f->out.ndeliv, 0); /* dropped, text included */
    assert_int_equal(f->ep.snd_una, ISS_L + 1);
    fx_free(f);
}

static void test_established_fin_close_wait(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSE_WAIT), W(FIN_RECEIVED));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 2);
    assert_true(tcpsim_tcp_peer_closed(&f->ep));
    fx_free(f);
}

static void test_established_fin_with_data(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_F | F_A | F_P, ISS_R + 1, ISS_L + 1, 65535, data100, 10);
    fx_arrive(f, &s);
    assert_int_equal(f->out.ndeliv, 1);
    assert_int_equal(f->out.deliv[0].len, 10);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSE_WAIT), W(FIN_RECEIVED));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 12);
    /* the data can still be read, then the end of stream */
    char b[16];
    size_t got;
    assert_int_equal(tcpsim_tcp_receive(&f->ep, b, sizeof b, &got, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(got, 10);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, b, sizeof b, &got, f->now, &f->out), TCPSIM_ERR_CLOSING);
    fx_free(f);
}

static void test_established_fin_after_missing_data_waits(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment fin = seg_make(F_F | F_A, ISS_R + 101, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &fin);
    expect_state(f, S(ESTABLISHED));
    expect_ntrans(f, 0);
    assert_true(has_note(f, W(FIN_OUT_OF_ORDER)));
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1); /* duplicate ACK */
    assert_false(tcpsim_tcp_peer_closed(&f->ep));
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 100);
    fx_arrive(f, &d);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSE_WAIT), W(FIN_RECEIVED));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 102);
    assert_int_equal(f->out.deliv[0].len, 100);
    fx_free(f);
}

static void test_established_out_of_order_queued_then_delivered(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment b = seg_make(F_A, ISS_R + 51, ISS_L + 1, 65535, data100 + 50, 50);
    fx_arrive(f, &b);
    assert_int_equal(f->out.ndeliv, 0);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(OUT_OF_ORDER));
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 50);
    fx_arrive(f, &a);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 101);
    char buf[100];
    size_t got;
    assert_int_equal(tcpsim_tcp_receive(&f->ep, buf, sizeof buf, &got, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(got, 100);
    assert_memory_equal(buf, data100, 100);
    fx_free(f);
}

static void test_established_rst_exact_closed(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 1, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(RST_RECEIVED));
    assert_true(has_err(f, TCPSIM_ERR_RESET));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_established_rst_inexact_challenge_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 100, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(CHALLENGE_ACK));
    assert_true(has_note(f, W(CHALLENGE_ACK)));
    expect_state(f, S(ESTABLISHED));
    expect_ntrans(f, 0);
    fx_free(f);
}

static void test_established_rst_inexact_without_rfc5961_closed(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.challenge_ack = false;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 100, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(RST_RECEIVED));
    fx_free(f);
}

static void test_established_rst_out_of_window_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 1 + 100000, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_state(f, S(ESTABLISHED));
    assert_true(has_note(f, W(RST_OUT_OF_WINDOW)));
    fx_free(f);
}

static void test_established_syn_in_window_challenge_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_S, ISS_R + 10, 0, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(CHALLENGE_ACK));
    expect_state(f, S(ESTABLISHED));
    fx_free(f);
}

static void test_established_syn_old_acked(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s); /* a repeated SYN-ACK: our ACK was lost */
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    expect_state(f, S(ESTABLISHED));
    fx_free(f);
}

static void test_established_syn_without_rfc5961_resets(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.challenge_ack = false;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    struct tcpsim_segment s = seg_make(F_S, ISS_R + 10, 0, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R | F_A, 0, ISS_R + 11);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(SYN_RESET));
    assert_true(has_err(f, TCPSIM_ERR_RESET));
    fx_free(f);
}

static void test_established_close_fin_wait_1(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    expect_trans(f, 0, S(ESTABLISHED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 2);
    assert_int_equal(f->ep.t_rtx, f->now + f->ep.rto);
    fx_free(f);
}

static void test_established_abort_rst(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 1, 0);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(ABORT));
    fx_free(f);
}

static void test_established_send_segmented_by_mss(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    static uint8_t big[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    size_t n = 0;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 3000);
    expect_nseg(f, 3);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    expect_seg(f, 1, F_A, ISS_L + 1461, ISS_R + 1);
    expect_seg(f, 2, F_A | F_P, ISS_L + 2921, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1460);
    assert_int_equal(f->out.seg[2].seg.payload_len, 80);
    assert_memory_equal(f->out.seg[1].seg.payload, big + 1460, 1460);
    assert_int_equal(f->out.seg[0].why, W(SEND_DATA));
    assert_int_equal(f->ep.snd_nxt, ISS_L + 3001);
    fx_free(f);
}

static void test_established_send_limited_by_window(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 1000, NULL, 0);
    seg_mss(&sa, 1460);
    fx_arrive(f, &sa);
    static uint8_t big[3000];
    size_t n = 0;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1000);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1001, 3000, NULL, 0);
    fx_arrive(f, &a);
    expect_nseg(f, 2);
    expect_seg(f, 0, F_A, ISS_L + 1001, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1460);
    assert_int_equal(f->out.seg[1].seg.payload_len, 540);
    fx_free(f);
}

static void test_established_ack_frees_send_buffer(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.snd_buf = 200;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    size_t n = 0;
    static uint8_t big[300];
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, 300, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 200);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, 300, &n, f->now, &f->out), TCPSIM_ERR_WOULDBLOCK);
    assert_int_equal(n, 0);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 151, 65535, NULL, 0);
    fx_arrive(f, &a);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, 300, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 150);
    fx_free(f);
}

static void test_established_dup_acks_counted(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    static uint8_t big[2000];
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 2); /* 2000 bytes fit the initial window of 3 segments */
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    for (int i = 1; i <= 2; i++) {
        fx_arrive(f, &d);
        assert_int_equal(f->ep.dup_acks, (unsigned)i);
        assert_true(has_note(f, W(DUP_ACK)));
        expect_nseg(f, 0);
    }
    /* RFC 5681 §3.2: the third duplicate ACK retransmits the missing segment */
    fx_arrive(f, &d);
    assert_int_equal(f->ep.dup_acks, 3);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1460);
    assert_true(f->out.seg[0].retransmission);
    assert_int_equal(f->out.seg[0].why, W(FAST_RETRANSMIT));
    assert_true(f->ep.in_recovery);
    assert_int_equal(f->ep.ssthresh, 2 * 1460); /* max(FlightSize/2, 2*SMSS) */
    assert_int_equal(f->ep.cwnd, 2 * 1460 + 3 * 1460);
    /* a partial ACK (RFC 6582): the next hole goes at once */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1461, 65535, NULL, 0);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.dup_acks, 0);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1461, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(PARTIAL_ACK));
    assert_true(f->ep.in_recovery);
    /* the full ACK ends recovery with cwnd = min(ssthresh, FlightSize + SMSS) */
    struct tcpsim_segment full = seg_make(F_A, ISS_R + 1, ISS_L + 2001, 65535, NULL, 0);
    fx_arrive(f, &full);
    assert_false(f->ep.in_recovery);
    assert_int_equal(f->ep.cwnd, 1460);
    fx_free(f);
}

static void test_established_window_change_not_dup_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 60000, NULL, 0);
    fx_arrive(f, &d);
    assert_int_equal(f->ep.dup_acks, 0); /* a window update, not a duplicate */
    assert_int_equal(f->ep.snd_wnd, 60000);
    /* nothing outstanding: not a duplicate either */
    struct fx *g = fx_established(RFC);
    struct tcpsim_segment e = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(g, &e);
    assert_int_equal(g->ep.dup_acks, 0);
    fx_free(g);
    fx_free(f);
}

static void test_established_ack_too_old_challenge(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    /* SND.UNA = 1001, MAX.SND.WND = 65535: an ACK below 1001 - 65535 is too old */
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1 - 70000, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].why, W(ACK_TOO_OLD));
    assert_int_equal(f->out.ndeliv, 0);
    fx_free(f);
}

static void test_established_old_segment_does_not_update_window(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 40000, data100, 10);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.snd_wnd, 40000);
    assert_int_equal(f->ep.snd_wl1, ISS_R + 1);
    /* the same ack from an older sequence number (reordered): SND.WL1 rule */
    struct tcpsim_segment b = seg_make(F_A, ISS_R + 11, ISS_L + 1, 50000, NULL, 0);
    fx_arrive(f, &b);
    assert_int_equal(f->ep.snd_wnd, 50000);
    struct tcpsim_segment c = seg_make(F_A, ISS_R + 5, ISS_L + 1, 10, NULL, 0);
    fx_arrive(f, &c);
    assert_int_equal(f->ep.snd_wnd, 50000);
    fx_free(f);
}

static void test_established_urg_noted(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment s = seg_make(F_A | TCPSIM_URG, ISS_R + 1, ISS_L + 1, 65535, data100, 5);
    s.urg_ptr = 5;
    fx_arrive(f, &s);
    assert_true(has_note(f, W(URG_IGNORED)));
    assert_int_equal(f->out.deliv[0].len, 5); /* delivered inline */
    fx_free(f);
}

static void test_established_zero_window_data_acked_dropped(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.rcv_buf = 100;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->out.seg[0].seg.window, 100);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 100);
    fx_arrive(f, &d);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 101);
    assert_int_equal(f->out.seg[0].seg.window, 0);
    struct tcpsim_segment more = seg_make(F_A, ISS_R + 101, ISS_L + 1, 65535, data100, 1);
    fx_arrive(f, &more);
    assert_int_equal(f->out.ndeliv, 0);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 101);
    assert_int_equal(f->out.seg[0].seg.window, 0);
    fx_free(f);
}

static void test_established_read_opens_window_update(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.rcv_buf = 4000;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&sa, 1000);
    fx_arrive(f, &sa);
    static uint8_t big[4000];
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, big, 4000);
    fx_arrive(f, &d);
    assert_int_equal(f->out.seg[0].seg.window, 0);
    size_t got;
    /* reading 500 bytes is less than min(RCV.BUFF/2, MSS) = 1000 ... but the window was shut */
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, NULL, 500, &got, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 4001);
    assert_int_equal(f->out.seg[0].seg.window, 500);
    assert_int_equal(f->out.seg[0].why, W(WINDOW_UPDATE));
    /* another 500: the edge moves by less than 1000: silent (SWS avoidance) */
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, NULL, 500, &got, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, NULL, 600, &got, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    assert_int_equal(f->out.seg[0].seg.window, 1600);
    fx_free(f);
}

static void test_established_send_after_shutdown_closing(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n = 1;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_shutdown(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(ESTABLISHED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    assert_int_equal(tcpsim_tcp_send(&f->ep, "x", 1, &n, f->now, &f->out), TCPSIM_ERR_CLOSING);
    assert_int_equal(n, 0);
    fx_free(f);
}

static struct fx *fx_established_opts(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_syn_sent(p);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&s, 1460);
    seg_sackok(&s);
    seg_ts(&s, 500, 10000);
    seg_wscale(&s, 0);
    fx_arrive(f, &s);
    assert_int_equal(f->ep.state, S(ESTABLISHED));
    return f;
}

static void test_established_timestamps_echoed(void **st)
{
    (void)st;
    struct fx *f = fx_established_opts(RFC);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 10);
    seg_ts(&d, 900, 10000);
    fx_arrive(f, &d);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 11);
    assert_true(f->out.seg[0].seg.opts.present & TCPSIM_HAS_TS);
    assert_int_equal(f->out.seg[0].seg.opts.ts_ecr, 900);
    assert_int_equal(f->ep.ts_recent, 900);
    /* an older timestamp does not move TS.Recent back */
    struct tcpsim_segment e = seg_make(F_A, ISS_R + 11, ISS_L + 1, 65535, data100, 10);
    seg_ts(&e, 800, 10000);
    fx_arrive(f, &e);
    assert_int_equal(f->ep.ts_recent, 900);
    /* effective MSS leaves room for the 12-byte timestamp option */
    size_t n;
    static uint8_t big[2000];
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1448);
    fx_free(f);
}

static void test_established_sack_blocks_reported(void **st)
{
    (void)st;
    struct fx *f = fx_established_opts(RFC);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 51, ISS_L + 1, 65535, data100, 20);
    seg_ts(&d, 600, 10000);
    fx_arrive(f, &d);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    const struct tcpsim_tcp_opts *o = &f->out.seg[0].seg.opts;
    assert_true(o->present & TCPSIM_HAS_SACK);
    assert_int_equal(o->sack_count, 1);
    assert_int_equal(o->sack[0].left, ISS_R + 51);
    assert_int_equal(o->sack[0].right, ISS_R + 71);
    static const uint8_t lay[] = {TCPSIM_OPT_NOP, TCPSIM_OPT_NOP, TCPSIM_OPT_TS,
                                  TCPSIM_OPT_NOP, TCPSIM_OPT_NOP, TCPSIM_OPT_SACK};
    expect_layout(f, 0, lay, sizeof lay);
    assert_int_equal(f->out.seg[0].seg.data_offset, 5 + (12 + 12) / 4);
    fx_free(f);
}

static void test_established_open_exists(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_ERR_EXISTS);
    expect_nseg(f, 0);
    fx_free(f);
}

static void test_established_scaled_window_applied(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment s = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_wscale(&s, 3);
    fx_arrive(f, &s);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 1000, NULL, 0);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.snd_wnd, 8000);
    fx_free(f);
}

/* ================================================================= FIN_WAIT_1 */

static void test_fin_wait_1_ack_of_fin_fin_wait_2(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_2(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(FIN_WAIT_1), S(FIN_WAIT_2), W(FIN_ACKED));
    expect_nseg(f, 0);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_fin_wait_1_fin_without_ack_of_ours_closing(void **st)
{
    (void)st;
    struct fx *f = fx_closing(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(FIN_WAIT_1), S(CLOSING), W(SIMULTANEOUS_CLOSE));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    fx_free(f);
}

static void test_fin_wait_1_fin_ack_time_wait(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(FIN_WAIT_1), S(TIME_WAIT), W(FIN_AND_ACK));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->ep.t_time_wait, f->now + 2 * f->ep.cfg.msl);
    fx_free(f);
}

static void test_fin_wait_1_data_still_received(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 20);
    fx_arrive(f, &s);
    assert_int_equal(f->out.ndeliv, 1);
    assert_int_equal(f->out.deliv[0].len, 20);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 21);
    expect_state(f, S(FIN_WAIT_1));
    fx_free(f);
}

static void test_fin_wait_1_user_calls_closing(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, "x", 1, &n, f->now, &f->out), TCPSIM_ERR_CLOSING);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_ERR_CLOSING);
    expect_nseg(f, 0);
    fx_free(f);
}

static void test_fin_wait_1_queued_data_before_fin(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 50, NULL, 0);
    fx_arrive(f, &sa);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1); /* 50 bytes fit the window */
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(ESTABLISHED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    expect_nseg(f, 0); /* the FIN waits behind the data */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 51, 100, NULL, 0);
    fx_arrive(f, &a);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A | F_P, ISS_L + 51, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 50);
    assert_int_equal(f->ep.fin_seq, ISS_L + 101);
    fx_free(f);
}

static void test_fin_wait_1_rst_closed(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 1, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(FIN_WAIT_1), S(CLOSED), W(RST_RECEIVED));
    assert_true(has_err(f, TCPSIM_ERR_RESET));
    fx_free(f);
}

static void test_fin_wait_1_abort_rst(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_seg(f, 0, F_R, ISS_L + 2, 0);
    expect_trans(f, 0, S(FIN_WAIT_1), S(CLOSED), W(ABORT));
    fx_free(f);
}

static void test_fin_wait_1_data_and_ack_of_fin(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 2, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(FIN_WAIT_1), S(FIN_WAIT_2), W(FIN_ACKED));
    assert_int_equal(f->out.deliv[0].len, 10);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 11);
    fx_free(f);
}

/* ================================================================= FIN_WAIT_2 */

static void test_fin_wait_2_fin_time_wait(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(FIN_WAIT_2), S(TIME_WAIT), W(FIN_RECEIVED));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->ep.t_time_wait, f->now + TCPSIM_SEC(120));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->now + TCPSIM_SEC(120));
    fx_free(f);
}

static void test_fin_wait_2_data_received_half_close(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_shutdown(&f->ep, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &a);
    expect_state(f, S(FIN_WAIT_2));
    for (int i = 0; i < 3; i++) {
        struct tcpsim_segment d = seg_make(F_A, ISS_R + 1 + 30u * (unsigned)i, ISS_L + 2, 65535, data100, 30);
        fx_arrive(f, &d);
        expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 31 + 30u * (unsigned)i);
        expect_state(f, S(FIN_WAIT_2));
    }
    char b[100];
    size_t got;
    assert_int_equal(tcpsim_tcp_receive(&f->ep, b, sizeof b, &got, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(got, 90);
    /* close() after shutdown() is fine and sends nothing */
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    assert_true(f->ep.user_closed);
    fx_free(f);
}

static void test_fin_wait_2_rst_closed(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_2(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 1, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(FIN_WAIT_2), S(CLOSED), W(RST_RECEIVED));
    fx_free(f);
}

static void test_fin_wait_2_fin_out_of_order_waits(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_2(RFC);
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 11, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_state(f, S(FIN_WAIT_2));
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 2, 65535, data100, 10);
    fx_arrive(f, &d);
    expect_trans(f, 0, S(FIN_WAIT_2), S(TIME_WAIT), W(FIN_RECEIVED));
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 12);
    fx_free(f);
}

/* ================================================================= CLOSE_WAIT */

static void test_close_wait_close_last_ack(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    expect_trans(f, 0, S(CLOSE_WAIT), S(LAST_ACK), W(CLOSE_SENDS_FIN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 2);
    fx_free(f);
}

static void test_close_wait_data_still_sent(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1, ISS_R + 2);
    assert_int_equal(f->out.seg[0].seg.payload_len, 100);
    fx_free(f);
}

static void test_close_wait_receive_closing_after_drain(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    char b[4];
    size_t got = 9;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, b, sizeof b, &got, f->now, &f->out), TCPSIM_ERR_CLOSING);
    assert_int_equal(got, 0);
    fx_free(f);
}

static void test_close_wait_data_after_fin_ignored(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 2, ISS_L + 1, 65535, data100, 10);
    fx_arrive(f, &d);
    assert_int_equal(f->out.ndeliv, 0);
    assert_true(has_note(f, W(TEXT_AFTER_FIN)));
    fx_free(f);
}

static void test_close_wait_rst_closed(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 2, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(CLOSE_WAIT), S(CLOSED), W(RST_RECEIVED));
    assert_true(has_err(f, TCPSIM_ERR_RESET));
    fx_free(f);
}

static void test_close_wait_fin_again_acked(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 2);
    expect_ntrans(f, 0);
    fx_free(f);
}

/* ==================================================================== CLOSING */

static void test_closing_ack_of_fin_time_wait(void **st)
{
    (void)st;
    struct fx *f = fx_closing(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 2, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(CLOSING), S(TIME_WAIT), W(FIN_ACKED));
    expect_nseg(f, 0);
    assert_int_equal(f->ep.t_time_wait, f->now + 2 * f->ep.cfg.msl);
    fx_free(f);
}

static void test_closing_ack_not_of_fin_stays(void **st)
{
    (void)st;
    struct fx *f = fx_closing(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 2, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_ntrans(f, 0);
    expect_state(f, S(CLOSING));
    fx_free(f);
}

static void test_closing_rst_closed(void **st)
{
    (void)st;
    struct fx *f = fx_closing(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 2, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(CLOSING), S(CLOSED), W(RST_CLOSES));
    assert_int_equal(f->out.nerr, 0);
    fx_free(f);
}

static void test_closing_fin_again_acked(void **st)
{
    (void)st;
    struct fx *f = fx_closing(RFC);
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    expect_state(f, S(CLOSING));
    fx_free(f);
}

/* =================================================================== LAST_ACK */

static void test_last_ack_ack_of_fin_closed(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 2, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(LAST_ACK), S(CLOSED), W(FIN_ACKED));
    expect_nseg(f, 0);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_last_ack_ack_not_of_fin_stays(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 2, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_ntrans(f, 0);
    expect_state(f, S(LAST_ACK));
    assert_true(f->ep.t_rtx != TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_last_ack_rst_closed(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 2, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(LAST_ACK), S(CLOSED), W(RST_CLOSES));
    fx_free(f);
}

static void test_last_ack_abort_closed_no_rst(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    expect_trans(f, 0, S(LAST_ACK), S(CLOSED), W(ABORT));
    fx_free(f);
}

static void test_last_ack_close_again_closing(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_ERR_CLOSING);
    fx_free(f);
}

/* ================================================================== TIME_WAIT */

static void test_time_wait_fin_again_reacked_2msl_restarted(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC);
    tcpsim_time_t first = f->ep.t_time_wait;
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive_at(f, f->now + TCPSIM_SEC(30), &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->out.seg[0].why, W(TIME_WAIT_RESTART));
    assert_true(has_note(f, W(TIME_WAIT_RESTART)));
    assert_int_equal(f->ep.t_time_wait, first + TCPSIM_SEC(30));
    expect_ntrans(f, 0);
    fx_free(f);
}

static void test_time_wait_new_syn_reopens(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.tw_reopen = true;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    /* passive side ends in TIME_WAIT when it closes first */
    assert_int_equal(tcpsim_tcp_open(&f->ep, false, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment syn = seg_make(F_S, ISS_R, 0, 65535, NULL, 0);
    fx_arrive(f, &syn);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &a);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment fa = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &fa);
    expect_state(f, S(TIME_WAIT));
    struct tcpsim_segment syn2 = seg_make(F_S, ISS_R + 100000, 0, 65535, NULL, 0);
    fx_arrive(f, &syn2);
    expect_trans(f, 0, S(TIME_WAIT), S(SYN_RECEIVED), W(TIME_WAIT_REOPEN));
    expect_nseg(f, 1);
    uint32_t new_iss = ISS_L + 2 + 131072;
    expect_seg(f, 0, F_S | F_A, new_iss, ISS_R + 100001);
    assert_true(tcpsim_seq_gt(f->ep.iss, ISS_L + 2));
    assert_int_equal(f->ep.t_time_wait, TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_time_wait_new_syn_without_reopen_acked(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC); /* RFC profile: tw_reopen off */
    struct tcpsim_segment syn2 = seg_make(F_S, ISS_R + 100000, 0, 65535, NULL, 0);
    fx_arrive(f, &syn2);
    expect_ntrans(f, 0);
    expect_state(f, S(TIME_WAIT));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    fx_free(f);
}

static void test_time_wait_syn_lower_seq_not_reopened(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(LNX); /* Linux profile reopens, but only above RCV.NXT */
    struct tcpsim_segment syn2 = seg_make(F_S, ISS_R - 100, 0, 65535, NULL, 0);
    fx_arrive(f, &syn2);
    expect_ntrans(f, 0);
    expect_state(f, S(TIME_WAIT));
    fx_free(f);
}

static void test_time_wait_rst_closed(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 2, 0, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_trans(f, 0, S(TIME_WAIT), S(CLOSED), W(RST_CLOSES));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

/* Data after the peer's FIN overlapping RCV.NXT (the peer's FIN was ISS_R + 1). */
static void arrive_data_over_fin(struct fx *f)
{
    struct tcpsim_segment s = seg_make(F_P | F_A, ISS_R + 1, ISS_L + 2, 65535, data100, 10);
    fx_arrive_at(f, f->now + TCPSIM_SEC(5), &s);
}

static void test_time_wait_data_over_fin_acked_2msl_restarted(void **st)
{
    (void)st;
    /* RFC 9293 §3.10.7.4 fifth step, TIME-WAIT: acknowledge, restart 2 MSL; the text is ignored */
    struct fx *f = fx_time_wait(RFC);
    tcpsim_time_t first = f->ep.t_time_wait;
    arrive_data_over_fin(f);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->out.seg[0].why, W(TIME_WAIT_SEGMENT_ACKED));
    assert_true(has_note(f, W(TEXT_AFTER_FIN)));
    assert_int_equal(f->ep.t_time_wait, first + TCPSIM_SEC(5));
    assert_int_equal(f->out.ndeliv, 0);
    assert_int_equal(f->ep.rcv_nxt, ISS_R + 2);
    expect_ntrans(f, 0);
    expect_state(f, S(TIME_WAIT));
    fx_free(f);
}

static void test_time_wait_linux_data_over_fin_acked(void **st)
{
    (void)st;
    /* Linux tcp_timewait_state_process: not a bare in-sequence ACK: TCP_TW_ACK */
    struct fx *f = fx_time_wait(LNX);
    tcpsim_time_t first = f->ep.t_time_wait;
    arrive_data_over_fin(f);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->out.seg[0].why, W(TIME_WAIT_SEGMENT_ACKED));
    assert_true(has_note(f, W(TIME_WAIT_SEGMENT_ACKED)));
    assert_int_equal(f->ep.t_time_wait, first + TCPSIM_SEC(5));
    assert_int_equal(f->out.ndeliv, 0);
    expect_ntrans(f, 0);
    expect_state(f, S(TIME_WAIT));
    fx_free(f);
}

static void test_time_wait_linux_old_data_acked(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(LNX);
    struct tcpsim_segment s = seg_make(F_P | F_A, ISS_R - 9, ISS_L + 2, 65535, data100, 10);
    fx_arrive(f, &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->out.seg[0].why, W(NOT_ACCEPTABLE));
    assert_false(has_note(f, W(TEXT_AFTER_FIN)));
    expect_state(f, S(TIME_WAIT));
    fx_free(f);
}

static void test_time_wait_bare_ack_not_answered(void **st)
{
    (void)st;
    /* an ACK at RCV.NXT is not acknowledged (no ACK loop); Linux restarts TIME_WAIT on it, the RFC profile does not */
    for (int prof = 0; prof < 2; prof++) {
        struct fx *f = fx_time_wait((enum tcpsim_tcp_profile)prof);
        tcpsim_time_t first = f->ep.t_time_wait;
        struct tcpsim_segment s = seg_make(F_A, ISS_R + 2, ISS_L + 2, 65535, NULL, 0);
        fx_arrive_at(f, f->now + TCPSIM_SEC(5), &s);
        expect_nseg(f, 0);
        expect_ntrans(f, 0);
        expect_state(f, S(TIME_WAIT));
        if (prof == LNX)
            assert_int_equal(f->ep.t_time_wait, first + TCPSIM_SEC(5));
        else
            assert_int_equal(f->ep.t_time_wait, first);
        fx_free(f);
    }
}

static void test_time_wait_rst_inexact_per_profile(void **st)
{
    (void)st;
    /* in window but not at RCV.NXT: RFC 5961 challenge ACK; Linux ignores it in TIME_WAIT */
    struct fx *r = fx_time_wait(RFC);
    struct fx *l = fx_time_wait(LNX);
    struct tcpsim_segment s = seg_make(F_R, ISS_R + 7, 0, 0, NULL, 0);
    fx_arrive(r, &s);
    fx_arrive(l, &s);
    expect_nseg(r, 1);
    expect_seg(r, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(r->out.seg[0].why, W(CHALLENGE_ACK));
    expect_state(r, S(TIME_WAIT));
    expect_nseg(l, 0);
    assert_true(has_note(l, W(RST_OUT_OF_WINDOW)));
    expect_ntrans(l, 0);
    expect_state(l, S(TIME_WAIT));
    fx_free(r);
    fx_free(l);
}

static void test_time_wait_linux_rst_exact_closed(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(LNX); /* tcp_rfc1337 = 0: the RST ends TIME_WAIT */
    struct tcpsim_segment s = seg_make(F_R | F_A, ISS_R + 2, ISS_L + 2, 0, NULL, 0);
    fx_arrive(f, &s);
    expect_nseg(f, 0);
    expect_trans(f, 0, S(TIME_WAIT), S(CLOSED), W(RST_CLOSES));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_time_wait_linux_fin_again_reacked(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(LNX);
    tcpsim_time_t first = f->ep.t_time_wait;
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive_at(f, f->now + TCPSIM_SEC(1), &s);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    assert_int_equal(f->out.seg[0].why, W(TIME_WAIT_RESTART));
    assert_int_equal(f->ep.t_time_wait, first + TCPSIM_SEC(1));
    expect_ntrans(f, 0);
    fx_free(f);
}

static void test_time_wait_user_calls_closing(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_ERR_CLOSING);
    assert_int_equal(tcpsim_tcp_send(&f->ep, "x", 1, &n, f->now, &f->out), TCPSIM_ERR_CLOSING);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_ERR_EXISTS);
    expect_nseg(f, 0);
    fx_free(f);
}

/* ================================================================ multi-state */

/* Two endpoints joined back to back: segments from one are handed to the other. */
struct pair {
    struct fx *a, *b;
    unsigned hops;
};

static void flip(struct tcpsim_segment *s)
{
    uint16_t t = s->src_port;
    s->src_port = s->dst_port;
    s->dst_port = t;
}

/* Hand every segment `from` emitted to `to` (and what that produces back).
 * Payloads point into the sender's buffer, valid until its next call: copy. */
static void deliver_all(struct pair *p, struct fx *from, struct fx *to)
{
    struct batch {
        size_t n;
        struct tcpsim_segment segs[TCPSIM_TCP_OUT_SEGS];
        uint8_t pay[TCPSIM_TCP_OUT_SEGS][1500];
    } *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->n = from->out.nseg;
    for (size_t i = 0; i < b->n; i++) {
        b->segs[i] = from->out.seg[i].seg;
        flip(&b->segs[i]);
        if (b->segs[i].payload != NULL) {
            assert_true(b->segs[i].payload_len <= 1500);
            memcpy(b->pay[i], b->segs[i].payload, b->segs[i].payload_len);
            b->segs[i].payload = b->pay[i];
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        assert_true(++p->hops < 100000);
        to->now = from->now;
        fx_arrive(to, &b->segs[i]);
        if (to->out.nseg > 0)
            deliver_all(p, to, from);
    }
    free(b);
}

static struct pair pair_new(enum tcpsim_tcp_profile prof)
{
    struct pair p = {0};
    struct tcpsim_tcp_config ca = fx_config(prof);
    struct tcpsim_tcp_config cb = fx_config(prof);
    cb.iss = ISS_R;
    p.a = fx_new_cfg(&ca);
    p.b = fx_new_cfg(&cb);
    /* b is the peer: its ports are the mirror image */
    p.b->ep.local_port = RPORT;
    p.b->ep.remote_port = LPORT;
    return p;
}

static void test_multi_three_way_handshake_data_and_close(void **st)
{
    (void)st;
    struct pair p = pair_new(RFC);
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_open(&p.b->ep, false, p.b->now, &p.b->out), TCPSIM_OK);
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_open(&p.a->ep, true, p.a->now, &p.a->out), TCPSIM_OK);
    deliver_all(&p, p.a, p.b);
    assert_int_equal(p.a->ep.state, S(ESTABLISHED));
    assert_int_equal(p.b->ep.state, S(ESTABLISHED));
    assert_true(p.a->ep.ws_ok && p.a->ep.ts_ok && p.a->ep.sack_ok);
    assert_true(p.b->ep.ws_ok && p.b->ep.ts_ok && p.b->ep.sack_ok);
    /* 10 kB from a to b, read in full */
    static uint8_t big[10000], got[10000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ (i >> 8));
    size_t n = 0, total = 0;
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_send(&p.a->ep, big, sizeof big, &n, p.a->now, &p.a->out), TCPSIM_OK);
    assert_int_equal(n, sizeof big);
    deliver_all(&p, p.a, p.b);
    while (total < sizeof big) {
        size_t k;
        fx_reset(p.b);
        assert_int_equal(tcpsim_tcp_receive(&p.b->ep, got + total, sizeof got - total, &k, p.b->now, &p.b->out),
                         TCPSIM_OK);
        total += k;
    }
    assert_memory_equal(got, big, sizeof big);
    assert_int_equal(p.a->ep.snd_una, p.a->ep.snd_max);
    /* a closes, b closes: a ends in TIME_WAIT, b in CLOSED */
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_close(&p.a->ep, p.a->now, &p.a->out), TCPSIM_OK);
    deliver_all(&p, p.a, p.b);
    assert_int_equal(p.a->ep.state, S(FIN_WAIT_2));
    assert_int_equal(p.b->ep.state, S(CLOSE_WAIT));
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_close(&p.b->ep, p.b->now, &p.b->out), TCPSIM_OK);
    assert_int_equal(p.b->ep.state, S(LAST_ACK));
    deliver_all(&p, p.b, p.a);
    assert_int_equal(p.a->ep.state, S(TIME_WAIT));
    assert_int_equal(p.b->ep.state, S(CLOSED));
    fx_timeout_at(p.a, p.a->ep.t_time_wait);
    expect_trans(p.a, 0, S(TIME_WAIT), S(CLOSED), W(TIME_WAIT_EXPIRED));
    fx_free(p.a);
    fx_free(p.b);
}

static void test_multi_simultaneous_open(void **st)
{
    (void)st;
    struct pair p = pair_new(RFC);
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_open(&p.a->ep, true, p.a->now, &p.a->out), TCPSIM_OK);
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_open(&p.b->ep, true, p.b->now, &p.b->out), TCPSIM_OK);
    /* the SYNs cross: both get a SYN in SYN_SENT */
    struct tcpsim_segment sa = p.a->out.seg[0].seg, sb = p.b->out.seg[0].seg;
    flip(&sa);
    flip(&sb);
    fx_arrive(p.b, &sa);
    expect_trans(p.b, 0, S(SYN_SENT), S(SYN_RECEIVED), W(SIMULTANEOUS_OPEN));
    struct tcpsim_segment synack_b = p.b->out.seg[0].seg;
    fx_arrive(p.a, &sb);
    expect_trans(p.a, 0, S(SYN_SENT), S(SYN_RECEIVED), W(SIMULTANEOUS_OPEN));
    struct tcpsim_segment synack_a = p.a->out.seg[0].seg;
    flip(&synack_a);
    flip(&synack_b);
    fx_arrive(p.a, &synack_b);
    expect_trans(p.a, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    fx_arrive(p.b, &synack_a);
    expect_trans(p.b, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    assert_int_equal(p.a->ep.rcv_nxt, ISS_R + 1);
    assert_int_equal(p.b->ep.rcv_nxt, ISS_L + 1);
    fx_free(p.a);
    fx_free(p.b);
}

static struct pair pair_established(enum tcpsim_tcp_profile prof)
{
    struct pair p = pair_new(prof);
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_open(&p.b->ep, false, p.b->now, &p.b->out), TCPSIM_OK);
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_open(&p.a->ep, true, p.a->now, &p.a->out), TCPSIM_OK);
    deliver_all(&p, p.a, p.b);
    assert_int_equal(p.b->ep.state, S(ESTABLISHED));
    return p;
}

static void test_multi_simultaneous_close(void **st)
{
    (void)st;
    struct pair p = pair_established(RFC);
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_close(&p.a->ep, p.a->now, &p.a->out), TCPSIM_OK);
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_close(&p.b->ep, p.b->now, &p.b->out), TCPSIM_OK);
    struct tcpsim_segment fa = p.a->out.seg[0].seg, fb = p.b->out.seg[0].seg;
    flip(&fa);
    flip(&fb);
    fx_arrive(p.a, &fb);
    expect_trans(p.a, 0, S(FIN_WAIT_1), S(CLOSING), W(SIMULTANEOUS_CLOSE));
    struct tcpsim_segment acka = p.a->out.seg[0].seg;
    fx_arrive(p.b, &fa);
    expect_trans(p.b, 0, S(FIN_WAIT_1), S(CLOSING), W(SIMULTANEOUS_CLOSE));
    struct tcpsim_segment ackb = p.b->out.seg[0].seg;
    flip(&acka);
    flip(&ackb);
    fx_arrive(p.a, &ackb);
    expect_trans(p.a, 0, S(CLOSING), S(TIME_WAIT), W(FIN_ACKED));
    fx_arrive(p.b, &acka);
    expect_trans(p.b, 0, S(CLOSING), S(TIME_WAIT), W(FIN_ACKED));
    fx_free(p.a);
    fx_free(p.b);
}

static void test_multi_simultaneous_close_with_data(void **st)
{
    (void)st;
    struct pair p = pair_established(RFC);
    size_t n;
    static uint8_t ca[100], cb[40];
    /* both write then close before anything arrives: data, then FIN, each way */
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_send(&p.a->ep, data100, 100, &n, p.a->now, &p.a->out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_close(&p.a->ep, p.a->now, &p.a->out), TCPSIM_OK);
    assert_int_equal(p.a->out.nseg, 2);
    assert_int_equal(p.a->out.seg[0].seg.flags, F_A | F_P);
    assert_int_equal(p.a->out.seg[1].seg.flags, F_A | F_F);
    struct tcpsim_segment da = p.a->out.seg[0].seg, fa = p.a->out.seg[1].seg;
    memcpy(ca, da.payload, 100);
    da.payload = ca;
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_send(&p.b->ep, data100, 40, &n, p.b->now, &p.b->out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_close(&p.b->ep, p.b->now, &p.b->out), TCPSIM_OK);
    struct tcpsim_segment db = p.b->out.seg[0].seg, fb = p.b->out.seg[1].seg;
    memcpy(cb, db.payload, 40);
    db.payload = cb;
    flip(&da);
    flip(&fa);
    flip(&db);
    flip(&fb);
    fx_arrive(p.a, &db);
    assert_int_equal(p.a->out.deliv[0].len, 40);
    fx_arrive(p.a, &fb);
    expect_trans(p.a, 0, S(FIN_WAIT_1), S(CLOSING), W(SIMULTANEOUS_CLOSE));
    struct tcpsim_segment acka = p.a->out.seg[0].seg;
    fx_arrive(p.b, &da);
    assert_int_equal(p.b->out.deliv[0].len, 100);
    assert_memory_equal(p.b->out.deliv[0].data, data100, 100);
    fx_arrive(p.b, &fa);
    expect_trans(p.b, 0, S(FIN_WAIT_1), S(CLOSING), W(SIMULTANEOUS_CLOSE));
    struct tcpsim_segment ackb = p.b->out.seg[0].seg;
    flip(&acka);
    flip(&ackb);
    fx_arrive(p.a, &ackb);
    expect_trans(p.a, 0, S(CLOSING), S(TIME_WAIT), W(FIN_ACKED));
    fx_arrive(p.b, &acka);
    expect_trans(p.b, 0, S(CLOSING), S(TIME_WAIT), W(FIN_ACKED));
    fx_free(p.a);
    fx_free(p.b);
}

static void test_multi_remote_close_then_local(void **st)
{
    (void)st;
    struct pair p = pair_established(RFC);
    fx_reset(p.b);
    assert_int_equal(tcpsim_tcp_close(&p.b->ep, p.b->now, &p.b->out), TCPSIM_OK);
    deliver_all(&p, p.b, p.a);
    assert_int_equal(p.a->ep.state, S(CLOSE_WAIT));
    assert_int_equal(p.b->ep.state, S(FIN_WAIT_2));
    size_t n;
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_send(&p.a->ep, data100, 100, &n, p.a->now, &p.a->out), TCPSIM_OK);
    deliver_all(&p, p.a, p.b); /* half-close: b still receives */
    assert_int_equal(tcpsim_tcp_readable(&p.b->ep), 100);
    fx_reset(p.a);
    assert_int_equal(tcpsim_tcp_close(&p.a->ep, p.a->now, &p.a->out), TCPSIM_OK);
    deliver_all(&p, p.a, p.b);
    assert_int_equal(p.a->ep.state, S(CLOSED));
    assert_int_equal(p.b->ep.state, S(TIME_WAIT));
    fx_free(p.a);
    fx_free(p.b);
}

static void test_multi_linux_pair_bulk_transfer(void **st)
{
    (void)st;
    struct pair p = pair_established(LNX);
    assert_int_equal(p.a->ep.rcv_wscale, 8);
    static uint8_t big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    size_t off = 0, rd = 0;
    static uint8_t got[200000];
    for (int round = 0; round < 1000 && rd < sizeof big; round++) {
        size_t n = 0;
        fx_reset(p.a);
        if (off < sizeof big) {
            enum tcpsim_err e = tcpsim_tcp_send(&p.a->ep, big + off, sizeof big - off, &n, p.a->now, &p.a->out);
            assert_true(e == TCPSIM_OK || e == TCPSIM_ERR_WOULDBLOCK);
            off += n;
        }
        deliver_all(&p, p.a, p.b);
        size_t k = 0;
        fx_reset(p.b);
        if (tcpsim_tcp_receive(&p.b->ep, got + rd, sizeof got - rd, &k, p.b->now, &p.b->out) == TCPSIM_OK)
            rd += k;
        deliver_all(&p, p.b, p.a);
    }
    assert_int_equal(rd, sizeof big);
    assert_memory_equal(got, big, sizeof big);
    fx_free(p.a);
    fx_free(p.b);
}

const struct CMUnitTest tcp_state_tests[] = {
    cmocka_unit_test(test_closed_syn_gets_rst_ack),
    cmocka_unit_test(test_closed_ack_gets_rst_seq_ack),
    cmocka_unit_test(test_closed_data_fin_rst_covers_length),
    cmocka_unit_test(test_closed_rst_ignored),
    cmocka_unit_test(test_closed_open_passive_listens),
    cmocka_unit_test(test_closed_open_active_sends_syn),
    cmocka_unit_test(test_closed_isn_fn_chooses_iss),
    cmocka_unit_test(test_closed_user_calls_notconn),
    cmocka_unit_test(test_listen_syn_synack),
    cmocka_unit_test(test_listen_syn_options_negotiated),
    cmocka_unit_test(test_listen_syn_mss_clamped_to_ours),
    cmocka_unit_test(test_listen_syn_tiny_mss_clamped),
    cmocka_unit_test(test_listen_syn_tiny_mss_linux_clamped_48),
    cmocka_unit_test(test_listen_syn_mss_above_floor_kept),
    cmocka_unit_test(test_listen_syn_tiny_mss_no_floor_configured),
    cmocka_unit_test(test_listen_syn_zero_mss_ignored),
    cmocka_unit_test(test_listen_syn_no_mss_default_536),
    cmocka_unit_test(test_listen_syn_wscale_not_offered_not_used),
    cmocka_unit_test(test_listen_syn_wscale_above_14_clamped),
    cmocka_unit_test(test_listen_we_do_not_offer_wscale),
    cmocka_unit_test(test_listen_ack_gets_rst),
    cmocka_unit_test(test_listen_rst_ignored),
    cmocka_unit_test(test_listen_synack_rejected_with_rst),
    cmocka_unit_test(test_listen_no_syn_dropped),
    cmocka_unit_test(test_listen_close_closed),
    cmocka_unit_test(test_listen_syn_data_not_acked),
    cmocka_unit_test(test_listen_open_active_turns_active),
    cmocka_unit_test(test_listen_open_passive_again_exists),
    cmocka_unit_test(test_listen_send_rfc_goes_active),
    cmocka_unit_test(test_listen_send_linux_notconn),
    cmocka_unit_test(test_listen_abort_closed),
    cmocka_unit_test(test_syn_sent_synack_established),
    cmocka_unit_test(test_syn_sent_syn_simultaneous_open),
    cmocka_unit_test(test_syn_sent_ack_too_low_rst_state_unchanged),
    cmocka_unit_test(test_syn_sent_ack_too_high_rst_state_unchanged),
    cmocka_unit_test(test_syn_sent_rst_acceptable_ack_refused),
    cmocka_unit_test(test_syn_sent_rst_without_ack_ignored),
    cmocka_unit_test(test_syn_sent_rst_bad_ack_ignored),
    cmocka_unit_test(test_syn_sent_close_closed_nothing_sent),
    cmocka_unit_test(test_syn_sent_send_queues_until_established),
    cmocka_unit_test(test_syn_sent_no_syn_no_rst_dropped),
    cmocka_unit_test(test_syn_sent_abort_closed_no_rst),
    cmocka_unit_test(test_syn_sent_synack_options_negotiated),
    cmocka_unit_test(test_syn_sent_shutdown_then_fin_after_established),
    cmocka_unit_test(test_syn_received_ack_established),
    cmocka_unit_test(test_syn_received_ack_too_low_rst),
    cmocka_unit_test(test_syn_received_ack_too_high_rst),
    cmocka_unit_test(test_syn_received_fin_close_wait),
    cmocka_unit_test(test_syn_received_rst_passive_listen),
    cmocka_unit_test(test_syn_received_rst_active_closed_refused),
    cmocka_unit_test(test_syn_received_close_fin_wait_1),
    cmocka_unit_test(test_syn_received_dup_syn_synack_again),
    cmocka_unit_test(test_syn_received_new_syn_in_window_listen),
    cmocka_unit_test(test_syn_received_no_ack_dropped),
    cmocka_unit_test(test_syn_received_simultaneous_synack_established),
    cmocka_unit_test(test_syn_received_send_queued_until_established),
    cmocka_unit_test(test_syn_received_abort_sends_rst),
    cmocka_unit_test(test_syn_received_out_of_window_acked),
    cmocka_unit_test(test_syn_received_ack_with_data_delivered),
    cmocka_unit_test(test_established_data_in_order_acked),
    cmocka_unit_test(test_established_receive_returns_bytes),
    cmocka_unit_test(test_established_out_of_window_data_acked_dropped),
    cmocka_unit_test(test_established_old_duplicate_acked_dropped),
    cmocka_unit_test(test_established_straddling_segment_new_part_only),
    cmocka_unit_test(test_established_no_ack_segment_dropped),
    cmocka_unit_test(test_established_old_ack_ignored),
    cmocka_unit_test(test_established_ack_of_unsent_acked_dropped),
    cmocka_unit_test(test_established_fin_close_wait),
    cmocka_unit_test(test_established_fin_with_data),
    cmocka_unit_test(test_established_fin_after_missing_data_waits),
    cmocka_unit_test(test_established_out_of_order_queued_then_delivered),
    cmocka_unit_test(test_established_rst_exact_closed),
    cmocka_unit_test(test_established_rst_inexact_challenge_ack),
    cmocka_unit_test(test_established_rst_inexact_without_rfc5961_closed),
    cmocka_unit_test(test_established_rst_out_of_window_dropped),
    cmocka_unit_test(test_established_syn_in_window_challenge_ack),
    cmocka_unit_test(test_established_syn_old_acked),
    cmocka_unit_test(test_established_syn_without_rfc5961_resets),
    cmocka_unit_test(test_established_close_fin_wait_1),
    cmocka_unit_test(test_established_abort_rst),
    cmocka_unit_test(test_established_send_segmented_by_mss),
    cmocka_unit_test(test_established_send_limited_by_window),
    cmocka_unit_test(test_established_ack_frees_send_buffer),
    cmocka_unit_test(test_established_dup_acks_counted),
    cmocka_unit_test(test_established_window_change_not_dup_ack),
    cmocka_unit_test(test_established_ack_too_old_challenge),
    cmocka_unit_test(test_established_old_segment_does_not_update_window),
    cmocka_unit_test(test_established_urg_noted),
    cmocka_unit_test(test_established_zero_window_data_acked_dropped),
    cmocka_unit_test(test_established_read_opens_window_update),
    cmocka_unit_test(test_established_send_after_shutdown_closing),
    cmocka_unit_test(test_established_timestamps_echoed),
    cmocka_unit_test(test_established_sack_blocks_reported),
    cmocka_unit_test(test_established_open_exists),
    cmocka_unit_test(test_established_scaled_window_applied),
    cmocka_unit_test(test_fin_wait_1_ack_of_fin_fin_wait_2),
    cmocka_unit_test(test_fin_wait_1_fin_without_ack_of_ours_closing),
    cmocka_unit_test(test_fin_wait_1_fin_ack_time_wait),
    cmocka_unit_test(test_fin_wait_1_data_still_received),
    cmocka_unit_test(test_fin_wait_1_user_calls_closing),
    cmocka_unit_test(test_fin_wait_1_queued_data_before_fin),
    cmocka_unit_test(test_fin_wait_1_rst_closed),
    cmocka_unit_test(test_fin_wait_1_abort_rst),
    cmocka_unit_test(test_fin_wait_1_data_and_ack_of_fin),
    cmocka_unit_test(test_fin_wait_2_fin_time_wait),
    cmocka_unit_test(test_fin_wait_2_data_received_half_close),
    cmocka_unit_test(test_fin_wait_2_rst_closed),
    cmocka_unit_test(test_fin_wait_2_fin_out_of_order_waits),
    cmocka_unit_test(test_close_wait_close_last_ack),
    cmocka_unit_test(test_close_wait_data_still_sent),
    cmocka_unit_test(test_close_wait_receive_closing_after_drain),
    cmocka_unit_test(test_close_wait_data_after_fin_ignored),
    cmocka_unit_test(test_close_wait_rst_closed),
    cmocka_unit_test(test_close_wait_fin_again_acked),
    cmocka_unit_test(test_closing_ack_of_fin_time_wait),
    cmocka_unit_test(test_closing_ack_not_of_fin_stays),
    cmocka_unit_test(test_closing_rst_closed),
    cmocka_unit_test(test_closing_fin_again_acked),
    cmocka_unit_test(test_last_ack_ack_of_fin_closed),
    cmocka_unit_test(test_last_ack_ack_not_of_fin_stays),
    cmocka_unit_test(test_last_ack_rst_closed),
    cmocka_unit_test(test_last_ack_abort_closed_no_rst),
    cmocka_unit_test(test_last_ack_close_again_closing),
    cmocka_unit_test(test_time_wait_fin_again_reacked_2msl_restarted),
    cmocka_unit_test(test_time_wait_new_syn_reopens),
    cmocka_unit_test(test_time_wait_new_syn_without_reopen_acked),
    cmocka_unit_test(test_time_wait_syn_lower_seq_not_reopened),
    cmocka_unit_test(test_time_wait_rst_closed),
    cmocka_unit_test(test_time_wait_data_over_fin_acked_2msl_restarted),
    cmocka_unit_test(test_time_wait_linux_data_over_fin_acked),
    cmocka_unit_test(test_time_wait_linux_old_data_acked),
    cmocka_unit_test(test_time_wait_bare_ack_not_answered),
    cmocka_unit_test(test_time_wait_rst_inexact_per_profile),
    cmocka_unit_test(test_time_wait_linux_rst_exact_closed),
    cmocka_unit_test(test_time_wait_linux_fin_again_reacked),
    cmocka_unit_test(test_time_wait_user_calls_closing),
    cmocka_unit_test(test_multi_three_way_handshake_data_and_close),
    cmocka_unit_test(test_multi_simultaneous_open),
    cmocka_unit_test(test_multi_simultaneous_close),
    cmocka_unit_test(test_multi_simultaneous_close_with_data),
    cmocka_unit_test(test_multi_remote_close_then_local),
    cmocka_unit_test(test_multi_linux_pair_bulk_transfer),
};
const size_t tcp_state_tests_n = sizeof tcp_state_tests / sizeof tcp_state_tests[0];
