/* rtx.c - retransmission timer and RTO estimator, persist, keep-alive,
 * TIME_WAIT and FIN_WAIT_2 timers.
 * Read first: RFC 6298 (RTO: §2 formulas, §3 Karn, §5 timer management),
 * RFC 9293 §3.8.1 and §3.10.8 (timeouts), §3.8.6.1 (zero-window probing),
 * RFC 1122 §4.2.3.6 (keep-alive), §4.2.2.13 (TIME_WAIT). */
#include "tcp/tcp_priv.h"

static tcpsim_time_t clamp_rto(const struct tcpsim_tcp_endpoint *ep, tcpsim_time_t rto)
{
    if (rto < ep->cfg.rto_min)
        rto = ep->cfg.rto_min; /* RFC 6298 (2.4) */
    if (rto > ep->cfg.rto_max)
        rto = ep->cfg.rto_max; /* RFC 6298 (2.5) */
    return rto;
}

void tcpsim__rtt_sample(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t r)
{
    if (!ep->rtt_valid) {
        /* RFC 6298 (2.2): first measurement */
        ep->srtt = r;
        ep->rttvar = r / 2;
        ep->rtt_valid = true;
    } else {
        /* RFC 6298 (2.3), alpha = 1/8, beta = 1/4; RTTVAR first, with the old SRTT */
        tcpsim_time_t diff = ep->srtt > r ? ep->srtt - r : r - ep->srtt;
        ep->rttvar = (3 * ep->rttvar + diff) / 4;
        ep->srtt = (7 * ep->srtt + r) / 8;
    }
    tcpsim_time_t k = 4 * ep->rttvar;
    ep->rto = clamp_rto(ep, ep->srtt + (k > TCPSIM_TCP_CLOCK_G ? k : TCPSIM_TCP_CLOCK_G));
}

static bool keepalive_state(enum tcpsim_tcp_state s)
{
    switch (s) {
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_CLOSE_WAIT:
        return true;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        return false;
    }
    return false;
}

void tcpsim__timers_update_n(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (ep->state != TCPSIM_TCP_TIME_WAIT)
        ep->t_time_wait = TCPSIM_TIME_NEVER;
    if (ep->state != TCPSIM_TCP_FIN_WAIT_2 || !ep->user_closed || ep->cfg.fin_wait2_timeout == 0) {
        p->t_fin_wait2 = TCPSIM_TIME_NEVER;
    } else if (p->t_fin_wait2 == TCPSIM_TIME_NEVER) {
        p->t_fin_wait2 = now + ep->cfg.fin_wait2_timeout;
    }
    if (p->observer || ep->state == TCPSIM_TCP_CLOSED || ep->state == TCPSIM_TCP_LISTEN ||
        ep->state == TCPSIM_TCP_TIME_WAIT) {
        ep->t_rtx = ep->t_persist = ep->t_keepalive = TCPSIM_TIME_NEVER;
        return;
    }
    /* RFC 6298 (5.1): run the timer while anything (SYN, data, FIN) is outstanding. */
    bool outstanding = tcpsim_seq_lt(ep->snd_una, ep->snd_nxt);
    if (!outstanding)
        ep->t_rtx = TCPSIM_TIME_NEVER;
    else if (ep->t_rtx == TCPSIM_TIME_NEVER)
        ep->t_rtx = now + ep->rto;

    /* RFC 9293 §3.8.6.1: zero window with data waiting and nothing else in
     * flight: the persist timer makes us probe. */
    uint32_t end = tcpsim__snd_end(ep);
    bool unsent = tcpsim_seq_gt(end, ep->snd_nxt);
    bool persist = tcpsim__state_sends(ep->state) && ep->snd_wnd == 0 && unsent && !outstanding;
    if (!persist) {
        ep->t_persist = TCPSIM_TIME_NEVER;
        p->persist_backoff = 0;
    } else if (ep->t_persist == TCPSIM_TIME_NEVER) {
        ep->t_persist = now + ep->rto;
    }

    /* RFC 1122 §4.2.3.6: probe only an idle connection, and only if asked to. */
    bool idle = !outstanding && !unsent;
    if (!ep->cfg.keepalive || !keepalive_state(ep->state) || !idle) {
        ep->t_keepalive = TCPSIM_TIME_NEVER;
        p->ka_sent = 0;
    } else if (ep->t_keepalive == TCPSIM_TIME_NEVER) {
        ep->t_keepalive = now + ep->cfg.ka_idle;
    }
}

