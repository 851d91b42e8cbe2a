/* test_replay.c - the replay module: flow table (tcp.stream numbering, port
 * reuse, eviction), Wireshark analysis rules, Zeek history and conn_state, the
 * observer's state sequences, and damaged input, on synthetic captures written
 * with libpcap in each test.
 * Read first: docs/replay-json.md, reference-facts.md, RFC 9293 §3.5, §3.6. */
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "replay/pcapgen.h"
#include "replay/replay.h"
#include "replayrun.h"
#include "tcpsim/i18n.h"

#define C      "10.0.0.1"
#define S      "10.0.0.2"
#define MAXREC 256

/* ---- collecting what the replayer reports ---- */
struct rec_seg {
    uint64_t frame;
    uint32_t conn, analysis, len;
    int dir;
    enum tcpsim_tcp_state cs, ss;
    size_t nev;
    size_t ntls;
    char tls_names[96]; /* "ClientHello,ServerHello" */
    char tls_json[1024];
    bool has_tls_state; /* the connection held a TLS decoder when the record was written */
    char evs[256];      /* "server:LISTEN>SYN_RECEIVED client:SYN_SENT>ESTABLISHED" */
    char errs[256];     /* tls_errors elements */
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
    bool server_inferred;
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
        snprintf(x->errs, sizeof x->errs, "%.*s", (int)s->tls_errors_len, s->tls_errors_json ? s->tls_errors_json : "");
        x->evs[0] = '\0';
        for (size_t i = 0; i < s->nevents; i++) {
            size_t l = strlen(x->evs);
            snprintf(x->evs + l, sizeof x->evs - l, "%s%s:%s>%s", i ? " " : "",
                     s->events[i].endpoint == TCPSIM_SIDE_CLIENT ? "client" : "server",
                     tcpsim_tcp_state_name(s->events[i].from), tcpsim_tcp_state_name(s->events[i].to));
        }
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
        x->server_inferred = c->server_inferred;
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
    assert_int_equal(pg_open_temp(&g, path, DLT_EN10MB), 0);
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
    /* The FIN's record shows the server receiving it (its ACK proved it). */
    assert_int_equal(r.seg[5].ss, TCPSIM_TCP_CLOSE_WAIT);
    assert_string_equal(r.seg[5].evs, "client:ESTABLISHED>FIN_WAIT_1 server:ESTABLISHED>CLOSE_WAIT");
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
    /* Segment records agree with the conn record (B1): the SYN's record was
     * held until the RST showed the server never listened, so it says CLOSED
     * too, and no server event anywhere. */
    assert_int_equal(r.seg[0].ss, TCPSIM_TCP_CLOSED);
    assert_string_equal(r.seg[0].evs, "client:CLOSED>SYN_SENT");
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_CLOSED);
    assert_string_equal(r.seg[1].evs, "client:SYN_SENT>CLOSED");
    assert_false(c->server_inferred);
}

static void test_listen_syn_unanswered_expect_listen_assumed(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40003, S, 82, PG_S, 100, 0, 500, 0, NULL);
    pg_tcp(&g, 2000000, C, 40003, S, 82, PG_S, 100, 0, 500, 0, NULL); /* retransmitted */
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    /* B1: a CLOSED port would have answered with RST, so silence is taken
     * as LISTEN, flagged as an assumption; never null, never []. */
    assert_int_equal(r.seg[0].ss, TCPSIM_TCP_LISTEN);
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_LISTEN);
    assert_true(c->server_inferred);
    assert_states(c->sst, c->nsst, "LISTEN");
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
    /* B1: the SYN's record (held until the SYN-ACK) carries the server's
     * LISTEN -> SYN_RECEIVED; the SYN-ACK's only the client's transition. */
    assert_int_equal(r.seg[0].ss, TCPSIM_TCP_SYN_RECEIVED);
    assert_string_equal(r.seg[0].evs, "client:CLOSED>SYN_SENT server:LISTEN>SYN_RECEIVED");
    assert_int_equal(r.seg[1].ss, TCPSIM_TCP_SYN_RECEIVED);
    assert_string_equal(r.seg[1].evs, "client:SYN_SENT>ESTABLISHED");
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_true(c->server_known);
    assert_false(c->server_inferred);
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

/* A1, RFC 9293 §3.6 case 2: the server's FIN acknowledges everything up to
 * the client's FIN but not the FIN itself (SEG.ACK == the FIN's sequence
 * number): it was sent before the client's FIN arrived. Both sides go
 * FIN_WAIT_1 -> CLOSING -> TIME_WAIT (the shape of captures/tls12-rsa). */
static void test_established_fins_cross_expect_closing_both(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40020, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, 80, C, 40020, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, 40020, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40020, S, 80, PG_A | PG_F, 1001, 5001, 502, 0, NULL); /* client FIN, seq 1001 */
    pg_tcp(&g, t += 300, S, 80, C, 40020, PG_A | PG_F, 5001, 1001, 510, 0, NULL);  /* server FIN, ack 1001 */
    pg_tcp(&g, t += 50, S, 80, C, 40020, PG_A, 5002, 1002, 510, 0, NULL);          /* client FIN arrived */
    pg_tcp(&g, t += 10, C, 40020, S, 80, PG_A, 1002, 5002, 502, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_states(c->cst, c->ncst, "CLOSED,SYN_SENT,ESTABLISHED,FIN_WAIT_1,CLOSING,TIME_WAIT");
    assert_states(c->sst, c->nsst, "LISTEN,SYN_RECEIVED,ESTABLISHED,FIN_WAIT_1,CLOSING,TIME_WAIT");
    /* The server had not received the client's FIN when it closed. */
    assert_int_equal(r.seg[3].ss, TCPSIM_TCP_ESTABLISHED);
    assert_string_equal(r.seg[3].evs, "client:ESTABLISHED>FIN_WAIT_1");
    assert_string_equal(r.seg[4].evs, "server:ESTABLISHED>FIN_WAIT_1 client:FIN_WAIT_1>CLOSING");
    assert_string_equal(r.seg[5].evs, "server:FIN_WAIT_1>CLOSING client:CLOSING>TIME_WAIT");
    assert_string_equal(r.seg[6].evs, "server:CLOSING>TIME_WAIT");
    for (size_t i = 1; i < r.nseg; i++)
        assert_true(r.seg[i].frame > r.seg[i - 1].frame);
}

