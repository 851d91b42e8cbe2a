/* analysis_fast.h - the common segment's shortcuts of the per-segment analysis
 * and bookkeeping (analysis.c), inline so that replay.c's per-packet path does
 * not pay two calls and their registers for what is a few compares and stores
 * on most segments. Each decides up front whether the whole path would do
 * anything else and then hands the segment on, changing nothing: the
 * combined one (tcpsim__rp_track_quick) to the two others, those to the
 * handshake's shortcuts in analysis.c, and those to the whole paths.
 * tests/replay/test_replay_fast.c holds each against the whole paths.
 * Read first: analysis.c, RFC 1323 appendix A (header prediction),
 * reference-facts.md (Wireshark analysis, Zeek history). Not installed. */
#ifndef TCPSIM_REPLAY_ANALYSIS_FAST_H
#define TCPSIM_REPLAY_ANALYSIS_FAST_H

#include "replay/replay.h"

/* analysis.c: the whole analysis and bookkeeping (not static so that the unit
 * test can hold the shortcuts against them), and one Zeek letter of the
 * a/d/i/q kind, written at most once per direction. */
uint32_t tcpsim__rp_analyze_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                                 tcpsim_ns_t ts);
void tcpsim__rp_account_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                             uint32_t analysis, tcpsim_ns_t ts);
void tcpsim__rp_hist_once(struct tcpsim_rp_conn *c, int dir, char letter, uint8_t bit);
/* The rare parts of the common segment's bookkeeping (analysis.c): a FIN's
 * letters, completeness and high-water mark (from the segment in order, no
 * hole), and the handshake RTT rule while it is not known. */
void tcpsim__rp_fin_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen);
void tcpsim__rp_rtt_quick(struct tcpsim_rp_conn *c, int dir, uint8_t flags, tcpsim_ns_t ts);
/* The handshake's SYN and SYN-ACK in their common case (analysis.c), else
 * the whole analysis or bookkeeping: what the shortcuts above hand on. */
uint32_t tcpsim__rp_analyze_rare(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                                 tcpsim_ns_t ts);
void tcpsim__rp_account_rare(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                             uint32_t analysis, tcpsim_ns_t ts);

/* The sender's analysis state after a segment the quick paths took (no
 * flag set): what Wireshark keeps of it for the next one (packet-tcp.c's
 * tcp_analyze_sequence_number, end). */
static inline void tcpsim__rp_fwd_after(struct tcpsim_rp_dir *fwd, uint32_t seq, uint32_t nseq, uint32_t window,
                                        uint32_t ack, tcpsim_ns_t ts)
{
    if (seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked)
        fwd->maxseqtobeacked = nseq;
    fwd->window = window;
    fwd->lastack = ack;
    fwd->lastacktime = ts;
    fwd->lastsegmentflags = 0;
}

/* Wireshark's analysis (tcpsim__rp_analyze). The common case first (header
 * prediction, as RFC 1323 appendix A does for the endpoints): the next bytes
 * in order, or an ACK that moves on, or a FIN in order, into an open window,
 * no SYN or RST. Then none of the checks of the whole analysis can set a flag
 * except zero window probe, window full, spurious retransmission and ACKed
 * lost segment, tested here (a FIN that only window full would flag, which
 * Wireshark does not test on a FIN, goes the whole way too); the checks for
 * a segment without data (window update, keep-alive, duplicate ACK) leave a
 * FIN alone. The updates at its end are done in place. */
static inline uint32_t tcpsim__rp_analyze_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s,
                                                uint32_t seglen, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir];
    const struct tcpsim_rp_dir *rev = &c->d[!dir];
    const uint8_t flags = s->flags;
    const uint32_t seq = s->seq - fwd->base_seq;
    const uint32_t window = s->window;
    const uint32_t nextseq = fwd->nextseq;
    if ((flags & (TCPSIM_SYN | TCPSIM_RST)) || seq != nextseq || !nextseq || window == 0 || !fwd->window_set ||
        c->reused_ports_pending)
        return tcpsim__rp_analyze_rare(c, dir, s, seglen, ts);
    const bool fin = (flags & TCPSIM_FIN) != 0;
    /* Without ACK Wireshark keeps the raw field (normally 0). */
    const uint32_t ack = (flags & TCPSIM_ACK) ? s->ack - rev->base_seq : s->ack;
    bool quiet;
    if (seglen == 0) /* no window update, keep-alive ACK or duplicate ACK: those repeat the ACK (and skip a FIN) */
        quiet = fin || ack != fwd->lastack;
    else
        quiet = !(seglen == 1 && rev->window_set && rev->window == 0) &&
                !(rev->win_scale != -1 && rev->window_set &&
                  seq + seglen == rev->lastack + (rev->window << (rev->win_scale < 0 ? 0 : rev->win_scale))) &&
                !(rev->lastack && tcpsim_seq_leq(seq + seglen, rev->lastack));
    if (!quiet || (rev->maxseqtobeacked && tcpsim_seq_gt(ack, rev->maxseqtobeacked) && (flags & TCPSIM_ACK)))
        return tcpsim__rp_analyze_full(c, dir, s, seglen, ts);
    fwd->dupacknum = 0;
    const uint32_t nseq = seq + seglen + (fin ? 1u : 0u); /* = nextseq when there is neither data nor FIN */
    if (seglen > 0 || fin) {
        fwd->nextseq = nseq;
        fwd->nextseqtime = ts;
    }
    tcpsim__rp_fwd_after(fwd, seq, nseq, window, ack, ts);
    return 0;
}

/* Data seen in direction dir up to hi: Zeek's high-water mark, the
 * completeness bit for data (8) and the history's first 'd'. */
