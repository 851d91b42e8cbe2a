/* test_tcp_timers.c - RFC 6298 RTO (formulas, Karn, backoff, give-up),
 * retransmission of SYN / SYN-ACK / data / FIN, TIME_WAIT (RFC 9293 §3.10.8),
 * zero-window probing (§3.8.6.1) and keep-alive (RFC 1122 §4.2.3.6). */
#include <string.h>

#include "tcp/tcp_priv.h"
#include "tcp_test.h"

static const uint8_t data100[100] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

/* ============================================================ RTO estimator */

static void test_rto_initial_one_second(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    assert_int_equal(f->ep.rto, TCPSIM_SEC(1));
    assert_false(f->ep.rtt_valid);
    fx_free(f);
}

static void test_rto_first_sample_formula(void **st)
{
    (void)st;
    struct fx *f = fx_new(LNX); /* rto_min 200 ms lets the formula show */
    tcpsim__rtt_sample(&f->ep, TCPSIM_MSEC(100));
    /* RFC 6298 (2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4*RTTVAR) */
    assert_int_equal(f->ep.srtt, TCPSIM_MSEC(100));
    assert_int_equal(f->ep.rttvar, TCPSIM_MSEC(50));
    assert_int_equal(f->ep.rto, TCPSIM_MSEC(300));
    fx_free(f);
}

static void test_rto_second_sample_formula(void **st)
{
    (void)st;
    struct fx *f = fx_new(LNX);
    tcpsim__rtt_sample(&f->ep, TCPSIM_MSEC(100));
    tcpsim__rtt_sample(&f->ep, TCPSIM_MSEC(200));
    /* RFC 6298 (2.3): RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5 ms; SRTT = 7/8*100 + 1/8*200 = 112.5 ms */
    assert_int_equal(f->ep.rttvar, 62500);
    assert_int_equal(f->ep.srtt, 112500);
    assert_int_equal(f->ep.rto, 112500 + 4 * 62500);
    fx_free(f);
}

static void test_rto_rfc_minimum_one_second(void **st)
{
    (void)st;
    struct fx *f = fx_new(RFC);
    tcpsim__rtt_sample(&f->ep, TCPSIM_MSEC(10));
    assert_int_equal(f->ep.rto, TCPSIM_SEC(1)); /* RFC 6298 (2.4) */
    tcpsim__rtt_sample(&f->ep, TCPSIM_SEC(100));
    assert_int_equal(f->ep.rto, TCPSIM_SEC(60)); /* (2.5) upper bound */
    fx_free(f);
}

static void test_rto_clock_granularity_floor(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.rto_min = 1;
    struct fx *f = fx_new_cfg(&c);
    /* identical samples drive RTTVAR towards 0; G (1 ms) keeps RTO above SRTT */
    for (int i = 0; i < 50; i++)
        tcpsim__rtt_sample(&f->ep, TCPSIM_MSEC(10));
    assert_int_equal(f->ep.srtt, TCPSIM_MSEC(10));
    assert_true(f->ep.rto >= TCPSIM_MSEC(11));
    fx_free(f);
}

static void test_rto_sample_from_data_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(LNX);
    /* handshake sample: 100 ms */
    assert_int_equal(f->ep.srtt, TCPSIM_MSEC(100));
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 101, 65535, NULL, 0);
    fx_arrive_at(f, f->now + TCPSIM_MSEC(300), &a);
    assert_int_equal(f->ep.srtt, (7 * TCPSIM_MSEC(100) + TCPSIM_MSEC(300)) / 8);
    fx_free(f);
}

static void test_rto_karn_no_sample_from_retransmission(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(LNX);
    tcpsim_time_t t0 = f->now;
    fx_timeout_at(f, t0 + TCPSIM_SEC(1));
    expect_seg(f, 0, F_S, ISS_L, 0);
    assert_true(f->out.seg[0].retransmission);
    /* the SYN-ACK could answer either SYN: no RTT sample (Karn) */
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive_at(f, t0 + TCPSIM_MSEC(1100), &sa);
    expect_state(f, S(ESTABLISHED));
    assert_false(f->ep.rtt_valid);
    /* RFC 6298 (5.7): no sample from the handshake after a SYN timeout: 3 s */
    assert_int_equal(f->ep.rto, TCPSIM_SEC(3));
    assert_int_equal(f->ep.backoff, 0);
    fx_free(f);
}

