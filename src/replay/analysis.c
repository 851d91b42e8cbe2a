/* analysis.c - per-segment analysis with Wireshark's names, order of checks and
 * thresholds (packet-tcp.c tcp_analyze_sequence_number), plus the per-connection
 * bookkeeping: Wireshark's tcp.completeness, Zeek's conn_state and history.
 * Read first: reference-facts.md (Wireshark and Zeek vocabulary), RFC 9293 §3.4
 * (sequence space), RFC 1122 §4.2.3.6 (keep-alive), RFC 9293 §3.8.6.1 (zero window). */
#include "replay/analysis_fast.h"

#include <string.h>

static const char *const an_names[TCPSIM_AN_COUNT] = {
    "retransmission",        "fast_retransmission", "spurious_retransmission",
    "out_of_order",          "lost_segment",        "ack_lost_segment",
    "duplicate_ack",         "zero_window",         "zero_window_probe",
    "zero_window_probe_ack", "keep_alive",          "keep_alive_ack",
    "window_update",         "window_full",         "reused_ports",
};

const char *tcpsim__rp_an_name(unsigned bit)
{
    return bit < TCPSIM_AN_COUNT ? an_names[bit] : "unknown";
}

#define GT(a, b) tcpsim_seq_gt((a), (b))
#define LT(a, b) tcpsim_seq_lt((a), (b))
#define LE(a, b) tcpsim_seq_leq((a), (b))

/* Wireshark works on relative numbers (seq - base_seq); 0 in nextseq, lastack
 * and maxseqtobeacked means "not seen yet", so we keep the same convention.
 * The common segment's shortcut is tcpsim__rp_analyze_quick (analysis_fast.h,
 * inlined in replay.c's per-packet path); this is the same for the tests. */
uint32_t tcpsim__rp_analyze(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                            tcpsim_ns_t ts)
{
    return tcpsim__rp_analyze_quick(c, dir, s, seglen, ts);
}

/* The whole analysis, in Wireshark's order of checks. */
uint32_t tcpsim__rp_analyze_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                                 tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir], *rev = &c->d[!dir];
    uint32_t fl = 0;
    const uint8_t flags = s->flags;
    const uint32_t seq = s->seq - fwd->base_seq;
    /* Without ACK Wireshark keeps the raw field (normally 0). */
    const uint32_t ack = (flags & TCPSIM_ACK) ? s->ack - rev->base_seq : s->ack;
    const uint32_t window = s->window;
    const bool sfr = (flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST)) != 0;

    if (c->reused_ports_pending) {
        fl |= TCPSIM_AN_REUSED_PORTS;
        c->reused_ports_pending = false;
    }

    /* ZERO WINDOW PROBE: one byte at the next expected seq into a zero window
     * (RFC 9293 §3.8.6.1). */
    if (seglen == 1 && seq == fwd->nextseq && rev->window_set && rev->window == 0) {
        fl |= TCPSIM_AN_ZERO_WINDOW_PROBE;
        goto finished_fwd;
    }
    /* ZERO WINDOW: the receiver closes its window (not on SYN/FIN/RST). */
    if (window == 0 && !sfr)
        fl |= TCPSIM_AN_ZERO_WINDOW;

    /* LOST SEGMENT: a hole before this segment ("previous segment not captured"). */
    if (fwd->nextseq && GT(seq, fwd->nextseq) && !(flags & TCPSIM_RST))
        fl |= TCPSIM_AN_LOST_SEGMENT;

    /* KEEP ALIVE: 0 or 1 byte starting one before the next expected seq (RFC 1122 §4.2.3.6). */
    if ((seglen == 0 || seglen == 1) && seq == fwd->nextseq - 1 && !sfr)
        fl |= TCPSIM_AN_KEEP_ALIVE;

    /* WINDOW UPDATE: nothing new but the window. */
    if (seglen == 0 && window && fwd->window_set && window != fwd->window && seq == fwd->nextseq &&
        ack == fwd->lastack && !sfr)
        fl |= TCPSIM_AN_WINDOW_UPDATE;

    /* WINDOW FULL: data up to the right edge of the peer's advertised window. */
    if (seglen > 0 && rev->win_scale != -1 && rev->window_set &&
        seq + seglen == rev->lastack + (rev->window << (rev->win_scale < 0 ? 0 : rev->win_scale)) && !sfr)
        fl |= TCPSIM_AN_WINDOW_FULL;

    /* KEEP ALIVE ACK: repeats the last ACK right after a keep-alive from the peer. */
    if (seglen == 0 && window && fwd->window_set && window == fwd->window && seq == fwd->nextseq &&
        ack == fwd->lastack && (rev->lastsegmentflags & TCPSIM_AN_KEEP_ALIVE) && !sfr) {
        fl |= TCPSIM_AN_KEEP_ALIVE_ACK;
        goto finished_fwd;
    }
    /* ZERO WINDOW PROBE ACK: still zero after the peer's probe. */
    if (seglen == 0 && window == 0 && fwd->window_set && window == fwd->window && seq == fwd->nextseq &&
        (ack == fwd->lastack || ack == fwd->lastack + 1) && (rev->lastsegmentflags & TCPSIM_AN_ZERO_WINDOW_PROBE) &&
        !sfr) {
        fl |= TCPSIM_AN_ZERO_WINDOW_PROBE_ACK;
        goto finished_fwd;
    }
    /* DUPLICATE ACK: same seq, ack and window, no data. */
    if (seglen == 0 && window && fwd->window_set && window == fwd->window && seq == fwd->nextseq &&
        ack == fwd->lastack && !sfr) {
        fwd->dupacknum++;
        fl |= TCPSIM_AN_DUPLICATE_ACK;
    }

