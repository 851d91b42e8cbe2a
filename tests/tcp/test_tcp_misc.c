/* test_tcp_misc.c - names and reasons, profiles (Linux behaviours the
 * packetdrill runner relies on), passive observation (replay), fixtures via
 * force_state, sequence wraparound, count-only endpoints, bad input. */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

static const uint8_t data100[100] =
    "the quick brown fox jumps over the lazy dog; the quick brown fox jumps over the lazy dog!!!";

/* ============================================================ names, reasons */

static void test_state_names_round_trip(void **st)
{
    (void)st;
    static const char *const want[] = {"CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
                                       "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                       "CLOSING",     "LAST_ACK",   "TIME_WAIT"};
    for (int i = 0; i < TCPSIM_TCP_NSTATES; i++) {
        enum tcpsim_tcp_state s;
        assert_string_equal(tcpsim_tcp_state_name((enum tcpsim_tcp_state)i), want[i]);
        assert_true(tcpsim_tcp_state_parse(want[i], &s));
        assert_int_equal(s, i);
    }
}

static void test_state_parse_variants(void **st)
{
    (void)st;
    enum tcpsim_tcp_state s;
    assert_true(tcpsim_tcp_state_parse("syn-received", &s));
    assert_int_equal(s, S(SYN_RECEIVED));
    assert_true(tcpsim_tcp_state_parse("Time_Wait", &s));
    assert_int_equal(s, S(TIME_WAIT));
    assert_true(tcpsim_tcp_state_parse("SYN_RECV", &s));
    assert_int_equal(s, S(SYN_RECEIVED));
    assert_true(tcpsim_tcp_state_parse("FIN_WAIT1", &s));
    assert_int_equal(s, S(FIN_WAIT_1));
    assert_false(tcpsim_tcp_state_parse("ESTABLISHEDX", &s));
    assert_false(tcpsim_tcp_state_parse("", &s));
    assert_false(tcpsim_tcp_state_parse(NULL, &s));
}

static void test_state_synchronized_set(void **st)
{
    (void)st;
    assert_false(tcpsim_tcp_state_synchronized(S(CLOSED)));
    assert_false(tcpsim_tcp_state_synchronized(S(LISTEN)));
    assert_false(tcpsim_tcp_state_synchronized(S(SYN_SENT)));
    assert_false(tcpsim_tcp_state_synchronized(S(SYN_RECEIVED)));
    for (int i = S(ESTABLISHED); i < TCPSIM_TCP_NSTATES; i++)
        assert_true(tcpsim_tcp_state_synchronized((enum tcpsim_tcp_state)i));
}

static void test_why_strings_complete(void **st)
{
    (void)st;
    assert_string_equal(tcpsim_tcp_why_id(W(NONE)), "NONE");
    assert_string_equal(tcpsim_tcp_why_rule(W(NONE)), "");
    assert_string_equal(tcpsim_tcp_why_id(W(SYNACK_ACKS_SYN)), "SYNACK_ACKS_SYN");
    assert_string_equal(tcpsim_tcp_why_rule(W(SYNACK_ACKS_SYN)), "RFC 9293 3.10.7.3");
    for (int i = 1; i <= W(OBSERVE_ODD); i++) {
        enum tcpsim_tcp_why w = (enum tcpsim_tcp_why)i;
        assert_true(strncmp(tcpsim_tcp_why_rule(w), "RFC ", 4) == 0);
        assert_true(strlen(tcpsim_tcp_why_text(w)) > 10);
        for (int j = 1; j < i; j++)
            assert_true(strcmp(tcpsim_tcp_why_id(w), tcpsim_tcp_why_id((enum tcpsim_tcp_why)j)) != 0);
    }
    assert_string_equal(tcpsim_tcp_why_id((enum tcpsim_tcp_why)10000), "UNKNOWN");
}

static void test_config_defaults_profiles(void **st)
{
    (void)st;
    struct tcpsim_tcp_config r, l;
    tcpsim_tcp_config_default(&r, RFC);
    tcpsim_tcp_config_default(&l, LNX);
    assert_int_equal(r.mss, 1460);
    assert_int_equal(r.wscale, 7);
    assert_int_equal(l.wscale, 8);
    assert_int_equal(r.rto_initial, TCPSIM_SEC(1));
    assert_int_equal(r.rto_min, TCPSIM_SEC(1));
    assert_int_equal(l.rto_min, TCPSIM_MSEC(200));
    assert_int_equal(r.rto_max, TCPSIM_SEC(60));
    assert_int_equal(l.rto_max, TCPSIM_SEC(120));
    assert_int_equal(r.syn_retries, 5);
    assert_int_equal(l.syn_retries, 6);
    assert_int_equal(r.max_retries, 8);
    assert_int_equal(l.max_retries, 15);
    assert_false(r.keepalive);
    assert_false(l.keepalive);
    assert_true(r.challenge_ack);
    assert_false(r.rst_on_close_unread);
    assert_true(l.rst_on_close_unread);
    assert_true(r.store_data);
    assert_int_equal(r.rcv_buf, 65535);
    assert_int_equal(r.snd_buf, 1u << 20);
}

static void test_init_invalid_config(void **st)
{
    (void)st;
    struct tcpsim_tcp_endpoint ep;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.mss = 0;
    assert_int_equal(tcpsim_tcp_init(&ep, &c, 1, 2), TCPSIM_ERR_INVALID);
    c = fx_config(RFC);
    c.rcv_buf = 0;
    assert_int_equal(tcpsim_tcp_init(&ep, &c, 1, 2), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_init(NULL, &c, 1, 2), TCPSIM_ERR_INVALID);
    /* NULL config: RFC defaults */
    assert_int_equal(tcpsim_tcp_init(&ep, NULL, 1, 2), TCPSIM_OK);
    assert_int_equal(ep.cfg.profile, RFC);
    assert_int_equal(ep.state, S(CLOSED));
    tcpsim_tcp_free(&ep);
    tcpsim_tcp_free(&ep); /* twice is harmless */
}

static void test_null_arguments_invalid(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    struct tcpsim_segment s = seg_make(F_A, ISS_R + 1, ISS_L + 1, 100, NULL, 0);
    assert_int_equal(tcpsim_tcp_segment_arrives(&f->ep, NULL, f->now, &f->out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_segment_arrives(&f->ep, &s, f->now, NULL), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_send(&f->ep, "x", 1, NULL, f->now, &f->out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_receive(&f->ep, NULL, 1, NULL, f->now, &f->out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_observe_sent(&f->ep, NULL, f->now, &f->out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, NULL, f->now), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_send(NULL, "x", 1, &n, f->now, &f->out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_next_timeout(NULL), TCPSIM_TIME_NEVER);
    tcpsim_tcp_timeout(NULL, 0, &f->out);
    expect_state(f, S(ESTABLISHED));
    fx_free(f);
}

/* ============================================================ Linux profile */

static void test_linux_syn_options_with_timestamps(void **st)
{
    (void)st;
    struct fx *f = fx_new(LNX);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    /* <mss 1460,sackOK,TS val X ecr 0,nop,wscale 8> */
    static const uint8_t lay[] = {TCPSIM_OPT_MSS, TCPSIM_OPT_SACK_PERM, TCPSIM_OPT_TS, TCPSIM_OPT_NOP,
                                  TCPSIM_OPT_WSCALE};
    expect_layout(f, 0, lay, sizeof lay);
    const struct tcpsim_tcp_opts *o = &f->out.seg[0].seg.opts;
    assert_int_equal(o->mss, 1460);
    assert_int_equal(o->wscale, 8);
    assert_int_equal(o->ts_ecr, 0);
    assert_int_equal(o->ts_val, 10000);
    assert_int_equal(o->present, TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE);
    assert_int_equal(f->out.seg[0].seg.data_offset, 10);
    fx_free(f);
}

static void test_linux_syn_options_without_timestamps(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(LNX);
    c.opt_ts = false;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    /* <mss 1460,nop,nop,sackOK,nop,wscale 8> */
    static const uint8_t lay[] = {TCPSIM_OPT_MSS,       TCPSIM_OPT_NOP, TCPSIM_OPT_NOP,
                                  TCPSIM_OPT_SACK_PERM, TCPSIM_OPT_NOP, TCPSIM_OPT_WSCALE};
    expect_layout(f, 0, lay, sizeof lay);
    assert_int_equal(f->out.seg[0].seg.data_offset, 8);
    fx_free(f);
}

static void test_linux_synack_mirrors_peer(void **st)
{
    (void)st;
    struct fx *f = fx_listen(LNX);
    struct tcpsim_segment s = seg_make(F_S, 0, 0, 32792, NULL, 0);
    seg_mss(&s, 1000);
    seg_sackok(&s);
    seg_wscale(&s, 7);
    fx_arrive(f, &s);
    expect_seg(f, 0, F_S | F_A, ISS_L, 1);
    static const uint8_t lay[] = {TCPSIM_OPT_MSS,       TCPSIM_OPT_NOP, TCPSIM_OPT_NOP,
                                  TCPSIM_OPT_SACK_PERM, TCPSIM_OPT_NOP, TCPSIM_OPT_WSCALE};
    expect_layout(f, 0, lay, sizeof lay);
    assert_int_equal(f->out.seg[0].seg.opts.wscale, 8);
    assert_int_equal(f->ep.snd_mss, 1000);
    fx_free(f);
}

static void test_linux_close_with_unread_data_rst(void **st)
{
    (void)st;
    struct fx *f = fx_established(LNX);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 10);
    fx_arrive(f, &d);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R | F_A, ISS_L + 1, ISS_R + 11);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(CLOSE_UNREAD_RST));
    /* the RFC profile sends a FIN instead */
    struct fx *g = fx_established(RFC);
    fx_arrive(g, &d);
    fx_reset(g);
    assert_int_equal(tcpsim_tcp_close(&g->ep, g->now, &g->out), TCPSIM_OK);
    expect_seg(g, 0, F_F | F_A, ISS_L + 1, ISS_R + 11);
    fx_free(g);
    fx_free(f);
}

static void test_linux_close_in_syn_sent_then_synack_gets_rst(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(LNX);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 0);
    struct tcpsim_segment sa = seg_make(F_S | F_A, 0, ISS_L + 1, 5792, NULL, 0);
    fx_arrive(f, &sa);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 1, 0); /* R with seq = SEG.ACK */
    expect_state(f, S(CLOSED));
    fx_free(f);
}