/* ========================================================= SYN retransmission */

static void test_syn_sent_syn_retransmitted_with_backoff(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    tcpsim_time_t t = f->now, iv = TCPSIM_SEC(1);
    for (unsigned i = 1; i <= 5; i++) {
        assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), t + iv);
        /* nothing happens a microsecond early */
        fx_timeout_at(f, t + iv - 1);
        expect_nseg(f, 0);
        t += iv;
        fx_timeout_at(f, t);
        expect_nseg(f, 1);
        expect_seg(f, 0, F_S, ISS_L, 0);
        assert_true(f->out.seg[0].retransmission);
        assert_int_equal(f->out.seg[0].why, W(RTO_FIRED));
        assert_true(has_note(f, W(RTO_FIRED)));
        assert_int_equal(f->ep.backoff, i);
        iv *= 2;
        assert_int_equal(f->ep.rto, iv);
    }
    fx_free(f);
}

static void test_syn_sent_timeout_closed_timedout(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC); /* syn_retries 5 */
    unsigned sent = 0;
    for (int i = 0; i < 20 && f->ep.state == S(SYN_SENT); i++) {
        fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
        sent += (unsigned)f->out.nseg;
    }
    assert_int_equal(sent, 5);
    expect_trans(f, 0, S(SYN_SENT), S(CLOSED), W(USER_TIMEOUT));
    assert_true(has_err(f, TCPSIM_ERR_TIMEDOUT));
    /* 1+2+4+8+16+32 s after the first SYN */
    assert_int_equal(f->now, TCPSIM_SEC(10) + TCPSIM_SEC(63));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_syn_sent_linux_gives_up_after_127s(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(LNX); /* tcp_syn_retries 6 */
    unsigned sent = 0;
    for (int i = 0; i < 20 && f->ep.state == S(SYN_SENT); i++) {
        fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
        sent += (unsigned)f->out.nseg;
    }
    assert_int_equal(sent, 6);
    assert_int_equal(f->now, TCPSIM_SEC(10) + TCPSIM_SEC(127));
    expect_state(f, S(CLOSED));
    fx_free(f);
}

static void test_rto_backoff_capped_at_rto_max(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.rto_max = TCPSIM_SEC(5);
    c.syn_retries = 10;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    static const unsigned expect_s[] = {2, 4, 5, 5, 5};
    for (size_t i = 0; i < 5; i++) {
        fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
        assert_int_equal(f->ep.rto, TCPSIM_SEC(expect_s[i]));
        assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->now + TCPSIM_SEC(expect_s[i]));
    }
    fx_free(f);
}

static void test_syn_received_synack_retransmitted(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    fx_timeout_at(f, f->now + TCPSIM_SEC(1));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_S | F_A, ISS_L, ISS_R + 1);
    assert_true(f->out.seg[0].retransmission);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->now + TCPSIM_SEC(2));
    fx_free(f);
}

static void test_syn_received_timeout_back_to_listen(void **st)
{
    (void)st;
    struct fx *f = fx_syn_received(RFC);
    for (int i = 0; i < 20 && f->ep.state == S(SYN_RECEIVED); i++)
        fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_trans(f, 0, S(SYN_RECEIVED), S(LISTEN), W(USER_TIMEOUT));
    assert_int_equal(f->out.nerr, 0); /* no user has seen this connection */
    assert_true(f->ep.passive);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    /* a clean listener again: the next SYN is answered */
    struct tcpsim_segment syn = seg_make(F_S, 7000, 0, 65535, NULL, 0);
    fx_arrive(f, &syn);
    expect_seg(f, 0, F_S | F_A, ISS_L, 7001);
    assert_int_equal(f->ep.rto, TCPSIM_SEC(1));
    fx_free(f);
}

/* ======================================================== data retransmission */