finished_fwd:
    if (!(fl & TCPSIM_AN_DUPLICATE_ACK))
        fwd->dupacknum = 0;

    /* ACKED LOST SEGMENT: acknowledges bytes we never saw the peer send. */
    if (rev->maxseqtobeacked && GT(ack, rev->maxseqtobeacked) && (flags & TCPSIM_ACK)) {
        fl |= TCPSIM_AN_ACK_LOST_SEGMENT;
        rev->maxseqtobeacked = rev->nextseq;
    }

    /* RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER, in
     * Wireshark's precedence: keep-alive, fast, out-of-order, spurious, plain. */
    if (seglen > 0 || (flags & (TCPSIM_SYN | TCPSIM_FIN))) {
        bool not_advanced = fwd->nextseq && LT(seq, fwd->nextseq);
        if (fl & TCPSIM_AN_KEEP_ALIVE)
            goto finished_retrans;
        /* >= 2 duplicate ACKs for this seq, the last one < 20 ms ago. */
        if (not_advanced && rev->dupacknum >= 2 && rev->lastack == seq && ts - rev->lastacktime < 20000000u) {
            fl |= TCPSIM_AN_FAST_RETRANSMISSION;
            goto finished_retrans;
        }
        /* Out-of-order: arrives within the initial RTT (3 ms if unknown) of
         * the highest segment. */
        uint64_t thres = c->rtt_known && c->rtt ? c->rtt : 3000000u;
        if (not_advanced && ts - fwd->nextseqtime < thres && fwd->nextseq != seq + seglen) {
            fl |= TCPSIM_AN_OUT_OF_ORDER;
            goto finished_retrans;
        }
        /* Spurious: everything in it was already acknowledged. */
        if (seglen > 0 && rev->lastack && LE(seq + seglen, rev->lastack)) {
            fl |= TCPSIM_AN_SPURIOUS_RETRANSMISSION;
            goto finished_retrans;
        }
        if (not_advanced)
            fl |= TCPSIM_AN_RETRANSMISSION;
    }