static void test_linux_fin_after_close_in_fin_wait_2_acked(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_2(LNX);
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &s);
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    expect_state(f, S(TIME_WAIT));
    fx_arrive(f, &s); /* and again in TIME_WAIT */
    expect_seg(f, 0, F_A, ISS_L + 2, ISS_R + 2);
    fx_free(f);
}

static void test_linux_data_after_close_rst(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_2(LNX);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 2, 65535, data100, 10);
    fx_arrive(f, &d);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 2, 0);
    expect_trans(f, 0, S(FIN_WAIT_2), S(CLOSED), W(DATA_AFTER_CLOSE));
    fx_free(f);
}

static void test_linux_segment_for_closed_socket_rst(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(LNX);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 2, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &a);
    expect_state(f, S(CLOSED));
    struct tcpsim_segment d = seg_make(F_A | F_P, ISS_R + 2, ISS_L + 2, 65535, data100, 5);
    fx_arrive(f, &d);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_R, ISS_L + 2, 0);
    fx_free(f);
}

static void test_linux_abort_rst_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(LNX);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_abort(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_seg(f, 0, F_R | F_A, ISS_L + 1, ISS_R + 1);
    fx_free(f);
}

static void test_linux_rto_min_200ms(void **st)
{
    (void)st;
    struct fx *f = fx_established(LNX); /* 100 ms handshake sample */
    assert_int_equal(f->ep.rto, TCPSIM_MSEC(300));
    fx_free(f);
}

