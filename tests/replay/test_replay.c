/* test_replay.c - the replay module: flow table (tcp.stream numbering, port
 * reuse, eviction), Wireshark analysis rules, Zeek history and conn_state, the
 * observer's state sequences, and damaged input, on synthetic captures written
 * with libpcap in each test.
 * Read first: docs/replay-json.md, reference-facts.md, RFC 9293 §3.5, §3.6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "replay/pcapgen.h"
#include "replay/replay.h"

#define C      "10.0.0.1"
#define S      "10.0.0.2"
#define MAXREC 256

/* ---- collecting what the replayer reports ---- */
struct rec_seg {
    uint64_t frame;
    uint32_t conn, analysis, len;
    int dir;
    enum tcpsim_tcp_state cs, ss;
    bool ss_known;
    size_t nev;
    size_t ntls;
    char tls_names[96]; /* "ClientHello,ServerHello" */
    char tls_json[1024];
    bool has_tls_state; /* the connection held a TLS decoder after this segment */
};
struct rec_conn {
    uint32_t id;
    char history[TCPSIM_RP_HIST_MAX];
    char state[8];
    uint8_t completeness;
    bool inferred;
    enum tcpsim_tcp_state cst[TCPSIM_RP_MAX_STATES], sst[TCPSIM_RP_MAX_STATES];
    unsigned ncst, nsst;
    uint64_t pk[2];
    enum tcpsim_rp_leave why;
    bool rtt_known;
    bool server_known;
    char tls[2048]; /* the conn record's `tls` object */
};
struct rec {
    size_t nseg, nconn;
    struct rec_seg seg[MAXREC];
    struct rec_conn conn[MAXREC];
    struct tcpsim_rp_summary sum;
    bool have_sum;
};

static void on_seg(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct rec *r = ctx;
    if (r->nseg < MAXREC) {
        struct rec_seg *x = &r->seg[r->nseg++];
        x->frame = s->frame;
        x->conn = s->conn;
        x->analysis = s->analysis;
        x->len = s->len;
        x->dir = s->dir;
        x->cs = s->client_state;
        x->ss = s->server_state;
        x->ss_known = s->server_state_known;
        x->nev = s->nevents;
        x->ntls = s->ntls;
        x->tls_names[0] = '\0';
        for (size_t i = 0; i < s->ntls; i++) {
            const char *n = s->tls[i].handshake ? s->tls[i].handshake : s->tls[i].record;
            if (strlen(x->tls_names) + strlen(n) + 2 < sizeof x->tls_names) {
                if (i)
                    strcat(x->tls_names, ",");
                strcat(x->tls_names, n);
            }
        }
        snprintf(x->tls_json, sizeof x->tls_json, "%.*s", (int)s->tls_json_len, s->tls_json);
        x->has_tls_state = c->tls != NULL;
    }
}

static void on_conn(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct rec *r = ctx;
    if (r->nconn < MAXREC) {
        struct rec_conn *x = &r->conn[r->nconn++];
        x->id = c->id;
        strcpy(x->history, c->history);
        snprintf(x->state, sizeof x->state, "%s", tcpsim__rp_conn_state(c));
        x->completeness = c->completeness;
        x->inferred = c->inferred;
        x->ncst = c->nstates[0];
        x->nsst = c->nstates[1];
        memcpy(x->cst, c->states[0], sizeof x->cst);
        memcpy(x->sst, c->states[1], sizeof x->sst);
        x->pk[0] = c->d[0].packets;
        x->pk[1] = c->d[1].packets;
        x->why = why;
        x->rtt_known = c->rtt_known;
        x->server_known = tcpsim__rp_obs_known(c, TCPSIM_SIDE_SERVER);
        size_t tl = 0;
        const struct tcpsim_tls_summary *ts = tcpsim__rp_tls_summary(c);
        if (!ts || tcpsim_tls_summary_json(ts, x->tls, sizeof x->tls, &tl) != TCPSIM_OK)
            strcpy(x->tls, "null");
    }
}

static void on_sum(void *ctx, const struct tcpsim_rp_summary *s)
{
    struct rec *r = ctx;
    r->sum = *s;
    r->have_sum = true;
}

static char path[64];
static struct pg g;