finished_retrans:
    /* Wireshark shows tcp.analysis.retransmission under a fast or spurious
     * retransmission too (a filter on it finds all three). */
    if (fl & (TCPSIM_AN_FAST_RETRANSMISSION | TCPSIM_AN_SPURIOUS_RETRANSMISSION))
        fl |= TCPSIM_AN_RETRANSMISSION;

    uint32_t nextseq = seq + seglen;
    if (flags & (TCPSIM_SYN | TCPSIM_FIN))
        nextseq += 1;
    /* Highest seq seen; zero-window probes do not advance it. */
    if (GT(nextseq, fwd->nextseq) || !fwd->nextseq) {
        if (!(fl & TCPSIM_AN_ZERO_WINDOW_PROBE)) {
            fwd->nextseq = nextseq;
            fwd->nextseqtime = ts;
        }
    }
    /* Highest contiguous seq, for ACKed-lost detection. */
    if (seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) {
        if (!(fl & TCPSIM_AN_ZERO_WINDOW_PROBE))
            fwd->maxseqtobeacked = fwd->nextseq;
    }
    fwd->window = window;
    fwd->window_set = true;
    fwd->lastack = ack;
    fwd->lastacktime = ts;
    fwd->lastsegmentflags = fl;
    return fl;
}

/* A SYN or SYN-ACK (no FIN, RST or data) opening its direction (nothing
 * seen from it yet), no reused port pending and, for a SYN-ACK, not
 * acknowledging past what the peer sent: of the whole analysis only the
 * updates at its end apply (every check above them wants data, no SYN, or a
 * sequence number seen before). Anything else takes the whole path. */
uint32_t tcpsim__rp_analyze_rare(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                                 tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir];
    const struct tcpsim_rp_dir *rev = &c->d[!dir];
    const uint8_t flags = s->flags;
    if ((flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST)) != TCPSIM_SYN || seglen != 0 || fwd->nextseq != 0 ||
        c->reused_ports_pending)
        return tcpsim__rp_analyze_full(c, dir, s, seglen, ts);
    const uint32_t ack = (flags & TCPSIM_ACK) ? s->ack - rev->base_seq : s->ack;
    if ((flags & TCPSIM_ACK) && rev->maxseqtobeacked && GT(ack, rev->maxseqtobeacked))
        return tcpsim__rp_analyze_full(c, dir, s, seglen, ts);
    const uint32_t seq = s->seq - fwd->base_seq;
    fwd->dupacknum = 0;
    fwd->nextseq = seq + 1; /* the SYN takes one sequence number */
    fwd->nextseqtime = ts;
    if (seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked)
        fwd->maxseqtobeacked = fwd->nextseq;
    fwd->window = s->window;
    fwd->window_set = true;
    fwd->lastack = ack;
    fwd->lastacktime = ts;
    fwd->lastsegmentflags = 0;
    return 0;
}

/* ---- Zeek history (reference-facts.md) ---- */

static void hist_add(struct tcpsim_rp_conn *c, int dir, char letter)
{
    /* Upper case for the originator (our client), lower case for the responder. */
    char ch = dir == TCPSIM_SIDE_CLIENT ? (char)(letter - 'a' + 'A') : letter;
    if (letter == '^')
        ch = '^';
    if (c->hist_len + 1 < TCPSIM_RP_HIST_MAX) {
        c->history[c->hist_len++] = ch;
        c->history[c->hist_len] = '\0';
    }
}

/* c, g, t, w are written at the 1st, 10th, 100th ... occurrence. */
static void hist_log(struct tcpsim_rp_conn *c, int dir, char letter, uint32_t *n)
{
    uint32_t k = ++*n;
    while (k % 10 == 0)
        k /= 10;
    if (k == 1)
        hist_add(c, dir, letter);
}

/* a, d, i, q at most once per direction. */
static void hist_once(struct tcpsim_rp_conn *c, int dir, char letter, uint8_t bit)
{
    struct tcpsim_rp_zeek *z = &c->d[dir].z;
    if (!(z->once & bit)) {
        z->once |= bit;
        hist_add(c, dir, letter);
    }
}

