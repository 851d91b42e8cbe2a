/* analysis.c - per-segment analysis with Wireshark's names, order of checks and
 * thresholds (packet-tcp.c tcp_analyze_sequence_number), plus the per-connection
 * bookkeeping: Wireshark's tcp.completeness, Zeek's conn_state and history.
 * Read first: reference-facts.md (Wireshark and Zeek vocabulary), RFC 9293 §3.4
 * (sequence space), RFC 1122 §4.2.3.6 (keep-alive), RFC 9293 §3.8.6.1 (zero window). */
#include "replay/replay.h"

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
 * and maxseqtobeacked means "not seen yet", so we keep the same convention. */
uint32_t tcpsim__rp_analyze(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
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

void tcpsim__rp_account(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                        uint32_t analysis, tcpsim_ns_t ts)
{
    struct tcpsim_rp_dir *d = &c->d[dir];
    const uint8_t f = s->flags;
    bool first = d->packets == 0 && c->d[!dir].packets == 0;

    d->packets++;
    d->bytes += seglen;
    for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
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
    struct tcpsim_rp_zeek *z = &d->z;
    if (first && c->flipped)
        hist_add(c, dir, '^');
    if ((f & TCPSIM_SYN) && (f & (TCPSIM_FIN | TCPSIM_RST)))
        hist_once(c, dir, 'q', 0x8);
    if (f & TCPSIM_SYN) {
        if (f & TCPSIM_ACK)
            hist_seq(c, dir, 'h', &z->h_seen, &z->h_seq, s->seq);
        else
            hist_seq(c, dir, 's', &z->s_seen, &z->s_seq, s->seq);
    }
    if (f & TCPSIM_FIN)
        hist_seq(c, dir, 'f', &z->f_seen, &z->f_seq, s->seq);
    if (f & TCPSIM_RST)
        hist_seq(c, dir, 'r', &z->r_seen, &z->r_seq, s->seq);
    if (seglen > 0) {
        if (analysis & (TCPSIM_AN_RETRANSMISSION | TCPSIM_AN_FAST_RETRANSMISSION | TCPSIM_AN_SPURIOUS_RETRANSMISSION))
            hist_log(c, dir, 't', &z->n_t);
        else
            hist_once(c, dir, 'd', 0x2);
    } else if ((f & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST | TCPSIM_ACK)) == TCPSIM_ACK) {
        hist_once(c, dir, 'a', 0x1);
    }
    if (analysis & TCPSIM_AN_LOST_SEGMENT)
        hist_log(c, dir, 'g', &z->n_g);
    if (s->window == 0 && !(f & TCPSIM_RST))
        hist_log(c, dir, 'w', &z->n_w);

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

/* Zeek's conn_state from what each side sent (reference-facts.md). */
const char *tcpsim__rp_conn_state(const struct tcpsim_rp_conn *c)
{
    const struct tcpsim_rp_dir *o = &c->d[TCPSIM_SIDE_CLIENT], *r = &c->d[TCPSIM_SIDE_SERVER];
    if (o->sent_syn && !r->sent_synack) {
        if (r->sent_rst)
            return "REJ";
        if (o->sent_rst)
            return "RSTOS0";
        if (o->sent_fin)
            return "SH";
        if (!r->sent_any)
            return "S0";
        return "OTH";
    }
    if (!o->sent_syn && r->sent_synack) {
        if (r->sent_rst)
            return "RSTRH";
        if (r->sent_fin)
            return "SHR";
        return "OTH";
    }
    if (!o->sent_syn && !r->sent_synack)
        return "OTH";
    if (c->first_rst == TCPSIM_SIDE_CLIENT)
        return "RSTO";
    if (c->first_rst == TCPSIM_SIDE_SERVER)
        return "RSTR";
    if (o->sent_fin && r->sent_fin)
        return "SF";
    if (o->sent_fin)
        return "S2";
    if (r->sent_fin)
        return "S3";
    return "S1";
}