static void test_established_data_retransmitted_on_rto(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    static uint8_t big[2000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 2);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->now + TCPSIM_SEC(1));
    fx_timeout_at(f, f->now + TCPSIM_SEC(1));
    /* RFC 6298 (5.4): only the earliest segment */
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1460);
    assert_memory_equal(f->out.seg[0].seg.payload, big, 1460);
    assert_true(f->out.seg[0].retransmission);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->now + TCPSIM_SEC(2));
    fx_free(f);
}

static void test_established_max_retries_abort_timedout(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC); /* max_retries 8 */
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    unsigned rtx = 0;
    for (int i = 0; i < 30 && f->ep.state == S(ESTABLISHED); i++) {
        fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
        rtx += (unsigned)f->out.nseg;
    }
    assert_int_equal(rtx, 8);
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(USER_TIMEOUT));
    assert_true(has_err(f, TCPSIM_ERR_TIMEDOUT));
    expect_nseg(f, 0);
    fx_free(f);
}

static void test_established_rtx_timer_restarted_on_partial_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    static uint8_t big[2920];
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    tcpsim_time_t t0 = f->now;
    assert_int_equal(f->ep.t_rtx, t0 + TCPSIM_SEC(1));
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1461, 65535, NULL, 0);
    fx_arrive_at(f, t0 + TCPSIM_MSEC(400), &a);
    /* RFC 6298 (5.3): restarted from now with the current RTO */
    assert_int_equal(f->ep.t_rtx, t0 + TCPSIM_MSEC(400) + f->ep.rto);
    struct tcpsim_segment b = seg_make(F_A, ISS_R + 1, ISS_L + 2921, 65535, NULL, 0);
    fx_arrive_at(f, t0 + TCPSIM_MSEC(500), &b);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER); /* (5.2) all acknowledged */
    fx_free(f);
}

static void test_fin_wait_1_fin_retransmitted(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_1(RFC);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 1);
    assert_true(f->out.seg[0].retransmission);
    expect_state(f, S(FIN_WAIT_1));
    fx_free(f);
}

static void test_last_ack_fin_retransmitted(void **st)
{
    (void)st;
    struct fx *f = fx_last_ack(RFC);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 2);
    assert_true(f->out.seg[0].retransmission);
    fx_free(f);
}

static void test_closing_fin_retransmitted(void **st)
{
    (void)st;
    struct fx *f = fx_closing(RFC);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_seg(f, 0, F_F | F_A, ISS_L + 1, ISS_R + 2);
    fx_free(f);
}

static void test_fin_with_data_retransmitted_together(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_close(&f->ep, f->now, &f->out), TCPSIM_OK);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_F | F_A | F_P, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 100);
    fx_free(f);
}

/* ================================================================= TIME_WAIT */

static void test_time_wait_timeout_closed(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC);
    tcpsim_time_t due = f->ep.t_time_wait;
    fx_timeout_at(f, due - 1);
    expect_ntrans(f, 0);
    fx_timeout_at(f, due);
    expect_ntrans(f, 1);
    expect_trans(f, 0, S(TIME_WAIT), S(CLOSED), W(TIME_WAIT_EXPIRED));
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_time_wait_restart_postpones_expiry(void **st)
{
    (void)st;
    struct fx *f = fx_time_wait(RFC);
    tcpsim_time_t due = f->ep.t_time_wait;
    struct tcpsim_segment s = seg_make(F_F | F_A, ISS_R + 1, ISS_L + 2, 65535, NULL, 0);
    fx_arrive_at(f, due - TCPSIM_SEC(1), &s);
    fx_timeout_at(f, due);
    expect_ntrans(f, 0);
    expect_state(f, S(TIME_WAIT));
    fx_timeout_at(f, due - TCPSIM_SEC(1) + 2 * f->ep.cfg.msl);
    expect_trans(f, 0, S(TIME_WAIT), S(CLOSED), W(TIME_WAIT_EXPIRED));
    fx_free(f);
}