/* f, h, r, s repeat only when the sequence number changes. */
static void hist_seq(struct tcpsim_rp_conn *c, int dir, char letter, bool *seen, uint32_t *last, uint32_t seq)
{
    if (!*seen || *last != seq) {
        *seen = true;
        *last = seq;
        hist_add(c, dir, letter);
    }
}

/* Zeek's 'g' is a content gap: stream bytes the monitor never saw (Zeek's
 * reassembler reports one when an ACK passes a hole, or when the connection
 * ends with one). Wireshark's lost_segment only says a hole opened; when the
 * bytes show up later (reordering, a retransmission before the ACK) there is
 * no gap. Holes are tracked per direction, at most 4 (more are merged). */
static void hole_fill(struct tcpsim_rp_zeek *z, struct tcpsim_rp_zeek_more *zm, uint32_t lo, uint32_t hi)
{
    for (unsigned i = 0; i < z->nholes;) {
        uint32_t a = zm->hole_lo[i], b = zm->hole_hi[i];
        if (tcpsim_seq_geq(lo, b) || tcpsim_seq_leq(hi, a)) {
            i++;
            continue;
        }
        bool keep_left = tcpsim_seq_lt(a, lo), keep_right = tcpsim_seq_gt(b, hi);
        if (keep_left && keep_right) { /* split */
            zm->hole_hi[i] = lo;
            if (z->nholes < 4) {
                zm->hole_lo[z->nholes] = hi;
                zm->hole_hi[z->nholes] = b;
                z->nholes++;
            }
            return;
        }
        if (keep_left) {
            zm->hole_hi[i] = lo;
            i++;
        } else if (keep_right) {
            zm->hole_lo[i] = hi;
            i++;
        } else { /* filled */
            z->nholes--;
            zm->hole_lo[i] = zm->hole_lo[z->nholes];
            zm->hole_hi[i] = zm->hole_hi[z->nholes];
        }
    }
}

static void track_gaps(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen)
{
    struct tcpsim_rp_zeek *z = &c->d[dir].z, *pz = &c->d[!dir].z;
    struct tcpsim_rp_zeek_more *zm = &c->zm[dir], *pzm = &c->zm[!dir];
    const uint8_t f = s->flags;
    if (!(f & TCPSIM_RST) && (seglen > 0 || (f & (TCPSIM_SYN | TCPSIM_FIN)))) {
        uint32_t lo = s->seq + ((f & TCPSIM_SYN) ? 1u : 0u);
        uint32_t hi = lo + seglen + ((f & TCPSIM_FIN) ? 1u : 0u);
        if (z->hi_set && tcpsim_seq_gt(lo, z->hi)) {
            if (z->nholes < 4) {
                zm->hole_lo[z->nholes] = z->hi;
                zm->hole_hi[z->nholes] = lo;
                z->nholes++;
            } else {
                zm->hole_hi[3] = lo;
            }
        }
        hole_fill(z, zm, lo, hi);
        if (!z->hi_set || tcpsim_seq_gt(hi, z->hi)) {
            z->hi_set = true;
            z->hi = hi;
        }
    }
    /* The peer acknowledges past a hole in its stream, or past the end of
     * what we saw it send: the receiver had bytes we never saw. */
    if ((f & TCPSIM_ACK) && pz->hi_set && tcpsim_seq_gt(s->ack, pz->hi) && tcpsim_seq_lt(s->ack - pz->hi, 1u << 30)) {
        hist_log(c, !dir, 'g', &pzm->n_g);
        pz->hi = s->ack;
    }
    if (f & TCPSIM_ACK)
        for (unsigned i = 0; i < pz->nholes;) {
            if (tcpsim_seq_gt(s->ack, pzm->hole_lo[i])) {
                hist_log(c, !dir, 'g', &pzm->n_g);
                pz->nholes--;
                pzm->hole_lo[i] = pzm->hole_lo[pz->nholes];
                pzm->hole_hi[i] = pzm->hole_hi[pz->nholes];
            } else {
                i++;
            }
        }
}