static void cap_open(void)
{
    strcpy(path, "/tmp/tcpsim-replay-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(pg_open(&g, path, DLT_EN10MB), 0);
}

/* Close the capture being written and replay it; returns the read status. */
static enum tcpsim_err run(struct rec *r, size_t max_conns, char *err, size_t errlen)
{
    pg_close(&g);
    memset(r, 0, sizeof *r);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    if (max_conns)
        cfg.max_conns = max_conns;
    cfg.h.segment = on_seg;
    cfg.h.conn = on_conn;
    cfg.h.summary = on_sum;
    cfg.h.ctx = r;
    cfg.tls_json = true;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    struct tcpsim_replay_input in = {path, NULL, NULL, false};
    char e[256];
    enum tcpsim_err rc = tcpsim_replay_read(rp, &in, err ? err : e, err ? errlen : sizeof e);
    tcpsim_replay_free(rp);
    if (getenv("TCPSIM_KEEP_PCAP")) /* debugging: keep the capture to compare with tshark */
        fprintf(stderr, "kept %s\n", path);
    else
        unlink(path);
    return rc;
}

static const struct rec_conn *conn_by_id(const struct rec *r, uint32_t id)
{
    for (size_t i = 0; i < r->nconn; i++)
        if (r->conn[i].id == id)
            return &r->conn[i];
    fail_msg("connection %u was never written", id);
    return NULL;
}

static void assert_states(const enum tcpsim_tcp_state *got, unsigned n, const char *want)
{
    char buf[512] = "";
    for (unsigned i = 0; i < n; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, tcpsim_tcp_state_name(got[i]));
    }
    assert_string_equal(buf, want);
}

static const struct pg_opts ws7 = {7, 1460};

/* A full connection (9 segments): handshake, 100 bytes, client closes first,
 * the server ACKs the FIN and closes a little later. */
static uint64_t full_conn(uint64_t t, uint16_t cport, uint32_t ciss, uint32_t siss)
{
    pg_tcp(&g, t, C, cport, S, 80, PG_S, ciss, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, 80, C, cport, PG_S | PG_A, siss, ciss + 1, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, cport, S, 80, PG_A, ciss + 1, siss + 1, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, cport, S, 80, PG_A | PG_P, ciss + 1, siss + 1, 502, 100, NULL);
    pg_tcp(&g, t += 10000, S, 80, C, cport, PG_A, siss + 1, ciss + 101, 510, 0, NULL);
    pg_tcp(&g, t += 1000, C, cport, S, 80, PG_A | PG_F, ciss + 101, siss + 1, 502, 0, NULL);
    pg_tcp(&g, t += 10000, S, 80, C, cport, PG_A, siss + 1, ciss + 102, 510, 0, NULL);
    pg_tcp(&g, t += 1000, S, 80, C, cport, PG_A | PG_F, siss + 1, ciss + 102, 510, 0, NULL);
    pg_tcp(&g, t += 10000, C, cport, S, 80, PG_A, ciss + 102, siss + 2, 502, 0, NULL);
    return t;
}

/* ================= multi-state: whole connections ================= */

static void test_handshake_client_close_expect_rfc_states(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    full_conn(1000000, 40000, 1000, 5000);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nseg, 9);
    assert_int_equal(r.nconn, 1);
    const struct rec_conn *c = &r.conn[0];
    assert_states(c->cst, c->ncst, "CLOSED,SYN_SENT,ESTABLISHED,FIN_WAIT_1,FIN_WAIT_2,TIME_WAIT");
    assert_states(c->sst, c->nsst, "LISTEN,SYN_RECEIVED,ESTABLISHED,CLOSE_WAIT,LAST_ACK,CLOSED");
    assert_string_equal(c->history, "ShADaFf");
    assert_string_equal(c->state, "SF");
    assert_int_equal(c->completeness, 31);
    assert_false(c->inferred);
    assert_true(c->rtt_known);
    /* After the SYN-ACK the client is ESTABLISHED, the server SYN_RECEIVED. */
    assert_int_equal(r.seg[1].cs, TCPSIM_TCP_ESTABLISHED);
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_SYN_RECEIVED);
    assert_int_equal(r.seg[2].ss, TCPSIM_TCP_ESTABLISHED);
    for (size_t i = 0; i < r.nseg; i++)
        assert_int_equal(r.seg[i].analysis, 0);
    assert_int_equal(r.sum.frames, 9);
    assert_int_equal(r.sum.connections, 1);
}

static void test_closed_syn_rst_expect_refused(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40001, S, 81, PG_S, 100, 0, 500, 0, NULL);
    pg_tcp(&g, 1001000, S, 81, C, 40001, PG_R | PG_A, 0, 101, 0, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_states(c->sst, c->nsst, "CLOSED");
    assert_states(c->cst, c->ncst, "CLOSED,SYN_SENT,CLOSED");
    assert_string_equal(c->state, "REJ");
    assert_string_equal(c->history, "Sr");
    /* Segment records agree with the conn record: unknown until the RST,
     * then CLOSED (it never listened). */
    assert_false(r.seg[0].ss_known);
    assert_true(r.seg[1].ss_known);
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_CLOSED);
    assert_int_equal(r.seg[1].nev, 1); /* only the client: SYN_SENT -> CLOSED */
}

static void test_listen_syn_unanswered_expect_server_unknown(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40003, S, 82, PG_S, 100, 0, 500, 0, NULL);
    pg_tcp(&g, 2000000, C, 40003, S, 82, PG_S, 100, 0, 500, 0, NULL); /* retransmitted */
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_false(r.seg[0].ss_known);
    assert_false(r.seg[1].ss_known);
    assert_false(c->server_known);
    assert_int_equal(c->nsst, 0); /* JSON "server_states":[] */
    assert_states(c->cst, c->ncst, "CLOSED,SYN_SENT");
    assert_string_equal(c->state, "S0");
}