static void test_fin_wait_2_linux_orphan_timeout(void **st)
{
    (void)st;
    struct fx *f = fx_fin_wait_2(LNX);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->now + TCPSIM_SEC(60));
    fx_timeout_at(f, f->now + TCPSIM_SEC(60));
    expect_trans(f, 0, S(FIN_WAIT_2), S(CLOSED), W(FIN_WAIT_2_TIMEOUT));
    /* the RFC profile waits for ever */
    struct fx *g = fx_fin_wait_2(RFC);
    assert_int_equal(tcpsim_tcp_next_timeout(&g->ep), TCPSIM_TIME_NEVER);
    fx_free(g);
    fx_free(f);
}

/* ============================================================== persist timer */

static struct fx *fx_zero_window(enum tcpsim_tcp_profile p)
{
    struct fx *f = fx_established(p);
    struct tcpsim_segment z = seg_make(F_A, ISS_R + 1, ISS_L + 1, 0, NULL, 0);
    fx_arrive(f, &z);
    assert_int_equal(f->ep.snd_wnd, 0);
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 100, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(n, 100);
    expect_nseg(f, 0);
    return f;
}

static void test_persist_zero_window_probe_one_byte(void **st)
{
    (void)st;
    struct fx *f = fx_zero_window(RFC);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER);
    assert_int_equal(f->ep.t_persist, f->now + f->ep.rto);
    fx_timeout_at(f, f->ep.t_persist);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 1);
    assert_int_equal(f->out.seg[0].seg.payload[0], data100[0]);
    assert_int_equal(f->out.seg[0].why, W(PERSIST_PROBE));
    assert_true(has_note(f, W(PERSIST_PROBE)));
    assert_int_equal(f->ep.snd_nxt, ISS_L + 1);
    assert_int_equal(f->ep.snd_max, ISS_L + 2);
    fx_free(f);
}

static void test_persist_probe_backoff_never_gives_up(void **st)
{
    (void)st;
    struct fx *f = fx_zero_window(RFC);
    tcpsim_time_t prev_iv = 0;
    for (int i = 0; i < 12; i++) {
        tcpsim_time_t at = f->ep.t_persist;
        fx_timeout_at(f, at);
        expect_nseg(f, 1);
        tcpsim_time_t iv = f->ep.t_persist - at;
        assert_true(iv >= prev_iv);
        assert_true(iv <= f->ep.cfg.rto_max);
        prev_iv = iv;
        /* the receiver still says zero */
        struct tcpsim_segment z = seg_make(F_A, ISS_R + 1, ISS_L + 1, 0, NULL, 0);
        fx_arrive(f, &z);
    }
    assert_int_equal(prev_iv, f->ep.cfg.rto_max);
    expect_state(f, S(ESTABLISHED));
    fx_free(f);
}

static void test_persist_window_opens_data_flows(void **st)
{
    (void)st;
    struct fx *f = fx_zero_window(RFC);
    fx_timeout_at(f, f->ep.t_persist);
    /* the probe byte is accepted and the window opens */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 2, 1000, NULL, 0);
    fx_arrive(f, &a);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 2, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 99);
    assert_int_equal(f->ep.t_persist, TCPSIM_TIME_NEVER);
    assert_true(f->ep.t_rtx != TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_persist_window_update_without_probe_ack(void **st)
{
    (void)st;
    struct fx *f = fx_zero_window(RFC);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 1000, NULL, 0);
    fx_arrive(f, &a);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A | F_P, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->out.seg[0].seg.payload_len, 100);
    fx_free(f);
}

static void test_persist_linux_probe_old_sequence(void **st)
{
    (void)st;
    struct fx *f = fx_zero_window(LNX);
    fx_timeout_at(f, f->ep.t_persist);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L, ISS_R + 1); /* SND.UNA - 1, no data */
    assert_int_equal(f->out.seg[0].seg.payload_len, 0);
    fx_free(f);
}

static void test_receiver_acks_zero_window_probe(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.rcv_buf = 10;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 10);
    fx_arrive(f, &d);
    assert_int_equal(f->ep.rcv_wnd, 0);
    /* a one-byte probe with a new window for us: ACK it (window 0), take its ACK field */
    struct tcpsim_segment probe = seg_make(F_A, ISS_R + 11, ISS_L + 1, 4321, data100, 1);
    fx_arrive(f, &probe);
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 11);
    assert_int_equal(f->out.seg[0].seg.window, 0);
    assert_int_equal(f->ep.snd_wnd, 4321);
    assert_int_equal(f->out.ndeliv, 0);
    fx_free(f);
}