void tcpsim__rp_gaps_final(struct tcpsim_rp_conn *c)
{
    for (int d = 0; d < 2; d++) {
        struct tcpsim_rp_zeek *z = &c->d[d].z;
        for (; z->nholes > 0; z->nholes--)
            hist_log(c, d, 'g', &c->zm[d].n_g);
    }
}

/* The common segment's shortcut is tcpsim__rp_account_quick (analysis_fast.h,
 * inlined in replay.c's per-packet path); this is the same for the tests. */
void tcpsim__rp_account(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                        uint32_t analysis, tcpsim_ns_t ts)
{
    tcpsim__rp_account_quick(c, dir, s, seglen, analysis, ts);
}

void tcpsim__rp_hist_once(struct tcpsim_rp_conn *c, int dir, char letter, uint8_t bit)
{
    hist_once(c, dir, letter, bit);
}

/* A FIN|ACK in the common case of tcpsim__rp_account_quick (in order, no
 * hole, no gap, nothing flagged, not the first packet): what the whole path
 * does for it besides the counters, in its order. */
void tcpsim__rp_fin_quick(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen)
{
    struct tcpsim_rp_dir *d = &c->d[dir];
    struct tcpsim_rp_zeek_more *zm = &c->zm[dir];
    c->completeness |= (uint8_t)(16u | (seglen > 0 ? 8u : 4u));
    d->sent_fin = true;
    hist_seq(c, dir, 'f', &zm->f_seen, &zm->f_seq, s->seq);
    if (seglen > 0)
        hist_once(c, dir, 'd', 0x2);
    uint32_t hi = s->seq + seglen + 1u; /* the FIN takes a sequence number */
    if (tcpsim_seq_gt(hi, d->z.hi))
        d->z.hi = hi;
}

/* A SYN or SYN-ACK (no FIN, RST or data) with an open window and nothing
 * flagged, the first of its direction's stream (no high-water mark yet, so
 * no hole), no hole in the peer's stream and, for a SYN-ACK, no gap: what
 * the whole bookkeeping does for it, in its order. Anything else takes the
 * whole path. */
void tcpsim__rp_account_rare(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                             uint32_t analysis, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *d = &c->d[dir];
    const struct tcpsim_rp_dir *pd = &c->d[!dir];
    const uint8_t f = s->flags;
    if ((f & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST)) != TCPSIM_SYN || seglen != 0 || analysis != 0 || s->window == 0 ||
        d->z.hi_set || d->z.nholes != 0 || pd->z.nholes != 0 ||
        ((f & TCPSIM_ACK) && pd->z.hi_set && tcpsim_seq_gt(s->ack, pd->z.hi) &&
         tcpsim_seq_lt(s->ack - pd->z.hi, 1u << 30))) {
        tcpsim__rp_account_full(c, dir, s, seglen, analysis, ts);
        return;
    }
    const bool ack = (f & TCPSIM_ACK) != 0;
    const bool first = d->packets == 0 && pd->packets == 0;
    d->packets++;
    if (!first)
        c->completeness |= ack ? 2 : 1;
    else if (!ack)
        c->completeness |= 1;
    d->sent_any = true;
    struct tcpsim_rp_zeek_more *zm = &c->zm[dir];
    if (ack) {
        d->sent_synack = true;
        if (first && c->flipped)
            hist_add(c, dir, '^');
        hist_seq(c, dir, 'h', &zm->h_seen, &zm->h_seq, s->seq);
    } else {
        d->sent_syn = true;
        if (first && c->flipped)
            hist_add(c, dir, '^');
        hist_seq(c, dir, 's', &zm->s_seen, &zm->s_seq, s->seq);
        if (dir == TCPSIM_SIDE_CLIENT)
            c->syn_time = ts;
    }
    d->z.hi_set = true;
    d->z.hi = s->seq + 1u; /* the stream starts after the SYN */
}

/* Wireshark initial_rtt: the client's first ACK after the SYN-ACK (the rule
 * at the end of tcpsim__rp_account_full, for an ACK without SYN). */