static void test_listen_synack_expect_listen_decided_at_reply(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    full_conn(1000000, 40004, 1000, 5000);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_false(r.seg[0].ss_known);
    assert_true(r.seg[1].ss_known);
    /* The SYN-ACK's record carries LISTEN -> SYN_RECEIVED (the SYN it answers). */
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_SYN_RECEIVED);
    assert_true(r.seg[1].nev >= 2);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_true(c->server_known);
    assert_int_equal(c->sst[0], TCPSIM_TCP_LISTEN);
}

static void test_midstream_data_expect_inferred_established(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40002, S, 80, PG_A | PG_P, 777777, 888888, 500, 50, NULL);
    pg_tcp(&g, 1010000, S, 80, C, 40002, PG_A, 888888, 777827, 500, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_true(c->inferred);
    assert_string_equal(c->state, "OTH");
    assert_int_equal(r.seg[0].cs, TCPSIM_TCP_ESTABLISHED);
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_ESTABLISHED);
    assert_int_equal(r.seg[0].analysis, 0);
    assert_int_equal(r.seg[1].analysis, 0);
}

/* ================= flow table ================= */

static void test_flow_both_directions_expect_one_conn(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = full_conn(1000000, 40000, 1000, 5000);
    full_conn(t + 1000, 40001, 2000, 6000);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nconn, 2);
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(r.seg[i].conn, 0);
    for (size_t i = 9; i < 18; i++)
        assert_int_equal(r.seg[i].conn, 1);
    assert_int_equal(r.seg[1].dir, TCPSIM_SIDE_SERVER);
}

static void test_flow_syn_retransmit_expect_same_conn(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40000, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, 2000000, C, 40000, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, 2010000, S, 80, C, 40000, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, 2020000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nconn, 1);
    assert_int_equal(r.seg[1].conn, 0);
    assert_int_equal(r.seg[1].analysis, TCPSIM_AN_RETRANSMISSION);
    assert_string_equal(r.conn[0].history, "ShA");
    assert_string_equal(r.conn[0].state, "S1");
}

static void test_flow_syn_new_isn_expect_reused_ports(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = full_conn(1000000, 40000, 1000, 5000);
    pg_tcp(&g, t + 1000000, C, 40000, S, 80, PG_S, 9000, 0, 64240, 0, &ws7);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nconn, 2);
    assert_int_equal(r.seg[9].conn, 1);
    assert_int_equal(r.seg[9].analysis, TCPSIM_AN_REUSED_PORTS);
    assert_int_equal(conn_by_id(&r, 0)->why, TCPSIM_RP_LEAVE_REUSED);
}

static void test_flow_max_conns_expect_oldest_evicted(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    for (int i = 0; i < 5; i++)
        pg_tcp(&g, 1000000 + (uint64_t)i * 1000, C, (uint16_t)(41000 + i), S, 80, PG_S, 100, 0, 500, 0, NULL);
    assert_int_equal(run(&r, 2, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nconn, 5);
    assert_int_equal(r.sum.evicted, 3);
    assert_int_equal(r.sum.max_open, 2);
    assert_int_equal(r.conn[0].id, 0);
    assert_int_equal(r.conn[0].why, TCPSIM_RP_LEAVE_EVICTED);
    assert_int_equal(r.conn[1].id, 1);
}

static void test_flow_closed_quiet_expect_leaves_before_end(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = full_conn(1000000, 40000, 1000, 5000);
    /* 10 minutes later, unrelated traffic: the closed connection has left. */
    full_conn(t + 600000000ull, 40001, 2000, 6000);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nconn, 2);
    assert_int_equal(r.conn[0].id, 0);
    assert_int_equal(r.conn[0].why, TCPSIM_RP_LEAVE_CLOSED);
    assert_int_equal(r.conn[1].why, TCPSIM_RP_LEAVE_END);
}

static void test_flow_many_conns_expect_bounded_allocations(void **state)
{
    (void)state;
    /* 3000 sequential connections, at most a few open at once: the table's
     * allocations depend on concurrency, not on the number of connections. */
    cap_open();
    uint64_t t = 1000000;
    for (int i = 0; i < 3000; i++)
        t = full_conn(t + 130000000ull, (uint16_t)(10000 + i), (uint32_t)i * 7919u, (uint32_t)i * 104729u);
    pg_close(&g);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    uint64_t a0 = tcpsim_replay_allocations(rp);
    struct tcpsim_replay_input in = {path, NULL, NULL, false};
    char e[256];
    assert_int_equal(tcpsim_replay_read(rp, &in, e, sizeof e), TCPSIM_OK);
    assert_int_equal(tcpsim_replay_allocations(rp) - a0, 1); /* one pool chunk */
    tcpsim_replay_free(rp);
    unlink(path);
}

/* ================= analysis (Wireshark tcp.analysis.*) ================= */