static inline void tcpsim__rp_data_seen(struct tcpsim_rp_conn *c, int dir, struct tcpsim_rp_dir *d, uint32_t hi)
{
    if (tcpsim_seq_gt(hi, d->z.hi))
        d->z.hi = hi;
    c->completeness |= 8;
    if (!(d->z.once & 0x2))
        tcpsim__rp_hist_once(c, dir, 'd', 0x2);
}

/* Completeness, Zeek history, counters (tcpsim__rp_account). The common
 * segment: ACK or PSH|ACK, or an ACK with a FIN (no SYN, RST), nothing
 * flagged by the analysis, an open window, not a conversation's first packet
 * (both directions' counts are 0 only before it), this direction's stream
 * seen before (its SYN at least), no hole open either way, the data not
 * starting past the highest byte seen (a new hole) and the ACK not passing
 * the peer's (a gap). Of the whole bookkeeping only the counters,
 * completeness, the stream's high-water mark, the first 'a' or 'd' of this
 * direction, a FIN's 'f' and sent_fin, and the handshake RTT (the client's
 * first ACK after the SYN-ACK: Wireshark initial_rtt) can move. */
static inline void tcpsim__rp_account_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s,
                                            uint32_t seglen, uint32_t analysis, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *d = &c->d[dir];
    const struct tcpsim_rp_dir *pd = &c->d[!dir];
    const uint8_t f = s->flags;
    if ((f & (TCPSIM_SYN | TCPSIM_RST | TCPSIM_ACK)) != TCPSIM_ACK || analysis != 0 || s->window == 0 || !d->z.hi_set ||
        d->z.nholes != 0 || pd->z.nholes != 0 || (!c->rtt_known && d->packets == 0 && pd->packets == 0) ||
        (pd->z.hi_set && tcpsim_seq_gt(s->ack, pd->z.hi) && tcpsim_seq_lt(s->ack - pd->z.hi, 1u << 30)) ||
        tcpsim_seq_gt(s->seq, d->z.hi)) { /* the last: a hole opens */
        tcpsim__rp_account_rare(c, dir, s, seglen, analysis, ts);
        return;
    }
    if (f & TCPSIM_FIN) { /* its letter comes before the data's, as in the whole path */
        tcpsim__rp_fin_quick(c, dir, s, seglen);
    } else if (seglen == 0) {
        c->completeness |= 4;
        if (!(d->z.once & 0x1))
            tcpsim__rp_hist_once(c, dir, 'a', 0x1);
    } else {
        tcpsim__rp_data_seen(c, dir, d, s->seq + seglen);
    }
    d->packets++;
    d->bytes += seglen;
    d->sent_any = true;
    if (!c->rtt_known) /* the handshake's last ACK: the RTT is known from here */
        tcpsim__rp_rtt_quick(c, dir, f, ts);
}

/* Both of the above at once for the most common segment of all, an ACK or
 * PSH|ACK in order (no SYN, FIN, RST) once the handshake RTT is known, with
 * an open window, nothing that Wireshark's analysis could flag (the tests of
 * tcpsim__rp_analyze_quick, for this segment) and nothing Zeek's bookkeeping
 * would do beyond its counters (those of tcpsim__rp_account_quick): each
 * field is read once and the two sets of updates are made together. Returns
 * false, having changed nothing, for any other segment: the caller then runs
 * the two above in turn. */
static inline bool tcpsim__rp_track_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s,
                                          uint32_t seglen, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir];
    const struct tcpsim_rp_dir *rev = &c->d[!dir];
    const uint32_t seq = s->seq - fwd->base_seq;
    const uint32_t window = s->window;
    if ((s->flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST | TCPSIM_ACK)) != TCPSIM_ACK || seq != fwd->nextseq || !seq ||
        window == 0 || !c->rtt_known || c->reused_ports_pending || !fwd->window_set || !fwd->z.hi_set ||
        (fwd->z.nholes | rev->z.nholes) != 0)
        return false;
    const uint32_t ack = s->ack - rev->base_seq;
    if (rev->maxseqtobeacked && tcpsim_seq_gt(ack, rev->maxseqtobeacked)) /* ACKed lost segment */
        return false;
    /* a gap: the ACK passes the peer's stream as seen */
    if (rev->z.hi_set && tcpsim_seq_gt(s->ack, rev->z.hi) && tcpsim_seq_lt(s->ack - rev->z.hi, 1u << 30))
        return false;
    const uint32_t nseq = seq + seglen;
    if (seglen == 0) {
        if (ack == fwd->lastack) /* window update, keep-alive ACK, duplicate ACK */
            return false;
        c->completeness |= 4;
        if (!(fwd->z.once & 0x1))
            tcpsim__rp_hist_once(c, dir, 'a', 0x1);
    } else {
        if ((seglen == 1 && rev->window_set && rev->window == 0) || /* zero window probe */
            (rev->win_scale != -1 && rev->window_set &&             /* window full */
             nseq == rev->lastack + (rev->window << (rev->win_scale < 0 ? 0 : rev->win_scale))) ||
            (rev->lastack && tcpsim_seq_leq(nseq, rev->lastack)) || /* spurious retransmission */
            tcpsim_seq_gt(s->seq, fwd->z.hi))                       /* a hole opens */
            return false;
        fwd->nextseq = nseq;
        fwd->nextseqtime = ts;
        tcpsim__rp_data_seen(c, dir, fwd, s->seq + seglen);
    }
    fwd->dupacknum = 0;
    tcpsim__rp_fwd_after(fwd, seq, nseq, window, ack, ts);
    fwd->packets++;
    fwd->bytes += seglen;
    fwd->sent_any = true;
    return true;
}

#endif