/* A2, RFC 9293 §3.5 figure 8: the server's first segment is a bare SYN (it
 * does not ACK the client's), so it did its own active OPEN from CLOSED
 * before the client's SYN reached it. */
static void test_closed_simultaneous_open_expect_syn_sent(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40021, S, 80, PG_S, 1000, 0, 64240, 0, NULL);
    pg_tcp(&g, t += 100, S, 80, C, 40021, PG_S, 5000, 0, 65160, 0, NULL);
    pg_tcp(&g, t += 10000, C, 40021, S, 80, PG_S | PG_A, 1000, 5001, 64240, 0, NULL);
    pg_tcp(&g, t += 100, S, 80, C, 40021, PG_S | PG_A, 5000, 1001, 65160, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_states(c->sst, c->nsst, "CLOSED,SYN_SENT,SYN_RECEIVED,ESTABLISHED");
    assert_states(c->cst, c->ncst, "CLOSED,SYN_SENT,SYN_RECEIVED,ESTABLISHED");
    assert_int_equal(r.seg[0].ss, TCPSIM_TCP_CLOSED);
    assert_string_equal(r.seg[1].evs,
                        "server:CLOSED>SYN_SENT server:SYN_SENT>SYN_RECEIVED client:SYN_SENT>SYN_RECEIVED");
    assert_false(c->server_inferred);
}

/* B1: records of other connections queue behind a held one, in capture
 * order, and the held record is corrected when the answer comes. */
static void test_fifo_held_record_expect_capture_order_and_correction(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40030, S, 80, PG_S, 7000, 0, 64240, 0, NULL); /* conn 0: SYN */
    full_conn(1100000, 40031, 1000, 5000);                               /* conn 1 meanwhile */
    pg_tcp(&g, 2000000, S, 80, C, 40030, PG_S | PG_A, 9000, 7001, 65160, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.nseg, 11);
    for (size_t i = 0; i < r.nseg; i++)
        assert_int_equal(r.seg[i].frame, i + 1);
    assert_int_equal(r.seg[0].conn, 0);
    assert_int_equal(r.seg[0].ss, TCPSIM_TCP_SYN_RECEIVED);
    assert_string_equal(r.seg[0].evs, "client:CLOSED>SYN_SENT server:LISTEN>SYN_RECEIVED");
    assert_int_equal(r.seg[1].conn, 1);
    assert_false(conn_by_id(&r, 0)->server_inferred);
}

/* B1: a record is held at most 60 s of capture time; then LISTEN is assumed
 * (server_inferred), and a SYN-ACK after that still moves the server on. */
static void test_fifo_held_60s_expect_listen_assumed_then_late_answer(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    pg_tcp(&g, 1000000, C, 40032, S, 80, PG_S, 7000, 0, 64240, 0, NULL);
    full_conn(62000000, 40033, 1000, 5000); /* 61 s later */
    pg_tcp(&g, 63000000, S, 80, C, 40032, PG_S | PG_A, 9000, 7001, 65160, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.seg[0].ss, TCPSIM_TCP_LISTEN);
    assert_string_equal(r.seg[0].evs, "client:CLOSED>SYN_SENT");
    assert_int_equal(r.seg[10].frame, 11);
    assert_int_equal(r.seg[10].ss, TCPSIM_TCP_SYN_RECEIVED);
    assert_string_equal(r.seg[10].evs, "server:LISTEN>SYN_RECEIVED client:SYN_SENT>ESTABLISHED");
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_true(c->server_inferred);
    assert_states(c->sst, c->nsst, "LISTEN,SYN_RECEIVED");
}

/* A5: headers-only captures (tcpdump -s 54/68). A segment whose options are
 * cut by the snap length is still tracked from its 20-byte fixed header; with
 * fewer than 20 bytes of TCP header it is counted as truncated. */
static void dump_cut(uint64_t t, size_t tcp_bytes, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                     uint8_t fl, uint32_t seq, uint32_t ack, uint16_t len, const struct pg_opts *o)
{
    uint8_t pkt[2048];
    size_t n = pg_build(DLT_EN10MB, pkt, sizeof pkt, src, sp, dst, dp, fl, seq, ack, 64240, len, o, 7);
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(t / 1000000);
    h.ts.tv_usec = (suseconds_t)(t % 1000000);
    h.caplen = (bpf_u_int32)(14 + 20 + tcp_bytes);
    h.len = (bpf_u_int32)n;
    pcap_dump((u_char *)g.d, &h, pkt);
}

static void test_snap_options_cut_expect_tracked_from_fixed_header(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    dump_cut(t, 20, C, 40040, S, 80, PG_S, 1000, 0, 0, &ws7);                     /* -s 54: options cut */
    dump_cut(t += 1000, 34, S, 80, C, 40040, PG_S | PG_A, 5000, 1001, 0, &ws7);   /* -s 68 */
    dump_cut(t += 1000, 20, C, 40040, S, 80, PG_A, 1001, 5001, 0, NULL);          /* whole header */
    dump_cut(t += 1000, 20, C, 40040, S, 80, PG_A | PG_P, 1001, 5001, 300, NULL); /* payload cut */
    dump_cut(t += 1000, 19, C, 40040, S, 80, PG_A, 1301, 5001, 0, NULL);          /* 19 bytes: truncated */
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_int_equal(r.sum.tcp_segments, 4);
    assert_int_equal(r.sum.skipped.truncated, 1);
    assert_int_equal(r.nseg, 4);
    assert_int_equal(r.seg[3].len, 300); /* from the IP header */
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_false(c->inferred);
    assert_true(c->rtt_known);
    assert_string_equal(c->history, "ShAD");
    assert_states(c->cst, c->ncst, "CLOSED,SYN_SENT,ESTABLISHED");
    assert_states(c->sst, c->nsst, "LISTEN,SYN_RECEIVED,ESTABLISHED");
    for (size_t i = 0; i < r.nseg; i++)
        assert_int_equal(r.seg[i].analysis, 0);
}

