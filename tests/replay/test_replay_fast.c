/* test_replay_fast.c - the replayer's per-segment shortcuts against their
 * full paths: the accounting (Zeek history, completeness, counters) of
 * tcpsim__rp_account's common case against tcpsim__rp_account_full, and the
 * Wireshark analysis of tcpsim__rp_analyze's common case against
 * tcpsim__rp_analyze_full, and the two at once (tcpsim__rp_track_quick, as
 * replay.c runs it before them) against both full paths, on random
 * connections, as replay.c runs them.
 * Read first: src/replay/analysis.c, reference-facts.md (Zeek history). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay/analysis_fast.h"
#include "replay/replay.h"
#include "testutil.h"

/* analysis.c: the whole bookkeeping, without the common-case shortcut */
void tcpsim__rp_account_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                             uint32_t analysis, tcpsim_ns_t ts);
/* analysis.c: the whole analysis, without the common-case shortcut */
uint32_t tcpsim__rp_analyze_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s, uint32_t seglen,
                                 tcpsim_ns_t ts);

/* What replay.c does before the analysis: relative-number bases. */
static void bases(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *s)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir], *rev = &c->d[!dir];
    if (!fwd->base_set) {
        fwd->base_set = true;
        fwd->base_seq = (s->flags & TCPSIM_SYN) ? s->seq : s->seq - 1;
    }
    if ((s->flags & TCPSIM_ACK) && !rev->base_set) {
        rev->base_set = true;
        rev->base_seq = s->ack - 1;
    }
}

/* Random connections: a handshake (sometimes missing its start), then data and
 * ACKs both ways with holes, retransmissions, old and future ACKs, zero
 * windows, and now and then a FIN or an RST; every segment goes through the
 * analysis and then through the shortcut on one copy of the connection and
 * the full bookkeeping on the other, which must stay byte for byte equal. */
enum which { ACCOUNT, ANALYZE, TRACK };