void tcpsim__rp_rtt_quick(struct tcpsim_rp_conn *c, int dir, uint8_t flags, tcpsim_ns_t ts)
{
    if (dir == TCPSIM_SIDE_CLIENT && (flags & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_ACK &&
        c->d[TCPSIM_SIDE_CLIENT].sent_syn && c->d[TCPSIM_SIDE_SERVER].sent_synack) {
        c->rtt_known = true;
        c->rtt = ts - c->syn_time;
    }
}

void tcpsim__rp_account_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                             uint32_t analysis, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *d = &c->d[dir];
    const uint8_t f = s->flags;
    bool first = d->packets == 0 && c->d[!dir].packets == 0;

    d->packets++;
    d->bytes += seglen;
    for (unsigned b = 0; analysis >> b; b++) /* most packets have no bit set: no loop */
        if (analysis & (1u << b))
            c->an_count[b]++;

    /* tcp.completeness as tshark 4.0 builds it in one pass: the first packet of
     * a conversation only counts when it is a SYN; a plain ACK counts when it
     * carries no data. */
    if (first) {
        if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN)
            c->completeness |= 1;
    } else {
        if (f & TCPSIM_SYN)
            c->completeness |= (f & TCPSIM_ACK) ? 2 : 1;
        if ((f & TCPSIM_ACK) && !(f & TCPSIM_SYN) && seglen == 0)
            c->completeness |= 4;
        if (seglen > 0)
            c->completeness |= 8;
        if (f & TCPSIM_FIN)
            c->completeness |= 16;
        if (f & TCPSIM_RST)
            c->completeness |= 32;
    }

    /* Zeek bookkeeping for conn_state. */
    d->sent_any = true;
    if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN)
        d->sent_syn = true;
    if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == (TCPSIM_SYN | TCPSIM_ACK))
        d->sent_synack = true;
    if (f & TCPSIM_FIN)
        d->sent_fin = true;
    if (f & TCPSIM_RST) {
        d->sent_rst = true;
        if (c->first_rst < 0)
            c->first_rst = dir;
    }

    /* Zeek history letters, in the order Zeek checks them. */
    struct tcpsim_rp_zeek_more *zm = &c->zm[dir];
    if (first && c->flipped)
        hist_add(c, dir, '^');
    if ((f & TCPSIM_SYN) && (f & (TCPSIM_FIN | TCPSIM_RST)))
        hist_once(c, dir, 'q', 0x8);
    if (f & TCPSIM_SYN) {
        if (f & TCPSIM_ACK)
            hist_seq(c, dir, 'h', &zm->h_seen, &zm->h_seq, s->seq);
        else
            hist_seq(c, dir, 's', &zm->s_seen, &zm->s_seq, s->seq);
    }
    if (f & TCPSIM_FIN)
        hist_seq(c, dir, 'f', &zm->f_seen, &zm->f_seq, s->seq);
    if (f & TCPSIM_RST)
        hist_seq(c, dir, 'r', &zm->r_seen, &zm->r_seq, s->seq);
    if (seglen > 0) {
        if (analysis & (TCPSIM_AN_RETRANSMISSION | TCPSIM_AN_FAST_RETRANSMISSION | TCPSIM_AN_SPURIOUS_RETRANSMISSION))
            hist_log(c, dir, 't', &zm->n_t);
        else
            hist_once(c, dir, 'd', 0x2);
    } else if ((f & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST | TCPSIM_ACK)) == TCPSIM_ACK) {
        hist_once(c, dir, 'a', 0x1);
    }
    track_gaps(c, dir, s, seglen);
    if (s->window == 0 && !(f & TCPSIM_RST))
        hist_log(c, dir, 'w', &zm->n_w);

    /* Handshake RTT (Wireshark initial_rtt): from the latest SYN to the
     * client's first ACK after the SYN-ACK. */
    if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN && dir == TCPSIM_SIDE_CLIENT)
        c->syn_time = ts;
    if (!c->rtt_known && dir == TCPSIM_SIDE_CLIENT && (f & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_ACK &&
        c->d[TCPSIM_SIDE_CLIENT].sent_syn && c->d[TCPSIM_SIDE_SERVER].sent_synack) {
        c->rtt_known = true;
        c->rtt = ts - c->syn_time;
    }
}