/* ================================================================= keep-alive */

static void test_keepalive_off_by_default(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    assert_false(f->ep.cfg.keepalive);
    assert_int_equal(f->ep.t_keepalive, TCPSIM_TIME_NEVER);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), TCPSIM_TIME_NEVER);
    fx_free(f);
}

static struct fx *fx_ka(void)
{
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.keepalive = true;
    c.ka_idle = TCPSIM_SEC(100);
    c.ka_interval = TCPSIM_SEC(10);
    c.ka_probes = 3;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    fx_arrive(f, &sa);
    return f;
}

static void test_keepalive_probes_then_timeout(void **st)
{
    (void)st;
    struct fx *f = fx_ka();
    tcpsim_time_t t = f->now;
    assert_int_equal(f->ep.t_keepalive, t + TCPSIM_SEC(100));
    fx_timeout_at(f, t + TCPSIM_SEC(100));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L, ISS_R + 1); /* SND.NXT - 1 */
    assert_int_equal(f->out.seg[0].why, W(KEEPALIVE_PROBE));
    for (int i = 1; i < 3; i++) {
        fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
        expect_nseg(f, 1);
    }
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), t + TCPSIM_SEC(130));
    fx_timeout_at(f, t + TCPSIM_SEC(130));
    expect_trans(f, 0, S(ESTABLISHED), S(CLOSED), W(KEEPALIVE_TIMEOUT));
    assert_true(has_err(f, TCPSIM_ERR_TIMEDOUT));
    fx_free(f);
}

static void test_keepalive_answered_resets(void **st)
{
    (void)st;
    struct fx *f = fx_ka();
    tcpsim_time_t t = f->now;
    fx_timeout_at(f, t + TCPSIM_SEC(100));
    fx_timeout_at(f, t + TCPSIM_SEC(110));
    /* the peer answers the probe */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, NULL, 0);
    fx_arrive_at(f, t + TCPSIM_SEC(111), &a);
    assert_int_equal(f->ep.t_keepalive, t + TCPSIM_SEC(211));
    expect_state(f, S(ESTABLISHED));
    fx_free(f);
}

static void test_keepalive_not_while_data_outstanding(void **st)
{
    (void)st;
    struct fx *f = fx_ka();
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 10, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(f->ep.t_keepalive, TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_next_timeout_is_earliest(void **st)
{
    (void)st;
    struct fx *f = fx_ka();
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, data100, 10, &n, f->now, &f->out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_next_timeout(&f->ep), f->ep.t_rtx);
    assert_int_equal(f->ep.t_rtx, f->now + f->ep.rto);
    fx_free(f);
}

/* ================================================ congestion control (RFC 5681) */

static void test_cc_initial_window_per_profile(void **st)
{
    (void)st;
    struct fx *r = fx_established(RFC);
    assert_int_equal(r->ep.cwnd, 3 * 1460); /* RFC 5681 §3.1: SMSS 1095..2190: 3 segments */
    assert_int_equal(r->ep.ssthresh, UINT32_MAX);
    struct fx *l = fx_established(LNX);
    assert_int_equal(l->ep.cwnd, 10 * 1460); /* RFC 6928 */
    static uint8_t big[40000];
    size_t n;
    fx_reset(r);
    assert_int_equal(tcpsim_tcp_send(&r->ep, big, sizeof big, &n, r->now, &r->out), TCPSIM_OK);
    expect_nseg(r, 3);
    fx_reset(l);
    assert_int_equal(tcpsim_tcp_send(&l->ep, big, sizeof big, &n, l->now, &l->out), TCPSIM_OK);
    expect_nseg(l, 10);
    fx_free(l);
    fx_free(r);
}

static void test_cc_iw_by_mss(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&sa, 536);
    fx_arrive(f, &sa);
    assert_int_equal(f->ep.cwnd, 4 * 536);
    fx_free(f);
}

