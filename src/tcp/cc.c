/* cc.c - congestion control: slow start, congestion avoidance, fast
 * retransmit / fast recovery with NewReno partial ACKs.
 * Read first: RFC 5681 §3 (eq. 2-4), RFC 6582 §3 (NewReno), RFC 6928 (IW 10),
 * RFC 3390 (IW rule in RFC 5681 §3.1). Off (cfg.cc false) means an unlimited
 * congestion window: only the peer's window limits the sender. */
#include "tcp/tcp_priv.h"

static uint32_t flight(const struct tcpsim_tcp_endpoint *ep)
{
    return tcpsim_seq_gt(ep->snd_max, ep->snd_una) ? ep->snd_max - ep->snd_una : 0;
}

static uint32_t half_flight(const struct tcpsim_tcp_endpoint *ep)
{
    /* RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS) */
    uint32_t smss = tcpsim__eff_mss(ep);
    uint32_t h = flight(ep) / 2;
    return h > 2 * smss ? h : 2 * smss;
}

void tcpsim__cc_init_n(struct tcpsim_tcp_endpoint *ep)
{
    /* (in_recovery and recover: tcpsim__cc_init; never for an observer) */
    if (!ep->cfg.cc) {
        ep->cwnd = ep->ssthresh = UINT32_MAX;
        return;
    }
    uint32_t smss = tcpsim__eff_mss(ep);
    unsigned iw = ep->cfg.init_cwnd;
    if (iw == 0) /* RFC 5681 §3.1 (RFC 3390) */
        iw = smss > 2190 ? 2u : smss > 1095 ? 3u : 4u;
    /* RFC 5681 §3.1: after a lost SYN or SYN-ACK the initial window is one segment */
    if (ep->priv.syn_rtx && ep->cfg.init_cwnd == 0)
        iw = 1;
    ep->cwnd = iw * smss;
    ep->ssthresh = UINT32_MAX; /* "arbitrarily high" */
}

void tcpsim__cc_on_ack_n(struct tcpsim_tcp_endpoint *ep, uint32_t acked, uint32_t ack, tcpsim_time_t now,
                         struct tcpsim_tcp_out *out)
{
    if (!ep->cfg.cc || acked == 0)
        return;
    const bool obs = ep->cfg.observer; /* no window kept (tcpsim__cc_init) */
    if (obs && !ep->in_recovery)
        return;
    uint32_t smss = tcpsim__eff_mss(ep);
    if (ep->in_recovery) {
        if (tcpsim_seq_geq(ack, ep->recover)) {
            /* RFC 6582 §3.2 step 3: full acknowledgment: deflate, leave recovery */
            uint32_t f = flight(ep) + smss;
            if (!obs)
                ep->cwnd = ep->ssthresh < f ? ep->ssthresh : f;
            ep->in_recovery = false;
        } else {
            /* step 4: partial acknowledgment: the next hole, then deflate by the amount acked */
            tcpsim__retransmit_first(ep, TCPSIM_WHY_PARTIAL_ACK, now, out);
            if (!obs) {
                ep->cwnd = ep->cwnd > acked ? ep->cwnd - acked : 0;
                if (acked >= smss)
                    ep->cwnd += smss;
            }
            ep->t_rtx = TCPSIM_TIME_NEVER; /* re-armed: RFC 6582 resets the timer on the first partial ACK */
        }
        return;
    }
    if (ep->cwnd < ep->ssthresh) {
        /* slow start, eq. (2): cwnd += min(N, SMSS) */
        ep->cwnd += acked < smss ? acked : smss;
    } else {
        /* congestion avoidance, eq. (3): cwnd += SMSS*SMSS/cwnd */
        uint32_t inc = (uint32_t)((uint64_t)smss * smss / (ep->cwnd ? ep->cwnd : 1));
        ep->cwnd += inc ? inc : 1;
    }
}

bool tcpsim__cc_on_dupack(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!ep->cfg.cc)
        return false;
    const bool obs = ep->cfg.observer; /* no window kept (tcpsim__cc_init) */
    uint32_t smss = tcpsim__eff_mss(ep);
    if (ep->in_recovery) {
        if (!obs)
            ep->cwnd += smss; /* RFC 5681 §3.2 step 4: inflate for each segment that left the network */
        return false;
    }
    /* RFC 6582 §3.2 step 2: no new recovery for losses from before the last one */
    if (ep->dup_acks != 3 || tcpsim_seq_lt(ep->snd_una, ep->recover))
        return false;
    if (!obs)
        ep->ssthresh = half_flight(ep);
    ep->recover = ep->snd_max;
    ep->in_recovery = true;
    tcpsim__retransmit_first(ep, TCPSIM_WHY_FAST_RETRANSMIT, now, out);
    tcpsim__note(out, TCPSIM_WHY_FAST_RETRANSMIT, now);
    if (!obs)
        ep->cwnd = ep->ssthresh + 3 * smss; /* step 3 */
    return true;
}

void tcpsim__cc_on_rto(struct tcpsim_tcp_endpoint *ep)
{
    if (!ep->cfg.cc)
        return;
    /* RFC 5681 §3.1 eq. (4) and "cwnd to no more than the loss window, LW = 1 SMSS" */
    ep->ssthresh = half_flight(ep);
    ep->cwnd = tcpsim__eff_mss(ep);
    ep->in_recovery = false;
    ep->recover = ep->snd_max; /* RFC 6582 §4: no fast retransmit for what was in flight */
}