tcpsim_time_t tcpsim_tcp_next_timeout(const struct tcpsim_tcp_endpoint *ep)
{
    if (ep == NULL || !ep->priv.live || ep->cfg.observer)
        return TCPSIM_TIME_NEVER;
    tcpsim_time_t t = ep->t_rtx;
    if (ep->t_time_wait < t)
        t = ep->t_time_wait;
    if (ep->t_persist < t)
        t = ep->t_persist;
    if (ep->t_keepalive < t)
        t = ep->t_keepalive;
    if (ep->priv.t_fin_wait2 < t)
        t = ep->priv.t_fin_wait2;
    return t;
}

static void give_up(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                    struct tcpsim_tcp_out *out)
{
    /* RFC 9293 §3.10.8 / RFC 1122 §4.2.3.5: the connection is aborted and the
     * user told; a passive half-open connection just goes back to LISTEN. */
    if (ep->state == TCPSIM_TCP_SYN_RECEIVED && ep->passive) {
        tcpsim__reset_to(ep, TCPSIM_TCP_LISTEN, why, now, out);
        return;
    }
    tcpsim__err(out, TCPSIM_ERR_TIMEDOUT);
    tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, why, now, out);
}

void tcpsim__retransmit_first(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                              struct tcpsim_tcp_out *out)
{
    /* first unacknowledged data byte (the SYN, if still unacknowledged, is not data) */
    uint32_t from = tcpsim_seq_lt(ep->snd_una, ep->priv.snd_base) ? ep->priv.snd_base : ep->snd_una;
    uint32_t data_end = tcpsim__snd_end(ep);
    if (tcpsim_seq_gt(data_end, ep->snd_max))
        data_end = ep->snd_max;
    uint32_t n = tcpsim_seq_gt(data_end, from) ? data_end - from : 0;
    if (n > tcpsim__eff_mss(ep))
        n = tcpsim__eff_mss(ep);
    bool fin = ep->fin_sent && from + n == ep->fin_seq;
    if (n == 0 && !fin)
        return;
    uint8_t flags = (uint8_t)(TCPSIM_ACK | (fin ? TCPSIM_FIN : 0u));
    if (n > 0 && from + n == tcpsim__snd_end(ep))
        flags |= TCPSIM_PSH;
    ep->priv.rtt_pending = false; /* Karn */
    tcpsim__emit(ep, flags, from, ep->rcv_nxt, tcpsim__snd_data(ep, from), n, why, true, now, out);
}

static void rto_expired(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    bool syn = ep->state == TCPSIM_TCP_SYN_SENT || ep->state == TCPSIM_TCP_SYN_RECEIVED;
    unsigned limit = syn ? ep->cfg.syn_retries : ep->cfg.max_retries;
    ep->t_rtx = TCPSIM_TIME_NEVER;
    if (ep->backoff >= limit) {
        give_up(ep, TCPSIM_WHY_USER_TIMEOUT, now, out);
        return;
    }
    ep->backoff++;
    /* RFC 6298 (5.5) back off; (5.6) re-arm; Karn (§3): no sample from a retransmission */
    ep->rto = ep->rto * 2 > ep->cfg.rto_max ? ep->cfg.rto_max : ep->rto * 2;
    p->rtt_pending = false;
    tcpsim__note(out, TCPSIM_WHY_RTO_FIRED, now);
    switch (ep->state) {
    case TCPSIM_TCP_SYN_SENT:
        p->syn_rtx = true;
        tcpsim__send_syn(ep, false, true, TCPSIM_WHY_RTO_FIRED, now, out);
        break;
    case TCPSIM_TCP_SYN_RECEIVED:
        p->syn_rtx = true;
        tcpsim__send_syn(ep, true, true, TCPSIM_WHY_RTO_FIRED, now, out);
        break;
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK: {
        /* RFC 6298 (5.4): retransmit the earliest unacknowledged segment; RFC 5681
         * §3.1: cwnd to one segment. SND.NXT goes back to SND.UNA (as BSD does),
         * so what follows is sent again as ACKs open the window. */
        tcpsim__cc_on_rto(ep);
        uint32_t from = tcpsim_seq_lt(ep->snd_una, p->snd_base) ? p->snd_base : ep->snd_una;
        if (tcpsim_seq_lt(from, ep->snd_nxt))
            ep->snd_nxt = from;
        tcpsim__output_n(ep, 1, TCPSIM_WHY_RTO_FIRED, now, out);
        break;
    }
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_TIME_WAIT:
        return;
    }
    ep->t_rtx = now + ep->rto;
}