static void test_cc_slow_start_grows_per_ack(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    static uint8_t big[100000];
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 3);
    /* each ACK of a full segment: cwnd += SMSS, so two segments go out */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1461, 65535, NULL, 0);
    fx_arrive(f, &a);
    assert_int_equal(f->ep.cwnd, 4 * 1460);
    expect_nseg(f, 2);
    expect_seg(f, 0, F_A, ISS_L + 1 + 3 * 1460, ISS_R + 1);
    fx_free(f);
}

static void test_cc_congestion_avoidance_linear(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    f->ep.ssthresh = 3 * 1460; /* already at ssthresh */
    static uint8_t big[100000];
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1461, 65535, NULL, 0);
    fx_arrive(f, &a);
    /* eq. (3): cwnd += SMSS*SMSS/cwnd = 1460/3 */
    assert_int_equal(f->ep.cwnd, 3 * 1460 + 1460 / 3);
    expect_nseg(f, 1);
    fx_free(f);
}

static void test_cc_rto_collapses_window_and_goes_back(void **st)
{
    (void)st;
    struct fx *f = fx_established(RFC);
    static uint8_t big[4380];
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 3);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    assert_int_equal(f->ep.cwnd, 1460);
    assert_int_equal(f->ep.ssthresh, 2 * 1460);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 1461);
    assert_int_equal(f->ep.snd_max, ISS_L + 4381);
    /* the ACK opens cwnd to 2 segments: the next two go again, as retransmissions */
    struct tcpsim_segment a = seg_make(F_A, ISS_R + 1, ISS_L + 1461, 65535, NULL, 0);
    fx_arrive(f, &a);
    expect_nseg(f, 2);
    expect_seg(f, 0, F_A, ISS_L + 1461, ISS_R + 1);
    expect_seg(f, 1, F_A | F_P, ISS_L + 2921, ISS_R + 1);
    assert_true(f->out.seg[0].retransmission && f->out.seg[1].retransmission);
    /* the receiver had them all: one ACK jumps SND.NXT forward */
    struct tcpsim_segment all = seg_make(F_A, ISS_R + 1, ISS_L + 4381, 65535, NULL, 0);
    fx_arrive(f, &all);
    assert_int_equal(f->ep.snd_nxt, ISS_L + 4381);
    assert_int_equal(f->ep.t_rtx, TCPSIM_TIME_NEVER);
    fx_free(f);
}

static void test_cc_off_window_only(void **st)
{
    (void)st;
    struct tcpsim_tcp_config c = fx_config(RFC);
    c.cc = false;
    struct fx *f = fx_new_cfg(&c);
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_open(&f->ep, true, f->now, &f->out), TCPSIM_OK);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 8000, NULL, 0);
    seg_mss(&sa, 1000);
    fx_arrive(f, &sa);
    static uint8_t big[20000];
    size_t n;
    fx_reset(f);
    assert_int_equal(tcpsim_tcp_send(&f->ep, big, sizeof big, &n, f->now, &f->out), TCPSIM_OK);
    expect_nseg(f, 8);
    /* no fast retransmit without congestion control */
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 8000, NULL, 0);
    for (int i = 0; i < 3; i++)
        fx_arrive(f, &d);
    expect_nseg(f, 0);
    fx_free(f);
}

static void test_cc_syn_loss_initial_window_one_segment(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    fx_timeout_at(f, tcpsim_tcp_next_timeout(&f->ep));
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_mss(&sa, 1460);
    fx_arrive(f, &sa);
    assert_int_equal(f->ep.cwnd, 1460);         /* RFC 5681 §3.1 */
    assert_int_equal(f->ep.rto, TCPSIM_SEC(3)); /* RFC 6298 (5.7): 2 s < 3 s */
    fx_free(f);
}

/* ===================================================================== PAWS */