/* Zeek's endpoint states (TCP_ENDPOINT_*), from what each side sent. */
enum zst { Z_INACTIVE, Z_SYN_SENT, Z_SYN_ACK_SENT, Z_PARTIAL, Z_ESTABLISHED, Z_CLOSED, Z_RESET };

static enum zst zeek_state(const struct tcpsim_rp_conn *c, int side)
{
    const struct tcpsim_rp_dir *d = &c->d[side];
    if (d->sent_rst)
        return Z_RESET;
    if (d->sent_fin)
        return Z_CLOSED;
    if (!d->sent_any)
        return Z_INACTIVE;
    if (c->rtt_known) /* the originator ACKed the SYN-ACK: both established */
        return Z_ESTABLISHED;
    if (side == TCPSIM_SIDE_CLIENT)
        return d->sent_syn ? Z_SYN_SENT : Z_PARTIAL;
    return d->sent_synack ? Z_SYN_ACK_SENT : d->sent_syn ? Z_SYN_SENT : Z_PARTIAL;
}

/* RSTOS0's history test, /^\^?S[^HAFGIQ]*R/ in Zeek: the originator sent a
 * SYN and then a RST, with no handshake, ACK, FIN, gap or data between. */
static bool hist_rstos0(const char *h)
{
    if (*h == '^')
        h++;
    if (*h++ != 'S')
        return false;
    for (; *h && *h != 'R'; h++)
        if (strchr("HAFGIQ", *h))
            return false;
    return *h == 'R';
}

/* Zeek's conn_state() (base/protocols/conn/main.zeek), in its order of tests
 * (os/rs: originator/responder endpoint state; "inactive" = INACTIVE or
 * PARTIAL; Zeek is not installable here, the order is from its source):
 *   1. rs RESET: REJ if os is SYN_SENT or SYN_ACK_SENT, or os RESET with no
 *      payload either way; else RSTRH if os inactive; else RSTR
 *   2. os RESET: if rs inactive, RSTOS0 when the history is ^?S[^HAFGIQ]*R,
 *      else OTH; otherwise RSTO
 *   3. both CLOSED: SF
 *   4. os CLOSED: SH if rs inactive, else S2
 *   5. rs CLOSED: SHR if os inactive, else S3
 *   6. os SYN_SENT and rs INACTIVE: S0
 *   7. both ESTABLISHED: S1
 *   8. else OTH
 * So the responder's RST is tested before the originator's, whoever was
 * first, and SH/SHR only apply when the other side never closed. */
const char *tcpsim__rp_conn_state(const struct tcpsim_rp_conn *c)
{
    enum zst os = zeek_state(c, TCPSIM_SIDE_CLIENT), rs = zeek_state(c, TCPSIM_SIDE_SERVER);
    bool o_inactive = os == Z_INACTIVE || os == Z_PARTIAL, r_inactive = rs == Z_INACTIVE || rs == Z_PARTIAL;
    if (rs == Z_RESET) {
        if (os == Z_SYN_SENT || os == Z_SYN_ACK_SENT || (os == Z_RESET && c->d[0].bytes == 0 && c->d[1].bytes == 0))
            return "REJ";
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == Z_RESET) {
        if (r_inactive)
            return hist_rstos0(c->history) ? "RSTOS0" : "OTH";
        return "RSTO";
    }
    if (os == Z_CLOSED && rs == Z_CLOSED)
        return "SF";
    if (os == Z_CLOSED)
        return r_inactive ? "SH" : "S2";
    if (rs == Z_CLOSED)
        return o_inactive ? "SHR" : "S3";
    if (os == Z_SYN_SENT && rs == Z_INACTIVE)
        return "S0";
    if (os == Z_ESTABLISHED && rs == Z_ESTABLISHED)
        return "S1";
    return "OTH";
}