static void test_analysis_dup_acks_fast_retrans_expect_flags(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40000, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, 80, C, 40000, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 100, NULL);   /* 1001..1101, lost */
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1101, 5001, 502, 100, NULL);   /* arrives */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1001, 510, 0, NULL);     /* ack */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1001, 510, 0, NULL);     /* dup 1 */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1001, 510, 0, NULL);     /* dup 2 */
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 100, NULL);   /* fast retrans */
    pg_tcp(&g, t += 500000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 100, NULL); /* plain retrans */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1201, 510, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 100, NULL); /* spurious */
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    /* Expectations checked against tshark 4.0 on this capture. */
    assert_int_equal(r.seg[5].analysis, TCPSIM_AN_WINDOW_UPDATE); /* 510 after the SYN-ACK's 65160 */
    assert_int_equal(r.seg[6].analysis, TCPSIM_AN_DUPLICATE_ACK);
    assert_int_equal(r.seg[7].analysis, TCPSIM_AN_DUPLICATE_ACK);
    assert_int_equal(r.seg[8].analysis, TCPSIM_AN_FAST_RETRANSMISSION | TCPSIM_AN_RETRANSMISSION);
    assert_int_equal(r.seg[9].analysis, TCPSIM_AN_RETRANSMISSION);
    assert_int_equal(r.seg[10].analysis, 0);
    assert_int_equal(r.seg[11].analysis, TCPSIM_AN_SPURIOUS_RETRANSMISSION | TCPSIM_AN_RETRANSMISSION);
}

static void test_analysis_gap_expect_lost_and_acked_unseen(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40000, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, 80, C, 40000, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, 40000, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1101, 5001, 502, 100, NULL); /* 1001..1101 not captured */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1201, 510, 0, NULL);
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5101, 1201, 510, 0, NULL); /* server bytes not captured */
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1201, 5201, 502, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    /* Expectations checked against tshark 4.0 on this capture. */
    assert_int_equal(r.seg[3].analysis, TCPSIM_AN_LOST_SEGMENT);
    assert_int_equal(r.seg[4].analysis, TCPSIM_AN_ACK_LOST_SEGMENT);
    assert_int_equal(r.seg[5].analysis, TCPSIM_AN_LOST_SEGMENT);
    assert_int_equal(r.seg[6].analysis, TCPSIM_AN_ACK_LOST_SEGMENT);
    assert_non_null(strchr(r.conn[0].history, 'G'));
    assert_non_null(strchr(r.conn[0].history, 'g'));
}

static void test_analysis_zero_window_keepalive_expect_flags(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40000, S, 80, PG_S, 1000, 0, 64240, 0, NULL);
    pg_tcp(&g, t += 10000, S, 80, C, 40000, PG_S | PG_A, 5000, 1001, 65160, 0, NULL);
    pg_tcp(&g, t += 10000, C, 40000, S, 80, PG_A, 1001, 5001, 500, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40000, S, 80, PG_A, 1001, 5001, 500, 100, NULL);
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1101, 0, 0, NULL);      /* zero window */
    pg_tcp(&g, t += 200000, C, 40000, S, 80, PG_A, 1101, 5001, 500, 1, NULL);  /* probe */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1101, 0, 0, NULL);      /* probe ack */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1101, 400, 0, NULL);    /* window update */
    pg_tcp(&g, t += 9000000, C, 40000, S, 80, PG_A, 1100, 5001, 500, 0, NULL); /* keep-alive */
    pg_tcp(&g, t += 1000, S, 80, C, 40000, PG_A, 5001, 1101, 400, 0, NULL);    /* keep-alive ack */
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.seg[4].analysis, TCPSIM_AN_ZERO_WINDOW);
    assert_int_equal(r.seg[5].analysis, TCPSIM_AN_ZERO_WINDOW_PROBE);
    assert_int_equal(r.seg[6].analysis, TCPSIM_AN_ZERO_WINDOW | TCPSIM_AN_ZERO_WINDOW_PROBE_ACK);
    assert_int_equal(r.seg[7].analysis, TCPSIM_AN_WINDOW_UPDATE);
    assert_int_equal(r.seg[8].analysis, TCPSIM_AN_KEEP_ALIVE);
    assert_int_equal(r.seg[9].analysis, TCPSIM_AN_KEEP_ALIVE_ACK);
    assert_non_null(strchr(r.conn[0].history, 'w'));
}

/* ================= damaged input ================= */