static void test_established_paws_old_timestamp_dropped(void **st)
{
    (void)st;
    struct fx *f = fx_syn_sent(RFC);
    struct tcpsim_segment sa = seg_make(F_S | F_A, ISS_R, ISS_L + 1, 65535, NULL, 0);
    seg_ts(&sa, 1000, 10000);
    fx_arrive(f, &sa);
    struct tcpsim_segment d = seg_make(F_A, ISS_R + 1, ISS_L + 1, 65535, data100, 10);
    seg_ts(&d, 999, 10000);
    fx_arrive(f, &d);
    assert_int_equal(f->out.ndeliv, 0);
    assert_true(has_note(f, W(PAWS_DROPPED)));
    expect_nseg(f, 1);
    expect_seg(f, 0, F_A, ISS_L + 1, ISS_R + 1);
    /* a reset is never PAWS-dropped */
    struct tcpsim_segment r = seg_make(F_R, ISS_R + 1, 0, 0, NULL, 0);
    seg_ts(&r, 5, 0);
    fx_arrive(f, &r);
    expect_state(f, S(CLOSED));
    fx_free(f);
}

const struct CMUnitTest tcp_timer_tests[] = {
    cmocka_unit_test(test_rto_initial_one_second),
    cmocka_unit_test(test_rto_first_sample_formula),
    cmocka_unit_test(test_rto_second_sample_formula),
    cmocka_unit_test(test_rto_rfc_minimum_one_second),
    cmocka_unit_test(test_rto_clock_granularity_floor),
    cmocka_unit_test(test_rto_sample_from_data_ack),
    cmocka_unit_test(test_rto_karn_no_sample_from_retransmission),
    cmocka_unit_test(test_syn_sent_syn_retransmitted_with_backoff),
    cmocka_unit_test(test_syn_sent_timeout_closed_timedout),
    cmocka_unit_test(test_syn_sent_linux_gives_up_after_127s),
    cmocka_unit_test(test_rto_backoff_capped_at_rto_max),
    cmocka_unit_test(test_syn_received_synack_retransmitted),
    cmocka_unit_test(test_syn_received_timeout_back_to_listen),
    cmocka_unit_test(test_established_data_retransmitted_on_rto),
    cmocka_unit_test(test_established_max_retries_abort_timedout),
    cmocka_unit_test(test_established_rtx_timer_restarted_on_partial_ack),
    cmocka_unit_test(test_fin_wait_1_fin_retransmitted),
    cmocka_unit_test(test_last_ack_fin_retransmitted),
    cmocka_unit_test(test_closing_fin_retransmitted),
    cmocka_unit_test(test_fin_with_data_retransmitted_together),
    cmocka_unit_test(test_time_wait_timeout_closed),
    cmocka_unit_test(test_time_wait_restart_postpones_expiry),
    cmocka_unit_test(test_fin_wait_2_linux_orphan_timeout),
    cmocka_unit_test(test_persist_zero_window_probe_one_byte),
    cmocka_unit_test(test_persist_probe_backoff_never_gives_up),
    cmocka_unit_test(test_persist_window_opens_data_flows),
    cmocka_unit_test(test_persist_window_update_without_probe_ack),
    cmocka_unit_test(test_persist_linux_probe_old_sequence),
    cmocka_unit_test(test_receiver_acks_zero_window_probe),
    cmocka_unit_test(test_keepalive_off_by_default),
    cmocka_unit_test(test_keepalive_probes_then_timeout),
    cmocka_unit_test(test_keepalive_answered_resets),
    cmocka_unit_test(test_keepalive_not_while_data_outstanding),
    cmocka_unit_test(test_next_timeout_is_earliest),
    cmocka_unit_test(test_cc_initial_window_per_profile),
    cmocka_unit_test(test_cc_iw_by_mss),
    cmocka_unit_test(test_cc_slow_start_grows_per_ack),
    cmocka_unit_test(test_cc_congestion_avoidance_linear),
    cmocka_unit_test(test_cc_rto_collapses_window_and_goes_back),
    cmocka_unit_test(test_cc_off_window_only),
    cmocka_unit_test(test_cc_syn_loss_initial_window_one_segment),
    cmocka_unit_test(test_established_paws_old_timestamp_dropped),
};
const size_t tcp_timer_tests_n = sizeof tcp_timer_tests / sizeof tcp_timer_tests[0];