/* ================================================================ observe_sent */

static struct tcpsim_segment sent(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const void *d, size_t len)
{
    struct tcpsim_segment s = seg_make(flags, seq, ack, win, d, len);
    s.src_port = LPORT;
    s.dst_port = RPORT;
    return s;
}

static void observe(struct fx *f, const struct tcpsim_segment *s)
{
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_observe_sent(&f->ep, s, f->now, &f->out), TCPSIM_OK);
}

static void test_observe_client_full_connection(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment syn = sent(F_S, 700000, 0, 64240, NULL, 0);
    seg_mss(&syn, 1460);
    seg_wscale(&syn, 7);
    seg_sackok(&syn);
    observe(f, &syn);
    expect_trans(f, 0, S(CLOSED), S(SYN_SENT), W(OPEN_ACTIVE));
    assert_int_equal(f->ep.iss, 700000);
    assert_int_equal(f->ep.snd_nxt, 700001);
    assert_false(f->ep.cfg.opt_ts); /* records what we offered */
    struct tcpsim_segment sa = seg_make(F_S | F_A, 90000, 700001, 65160, NULL, 0);
    seg_mss(&sa, 1400);
    seg_wscale(&sa, 7);
    seg_sackok(&sa);
    fx_arrive(f, &sa);
    expect_trans(f, 0, S(SYN_SENT), S(ESTABLISHED), W(SYNACK_ACKS_SYN));
    assert_true(f->ep.ws_ok);
    struct tcpsim_segment ack = sent(F_A, 700001, 90001, 502, NULL, 0);
    observe(f, &ack);
    assert_int_equal(f->ep.rcv_wnd, 502u << 7);
    struct tcpsim_segment req = sent(F_A | F_P, 700001, 90001, 502, data100, 80);
    observe(f, &req);
    assert_int_equal(f->ep.snd_nxt, 700081);
    struct tcpsim_segment resp = seg_make(F_A | F_P, 90001, 700081, 509, data100, 100);
    fx_arrive(f, &resp);
    assert_int_equal(f->ep.snd_una, 700081);
    assert_int_equal(f->ep.rcv_nxt, 90101);
    assert_int_equal(f->out.deliv[0].len, 100);
    struct tcpsim_segment fin = sent(F_F | F_A, 700081, 90101, 502, NULL, 0);
    observe(f, &fin);
    expect_trans(f, 0, S(ESTABLISHED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    struct tcpsim_segment pfin = seg_make(F_F | F_A, 90101, 700082, 509, NULL, 0);
    fx_arrive(f, &pfin);
    expect_trans(f, 0, S(FIN_WAIT_1), S(TIME_WAIT), W(FIN_AND_ACK));
    struct tcpsim_segment last = sent(F_A, 700082, 90102, 502, NULL, 0);
    observe(f, &last);
    expect_state(f, S(TIME_WAIT));
    /* observers run no retransmission timer: only TIME_WAIT's */
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->ep.t_time_wait);
    fx_free(f);
}

static void test_observe_server_synack_fixes_iss(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment syn = seg_make(F_S, 90000, 0, 64240, NULL, 0);
    seg_mss(&syn, 1460);
    seg_ts(&syn, 5, 0);
    fx_arrive(f, &syn);
    expect_state(f, S(SYN_RECEIVED));
    struct tcpsim_segment sa = sent(F_S | F_A, 3000000000u, 90001, 65160, NULL, 0);
    seg_mss(&sa, 1400);
    seg_ts(&sa, 77, 5);
    observe(f, &sa);
    assert_int_equal(f->ep.iss, 3000000000u);
    assert_int_equal(f->ep.snd_una, 3000000000u);
    assert_int_equal(f->ep.snd_nxt, 3000000001u);
    assert_int_equal(f->ep.cfg.mss, 1400);
    assert_true(f->ep.ts_ok);
    struct tcpsim_segment ack = seg_make(F_A, 90001, 3000000001u, 502, NULL, 0);
    fx_arrive(f, &ack);
    expect_trans(f, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    fx_free(f);
}

static void test_observe_synack_in_listen_without_syn(void **st)
{
    (void)st;
    struct fx *f = fx_listen(RFC);
    struct tcpsim_segment sa = sent(F_S | F_A, 1234, 90001, 65160, NULL, 0);
    observe(f, &sa);
    expect_trans(f, 0, S(LISTEN), S(SYN_RECEIVED), W(SYN_IN_LISTEN));
    assert_int_equal(f->ep.irs, 90000);
    assert_int_equal(f->ep.rcv_nxt, 90001);
    assert_int_equal(f->ep.iss, 1234);
    fx_free(f);
}

static void test_observe_server_close_wait_last_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established_passive(RFC);
    struct tcpsim_segment pfin = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &pfin);
    expect_state(f, S(CLOSE_WAIT));
    struct tcpsim_segment fin = sent(F_F | F_A, ISS_L + 1, ISS_R + 2, 65535, NULL, 0);
    observe(f, &fin);
    expect_trans(f, 0, S(CLOSE_WAIT), S(LAST_ACK), W(CLOSE_SENDS_FIN));
    struct tcpsim_segment ack = seg_make(F_A, ISS_R + 2, ISS_L + 2, 65535, NULL, 0);
    fx_arrive(f, &ack);
    expect_trans(f, 0, S(LAST_ACK), S(CLOSED), W(FIN_ACKED));
    fx_free(f);
}