/* A6: Zeek's 'g' is a content gap. A hole that later segments fill before
 * the receiver ACKs past it (reordering) is Wireshark's lost_segment but not
 * a gap; the receiver ACKing bytes never seen is. */
static void test_analysis_reordered_fill_expect_lost_segment_no_gap(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40050, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, 80, C, 40050, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, 40050, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40050, S, 80, PG_A, 1101, 5001, 502, 100, NULL); /* ahead of a hole */
    pg_tcp(&g, t += 1000, C, 40050, S, 80, PG_A, 1001, 5001, 502, 100, NULL); /* the hole, late */
    pg_tcp(&g, t += 1000, S, 80, C, 40050, PG_A, 5001, 1201, 510, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_true(r.seg[3].analysis & TCPSIM_AN_LOST_SEGMENT);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_null(strchr(c->history, 'G'));
    assert_null(strchr(c->history, 'g'));
}

/* A7: Zeek's conn_state() order. A capture starting at the SYN-ACK where both
 * sides close is SF (SHR only when the originator never closed). */
static void test_zeek_synack_first_both_fin_expect_sf(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, S, 80, C, 40051, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, 40051, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40051, S, 80, PG_A | PG_F, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, S, 80, C, 40051, PG_A | PG_F, 5001, 1002, 510, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40051, S, 80, PG_A, 1002, 5002, 502, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_string_equal(c->history, "^hAFf");
    assert_string_equal(c->state, "SF");
}

/* A7: the responder's RST is tested first: both reset after data is RSTR
 * even though the originator reset first. */