static void persist_expired(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    ep->t_persist = TCPSIM_TIME_NEVER;
    if (ep->snd_wnd != 0 || !tcpsim_seq_gt(tcpsim__snd_end(ep), ep->snd_nxt))
        return;
    if (ep->cfg.profile == TCPSIM_PROFILE_LINUX) {
        /* Linux tcp_xmit_probe_skb: an old sequence number elicits an ACK */
        tcpsim__emit(ep, TCPSIM_ACK, ep->snd_una - 1, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_PERSIST_PROBE, false, now, out);
    } else {
        /* RFC 9293 §3.8.6.1: send one octet of new data past the zero window;
         * SND.NXT stays, SND.MAX covers it so its ACK is not "unsent data" */
        tcpsim__emit(ep, TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, tcpsim__snd_data(ep, ep->snd_nxt), 1,
                     TCPSIM_WHY_PERSIST_PROBE, false, now, out);
        if (tcpsim_seq_lt(ep->snd_max, ep->snd_nxt + 1))
            ep->snd_max = ep->snd_nxt + 1;
    }
    tcpsim__note(out, TCPSIM_WHY_PERSIST_PROBE, now);
    /* back off like the retransmission timer, but never give up (RFC 9293 §3.8.6.1) */
    if (p->persist_backoff < 30)
        p->persist_backoff++;
    tcpsim_time_t iv = ep->rto;
    for (unsigned i = 0; i < p->persist_backoff && iv < ep->cfg.rto_max; i++)
        iv *= 2;
    if (iv > ep->cfg.rto_max)
        iv = ep->cfg.rto_max;
    ep->t_persist = now + iv;
}

static void keepalive_expired(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    ep->t_keepalive = TCPSIM_TIME_NEVER;
    if (p->ka_sent >= ep->cfg.ka_probes) {
        if (ep->cfg.profile == TCPSIM_PROFILE_LINUX)
            tcpsim__emit(ep, TCPSIM_RST | TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_KEEPALIVE_TIMEOUT,
                         false, now, out);
        tcpsim__drop_tcb(ep);
        p->rcv_q = 0;
        tcpsim__err(out, TCPSIM_ERR_TIMEDOUT);
        tcpsim__transition(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_KEEPALIVE_TIMEOUT, now, out);
        return;
    }
    /* RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data */
    tcpsim__emit(ep, TCPSIM_ACK, ep->snd_nxt - 1, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_KEEPALIVE_PROBE, false, now, out);
    tcpsim__note(out, TCPSIM_WHY_KEEPALIVE_PROBE, now);
    p->ka_sent++;
    ep->t_keepalive = now + ep->cfg.ka_interval;
}

void tcpsim_tcp_timeout(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (ep == NULL || !ep->priv.live || out == NULL || ep->cfg.observer)
        return;
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (ep->t_time_wait <= now) {
        /* RFC 9293 §3.10.8: time-wait timeout: delete the TCB, enter CLOSED */
        tcpsim__drop_tcb(ep);
        tcpsim__transition(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_TIME_WAIT_EXPIRED, now, out);
        return;
    }
    if (p->t_fin_wait2 <= now) {
        tcpsim__drop_tcb(ep);
        tcpsim__transition(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_FIN_WAIT_2_TIMEOUT, now, out);
        return;
    }
    if (ep->t_rtx <= now)
        rto_expired(ep, now, out);
    if (ep->t_persist <= now)
        persist_expired(ep, now, out);
    if (ep->t_keepalive <= now)
        keepalive_expired(ep, now, out);
    tcpsim__timers_update(ep, now);
}