static void test_damaged_every_cut_expect_error_and_prefix(void **state)
{
    (void)state;
    /* Write a small capture, then replay it cut at every byte offset: each
     * cut either reads cleanly (cut at a record boundary) or reports the frame
     * after the last complete record; every complete record is replayed. */
    cap_open();
    full_conn(1000000, 40000, 1000, 5000);
    pg_close(&g);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t whole[8192];
    size_t n = fread(whole, 1, sizeof whole, f);
    fclose(f);
    unlink(path);
    assert_true(n > 24 && n < sizeof whole);
    /* Record boundaries: 24-byte file header, then 16-byte record headers. */
    size_t bound[16], nb = 0, off = 24;
    while (off < n && nb < 16) {
        uint32_t caplen = (uint32_t)whole[off + 8] | (uint32_t)whole[off + 9] << 8 | (uint32_t)whole[off + 10] << 16 |
                          (uint32_t)whole[off + 11] << 24;
        off += 16 + caplen;
        bound[nb++] = off;
    }
    assert_int_equal(nb, 9);
    for (size_t cut = 0; cut < n; cut++) {
        FILE *m = fmemopen(whole, cut, "rb");
        assert_non_null(m);
        struct rec r;
        memset(&r, 0, sizeof r);
        struct tcpsim_replay_cfg cfg;
        tcpsim_replay_cfg_default(&cfg);
        cfg.h.segment = on_seg;
        cfg.h.conn = on_conn;
        cfg.h.summary = on_sum;
        cfg.h.ctx = &r;
        struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
        struct tcpsim_replay_input in = {"cut.pcap", NULL, m, false};
        char err[512] = "";
        enum tcpsim_err rc = tcpsim_replay_read(rp, &in, err, sizeof err);
        tcpsim_replay_free(rp);
        size_t complete = 0;
        while (complete < nb && bound[complete] <= cut)
            complete++;
        bool at_boundary = cut == 24 || (complete > 0 && bound[complete - 1] == cut);
        if (cut < 24) {
            assert_int_not_equal(rc, TCPSIM_OK);
            assert_non_null(strstr(err, "cut.pcap"));
            continue;
        }
        assert_true(r.have_sum);
        assert_int_equal(r.nseg, complete);
        if (at_boundary) {
            assert_int_equal(rc, TCPSIM_OK);
        } else {
            char want[64];
            snprintf(want, sizeof want, "cut.pcap: frame %zu:", complete + 1);
            assert_int_equal(rc, TCPSIM_ERR_MALFORMED);
            assert_non_null(strstr(err, want));
        }
        if (complete > 0)
            assert_int_equal(r.nconn, 1);
    }
}

static void test_damaged_garbage_records_expect_counted_not_crash(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    pg_raw(&g, 1000000, junk, sizeof junk);
    pg_raw(&g, 1000001, junk, 3);
    /* An IPv4 header claiming TCP, cut inside the TCP header. */
    uint8_t pkt[128];
    size_t len = pg_build(DLT_EN10MB, pkt, sizeof pkt, C, 1, S, 2, PG_S, 1, 0, 100, 0, NULL, 1);
    pg_raw(&g, 1000002, pkt, len - 10);
    full_conn(2000000, 40000, 1000, 5000);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.sum.frames, 12);
    assert_int_equal(r.sum.tcp_segments, 9);
    assert_int_equal(r.nseg, 9);
    assert_int_equal(r.seg[0].frame, 4);
    assert_true(r.sum.skipped.truncated + r.sum.skipped.non_ip + r.sum.skipped.bad_header + r.sum.skipped.non_tcp >= 3);
}

static void test_damaged_caplen_over_snaplen_expect_error_naming_frame(void **state)
{
    (void)state;
    cap_open();
    full_conn(1000000, 40000, 1000, 5000);
    pg_close(&g);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    /* Third record's caplen: far beyond the snap length. */
    static uint8_t whole[8192];
    size_t n = fread(whole, 1, sizeof whole, f);
    size_t off = 24;
    for (int i = 0; i < 2; i++)
        off += 16 + ((uint32_t)whole[off + 8] | (uint32_t)whole[off + 9] << 8);
    whole[off + 8] = 0xff;
    whole[off + 9] = 0xff;
    whole[off + 10] = 0xff;
    whole[off + 11] = 0x0f;
    fclose(f);
    unlink(path);
    FILE *m = fmemopen(whole, n, "rb");
    struct rec r;
    memset(&r, 0, sizeof r);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.h.segment = on_seg;
    cfg.h.conn = on_conn;
    cfg.h.summary = on_sum;
    cfg.h.ctx = &r;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    struct tcpsim_replay_input in = {"big.pcap", NULL, m, false};
    char err[512] = "";
    assert_int_equal(tcpsim_replay_read(rp, &in, err, sizeof err), TCPSIM_ERR_MALFORMED);
    tcpsim_replay_free(rp);
    assert_non_null(strstr(err, "big.pcap: frame 3:"));
    assert_int_equal(r.nseg, 2);
    assert_int_equal(r.nconn, 1);
    assert_true(r.have_sum);
}

/* ================= TLS (src/tls wired per connection) ================= */

/* A TLS 1.3 ClientHello record (RFC 8446 §4.1.2) offering one suite, with SNI
 * (RFC 6066 §3), ALPN "h2" (RFC 7301) and supported_versions; returns its length. */