static void test_observe_rst_aborts(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment r = sent(F_R | F_A, ISS_L + 1, ISS_R + 1, 0, NULL, 0);
    observe(f, &r);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(ABORT));
    /* a reset from CLOSED answers a stray segment: nothing changes */
    observe(f, &r);
    expect_ntrans(f, 0);
    expect_state(f, S(CLOSED));
    fx_free(f);
}

static void test_observe_retransmissions_noted(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment syn = sent(F_S, 100, 0, 64240, NULL, 0);
    observe(f, &syn);
    observe(f, &syn);
    assert_true(has_note(f, W(OBSERVE_RTX)));
    expect_ntrans(f, 0);
    struct tcpsim_segment sa = seg_make(F_S | F_A, 500, 101, 65535, NULL, 0);
    fx_arrive(f, &sa);
    struct tcpsim_segment d = sent(F_A, 101, 501, 65535, data100, 50);
    observe(f, &d);
    observe(f, &d);
    assert_true(has_note(f, W(OBSERVE_RTX)));
    assert_int_equal(f->ep.snd_nxt, 151);
    fx_free(f);
}

static void test_observe_ack_catches_up_missing_data(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment first = sent(F_A, ISS_L + 1, ISS_R + 1, 1000, NULL, 0);
    observe(f, &first);
    /* the peer's data 5001..5100 was not captured; then its FIN at 5101 is */
    struct tcpsim_segment fin = seg_make(F_F | F_A, ISS_R + 101, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &fin);
    expect_state(f, S(ESTABLISHED));
    /* we are seen acknowledging the FIN: RCV.NXT catches up and the FIN counts */
    struct tcpsim_segment ack = sent(F_A, ISS_L + 1, ISS_R + 102, 1000, NULL, 0);
    observe(f, &ack);
    assert_true(has_note(f, W(OBSERVE_CATCHUP)));
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSE_WAIT), W(FIN_RECEIVED));
    assert_int_equal(f->ep.rcv_nxt, ISS_R + 102);
    fx_free(f);
}

static void test_observe_peer_acks_uncaptured_data(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment first = sent(F_A, ISS_L + 1, ISS_R + 1, 1000, NULL, 0);
    observe(f, &first);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 301, 65535, NULL, 0);
    fx_arrive(f, &a);
    assert_true(has_note(f, W(OBSERVE_CATCHUP)));
    assert_int_equal(f->ep.snd_una, ISS_L + 301);
    fx_free(f);
}

static void test_observe_odd_input_leaves_state(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment d = sent(F_A, 1, 2, 3, data100, 10);
    observe(f, &d);
    assert_true(has_note(f, W(OBSERVE_ODD)));
    expect_state(f, S(CLOSED));
    struct tcpsim_segment fin = sent(F_F, 1, 0, 3, NULL, 0);
    observe(f, &fin);
    expect_state(f, S(CLOSED));
    fx_free(f);
}