static void random_connections(enum which w)
{
    struct rng r = {w == ACCOUNT ? 0x5EED0FACC0117ULL : w == ANALYZE ? 0xA7A1F5E5EEDULL : 0x7AC4ED5EEDULL};
    struct tcpsim_rp_conn *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    unsigned steps = 0, quick = 0, fins = 0, rtts = 0, syns = 0;
    for (unsigned conn = 0; conn < 400; conn++) {
        memset(a, 0, sizeof *a);
        a->first_rst = -1;
        a->d[0].win_scale = a->d[1].win_scale = -1;
        uint32_t nxt[2] = {rnd(&r), rnd(&r)};
        tcpsim_ns_t ts = (tcpsim_ns_t)conn * 1000000000u;
        unsigned start = below(&r, 5) == 0 ? 2 : 0; /* sometimes mid-stream */
        for (unsigned i = 0; i < 50; i++, steps++) {
            struct tcpsim_segment s;
            memset(&s, 0, sizeof s);
            int dir;
            uint32_t len = 0;
            if (i + start == 0) {
                dir = 0;
                s.flags = TCPSIM_SYN;
            } else if (i + start == 1) {
                dir = 1;
                s.flags = TCPSIM_SYN | TCPSIM_ACK;
            } else {
                dir = (int)below(&r, 2);
                s.flags = TCPSIM_ACK;
                len = below(&r, 3) == 0 ? 0 : 1 + below(&r, 1460);
                if (below(&r, 2) == 0 && len > 0)
                    s.flags |= TCPSIM_PSH;
            }
            s.seq = nxt[dir];
            s.ack = nxt[!dir];
            s.window = (uint16_t)(8192 + below(&r, 1000));
            switch (i < 2 ? 99 : below(&r, 40)) {
            case 0:
                s.seq += 1 + below(&r, 3000); /* a hole */
                break;
            case 1:
                s.seq -= below(&r, 3000); /* a retransmission */
                break;
            case 2:
                s.ack -= below(&r, 3000);
                break;
            case 3:
                s.ack += 1 + below(&r, 3000); /* acknowledges what we did not see */
                break;
            case 4:
                s.window = 0;
                break;
            case 5:
                s.flags |= TCPSIM_FIN;
                break;
            case 6:
                if (below(&r, 4) == 0)
                    s.flags |= TCPSIM_RST;
                break;
            case 7:
                len = 0;
                break;
            default:
                break;
            }
            s.payload_len = len;
            uint32_t used = len + ((s.flags & TCPSIM_SYN) ? 1u : 0u) + ((s.flags & TCPSIM_FIN) ? 1u : 0u);
            if (tcpsim_seq_gt(s.seq + used, nxt[dir]))
                nxt[dir] = s.seq + used;
            ts += 1000 + below(&r, 5000000);
            bases(a, dir, &s);
            if (below(&r, 50) == 0)
                a->reused_ports_pending = true; /* as replay.c sets it on a reused 4-tuple */
            memcpy(b, a, sizeof *a);
            /* a SYN or SYN-ACK opening its direction: the handshake's
             * shortcuts (tcpsim__rp_analyze_rare, tcpsim__rp_account_rare) */
            syns += (s.flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST)) == TCPSIM_SYN && len == 0 &&
                    a->d[dir].nextseq == 0 && !a->d[dir].z.hi_set && !a->reused_ports_pending;
            uint32_t an_a, an_b;
            if (w == ANALYZE) {
                uint32_t nextseq = a->d[dir].nextseq;
                bool in_order = s.seq - a->d[dir].base_seq == nextseq && nextseq != 0;
                an_a = tcpsim__rp_analyze(a, dir, &s, len, ts);
                an_b = tcpsim__rp_analyze_full(b, dir, &s, len, ts);
                if (an_a != an_b || memcmp(a, b, sizeof *a) != 0)
                    fail_msg("connection %u step %u: the analysis shortcut and the full analysis differ (flags %#x / "
                             "%#x)",
                             conn, i, an_a, an_b);
                /* the shortcut's own entry test, seen from outside */
                bool common = (s.flags & (TCPSIM_SYN | TCPSIM_RST)) == 0 && in_order && s.window != 0 && an_a == 0;
                quick += common;
                fins += common && (s.flags & TCPSIM_FIN);
            } else if (w == TRACK) {
                /* replay.c's sequence: both at once for the most common
                 * segment, else the analysis and the bookkeeping in turn */
                bool took = tcpsim__rp_track_quick(a, dir, &s, len, ts);
                an_a = 0;
                if (!took) {
                    an_a = tcpsim__rp_analyze(a, dir, &s, len, ts);
                    tcpsim__rp_account(a, dir, &s, len, an_a, ts);
                }
                an_b = tcpsim__rp_analyze_full(b, dir, &s, len, ts);
                tcpsim__rp_account_full(b, dir, &s, len, an_b, ts);
                if (an_a != an_b || memcmp(a, b, sizeof *a) != 0)
                    fail_msg("connection %u step %u: the combined shortcut and the full paths differ (flags %#x / %#x, "
                             "history %s / %s)",
                             conn, i, an_a, an_b, a->history, b->history);
                quick += took;
                fins += took && len > 0; /* data segments it took (the rest: ACKs) */
            } else {
                an_a = tcpsim__rp_analyze(a, dir, &s, len, ts);
                an_b = tcpsim__rp_analyze(b, dir, &s, len, ts);
                assert_int_equal(an_a, an_b);
                uint64_t before = a->d[dir].packets;
                bool rtt_before = a->rtt_known;
                /* a FIN|ACK the shortcut may take: nothing flagged, an open
                 * window, no hole either way, in order, not the first packet */
                bool fin_common =
                    (s.flags & (TCPSIM_SYN | TCPSIM_RST | TCPSIM_FIN | TCPSIM_ACK)) == (TCPSIM_FIN | TCPSIM_ACK) &&
                    an_a == 0 && s.window != 0 && a->d[0].z.nholes == 0 && a->d[1].z.nholes == 0 &&
                    a->d[dir].z.hi_set && s.seq == a->d[dir].z.hi && before > 0;
                tcpsim__rp_account(a, dir, &s, len, an_a, ts);
                tcpsim__rp_account_full(b, dir, &s, len, an_b, ts);
                assert_int_equal(a->d[dir].packets, before + 1);
                if (memcmp(a, b, sizeof *a) != 0)
                    fail_msg("connection %u step %u: the shortcut and the full bookkeeping differ (history %s / %s)",
                             conn, i, a->history, b->history);
                /* count the segments the shortcut could take: the full path's own
                 * conditions, seen from outside (an ACK, nothing flagged, RTT known) */
                quick += (s.flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST)) == 0 && an_a == 0 && a->rtt_known;
                fins += fin_common;
                rtts += !rtt_before && a->rtt_known && (s.flags & TCPSIM_SYN) == 0;
            }
        }
    }
    print_message("%s: %u segments, %u of the common kind (%u %s, %u handshake RTTs, %u opening SYNs)\n",
                  w == ACCOUNT   ? "accounting"
                  : w == ANALYZE ? "analysis"
                                 : "both at once",
                  steps, quick, fins, w == TRACK ? "with data" : "FINs", rtts, syns);
    assert_true(quick > (w == TRACK ? steps / 5 : steps / 3));
    assert_true(fins > 100);
    assert_true(syns > 500);
    assert_true(w != ACCOUNT || rtts > 100); /* the shortcut's handshake ACKs, each compared */
    assert_true(steps - quick > steps / 10);
    free(a);
    free(b);
}

static void test_account_random_connections_shortcut_matches_full(void **st)
{
    (void)st;
    random_connections(ACCOUNT);
}

static void test_analyze_random_connections_shortcut_matches_full(void **st)
{
    (void)st;
    random_connections(ANALYZE);
}

static void test_track_random_connections_shortcut_matches_full(void **st)
{
    (void)st;
    random_connections(TRACK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_track_random_connections_shortcut_matches_full),
        cmocka_unit_test(test_account_random_connections_shortcut_matches_full),
        cmocka_unit_test(test_analyze_random_connections_shortcut_matches_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