static size_t client_hello(uint8_t *b, const char *sni)
{
    size_t n = 0, hl = strlen(sni);
    uint8_t *rec = b;
    b[n++] = 22, b[n++] = 3, b[n++] = 1, n += 2; /* record header, length later */
    size_t hs = n;
    b[n++] = 1, n += 3; /* ClientHello, length later */
    b[n++] = 3, b[n++] = 3;
    for (int i = 0; i < 32; i++)
        b[n++] = (uint8_t)(i * 7);
    b[n++] = 0; /* session id */
    b[n++] = 0, b[n++] = 2, b[n++] = 0x13, b[n++] = 0x01;
    b[n++] = 1, b[n++] = 0; /* null compression */
    size_t ext = n;
    n += 2;
    b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = (uint8_t)(hl + 5);
    b[n++] = 0, b[n++] = (uint8_t)(hl + 3), b[n++] = 0, b[n++] = 0, b[n++] = (uint8_t)hl;
    memcpy(b + n, sni, hl);
    n += hl;
    static const uint8_t alpn[] = {0, 16, 0, 5, 0, 3, 2, 'h', '2'};
    memcpy(b + n, alpn, sizeof alpn);
    n += sizeof alpn;
    static const uint8_t sv[] = {0, 43, 0, 3, 2, 3, 4};
    memcpy(b + n, sv, sizeof sv);
    n += sizeof sv;
    b[ext] = (uint8_t)((n - ext - 2) >> 8), b[ext + 1] = (uint8_t)(n - ext - 2);
    size_t hlen = n - hs - 4;
    b[hs + 1] = 0, b[hs + 2] = (uint8_t)(hlen >> 8), b[hs + 3] = (uint8_t)hlen;
    rec[3] = (uint8_t)((n - 5) >> 8), rec[4] = (uint8_t)(n - 5);
    return n;
}

/* A TLS 1.3 ServerHello choosing TLS_AES_128_GCM_SHA256 and x25519. */
static size_t server_hello(uint8_t *b)
{
    size_t n = 0;
    b[n++] = 22, b[n++] = 3, b[n++] = 3, n += 2;
    size_t hs = n;
    b[n++] = 2, n += 3;
    b[n++] = 3, b[n++] = 3;
    for (int i = 0; i < 32; i++)
        b[n++] = (uint8_t)(i * 3 + 1);
    b[n++] = 0;
    b[n++] = 0x13, b[n++] = 0x01, b[n++] = 0;
    size_t ext = n;
    n += 2;
    static const uint8_t sv[] = {0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 0x1d, 0, 32};
    memcpy(b + n, sv, sizeof sv);
    n += sizeof sv;
    for (int i = 0; i < 32; i++)
        b[n++] = (uint8_t)(200 - i);
    b[ext] = (uint8_t)((n - ext - 2) >> 8), b[ext + 1] = (uint8_t)(n - ext - 2);
    size_t hlen = n - hs - 4;
    b[hs + 1] = 0, b[hs + 2] = (uint8_t)(hlen >> 8), b[hs + 3] = (uint8_t)hlen;
    b[3] = (uint8_t)((n - 5) >> 8), b[4] = (uint8_t)(n - 5);
    return n;
}

static uint64_t handshake(uint64_t t, uint16_t cport, uint16_t sport, uint32_t ciss, uint32_t siss)
{
    pg_tcp(&g, t, C, cport, S, sport, PG_S, ciss, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, sport, C, cport, PG_S | PG_A, siss, ciss + 1, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, cport, S, sport, PG_A, ciss + 1, siss + 1, 502, 0, NULL);
    return t;
}

static void test_tls_client_hello_split_expect_item_on_completing_frame(void **state)
{
    (void)state;
    struct rec r;
    uint8_t ch[512], sh[256];
    size_t chl = client_hello(ch, "www.tcpsim.test"), shl = server_hello(sh);
    size_t cut = 40; /* the record header and part of the hello in the first segment */
    cap_open();
    uint64_t t = handshake(1000000, 40010, 443, 1000, 5000);
    pg_set_payload(ch);
    pg_tcp(&g, t += 1000, C, 40010, S, 443, PG_A, 1001, 5001, 502, (uint16_t)cut, NULL);
    pg_set_payload(ch + cut);
    pg_tcp(&g, t += 1000, C, 40010, S, 443, PG_A | PG_P, 1001 + (uint32_t)cut, 5001, 502, (uint16_t)(chl - cut), NULL);
    pg_set_payload(sh);
    pg_tcp(&g, t += 10000, S, 443, C, 40010, PG_A | PG_P, 5001, 1001 + (uint32_t)chl, 510, (uint16_t)shl, NULL);
    /* Both close: the decoder is released, its summary stays for the conn record. */
    uint32_t cend = 1001 + (uint32_t)chl, send = 5001 + (uint32_t)shl;
    pg_tcp(&g, t += 1000, C, 40010, S, 443, PG_A | PG_F, cend, send, 502, 0, NULL);
    pg_tcp(&g, t += 1000, S, 443, C, 40010, PG_A | PG_F, send, cend + 1, 510, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40010, S, 443, PG_A, cend + 1, send + 1, 502, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nseg, 9);
    assert_true(r.seg[6].has_tls_state);
    assert_false(r.seg[7].has_tls_state);
    assert_int_equal(r.seg[3].ntls, 0); /* the record is not complete yet */
    assert_true(r.seg[3].has_tls_state);
    assert_int_equal(r.seg[4].ntls, 1);
    assert_string_equal(r.seg[4].tls_names, "ClientHello");
    assert_non_null(
        strstr(r.seg[4].tls_json, "\"dir\":\"c2s\",\"record\":\"handshake\",\"handshake\":\"ClientHello\""));
    assert_non_null(strstr(r.seg[4].tls_json, "\"sni\":\"www.tcpsim.test\""));
    assert_string_equal(r.seg[5].tls_names, "ServerHello");
    assert_non_null(strstr(r.seg[5].tls_json, "\"cipher\":\"TLS_AES_128_GCM_SHA256\""));
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_non_null(strstr(c->tls, "\"version\":\"TLS 1.3\""));
    assert_non_null(strstr(c->tls, "\"sni\":\"www.tcpsim.test\""));
    assert_non_null(
        strstr(c->tls, "{\"frame\":5,\"dir\":\"c2s\",\"record\":\"handshake\",\"handshake\":\"ClientHello\"}"));
    assert_non_null(
        strstr(c->tls, "{\"frame\":6,\"dir\":\"s2c\",\"record\":\"handshake\",\"handshake\":\"ServerHello\"}"));
}