static void test_observe_no_timers_or_data_sent(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment syn = sent(F_S, 100, 0, 64240, NULL, 0);
    observe(f, &syn);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

/* An observer's own segments come from the capture: it builds none, yet the
 * ACK it would send counts (RFC 7323 §4.3 Last.ACK.sent keeps TS.Recent moving). */
static void test_observe_observer_builds_no_segments(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.store_data = false;
    struct fx *f = fx_new_cfg(&c);
    struct tcpsim_segment syn = sent(F_S, 100, 0, 64240, NULL, 0);
    seg_ts(&syn, 10, 0);
    observe(f, &syn);
    struct tcpsim_segment sa = seg_make(F_S | F_A, 500, 101, 65535, NULL, 0);
    seg_ts(&sa, 20, 10);
    fx_arrive(f, &sa);
    expect_trans(f, 0, S(SYN_SENT), S(ESTABLISHED), W(SYNACK_ACKS_SYN));
    assert_int_equal(f->out.nseg, 0); /* a plain endpoint would ACK here */
    struct tcpsim_segment d = seg_make(F_A | F_P, 501, 101, 65535, data100, 100);
    seg_ts(&d, 30, 10);
    fx_arrive(f, &d);
    assert_int_equal(f->out.nseg, 0);
    assert_int_equal(f->out.ndeliv, 1);
    assert_null(f->out.deliv[0].data);
    assert_int_equal(f->ep.rcv_nxt, 601);
    /* TS.Recent followed: the segment at Last.ACK.sent (501) was taken */
    assert_int_equal(f->ep.ts_recent, 30);
    /* an old timestamp is a PAWS drop, answered by no segment either */
    struct tcpsim_segment old = seg_make(F_A | F_P, 601, 101, 65535, data100, 10);
    seg_ts(&old, 5, 10);
    fx_arrive(f, &old);
    assert_true(has_note(f, W(PAWS_DROPPED)));
    assert_int_equal(f->out.nseg, 0);
    assert_int_equal(f->ep.rcv_nxt, 601);
    fx_free(f);
}

static void test_observe_midstream_window_scale_unknown_lenient(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_tcp_sync s = {.state = S(ESTABLISHED), .iss = 100, .irs = 200};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    /* we are seen advertising 10 (really 10 << some unknown scale) */
    struct tcpsim_segment a = sent(F_A, 101, 201, 10, NULL, 0);
    observe(f, &a);
    static uint8_t big[1400];
    struct tcpsim_segment d = seg_make(F_A, 201, 101, 10, big, sizeof big);
    fx_arrive(f, &d);
    assert_int_equal(f->out.ndeliv, 1);
    assert_int_equal(f->ep.rcv_nxt, 201 + 1400);
    fx_free(f);
}

static void test_observe_known_scale_window_applies(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_segment syn = sent(F_S, 100, 0, 64240, NULL, 0);
    seg_wscale(&syn, 2);
    observe(f, &syn);
    struct tcpsim_segment sa = seg_make(F_S | F_A, 200, 101, 65535, NULL, 0);
    seg_wscale(&sa, 2);
    fx_arrive(f, &sa);
    struct tcpsim_segment a = sent(F_A, 101, 201, 10, NULL, 0);
    observe(f, &a);
    assert_int_equal(f->ep.rcv_wnd, 40);
    /* 100 bytes straddle the 40-byte window: the rest is trimmed */
    struct tcpsim_segment d = seg_make(F_A, 201, 101, 10, data100, 100);
    fx_arrive(f, &d);
    assert_int_equal(f->out.deliv[0].len, 40);
    fx_free(f);
}

static void test_observe_window_beyond_buffer_safe(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.rcv_buf = 1000; /* far smaller than what the capture shows */
    struct fx *f = fx_new_cfg(&c);
    struct tcpsim_tcp_sync s = {.state = S(ESTABLISHED), .iss = 100, .irs = 200};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    struct tcpsim_segment a = sent(F_A, 101, 201, 60000, NULL, 0);
    observe(f, &a);
    static uint8_t big[70000];
    /* out of order first, then the in-order 64 kB "GRO" segment */
    struct tcpsim_segment later = seg_make(F_A, 201 + 70000, 101, 100, big, 5000);
    fx_arrive(f, &later);
    struct tcpsim_segment d = seg_make(F_A, 201, 101, 100, big, sizeof big);
    fx_arrive(f, &d);
    assert_int_equal(f->ep.rcv_nxt, 201 + 75000);
    for (size_t i = 0; i < f->out.ndeliv; i++)
        assert_null(f->out.deliv[i].data); /* not stored: counted only */
    assert_true(tcpsim_tcp_readable(&f->ep) <= 1000);
    fx_arrive(f, &d); /* next call discards; nothing breaks */
    fx_free(f);
}

/* =============================================================== force_state */

static void test_force_state_established(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_tcp_sync s = {.state = S(ESTABLISHED), .iss = 100, .irs = 200, .snd_wnd = 5000};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    expect_state(f, S(ESTABLISHED));
    assert_int_equal(f->ep.snd_una, 101);
    assert_int_equal(f->ep.snd_nxt, 101);
    assert_int_equal(f->ep.rcv_nxt, 201);
    assert_int_equal(f->ep.snd_wnd, 5000);
    struct tcpsim_segment d = seg_make(F_A, 201, 101, 5000, data100, 10);
    fx_arrive(f, &d);
    expect_seg(f, 0, F_A, 101, 211);
    fx_free(f);
}

static void test_force_state_every_state_sane(void **st)
{
    (void)st;
    for (int i = 0; i < TCPSIM_TCP_NSTATES; i++) {
        struct fx *f = fx_new(RFC);
        struct tcpsim_tcp_sync s = {.state = (enum tcpsim_tcp_state)i, .iss = 100, .irs = 200, .passive = true};
        assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
        assert_int_equal(f->ep.state, i);
        /* a reset with RCV.NXT's sequence number ends every connection state */
        struct tcpsim_segment r = seg_make(F_R, f->ep.rcv_nxt, 0, 0, NULL, 0);
        fx_arrive(f, &r);
        if (tcpsim_tcp_state_synchronized((enum tcpsim_tcp_state)i))
            expect_state(f, S(CLOSED));
        fx_free(f);
    }
}

static void test_force_state_fin_wait_1_fin_outstanding(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_tcp_sync s = {.state = S(FIN_WAIT_1), .iss = 100, .irs = 200, .snd_nxt = 151};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    assert_int_equal(f->ep.fin_seq, 150);
    assert_int_equal(f->ep.snd_una, 150);
    assert_int_equal(f->ep.snd_nxt, 151);
    assert_true(f->ep.t_rtx != TCPSIM_TIME_NEVER);
    struct tcpsim_segment a = seg_make(F_A, 201, 151, 5000, NULL, 0);
    fx_arrive(f, &a);
    expect_trans(f, 0, S(FIN_WAIT_1), S(FIN_WAIT_2), W(FIN_ACKED));
    fx_free(f);
}

static void test_force_state_close_wait_explicit_rcv_nxt(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    /* RCV.NXT as given: the peer's FIN was 300 */
    struct tcpsim_tcp_sync s = {.state = S(CLOSE_WAIT), .iss = 100, .irs = 200, .snd_nxt = 150, .rcv_nxt = 301};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    assert_int_equal(f->ep.rcv_nxt, 301);
    assert_true(tcpsim_tcp_peer_closed(&f->ep));
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_seg(f, 0, F_F | F_A, 150, 301);
    fx_free(f);
}

static void test_force_state_resync_keeps_options(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_wscale(&sa, 4);
    seg_ts(&sa, 50, 0);
    fx_arrive(f, &sa);
    struct tcpsim_tcp_sync s = {
        .state = S(ESTABLISHED), .iss = ISS_L, .irs = ISS_R, .snd_nxt = ISS_L + 500, .rcv_nxt = ISS_R + 900};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    assert_true(f->ep.ws_ok);
    assert_int_equal(f->ep.snd_wscale, 4);
    assert_true(f->ep.ts_ok);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 500);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 900, ISS_L + 500, 100, NULL, 0);
    seg_ts(&a, 60, 0);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.snd_wnd, 1600);
    fx_free(f);
}