static void test_zeek_both_rst_expect_rstr(void **state)
{
    (void)state;
    struct rec r;
    cap_open();
    uint64_t t = 1000000;
    pg_tcp(&g, t, C, 40052, S, 80, PG_S, 1000, 0, 64240, 0, &ws7);
    pg_tcp(&g, t += 10000, S, 80, C, 40052, PG_S | PG_A, 5000, 1001, 65160, 0, &ws7);
    pg_tcp(&g, t += 10000, C, 40052, S, 80, PG_A, 1001, 5001, 502, 0, NULL);
    pg_tcp(&g, t += 1000, C, 40052, S, 80, PG_A | PG_P, 1001, 5001, 502, 10, NULL);
    pg_tcp(&g, t += 1000, C, 40052, S, 80, PG_R | PG_A, 1011, 5001, 0, 0, NULL);
    pg_tcp(&g, t += 1000, S, 80, C, 40052, PG_R, 5001, 0, 0, 0, NULL);
    assert_int_equal(run(&r, 0, NULL, 0), TCPSIM_OK);
    assert_string_equal(conn_by_id(&r, 0)->state, "RSTR");
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

/* A8: with a BPF filter, connection numbers stay Wireshark's tcp.stream of
 * the whole file; only matching segments and their connections are written. */
static void test_flow_bpf_filter_expect_unfiltered_numbering(void **state)
{
    (void)state;
    cap_open();
    uint64_t t = full_conn(1000000, 40060, 1000, 5000);
    full_conn(t + 1000, 40061, 2000, 6000);
    pg_close(&g);
    struct rec r;
    memset(&r, 0, sizeof r);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.h.segment = on_seg;
    cfg.h.conn = on_conn;
    cfg.h.summary = on_sum;
    cfg.h.ctx = &r;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    struct tcpsim_replay_input in = {path, "tcp port 40061", NULL, false};
    char err[256];
    assert_int_equal(tcpsim_replay_read(rp, &in, err, sizeof err), TCPSIM_OK);
    tcpsim_replay_free(rp);
    unlink(path);
    assert_int_equal(r.nseg, 9);
    assert_int_equal(r.seg[0].conn, 1);
    assert_int_equal(r.seg[0].frame, 10);
    assert_int_equal(r.nconn, 1);
    assert_int_equal(r.conn[0].id, 1);
    assert_int_equal(r.sum.skipped.filtered, 9);
    assert_int_equal(r.sum.frames, 18);
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

/* C1: a pcapng whose interfaces have different link types (dumpcap -i eth0
 * -i lo) is valid, but libpcap cannot read it: the message says so instead
 * of calling the file damaged. */
static size_t put32(uint8_t *b, size_t n, uint32_t v)
{
    b[n] = (uint8_t)v, b[n + 1] = (uint8_t)(v >> 8), b[n + 2] = (uint8_t)(v >> 16), b[n + 3] = (uint8_t)(v >> 24);
    return n + 4;
}

static void test_damaged_pcapng_two_link_types_expect_unsupported_message(void **state)
{
    (void)state;
    static uint8_t f[512];
    size_t n = 0;
    n = put32(f, n, 0x0a0d0d0a), n = put32(f, n, 28), n = put32(f, n, 0x1a2b3c4d);
    n = put32(f, n, 1), n = put32(f, n, 0xffffffff), n = put32(f, n, 0xffffffff), n = put32(f, n, 28);
    n = put32(f, n, 1), n = put32(f, n, 20), n = put32(f, n, 1 /* EN10MB */), n = put32(f, n, 65535);
    n = put32(f, n, 20);
    n = put32(f, n, 1), n = put32(f, n, 20), n = put32(f, n, 101 /* RAW */), n = put32(f, n, 65535);
    n = put32(f, n, 20);
    uint8_t pkt[128];
    size_t pl = pg_build(DLT_RAW, pkt, sizeof pkt, C, 1, S, 2, PG_S, 1, 0, 100, 0, NULL, 1);
    size_t padded = (pl + 3) & ~(size_t)3;
    n = put32(f, n, 6), n = put32(f, n, (uint32_t)(32 + padded)), n = put32(f, n, 1), n = put32(f, n, 0);
    n = put32(f, n, 1000), n = put32(f, n, (uint32_t)pl), n = put32(f, n, (uint32_t)pl);
    memcpy(f + n, pkt, pl);
    memset(f + n + pl, 0, padded - pl);
    n += padded;
    n = put32(f, n, (uint32_t)(32 + padded));
    FILE *m = fmemopen(f, n, "rb");
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
    struct tcpsim_replay_input in = {"two.pcapng", NULL, m, false};
    char err[512] = "";
    enum tcpsim_err rc = tcpsim_replay_read(rp, &in, err, sizeof err);
    tcpsim_replay_free(rp);
    assert_int_equal(rc, TCPSIM_ERR_MALFORMED);
    assert_non_null(strstr(err, "two.pcapng: frame 1: unsupported: this pcapng file has interfaces with different "
                                "link types"));
    assert_null(strstr(err, "damaged"));
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
    assert_true(r.seg[5].has_tls_state);
    assert_false(r.seg[8].has_tls_state);
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

/* The JSON view: the server's state on every record (B1), the
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
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, TCPSIM_RP_JSON, -1);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    tcpsim_rp_writer_setup(w, &cfg);
    assert_true(cfg.tls_json);
    rr_read(&cfg, path, NULL);
    assert_true(rr_close(&o));
    unlink(path);
    char *text = o.text;
    char *l1 = text, *l2 = strchr(l1, '\n') + 1, *l4 = strchr(strchr(l2, '\n') + 1, '\n') + 1;
    assert_true(strncmp(l1, "{\"type\":\"segment\",\"frame\":1,", 28) == 0);
    assert_non_null(strstr(l1, "\"client_state\":\"SYN_SENT\",\"server_state\":\"SYN_RECEIVED\","));
    assert_non_null(strstr(l1, "{\"endpoint\":\"server\",\"from\":\"LISTEN\",\"to\":\"SYN_RECEIVED\""));
    assert_null(strstr(text, "null,\"events\""));
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
    assert_non_null(strstr(conn, ",\"alpn_offered\":[\"h2\"]}")); /* B4 */
    assert_non_null(strstr(conn, "\"server_inferred\":false"));
    free(text);
}

/* A9: a corrupted handshake length (ClientHello claiming 16 MiB) is reported
 * (diagnostic naming the frame, malformed count) and parsing resynchronises:
 * the records after it are still decoded. Garbage that is not a record goes
 * to tls_errors, not to the contract's `tls` array (B1). */
struct diags {
    unsigned n;
    uint64_t frame[8];
    char text[8][256];
};

static void on_diag(void *ctx, uint64_t frame, const char *text)
{
    struct diags *d = ctx;
    if (d->n < 8) {
        d->frame[d->n] = frame;
        snprintf(d->text[d->n], sizeof d->text[d->n], "%s", text);
    }
    d->n++;
}

static void test_tls_bad_hello_length_expect_diag_and_resync(void **state)
{
    (void)state;
    uint8_t ch[512], sh[256];
    size_t chl = client_hello(ch, "bad.test"), shl = server_hello(sh);
    ch[6] = ch[7] = ch[8] = 0xff; /* handshake length 0xFFFFFF */
    static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
    static const uint8_t junk[] = {0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50};
    cap_open();
    uint64_t t = handshake(1000000, 40070, 443, 1000, 5000);
    pg_set_payload(ch);
    pg_tcp(&g, t += 1000, C, 40070, S, 443, PG_A | PG_P, 1001, 5001, 502, (uint16_t)chl, NULL);
    pg_set_payload(sh);
    pg_tcp(&g, t += 1000, S, 443, C, 40070, PG_A | PG_P, 5001, 1001 + (uint32_t)chl, 510, (uint16_t)shl, NULL);
    uint32_t cs = 1001 + (uint32_t)chl;
    pg_set_payload(ccs);
    pg_tcp(&g, t += 1000, C, 40070, S, 443, PG_A | PG_P, cs, 5001 + (uint32_t)shl, 502, sizeof ccs, NULL);
    pg_set_payload(junk);
    pg_tcp(&g, t += 1000, C, 40070, S, 443, PG_A | PG_P, cs + sizeof ccs, 5001 + (uint32_t)shl, 502, sizeof junk, NULL);
    pg_close(&g);
    struct rec r;
    memset(&r, 0, sizeof r);
    struct diags d;
    memset(&d, 0, sizeof d);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.h.segment = on_seg;
    cfg.h.conn = on_conn;
    cfg.h.summary = on_sum;
    cfg.h.ctx = &r;
    cfg.tls_json = true;
    cfg.diag = on_diag;
    cfg.diag_ctx = &d;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    struct tcpsim_replay_input in = {path, NULL, NULL, false};
    char err[256];
    assert_int_equal(tcpsim_replay_read(rp, &in, err, sizeof err), TCPSIM_OK);
    tcpsim_replay_free(rp);
    unlink(path);
    assert_true(d.n >= 1);
    assert_int_equal(d.frame[0], 4);
    assert_non_null(strstr(d.text[0], "malformed TLS (c2s): malformed: ClientHello announces 16777215 bytes"));
    assert_non_null(strstr(r.seg[3].tls_json, "\"malformed\":true"));
    assert_string_equal(r.seg[4].tls_names, "ServerHello");
    assert_string_equal(r.seg[5].tls_names, "change_cipher_spec"); /* resynchronised */
    const struct rec_conn *c = conn_by_id(&r, 0);
    assert_non_null(strstr(c->tls, "\"malformed\":{\"c2s\":2,"));
    assert_null(strstr(c->tls, "\"record\":\"invalid\""));
    assert_null(strstr(r.seg[6].tls_json, "invalid"));
    assert_int_equal(r.seg[6].ntls, 0);
    assert_string_equal(r.seg[6].errs,
                        "{\"dir\":\"c2s\",\"error\":\"malformed: not a TLS record header; resynchronising\"}");
}

/* Replay the capture being written through a view; returns its text (free it). */
static char *run_view(enum tcpsim_rp_format fmt)
{
    pg_close(&g);
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, fmt, -1);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    tcpsim_rp_writer_setup(w, &cfg);
    rr_read(&cfg, path, NULL);
    assert_true(rr_close(&o));
    unlink(path);
    return o.text;
}

/* B4 + D4, the summary view of a TLS 1.3 connection: the offered ALPN list
 * with the note that the server's choice is encrypted, and both sides'
 * (encrypted) alerts, not only the first. */
static void test_tls_summary_view_expect_alpn_offered_and_both_alerts(void **state)
{
    (void)state;
    uint8_t ch[512], sh[256];
    size_t chl = client_hello(ch, "sum.test"), shl = server_hello(sh);
    static const uint8_t alert[] = {21, 3, 3, 0, 19, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    cap_open();
    uint64_t t = handshake(1000000, 40080, 443, 1000, 5000);
    uint32_t cs = 1001, ss = 5001;
    pg_set_payload(ch);
    pg_tcp(&g, t += 1000, C, 40080, S, 443, PG_A | PG_P, cs, ss, 502, (uint16_t)chl, NULL);
    cs += (uint32_t)chl;
    pg_set_payload(sh);
    pg_tcp(&g, t += 1000, S, 443, C, 40080, PG_A | PG_P, ss, cs, 510, (uint16_t)shl, NULL);
    ss += (uint32_t)shl;
    pg_set_payload(alert);
    pg_tcp(&g, t += 1000, S, 443, C, 40080, PG_A | PG_P, ss, cs, 510, sizeof alert, NULL);
    ss += sizeof alert;
    pg_set_payload(alert);
    pg_tcp(&g, t += 1000, C, 40080, S, 443, PG_A | PG_P, cs, ss, 502, sizeof alert, NULL);
    char *text = run_view(TCPSIM_RP_SUMMARY);
    assert_non_null(strstr(text, " alpn offered h2 (server's choice encrypted) "));
    assert_non_null(strstr(text, "  alerts encrypted from server, encrypted from client (both sides;"));
    free(text);
}

/* Issue 7: a timeline view (the step-through, a Korean ladder) reads each TLS
 * item's explanation id and its parameters when the connection is drawn,
 * long after the segment: they must be the view's own copies. One ClientHello
 * rides on a SYN the server never answers (its record waits in the output
 * FIFO), one on a plain segment after a handshake. */
struct tl_seen {
    unsigned n, begins;
    char names[4][32];
    int why_id[4];
    char sni[4][64];
    char ko[4][320];
    char en[4][320];
};

static void tl_collect(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tl_seen *t = ctx;
    if (ev->kind == TCPSIM_TL_BEGIN)
        t->begins++;
    if (ev->kind != TCPSIM_TL_SEGMENT)
        return;
    for (size_t i = 0; i < ev->u.segment.ntls && t->n < 4; i++) {
        const struct tcpsim_tl_tls *x = &ev->u.segment.tls[i];
        snprintf(t->names[t->n], sizeof t->names[t->n], "%s", x->handshake ? x->handshake : x->record);
        t->why_id[t->n] = x->why ? (int)x->why->id : -1;
        snprintf(t->sni[t->n], sizeof t->sni[t->n], "%s", x->why && x->why->s[1] ? x->why->s[1] : "(none)");
        const char *k = tcpsim_i18n_tls(TCPSIM_LANG_KO, x, t->ko[t->n], sizeof t->ko[t->n]);
        const char *e = tcpsim_i18n_tls(TCPSIM_LANG_EN, x, t->en[t->n], sizeof t->en[t->n]);
        if (!k)
            t->ko[t->n][0] = '\0';
        if (!e)
            t->en[t->n][0] = '\0';
        t->n++;
    }
}

static void test_tls_timeline_view_expect_explanation_ids_copied(void **state)
{
    (void)state;
    uint8_t ch[512], ch2[512];
    size_t chl = client_hello(ch, "held.test"), chl2 = client_hello(ch2, "plain.test");
    cap_open();
    pg_set_payload(ch); /* a SYN carrying data: the server is still silent */
    pg_tcp(&g, 1000000, C, 40090, S, 443, PG_S, 1000, 0, 64240, (uint16_t)chl, NULL);
    uint64_t t = handshake(2000000, 40091, 443, 3000, 7000);
    pg_set_payload(ch2);
    pg_tcp(&g, t += 1000, C, 40091, S, 443, PG_A | PG_P, 3001, 7001, 502, (uint16_t)chl2, NULL);
    pg_close(&g);
    struct tl_seen seen;
    memset(&seen, 0, sizeof seen);
    struct tcpsim_tl_sink sink = {tl_collect, &seen};
    char *text = NULL;
    size_t tlen = 0;
    FILE *out = open_memstream(&text, &tlen);
    assert_non_null(out);
    struct tcpsim_rp_writer *w = tcpsim_rp_writer_new_sink(out, &sink, -1, "ko");
    assert_non_null(w);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    tcpsim_rp_writer_setup(w, &cfg);
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    struct tcpsim_replay_input in = {path, NULL, NULL, false};
    char err[256];
    assert_int_equal(tcpsim_replay_read(rp, &in, err, sizeof err), TCPSIM_OK);
    tcpsim_replay_free(rp);
    assert_true(tcpsim_rp_writer_free(w));
    fclose(out);
    unlink(path);
    assert_int_equal(seen.begins, 2);
    assert_int_equal(seen.n, 2);
    const char *want[2] = {"held.test", "plain.test"};
    for (unsigned i = 0; i < 2; i++) {
        assert_string_equal(seen.names[i], "ClientHello");
        assert_int_equal(seen.why_id[i], TCPSIM_TLS_X_CLIENT_HELLO);
        assert_string_equal(seen.sni[i], want[i]);
        assert_non_null(strstr(seen.en[i], want[i]));
        assert_non_null(strstr(seen.ko[i], want[i]));
        assert_string_not_equal(seen.ko[i], seen.en[i]); /* said from the Korean catalogue */
    }
    /* the heading names each connection in the writer's language */
    assert_non_null(strstr(text, "\n연결 0: 10.0.0.1:40090 -> 10.0.0.2:443\n"));
    assert_non_null(strstr(text, "\n연결 1: 10.0.0.1:40091 -> 10.0.0.2:443\n"));
    assert_non_null(strstr(text, "total: 5 frames"));
    free(text);
}

/* ================= reader: two threads, one thread, one packet at a time ================= */

/* How a capture is fed to the replayer: the public one-packet API in a
 * libpcap loop here (the reference), or tcpsim_replay_read with one or two
 * threads and a ring of `ring` bytes (0: the default 4 MiB). */
enum feed { FEED_PACKET, FEED_ONE_THREAD, FEED_TWO_THREADS };

/* The view's text for the capture at `file` (its first `cut` bytes when not
 * 0: a damaged file); *rc and err get the read status. Free the text. */
static char *feed_text(enum feed how, size_t ring, const char *file, size_t cut, const char *filter,
                       enum tcpsim_rp_format fmt, enum tcpsim_err *rc, char *err, size_t errlen)
{
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, fmt, -1);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    tcpsim_rp_writer_setup(w, &cfg);
    cfg.threads = how == FEED_TWO_THREADS ? 2 : 1;
    cfg.ring_bytes = ring;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    static uint8_t whole[8 << 20];
    FILE *m = NULL;
    if (cut) {
        FILE *f = fopen(file, "rb");
        assert_non_null(f);
        size_t n = fread(whole, 1, sizeof whole, f);
        fclose(f);
        assert_true(cut < n);
        m = fmemopen(whole, cut, "rb");
        assert_non_null(m);
    }
    err[0] = '\0';
    if (how == FEED_PACKET) {
        char perr[PCAP_ERRBUF_SIZE];
        pcap_t *p = m ? pcap_fopen_offline_with_tstamp_precision(m, PCAP_TSTAMP_PRECISION_NANO, perr)
                      : pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, perr);
        assert_non_null(p);
        struct bpf_program prog;
        if (filter) {
            assert_int_equal(pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
            tcpsim_replay_filter_view(rp);
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        uint64_t frame = 0;
        int r;
        while ((r = pcap_next_ex(p, &h, &data)) == 1) {
            tcpsim_ns_t ts = (tcpsim_ns_t)h->ts.tv_sec * 1000000000u + (tcpsim_ns_t)h->ts.tv_usec;
            if (filter && !pcap_offline_filter(&prog, h, data))
                tcpsim_replay_packet_hidden(rp, ++frame, ts, pcap_datalink(p), data, h->caplen, h->len);
            else
                tcpsim_replay_packet(rp, ++frame, ts, pcap_datalink(p), data, h->caplen, h->len);
        }
        *rc = r == PCAP_ERROR_BREAK ? TCPSIM_OK : TCPSIM_ERR_MALFORMED;
        if (*rc != TCPSIM_OK)
            snprintf(err, errlen, "frame %llu:", (unsigned long long)frame + 1);
        if (filter)
            pcap_freecode(&prog);
        pcap_close(p);
        tcpsim_replay_finish(rp);
    } else {
        struct tcpsim_replay_input in = {file, filter, m, false};
        *rc = tcpsim_replay_read(rp, &in, err, errlen);
    }
    tcpsim_replay_free(rp);
    assert_true(rr_close(&o));
    return o.text;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* A capture with something of everything the reader passes on: 300
 * connections over five minutes of capture time (some leave closed and
 * quiet, with their records held in the output FIFO meanwhile), TLS hellos,
 * segments of 30000 bytes (larger than a quarter of a small ring: handed
 * over by reference), IPv6, garbage records, a refused connection. */
static size_t mixed_capture(void)
{
    uint8_t ch[512], sh[256], junk[64];
    static uint8_t flight[30000];
    size_t chl = client_hello(ch, "pipe.test"), shl = server_hello(sh);
    uint64_t t = 1000000;
    uint16_t big = 30000;
    size_t frames = 0;
    for (unsigned i = 0; i < 300; i++) {
        uint16_t cp = (uint16_t)(20000 + i);
        uint32_t ciss = 1000u * i, siss = 7000000u + 13u * i;
        t += 1000000;
        switch (i % 6) {
        case 0:
            full_conn(t, cp, ciss, siss);
            frames += 9;
            break;
        case 1: /* TLS: hellos, then the server's large flight: application_data
                 * records whose lengths differ per connection (shown in the
                 * segment's tls items: a record read from the wrong bytes
                 * would show) */
            for (size_t off = 0; off < sizeof flight;) {
                size_t len = 300 + (i * 37u + off) % 900;
                if (off + 5 + len > sizeof flight || sizeof flight - (off + 5 + len) < 5)
                    len = sizeof flight - off - 5;
                flight[off] = 23;
                flight[off + 1] = flight[off + 2] = 3;
                flight[off + 3] = (uint8_t)(len >> 8);
                flight[off + 4] = (uint8_t)len;
                memset(flight + off + 5, (int)(i & 0xff), len);
                off += 5 + len;
            }
            handshake(t, cp, 443, ciss, siss);
            pg_set_payload(ch);
            pg_tcp(&g, t + 30000, C, cp, S, 443, PG_A | PG_P, ciss + 1, siss + 1, 502, (uint16_t)chl, NULL);
            pg_set_payload(sh);
            pg_tcp(&g, t + 40000, S, 443, C, cp, PG_A | PG_P, siss + 1, ciss + 1 + (uint32_t)chl, 510, (uint16_t)shl,
                   NULL);
            pg_set_payload(flight);
            pg_tcp(&g, t + 41000, S, 443, C, cp, PG_A, siss + 1 + (uint32_t)shl, ciss + 1 + (uint32_t)chl, 510, big,
                   NULL);
            frames += 6;
            break;
        case 2: /* a large segment on plain TCP, then a reset */
            handshake(t, cp, 80, ciss, siss);
            pg_tcp(&g, t + 30000, C, cp, S, 80, PG_A, ciss + 1, siss + 1, 502, big, NULL);
            pg_tcp(&g, t + 40000, S, 80, C, cp, PG_R | PG_A, siss + 1, ciss + 1 + big, 0, 0, NULL);
            frames += 5;
            break;
        case 3: /* IPv6, unanswered SYN (held until LISTEN is assumed) */
            pg_tcp(&g, t, "2001:db8::1", cp, "2001:db8::2", 8080, PG_S, ciss, 0, 64240, 0, &ws7);
            frames += 1;
            break;
        case 4: /* refused */
            pg_tcp(&g, t, C, cp, S, 81, PG_S, ciss, 0, 64240, 0, &ws7);
            pg_tcp(&g, t + 100, S, 81, C, cp, PG_R | PG_A, 0, ciss + 1, 0, 0, NULL);
            frames += 2;
            break;
        case 5: /* garbage and a record too short for any header */
            for (size_t k = 0; k < sizeof junk; k++)
                junk[k] = (uint8_t)(i * 31u + k * 7u);
            pg_raw(&g, t, junk, sizeof junk);
            pg_raw(&g, t + 1, junk, 3);
            frames += 2;
            break;
        }
    }
    return frames;
}

static void test_reader_threads_expect_same_output_as_per_packet(void **state)
{
    (void)state;
    cap_open();
    mixed_capture();
    pg_close(&g);
    const char *filters[] = {NULL, "tcp port 443"};
    const enum tcpsim_rp_format fmts[] = {TCPSIM_RP_JSON, TCPSIM_RP_SUMMARY};
    const size_t rings[] = {0, 4096};
    char err[512];
    enum tcpsim_err rc;
    for (int fi = 0; fi < 2; fi++) {
        for (int vi = 0; vi < 2; vi++) {
            char *ref = feed_text(FEED_PACKET, 0, path, 0, filters[fi], fmts[vi], &rc, err, sizeof err);
            assert_int_equal(rc, TCPSIM_OK);
            /* the reference is not empty: every connection (or every one on
             * port 443) has its conn record */
            if (fmts[vi] == TCPSIM_RP_JSON)
                assert_int_equal(count_of(ref, "{\"type\":\"conn\""), filters[fi] ? 50 : 250);
            for (int ri = 0; ri < 2; ri++) {
                for (enum feed how = FEED_ONE_THREAD; how <= FEED_TWO_THREADS; how++) {
                    char *got = feed_text(how, rings[ri], path, 0, filters[fi], fmts[vi], &rc, err, sizeof err);
                    assert_int_equal(rc, TCPSIM_OK);
                    assert_string_equal(got, ref);
                    free(got);
                }
            }
            free(ref);
        }
    }
    unlink(path);
}

static void test_reader_damaged_threads_expect_same_prefix_and_error(void **state)
{
    (void)state;
    cap_open();
    mixed_capture();
    pg_close(&g);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fclose(f);
    /* Cut inside a record at a few places: every frame before the cut is
     * replayed, the same way, and the error names the frame after them. */
    for (size_t cut = n / 7; cut < n; cut += n / 7 + 1) {
        char rerr[512], err[512];
        enum tcpsim_err rrc, rc;
        char *ref = feed_text(FEED_PACKET, 0, path, cut, NULL, TCPSIM_RP_JSON, &rrc, rerr, sizeof rerr);
        assert_true(strlen(ref) > 0);
        for (int ri = 0; ri < 2; ri++) {
            for (enum feed how = FEED_ONE_THREAD; how <= FEED_TWO_THREADS; how++) {
                char *got = feed_text(how, ri ? 4096 : 0, path, cut, NULL, TCPSIM_RP_JSON, &rc, err, sizeof err);
                assert_int_equal(rc, rrc);
                if (rc != TCPSIM_OK) {
                    assert_non_null(strstr(err, path));
                    assert_non_null(strstr(err, rerr)); /* "frame N:" */
                }
                assert_string_equal(got, ref);
                free(got);
            }
        }
        free(ref);
    }
    unlink(path);
}

/* Reading "-": libpcap's pcap_close leaves stdin open (it is not ours to
 * close), so the caller may read it again afterwards, and no buffer of the
 * reader's, freed when it returns, may stay installed in stdin. Checked in a
 * child process: a read through a buffer left behind either fails (a buffer
 * mapped on its own, the mmap threshold being fixed low, is unmapped when
 * freed) or writes into the block that took its place. */
static void test_reader_stdin_expect_stdin_readable_after(void **state)
{
    (void)state;
    cap_open();
    full_conn(1000000, 40000, 1000, 5000);
    pg_close(&g);
    char txt[] = "/tmp/tcpsim-replay-test-XXXXXX";
    int tfd = mkstemp(txt);
    assert_true(tfd >= 0);
    assert_int_equal(write(tfd, "hello\n", 6), 6);
    close(tfd);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* no cmocka in here: exit codes only */
#ifdef M_MMAP_THRESHOLD
        mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
        int fd = open(path, O_RDONLY);
        if (fd < 0 || dup2(fd, 0) < 0)
            _exit(10);
        close(fd);
        clearerr(stdin);
        struct rec *r = calloc(1, sizeof *r);
        struct tcpsim_replay_cfg cfg;
        tcpsim_replay_cfg_default(&cfg);
        cfg.h.conn = on_conn;
        cfg.h.ctx = r;
        struct tcpsim_replay *rp = r ? tcpsim_replay_new(&cfg) : NULL;
        if (!rp)
            _exit(11);
        struct tcpsim_replay_input in = {"-", NULL, NULL, false};
        char err[256];
        if (tcpsim_replay_read(rp, &in, err, sizeof err) != TCPSIM_OK || r->nconn != 1)
            _exit(12);
        tcpsim_replay_free(rp);
        /* a block of the buffer's size, likely where a freed buffer was */
        char *blk = malloc(1u << 20);
        if (!blk)
            _exit(14);
        memset(blk, 'x', 1u << 20);
        fd = open(txt, O_RDONLY);
        if (fd < 0 || dup2(fd, 0) < 0)
            _exit(13);
        close(fd);
        clearerr(stdin);
        char line[16];
        bool read_ok = fgets(line, sizeof line, stdin) && !strcmp(line, "hello\n");
        bool blk_ok = !memcmp(blk, "xxxxxx", 6); /* not written through a stale buffer */
        _exit(read_ok && blk_ok ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    unlink(path);
    unlink(txt);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A stream the caller gives (in->fp) may have been read from already, e.g.
 * a peek at the magic number: what its stdio buffer holds is part of the
 * capture. On a pipe it cannot be read again, so the reader must not swap
 * the stream's buffer (setvbuf would drop those bytes). */
static void test_reader_peeked_pipe_expect_whole_capture(void **state)
{
    (void)state;
    cap_open();
    full_conn(1000000, 40000, 1000, 5000);
    full_conn(2000000, 40001, 2000, 6000);
    pg_close(&g);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the writer: the capture file into the pipe */
        close(pfd[0]);
        int fd = open(path, O_RDONLY);
        char b[4096];
        ssize_t n;
        while (fd >= 0 && (n = read(fd, b, sizeof b)) > 0)
            if (write(pfd[1], b, (size_t)n) != n)
                _exit(1);
        _exit(fd >= 0 ? 0 : 1);
    }
    close(pfd[1]);
    FILE *fp = fdopen(pfd[0], "rb");
    assert_non_null(fp);
    int c = fgetc(fp); /* the peek: the stream's buffer now holds what the pipe had */
    assert_int_not_equal(c, EOF);
    assert_int_not_equal(ungetc(c, fp), EOF);
    struct rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    struct tcpsim_replay *rp = rr_new_conns(on_conn, r);
    struct tcpsim_replay_input in = {"peeked", NULL, fp, false};
    char err[512] = "";
    enum tcpsim_err rc = tcpsim_replay_read(rp, &in, err, sizeof err); /* closes fp */
    tcpsim_replay_free(rp);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    unlink(path);
    assert_string_equal(err, "");
    assert_int_equal(rc, TCPSIM_OK);
    assert_int_equal(r->nconn, 2);
    free(r);
}

/* test_flow_lru.c */
void test_flow_lru_random_expect_same_order_as_list(void **state);
void test_flow_alloc_large_sizes_expect_aligned_and_usable(void **state);
void test_flow_hash_known_keys_expect_same_values(void **state);
void test_flow_prefetch_hints_expect_the_lookup_and_alloc_results(void **state);
void test_flow_prefault_expect_next_chunk_early_and_once(void **state);

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_client_close_expect_rfc_states),
        cmocka_unit_test(test_closed_syn_rst_expect_refused),
        cmocka_unit_test(test_listen_syn_unanswered_expect_listen_assumed),
        cmocka_unit_test(test_listen_synack_expect_listen_decided_at_reply),
        cmocka_unit_test(test_midstream_data_expect_inferred_established),
        cmocka_unit_test(test_established_fins_cross_expect_closing_both),
        cmocka_unit_test(test_closed_simultaneous_open_expect_syn_sent),
        cmocka_unit_test(test_fifo_held_record_expect_capture_order_and_correction),
        cmocka_unit_test(test_fifo_held_60s_expect_listen_assumed_then_late_answer),
        cmocka_unit_test(test_snap_options_cut_expect_tracked_from_fixed_header),
        cmocka_unit_test(test_analysis_reordered_fill_expect_lost_segment_no_gap),
        cmocka_unit_test(test_zeek_synack_first_both_fin_expect_sf),
        cmocka_unit_test(test_zeek_both_rst_expect_rstr),
        cmocka_unit_test(test_flow_both_directions_expect_one_conn),
        cmocka_unit_test(test_flow_syn_retransmit_expect_same_conn),
        cmocka_unit_test(test_flow_syn_new_isn_expect_reused_ports),
        cmocka_unit_test(test_flow_bpf_filter_expect_unfiltered_numbering),
        cmocka_unit_test(test_flow_max_conns_expect_oldest_evicted),
        cmocka_unit_test(test_flow_closed_quiet_expect_leaves_before_end),
        cmocka_unit_test(test_flow_many_conns_expect_bounded_allocations),
        cmocka_unit_test(test_flow_lru_random_expect_same_order_as_list),
        cmocka_unit_test(test_flow_alloc_large_sizes_expect_aligned_and_usable),
        cmocka_unit_test(test_flow_hash_known_keys_expect_same_values),
        cmocka_unit_test(test_flow_prefetch_hints_expect_the_lookup_and_alloc_results),
        cmocka_unit_test(test_flow_prefault_expect_next_chunk_early_and_once),
        cmocka_unit_test(test_analysis_dup_acks_fast_retrans_expect_flags),
        cmocka_unit_test(test_analysis_gap_expect_lost_and_acked_unseen),
        cmocka_unit_test(test_analysis_zero_window_keepalive_expect_flags),
        cmocka_unit_test(test_damaged_every_cut_expect_error_and_prefix),
        cmocka_unit_test(test_damaged_garbage_records_expect_counted_not_crash),
        cmocka_unit_test(test_damaged_caplen_over_snaplen_expect_error_naming_frame),
        cmocka_unit_test(test_damaged_pcapng_two_link_types_expect_unsupported_message),
        cmocka_unit_test(test_tls_client_hello_split_expect_item_on_completing_frame),
        cmocka_unit_test(test_tls_client_hello_reordered_expect_item_on_later_frame),
        cmocka_unit_test(test_tls_plain_http_expect_no_decoder),
        cmocka_unit_test(test_tls_server_speaks_first_expect_no_decoder),
        cmocka_unit_test(test_tls_snapped_record_expect_no_item),
        cmocka_unit_test(test_tls_json_view_expect_contract_fields),
        cmocka_unit_test(test_tls_bad_hello_length_expect_diag_and_resync),
        cmocka_unit_test(test_tls_summary_view_expect_alpn_offered_and_both_alerts),
        cmocka_unit_test(test_tls_timeline_view_expect_explanation_ids_copied),
        cmocka_unit_test(test_reader_threads_expect_same_output_as_per_packet),
        cmocka_unit_test(test_reader_damaged_threads_expect_same_prefix_and_error),
        cmocka_unit_test(test_reader_stdin_expect_stdin_readable_after),
        cmocka_unit_test(test_reader_peeked_pipe_expect_whole_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