/* Out of order: the second part of the ClientHello is captured first. The
 * item belongs to the frame that completes it (the earlier bytes). */
static void test_tls_client_hello_reordered_expect_item_on_later_frame(void **state)
{
    (void)state;
    struct rec r;
    uint8_t ch[512];
    size_t chl = client_hello(ch, "a.test"), cut = 30;
    cap_open();
    uint64_t t = handshake(1000000, 40011, 8443, 1000, 5000);
    pg_set_payload(ch + cut);
    pg_tcp(&g, t += 1000, C, 40011, S, 8443, PG_A | PG_P, 1001 + (uint32_t)cut, 5001, 502, (uint16_t)(chl - cut), NULL);
    pg_set_payload(ch);
    pg_tcp(&g, t += 1000, C, 40011, S, 8443, PG_A, 1001, 5001, 502, (uint16_t)cut, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nseg, 5);
    assert_int_equal(r.seg[3].ntls, 0);
    assert_string_equal(r.seg[4].tls_names, "ClientHello");
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_non_null(strstr(c->tls, "\"sni\":\"a.test\""));
}

static void test_tls_plain_http_expect_no_decoder(void **state)
{
    (void)state;
    struct rec r;
    static const uint8_t get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    cap_open();
    uint64_t t = handshake(1000000, 40012, 443, 1000, 5000); /* port 443 does not matter */
    pg_set_payload(get);
    pg_tcp(&g, t += 1000, C, 40012, S, 443, PG_A | PG_P, 1001, 5001, 502, sizeof get - 1, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_false(r.seg[3].has_tls_state);
    assert_int_equal(r.seg[3].ntls, 0);
    assert_string_equal(conn_by_id(&r, 0)->tls, "null");
}

static void test_tls_server_speaks_first_expect_no_decoder(void **state)
{
    (void)state;
    struct rec r;
    uint8_t ch[512];
    size_t chl = client_hello(ch, "smtp.test");
    static const uint8_t banner[] = "220 smtp.test ESMTP\r\n";
    cap_open();
    uint64_t t = handshake(1000000, 40013, 25, 1000, 5000);
    pg_set_payload(banner);
    pg_tcp(&g, t += 1000, S, 25, C, 40013, PG_A | PG_P, 5001, 1001, 510, sizeof banner - 1, NULL);
    /* Even a ClientHello later is not TLS from the start of the stream. */
    pg_set_payload(ch);
    pg_tcp(&g, t += 1000, C, 40013, S, 25, PG_A | PG_P, 1001, 5001 + sizeof banner - 1, 502, (uint16_t)chl, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_false(r.seg[3].has_tls_state);
    assert_false(r.seg[4].has_tls_state);
    assert_int_equal(r.seg[4].ntls, 0);
    assert_string_equal(conn_by_id(&r, 0)->tls, "null");
}

/* A record cut by the snap length: the decoder is told the bytes are lost and
 * reports no item it cannot see; nothing crashes. */
static void test_tls_snapped_record_expect_no_item(void **state)
{
    (void)state;
    struct rec r;
    uint8_t ch[512], pkt[1024];
    size_t chl = client_hello(ch, "snap.test");
    cap_open();
    uint64_t t = handshake(1000000, 40014, 443, 1000, 5000);
    pg_set_payload(ch);
    size_t n =
        pg_build(DLT_EN10MB, pkt, sizeof pkt, C, 40014, S, 443, PG_A | PG_P, 1001, 5001, 502, (uint16_t)chl, NULL, 9);
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)((t + 1000) / 1000000);
    h.ts.tv_usec = (suseconds_t)((t + 1000) % 1000000);
    h.caplen = (bpf_u_int32)(n - chl + 30); /* 30 bytes of the record captured */
    h.len = (bpf_u_int32)n;
    pcap_dump((u_char *)g.d, &h, pkt);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nseg, 4);
    assert_int_equal(r.seg[3].len, chl);
    assert_int_equal(r.seg[3].ntls, 0);
}