static void test_force_state_time_wait_expires(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_tcp_sync s = {.state = S(TIME_WAIT), .iss = 100, .irs = 200};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    assert_int_equal(f->ep.rcv_nxt, 202);
    fx_timeout_at(f, f->now + 2 * f->ep.cfg.msl);
    expect_trans(f, 0, S(TIME_WAIT), S(CLOSED), W(TIME_WAIT_EXPIRED));
    fx_free(f);
}

/* =============================================================== wraparound */

static void test_seq_helpers_wrap(void **st)
{
    (void)st;
    assert_true(tcpsim_seq_lt(0xfffffff0u, 0x10u));
    assert_true(tcpsim_seq_gt(0x10u, 0xfffffff0u));
    assert_true(tcpsim_seq_leq(5, 5));
    assert_true(tcpsim_seq_geq(5, 5));
    assert_false(tcpsim_seq_lt(5, 5));
    assert_true(tcpsim_seq_between(0xfffffff0u, 0x5u, 0x10u));
    assert_false(tcpsim_seq_between(0xfffffff0u, 0x10u, 0x10u));
    assert_false(tcpsim_seq_between(0xfffffff0u, 0xffffffe0u, 0x10u));
}

static void test_wrap_send_across_2_32(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.iss = 0xffffff00u;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, 0xfffffff0u, 0xffffff01u, 65535, NULL, 0);
    seg_mss(&sa, 1460);
    fx_arrive(f, &sa);
    expect_state(f, S(ESTABLISHED));
    assert_int_equal(f->ep.rcv_nxt, 0xfffffff1u);
    size_t n;
    static uint8_t big[1000];
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_seg(f, 0, F_A | F_P, 0xffffff01u, 0xfffffff1u);
    assert_int_equal(f->ep.snd_nxt, 0xffffff01u + 1000u); /* wrapped */
    struct tcpsim_segment a = seg_make(F_A, 0xfffffff1u, 0xffffff01u + 1000u, 65535, NULL, 0);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.snd_una, 0x2e9u);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER);
    /* the peer's data crosses 2^32 too */
    struct tcpsim_segment d = seg_make(F_A, 0xfffffff1u, 0x2e9u, 65535, data100, 100);
    fx_arrive(f, &d);
    expect_seg(f, 0, F_A, 0x2e9u, 0xfffffff1u + 100u);
    assert_int_equal(f->out.deliv[0].len, 100);
    /* an old segment just below the wrap is a duplicate, not new data */
    struct tcpsim_segment old = seg_make(F_A, 0xffffffa0u, 0x2e9u, 65535, data100, 10);
    fx_arrive(f, &old);
    assert_int_equal(f->out.ndeliv, 0);
    expect_seg(f, 0, F_A, 0x2e9u, 0x55u);
    fx_free(f);
}

static void test_wrap_fin_across_2_32(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    struct tcpsim_tcp_sync s = {.state = S(ESTABLISHED), .iss = 0xfffffffeu, .irs = 0xfffffffeu};
    assert_int_equal(tcpsim_tcp_force_state(&f->ep, &s, f->now), TCPSIM_OK);
    assert_int_equal(f->ep.snd_nxt, 0xffffffffu);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_seg(f, 0, F_F | F_A, 0xffffffffu, 0xffffffffu);
    struct tcpsim_segment a = seg_make(F_F | F_A, 0xffffffffu, 0u, 65535, NULL, 0);
    fx_arrive(f, &a);
    expect_trans(f, 0, S(FIN_WAIT_1), S(TIME_WAIT), W(FIN_AND_ACK));
    expect_seg(f, 0, F_A, 0u, 0u);
    fx_free(f);
}