/* The JSON view: server_state null before the server's first segment, the
 * TLS items on the segment line, the summary on the conn line. */
static void test_tls_json_view_expect_contract_fields(void **state)
{
    (void)state;
    uint8_t ch[512];
    size_t chl = client_hello(ch, "json.test");
    cap_open();
    uint64_t t = handshake(1000000, 40015, 443, 1000, 5000);
    pg_set_payload(ch);
    pg_tcp(&g, t += 1000, C, 40015, S, 443, PG_A | PG_P, 1001, 5001, 502, (uint16_t)chl, NULL);
    pg_close(&g);
    char *text = NULL;
    size_t tlen = 0;
    FILE *out = open_memstream(&text, &tlen);
    assert_non_null(out);
    struct tcpsim_rp_writer *w = tcpsim_rp_writer_new(out, TCPSIM_RP_JSON, -1, false);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    tcpsim_rp_writer_setup(w, &cfg);
    assert_true(cfg.tls_json);
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    struct tcpsim_replay_input in = {path, NULL, NULL, false};
    char err[256];
    assert_int_equal(tcpsim_replay_read(rp, &in, err, sizeof err), TCPSIM_OK);
    tcpsim_replay_free(rp);
    assert_true(tcpsim_rp_writer_free(w));
    fclose(out);
    unlink(path);
    char *l1 = text, *l2 = strchr(l1, '\n') + 1, *l4 = strchr(strchr(l2, '\n') + 1, '\n') + 1;
    assert_true(strncmp(l1, "{\"type\":\"segment\",\"frame\":1,", 28) == 0);
    assert_non_null(strstr(l1, "\"client_state\":\"SYN_SENT\",\"server_state\":null,"));
    assert_non_null(strstr(l2, "\"server_state\":\"SYN_RECEIVED\""));
    assert_non_null(strstr(l1, "\"tls\":[]}"));
    char *eol = strchr(l4, '\n');
    *eol = '\0';
    assert_non_null(strstr(l4, "\"tls\":[{\"dir\":\"c2s\",\"record\":\"handshake\",\"handshake\":\"ClientHello\""));
    assert_non_null(strstr(l4, "\"sni\":\"json.test\""));
    char *conn = eol + 1;
    assert_true(strncmp(conn, "{\"type\":\"conn\",", 15) == 0);
    assert_non_null(strstr(conn, "\"server_states\":[\"LISTEN\",\"SYN_RECEIVED\",\"ESTABLISHED\"]"));
    assert_non_null(strstr(conn, "\"tls\":{\"version\":null,\"sni\":\"json.test\",\"alpn\":null,"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_client_close_expect_rfc_states),
        cmocka_unit_test(test_closed_syn_rst_expect_refused),
        cmocka_unit_test(test_listen_syn_unanswered_expect_server_unknown),
        cmocka_unit_test(test_listen_synack_expect_listen_decided_at_reply),
        cmocka_unit_test(test_midstream_data_expect_inferred_established),
        cmocka_unit_test(test_flow_both_directions_expect_one_conn),
        cmocka_unit_test(test_flow_syn_retransmit_expect_same_conn),
        cmocka_unit_test(test_flow_syn_new_isn_expect_reused_ports),
        cmocka_unit_test(test_flow_max_conns_expect_oldest_evicted),
        cmocka_unit_test(test_flow_closed_quiet_expect_leaves_before_end),
        cmocka_unit_test(test_flow_many_conns_expect_bounded_allocations),
        cmocka_unit_test(test_analysis_dup_acks_fast_retrans_expect_flags),
        cmocka_unit_test(test_analysis_gap_expect_lost_and_acked_unseen),
        cmocka_unit_test(test_analysis_zero_window_keepalive_expect_flags),
        cmocka_unit_test(test_damaged_every_cut_expect_error_and_prefix),
        cmocka_unit_test(test_damaged_garbage_records_expect_counted_not_crash),
        cmocka_unit_test(test_damaged_caplen_over_snaplen_expect_error_naming_frame),
        cmocka_unit_test(test_tls_client_hello_split_expect_item_on_completing_frame),
        cmocka_unit_test(test_tls_client_hello_reordered_expect_item_on_later_frame),
        cmocka_unit_test(test_tls_plain_http_expect_no_decoder),
        cmocka_unit_test(test_tls_server_speaks_first_expect_no_decoder),
        cmocka_unit_test(test_tls_snapped_record_expect_no_item),
        cmocka_unit_test(test_tls_json_view_expect_contract_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