/* ========================================================== count-only mode */

static void test_store_data_off_counts_only(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.store_data = false;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, NULL, 500, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 500);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1, ISS_R + 1);
    assert_null(f->out.seg[0].seg.payload);
    assert_int_equal(f->out.seg[0].seg.payload_len, 500);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 501, 65535, data100, 100);
    fx_arrive(f, &d);
    assert_null(f->out.deliv[0].data);
    assert_int_equal(f->out.deliv[0].len, 100);
    assert_int_equal(tcpsim_tcp_readable(&f->ep), 100);
    char b[10];
    size_t got;
    assert_int_equal(tcpsim_tcp_receive(&f->ep, b, sizeof b, &got, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(got, 10);
    fx_free(f);
}

/* ================================================================ bad input */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Random segments in every state never crash, hang or break invariants. */
static void test_any_state_random_segments_survive(void **st)
{
    (void)st;
    uint32_t seed = 12345;
    struct fx *(*mk[])(enum tcpsim_tcp_profile) = {fx_listen,     fx_syn_sent,   fx_syn_received, fx_established,
                                                   fx_fin_wait_1, fx_fin_wait_2, fx_close_wait,   fx_last_ack,
                                                   fx_closing,    fx_time_wait};
    for (size_t k = 0; k < sizeof mk / sizeof mk[0]; k++) {
        for (int prof = 0; prof < 2; prof++) {
            struct fx *f = mk[k]((enum tcpsim_tcp_profile)prof);
            for (int i = 0; i < 200; i++) {
                uint32_t r = lcg(&seed);
                uint32_t base = (r & 1) ? ISS_R : lcg(&seed);
                struct tcpsim_segment s =
                    seg_make((uint8_t)lcg(&seed), base + (lcg(&seed) % 200) - 100, ISS_L + (lcg(&seed) % 8) - 3,
                             (uint16_t)lcg(&seed), data100, lcg(&seed) % 101);
                if (r & 2)
                    seg_mss(&s, (uint16_t)lcg(&seed));
                if (r & 4)
                    seg_wscale(&s, (uint8_t)lcg(&seed));
                if (r & 8)
                    seg_ts(&s, lcg(&seed), lcg(&seed));
                f->now += lcg(&seed) % TCPSIM_MSEC(500);
                fx_arrive(f, &s);
                assert_true(f->out.nseg <= TCPSIM_TCP_OUT_SEGS);
                assert_true(tcpsim_seq_leq(f->ep.snd_una, f->ep.snd_max) || f->ep.state == S(CLOSED) ||
                            f->ep.state == S(LISTEN));
                assert_true(tcpsim_tcp_readable(&f->ep) <= f->ep.cfg.rcv_buf);
                if (i % 7 == 0)
                    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep) == TCPSIM_TIME_NEVER
                                         ? f->now
                                         : tcpsim_tcp_next_timeout(&f->ep));
                if (i % 11 == 0) {
                    size_t n;
                    fx_reset(f);
                    (void)tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out);
                    (void)tcpsim_tcp_receive(&f->ep, NULL, 50, &n, f->now, &f->out);
                }
                /* observing random sends must not fail either */
                if (i % 13 == 0) {
                    struct tcpsim_segment o = s;
                    o.src_port = LPORT;
                    o.dst_port = RPORT;
                    fx_reset(f);
                    assert_int_equal(tcpsim_tcp_observe_sent(&f->ep, &o, f->now, &f->out), TCPSIM_OK);
                }
            }
            fx_free(f);
        }
    }
}

static void test_out_capacity_respected(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.mss = 100;
    c.cc = false; /* only the peer's window limits */
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&sa, 100);
    fx_arrive(f, &sa);
    static uint8_t big[20000];
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->out.nseg, TCPSIM_TCP_OUT_SEGS);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 1 + 100u * TCPSIM_TCP_OUT_SEGS);
    /* the rest goes out with the next ACK */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1 + 100u * TCPSIM_TCP_OUT_SEGS, 65535, NULL, 0);
    fx_arrive(f, &a);
    assert_true(f->out.nseg > 0);
    expect_seg(f, 0, F_A, ISS_L + 1 + 100u * TCPSIM_TCP_OUT_SEGS, ISS_R + 1);
    fx_free(f);
}

/* ====================================================== more sending rules */

static void test_established_sender_sws_holds_runt(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    /* peer window 65535, cwnd 3 segments: 5000 bytes -> 3 full segments, the
     * 620-byte rest waits for an ACK rather than go as a runt (RFC 9293 §3.8.6.2.1) */
    static uint8_t big[5000];
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 3);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1 + 3 * 1460, 65535, NULL, 0);
    fx_arrive(f, &a);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1 + 3 * 1460, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 620);
    fx_free(f);
}

static void test_linux_keepalive_timeout_sends_rst(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(LNX);
    c.keepalive = true;
    c.ka_probes = 1;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_seg(f, 0, F_A, ISS_L, ISS_R + 1);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_seg(f, 0, F_R | F_A, ISS_L + 1, ISS_R + 1);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(KEEPALIVE_TIMEOUT));
    fx_free(f);
}

static void test_linux_window_field_scaled_by_8(void **st)
{
    (void)st;
    struct fx *f = fx_new(LNX);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->out.seg[0].seg.window, 65535); /* SYN: unscaled */
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_wscale(&sa, 7);
    fx_arrive(f, &sa);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.window, 65535 >> 8);
    fx_free(f);
}

static void test_syn_received_close_with_queued_data_waits(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 20, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_ntrans(f, 0);
    expect_nseg(f, 0);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &a);
    expect_ntrans(f, 2);
    expect_trans(f, 0, S(SYN_RECEIVED), S(ESTABLISHED), W(ACK_OF_SYNACK));
    expect_trans(f, 1, S(ESTABLISHED), S(FIN_WAIT_1), W(CLOSE_SENDS_FIN));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P | F_F, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 20);
    fx_free(f);
}

static void test_close_wait_shutdown_last_ack(void **st)
{
    (void)st;
    struct fx *f = fx_close_wait(RFC);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_shutdown(&f->ep, f->now, &f->out), TCPSIM_OK);
    expect_trans(f, 0, S(CLOSE_WAIT), S(LAST_ACK), W(CLOSE_SENDS_FIN));
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 2);
    assert_false(f->ep.user_closed);
    assert_int_equal(tcpsim_tcp_shutdown(&f->ep, f->now, &f->out), TCPSIM_OK); /* idempotent */
    fx_free(f);
}

static void test_notes_overflow_counted(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    struct tcpsim_segment r = seg_make(F_R, ISS_R + 1 + 100000, 0, 0, NULL, 0);
    fx_reset(f);
    for (int i = 0; i < TCPSIM_TCP_OUT_NOTES + 3; i++)
        assert_int_equal(tcpsim_tcp_segment_arrives(&f->ep, &r, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->out.nnote, TCPSIM_TCP_OUT_NOTES);
    assert_int_equal(f->out.dropped_notes, 3);
    fx_free(f);
}

const struct CMUnitTest tcp_misc_tests[] = {
    cmocka_unit_test(test_state_names_round_trip),
    cmocka_unit_test(test_state_parse_variants),
    cmocka_unit_test(test_state_synchronized_set),
    cmocka_unit_test(test_why_strings_complete),
    cmocka_unit_test(test_config_defaults_profiles),
    cmocka_unit_test(test_init_invalid_config),
    cmocka_unit_test(test_null_arguments_invalid),
    cmocka_unit_test(test_linux_syn_options_with_timestamps),
    cmocka_unit_test(test_linux_syn_options_without_timestamps),
    cmocka_unit_test(test_linux_synack_mirrors_peer),
    cmocka_unit_test(test_linux_close_with_unread_data_rst),
    cmocka_unit_test(test_linux_close_in_syn_sent_then_synack_gets_rst),
    cmocka_unit_test(test_linux_fin_after_close_in_fin_wait_2_acked),
    cmocka_unit_test(test_linux_data_after_close_rst),
    cmocka_unit_test(test_linux_segment_for_closed_socket_rst),
    cmocka_unit_test(test_linux_abort_rst_ack),
    cmocka_unit_test(test_linux_rto_min_200ms),
    cmocka_unit_test(test_observe_client_full_connection),
    cmocka_unit_test(test_observe_server_synack_fixes_iss),
    cmocka_unit_test(test_observe_synack_in_listen_without_syn),
    cmocka_unit_test(test_observe_server_close_wait_last_ack),
    cmocka_unit_test(test_observe_rst_aborts),
    cmocka_unit_test(test_observe_retransmissions_noted),
    cmocka_unit_test(test_observe_ack_catches_up_missing_data),
    cmocka_unit_test(test_observe_peer_acks_uncaptured_data),
    cmocka_unit_test(test_observe_odd_input_leaves_state),
    cmocka_unit_test(test_observe_no_timers_or_data_sent),
    cmocka_unit_test(test_observe_observer_builds_no_segments),
    cmocka_unit_test(test_observe_midstream_window_scale_unknown_lenient),
    cmocka_unit_test(test_observe_known_scale_window_applies),
    cmocka_unit_test(test_observe_window_beyond_buffer_safe),
    cmocka_unit_test(test_force_state_established),
    cmocka_unit_test(test_force_state_every_state_sane),
    cmocka_unit_test(test_force_state_fin_wait_1_fin_outstanding),
    cmocka_unit_test(test_force_state_time_wait_expires),
    cmocka_unit_test(test_force_state_close_wait_explicit_rcv_nxt),
    cmocka_unit_test(test_force_state_resync_keeps_options),
    cmocka_unit_test(test_seq_helpers_wrap),
    cmocka_unit_test(test_wrap_send_across_2_32),
    cmocka_unit_test(test_wrap_fin_across_2_32),
    cmocka_unit_test(test_store_data_off_counts_only),
    cmocka_unit_test(test_any_state_random_segments_survive),
    cmocka_unit_test(test_out_capacity_respected),
    cmocka_unit_test(test_established_sender_sws_holds_runt),
    cmocka_unit_test(test_linux_keepalive_timeout_sends_rst),
    cmocka_unit_test(test_linux_window_field_scaled_by_8),
    cmocka_unit_test(test_syn_received_close_with_queued_data_waits),
    cmocka_unit_test(test_close_wait_shutdown_last_ack),
    cmocka_unit_test(test_notes_overflow_counted),
};
const size_t tcp_misc_tests_n = sizeof tcp_misc_tests / sizeof tcp_misc_tests[0];
