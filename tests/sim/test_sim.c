/* test_sim.c - the simulator: event queue, PRNG, durations, the scenario DSL,
 * the synthetic TLS records, link faults, and every built-in scenario's state
 * sequences checked against RFC 9293 §3.5/§3.6 and RFC 6298. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim_int.h"
#include "tcpsim/reader.h"
#include "tcpsim/report.h"
#include "tcpsim/tls.h"

#define C     TCPSIM_SIDE_CLIENT
#define S     TCPSIM_SIDE_SERVER
#define ST(x) TCPSIM_TCP_##x

/* ---- a sink that keeps what the tests look at ---- */
struct seen_seg {
    enum tcpsim_side from;
    uint8_t flags;
    uint32_t seq, ack;
    size_t len;
    tcpsim_time_t t_sent, t_arrived;
    bool dropped, dup, rtx;
    uint64_t frame;
};
struct rec {
    struct seen_seg seg[256];
    size_t nseg;
    char tls[32][40];
    size_t ntls;
    unsigned begins, ends, notes;
    char note_text[8192];            /* every note's text, one per line */
    char note_msg[4096];             /* every note's message id and arguments, "id arg arg" one per line */
    int tls_why[32];                 /* explanation id of each TLS item (-1: none) */
    enum tcpsim_tcp_why last_why[2]; /* of each side's last transition */
};

static void rec_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct rec *r = ctx;
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN:
        r->begins++;
        break;
    case TCPSIM_TL_END:
        r->ends++;
        break;
    case TCPSIM_TL_NOTE: {
        r->notes++;
        size_t l = strlen(r->note_text);
        if (ev->u.note.text && l < sizeof r->note_text)
            snprintf(r->note_text + l, sizeof r->note_text - l, "%s\n", ev->u.note.text);
        l = strlen(r->note_msg);
        if (ev->u.note.msg && l < sizeof r->note_msg) {
            l += (size_t)snprintf(r->note_msg + l, sizeof r->note_msg - l, "%s", ev->u.note.msg);
            for (size_t i = 0; i < ev->u.note.nargs && l < sizeof r->note_msg; i++)
                l += (size_t)snprintf(r->note_msg + l, sizeof r->note_msg - l, " %s", ev->u.note.args[i]);
            if (l < sizeof r->note_msg)
                snprintf(r->note_msg + l, sizeof r->note_msg - l, "\n");
        }
        break;
    }
    case TCPSIM_TL_STATE:
        r->last_why[ev->u.state.side] = ev->u.state.why;
        break;
    case TCPSIM_TL_SEGMENT: {
        const struct tcpsim_tl_segment *s = &ev->u.segment;
        if (r->nseg < 256) {
            struct seen_seg *x = &r->seg[r->nseg++];
            x->from = s->from;
            x->flags = s->seg->flags;
            x->seq = s->seg->seq;
            x->ack = s->seg->ack;
            x->len = s->seg->payload_len;
            x->t_sent = s->t_sent;
            x->t_arrived = s->t_arrived;
            x->dropped = s->dropped;
            x->dup = s->duplicated;
            x->rtx = s->retransmission;
            x->frame = s->frame;
        }
        for (size_t i = 0; i < s->ntls && r->ntls < 32; i++) {
            r->tls_why[r->ntls] = s->tls[i].why ? (int)s->tls[i].why->id : -1;
            snprintf(r->tls[r->ntls++], 40, "%s", s->tls[i].handshake ? s->tls[i].handshake : s->tls[i].record);
        }
        break;
    }
    }
}

static struct tcpsim_sim *run_builtin(const char *name, size_t run, struct rec *r, const char *k1, const char *v1)
{
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin(name, &sc, err, sizeof err), TCPSIM_OK);
    if (k1)
        assert_int_equal(tcpsim_scenario_set(sc, k1, v1, err, sizeof err), TCPSIM_OK);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, run, &sim), TCPSIM_OK);
    memset(r, 0, sizeof *r);
    struct tcpsim_tl_sink k = {rec_event, r};
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    assert_int_equal(r->begins, 1);
    assert_int_equal(r->ends, 1);
    /* the sim keeps a pointer to the scenario: park it for the caller */
    static struct tcpsim_scenario *keep[64];
    static size_t nkeep;
    if (nkeep == 64) {
        for (size_t i = 0; i < 64; i++)
            tcpsim_scenario_free(keep[i]);
        nkeep = 0;
    }
    keep[nkeep++] = sc;
    return sim;
}

static void expect_states(const struct tcpsim_sim *sim, enum tcpsim_side side, const enum tcpsim_tcp_state *want,
                          size_t n)
{
    const enum tcpsim_tcp_state *got;
    size_t ng = tcpsim_sim_states(sim, side, &got);
    if (ng != n) {
        for (size_t i = 0; i < ng; i++)
            print_message("  got[%zu] = %d\n", i, (int)got[i]);
    }
    assert_int_equal(ng, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}
#define EXPECT_STATES(sim, side, ...)                                                                                  \
    do {                                                                                                               \
        static const enum tcpsim_tcp_state w_[] = {__VA_ARGS__};                                                       \
        expect_states(sim, side, w_, sizeof w_ / sizeof w_[0]);                                                        \
    } while (0)

/* ======== scheduler, PRNG, durations ======== */
static void test_evq_pop_orders_by_time_then_insertion(void **st)
{
    (void)st;
    struct tcpsim__evq q;
    memset(&q, 0, sizeof q);
    static const tcpsim_time_t ts[] = {50, 10, 30, 10, 0, 30, 99, 10};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(tcpsim__evq_push(&q, ts[i], 0, (void *)(uintptr_t)i), TCPSIM_OK);
    static const size_t order[] = {4, 1, 3, 7, 2, 5, 0, 6};
    struct sim_ev ev;
    for (size_t i = 0; i < 8; i++) {
        assert_true(tcpsim__evq_pop(&q, &ev));
        assert_int_equal((uintptr_t)ev.data, order[i]);
    }
    assert_false(tcpsim__evq_pop(&q, &ev));
    tcpsim__evq_free(&q);
}

static void test_rng_same_seed_same_sequence(void **st)
{
    (void)st;
    struct tcpsim_rng a, b, c;
    tcpsim_rng_seed(&a, 7);
    tcpsim_rng_seed(&b, 7);
    tcpsim_rng_seed(&c, 8);
    bool differs = false;
    for (int i = 0; i < 100; i++) {
        uint64_t x = tcpsim_rng_next(&a);
        assert_true(x == tcpsim_rng_next(&b));
        differs |= x != tcpsim_rng_next(&c);
        double u = tcpsim_rng_unit(&a);
        assert_true(u >= 0.0 && u < 1.0);
        (void)tcpsim_rng_unit(&b);
        (void)tcpsim_rng_unit(&c);
    }
    assert_true(differs);
}

static void test_duration_units_parse(void **st)
{
    (void)st;
    tcpsim_time_t t = 42;
    assert_true(tcpsim_parse_duration("20ms", &t));
    assert_int_equal(t, 20000);
    assert_true(tcpsim_parse_duration("1.5s", &t));
    assert_int_equal(t, 1500000);
    assert_true(tcpsim_parse_duration("300us", &t));
    assert_int_equal(t, 300);
    assert_true(tcpsim_parse_duration("2m", &t));
    assert_int_equal(t, 120000000);
    assert_true(tcpsim_parse_duration("0", &t));
    assert_int_equal(t, 0);
    t = 42;
    static const char *const bad[] = {"", "-5ms", "20", "ms", "1.5x", "20 ms", "+3s", "1e3ms", ".ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(tcpsim_parse_duration(bad[i], &t));
        assert_int_equal(t, 42);
    }
}

/* ======== the DSL ======== */
static void expect_parse_error(const char *text, const char *needle)
{
    struct tcpsim_scenario *sc = (void *)1;
    char err[256] = "";
    assert_int_not_equal(tcpsim_scenario_parse(text, "t.txt", &sc, err, sizeof err), TCPSIM_OK);
    assert_null(sc);
    if (!strstr(err, needle))
        print_message("message: %s\n", err);
    assert_non_null(strstr(err, needle));
}

static void test_dsl_errors_name_file_line_and_expectation(void **st)
{
    (void)st;
    expect_parse_error("at 0 server listen\nat 0 clinet connect\n", "t.txt, line 2: expected a side");
    expect_parse_error("at 0 client dance\n", "line 1: unknown action 'dance'");
    expect_parse_error("at soon client connect\n", "expected a time");
    expect_parse_error("on client WAITING client close\n", "expected a state");
    expect_parse_error("fault drop client SYN #0\nat 0 client connect\n", "#N");
    expect_parse_error("fault drop server#0\nat 0 client connect\n", "SIDE#N");
    expect_parse_error("fault drop client server\nat 0 client connect\n", "more than one side");
    expect_parse_error("fault drop client SYN,BOGUS\nat 0 client connect\n", "expected flags");
    expect_parse_error("fault drop client 300ms\nat 0 client connect\n", "unexpected '300ms'");
    expect_parse_error("fault dup last ACK soon\nat 0 client connect\n", "expected a duration");
    expect_parse_error("fault explode client\nat 0 client connect\n", "expected drop, delay or dup");
    expect_parse_error("fault delay client FIN #1\nat 0 client connect\n", "expected how long");
    expect_parse_error("set loss 1.5\n", "between 0 and 1");
    expect_parse_error("set delay -3ms\n", "non-negative duration");
    expect_parse_error("set delay 20\n", "with a unit");
    expect_parse_error("set colour blue\n", "unknown parameter 'colour'");
    expect_parse_error("at 0 client send \"oops\n", "closing '\"'");
    expect_parse_error("at 0 client send tls99-hello\n", "unknown TLS flight");
    expect_parse_error("at 0 client connect now\n", "unexpected 'now'");
    expect_parse_error("# nothing\n", "nothing would happen");
    expect_parse_error("jump 3\n", "unknown statement 'jump'");
}

static void test_dsl_full_grammar_parses(void **st)
{
    (void)st;
    struct tcpsim_scenario *sc = NULL;
    char err[256] = "";
    const char *text = "# comment\n"
                       "describe \"custom run\"\n"
                       "set delay 5ms\n"
                       "set seed 9\n"
                       "fault dup server FIN #1 +1500ms\n"
                       "fault delay client FIN #1 300ms\n"
                       "fault drop server data #2\n"
                       "at 0 server listen\n"
                       "at 1ms client connect isn 77\n"
                       "on client ESTABLISHED +2ms client send \"hello world\"\n"
                       "on server got 1 server send 10\n"
                       "on server got 1 +1s server close   # trailing comment\n"
                       "variant lossy loss 0.5\n";
    assert_int_equal(tcpsim_scenario_parse(text, "x", &sc, err, sizeof err), TCPSIM_OK);
    assert_string_equal(tcpsim_scenario_desc(sc), "custom run");
    assert_int_equal(sc->p.delay, 5000);
    assert_int_equal(sc->p.seed, 9);
    assert_int_equal(sc->nfault, 3);
    assert_int_equal(sc->fault[0].kind, SIM_FAULT_DUP);
    assert_int_equal(sc->fault[0].t, 1500000);
    assert_int_equal(sc->fault[1].flags, TCPSIM_FIN);
    assert_true(sc->fault[2].data);
    assert_int_equal(sc->nrule, 5);
    assert_true(sc->rule[1].isn_set);
    assert_int_equal(sc->rule[1].isn, 77);
    assert_string_equal(sc->rule[2].text, "hello world");
    assert_int_equal(sc->rule[3].trig, SIM_TRIG_GOT);
    assert_int_equal(sc->rule[4].t, 1000000);
    assert_int_equal(tcpsim_scenario_runs(sc), 2);
    assert_string_equal(tcpsim_scenario_run_label(sc, 1), "lossy");
    tcpsim_scenario_free(sc);
}

static void test_builtins_all_parse_and_unknown_is_refused(void **st)
{
    (void)st;
    char err[256];
    assert_true(tcpsim_scenario_builtin_count() >= 16);
    for (size_t i = 0; i < tcpsim_scenario_builtin_count(); i++) {
        struct tcpsim_scenario *sc = NULL;
        assert_int_equal(tcpsim_scenario_builtin(tcpsim_scenario_builtin_name(i), &sc, err, sizeof err), TCPSIM_OK);
        assert_true(strlen(tcpsim_scenario_desc(sc)) > 10);
        tcpsim_scenario_free(sc);
    }
    struct tcpsim_scenario *sc = (void *)1;
    assert_int_equal(tcpsim_scenario_builtin("handshak", &sc, err, sizeof err), TCPSIM_ERR_NOTFOUND);
    assert_null(sc);
    assert_non_null(strstr(err, "unknown scenario 'handshak'"));
}

/* ======== synthetic TLS ======== */
struct tls_seen {
    char name[16][40];
    size_t n;
    unsigned malformed;
};

static void tls_seen_item(void *ctx, const struct tcpsim_tls_item *it)
{
    struct tls_seen *t = ctx;
    if (it->malformed)
        t->malformed++;
    if (t->n < 16)
        snprintf(t->name[t->n++], 40, "%s",
                 it->hs == TCPSIM_TLS_HS_NONE ? tcpsim_tls_record_name(it->record) : tcpsim_tls_hs_name(it->hs));
}

/* Feed flights through the real decoder (src/tls), as the simulator does. */
static void decode_flights(const char *const *flights, size_t n, struct tls_seen *seen)
{
    memset(seen, 0, sizeof *seen);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, tls_seen_item, seen);
    assert_non_null(c);
    uint32_t seq[2] = {1001, 5001};
    tcpsim_tls_start(c, C, seq[0]);
    tcpsim_tls_start(c, S, seq[1]);
    for (size_t i = 0; i < n; i++) {
        struct sim_tls_flight f;
        assert_int_equal(tcpsim__tls_flight_build(tcpsim__tls_flight_id(flights[i]), &f), TCPSIM_OK);
        enum tcpsim_side d = strstr(flights[i], "client") ? C : S;
        assert_int_equal(tcpsim_tls_feed(c, d, seq[d], f.bytes, f.len, i + 1, 0), TCPSIM_OK);
        seq[d] += (uint32_t)f.len;
        free(f.bytes);
    }
    tcpsim_tls_conn_free(c);
}

static void test_tls_flights_are_well_formed_records(void **st)
{
    (void)st;
    for (size_t id = 0; id < tcpsim__tls_flight_count(); id++) {
        struct sim_tls_flight f;
        assert_int_equal(tcpsim__tls_flight_build((int)id, &f), TCPSIM_OK);
        struct tcpsim_reader r = tcpsim_reader_make(f.bytes, f.len);
        size_t records = 0;
        while (tcpsim_reader_left(&r)) {
            uint8_t type = 0;
            uint16_t ver = 0;
            struct tcpsim_reader body = {NULL, NULL};
            assert_true(tcpsim_read_u8(&r, &type));
            assert_true(type >= 20 && type <= 23);
            assert_true(tcpsim_read_u16(&r, &ver));
            assert_true(ver == 0x0301 || ver == 0x0303);
            assert_true(tcpsim_read_vec(&r, 2, &body)); /* the record is complete */
            records++;
        }
        assert_true(records >= 1);
        free(f.bytes);
    }
    assert_int_equal(tcpsim__tls_flight_id("tls12-client-hello"), 0);
    assert_int_equal(tcpsim__tls_flight_id("tls12-hello"), -1);
    assert_true(tcpsim__tls_cert_der_len > 300 && tcpsim__tls_cert_der[0] == 0x30);
}

static void test_tls12_flights_decode_to_rfc5246_sequence(void **st)
{
    (void)st;
    static const char *const fl[] = {"tls12-client-hello", "tls12-server-hello", "tls12-client-finish",
                                     "tls12-server-finish"};
    struct tls_seen t;
    decode_flights(fl, 4, &t);
    /* RFC 5246 7.3, figure 1 (the seeds' picture) */
    static const char *const want[] = {"ClientHello",     "ServerHello",        "Certificate",
                                       "ServerHelloDone", "ClientKeyExchange",  "change_cipher_spec",
                                       "encrypted",       "change_cipher_spec", "encrypted"};
    assert_int_equal(t.malformed, 0);
    assert_int_equal(t.n, 9);
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(t.name[i], want[i]);
}

static void test_tls13_flights_decode_to_rfc8446_sequence(void **st)
{
    (void)st;
    static const char *const fl[] = {"tls13-client-hello", "tls13-server-hello", "tls13-client-finish"};
    struct tls_seen t;
    decode_flights(fl, 3, &t);
    assert_int_equal(t.malformed, 0);
    assert_true(t.n >= 4);
    assert_string_equal(t.name[0], "ClientHello");
    assert_string_equal(t.name[1], "ServerHello");
}

/* ======== scenarios: RFC 9293 §3.5 opening ======== */
static void test_handshake_three_segments_both_established(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("handshake", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED));
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED));
    assert_int_equal(r.nseg, 3);
    assert_int_equal(r.seg[0].flags, TCPSIM_SYN);
    assert_int_equal(r.seg[0].seq, 1000);
    assert_int_equal(r.seg[1].flags, TCPSIM_SYN | TCPSIM_ACK);
    assert_int_equal(r.seg[1].seq, 5000);
    assert_int_equal(r.seg[1].ack, 1001);
    assert_int_equal(r.seg[2].flags & (TCPSIM_SYN | TCPSIM_ACK), TCPSIM_ACK);
    assert_int_equal(r.seg[2].ack, 5001);
    tcpsim_sim_free(sim);
}

static void test_simultaneous_open_both_pass_syn_received(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("simultaneous-open", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(SYN_RECEIVED), ST(ESTABLISHED));
    EXPECT_STATES(sim, S, ST(CLOSED), ST(SYN_SENT), ST(SYN_RECEIVED), ST(ESTABLISHED));
    tcpsim_sim_free(sim);
}

static void test_refused_rst_and_error(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("refused", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(CLOSED));
    EXPECT_STATES(sim, S, ST(CLOSED));
    assert_int_equal(r.nseg, 2);
    assert_true(r.seg[1].flags & TCPSIM_RST);
    assert_int_equal(r.seg[1].ack, 1001); /* RFC 9293 3.10.7.1: ACK = SEG.SEQ + SEG.LEN */
    const enum tcpsim_err *errs;
    assert_int_equal(tcpsim_sim_errors(sim, C, &errs), 1);
    assert_int_equal(errs[0], TCPSIM_ERR_REFUSED);
    tcpsim_sim_free(sim);
}

static void test_syn_lost_retransmitted_with_backoff(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("syn-lost", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED));
    size_t n = 0;
    tcpsim_time_t t[3];
    for (size_t i = 0; i < r.nseg; i++)
        if (r.seg[i].from == C && (r.seg[i].flags & TCPSIM_SYN) && n < 3) {
            assert_int_equal(r.seg[i].seq, 1000); /* same ISN every time */
            assert_int_equal(r.seg[i].dropped, n < 2);
            assert_int_equal(r.seg[i].rtx, n > 0);
            t[n++] = r.seg[i].t_sent;
        }
    assert_int_equal(n, 3);
    /* RFC 6298 2.1 / 5.5: initial RTO 1 s, doubled after each expiry */
    assert_int_equal(t[1] - t[0], TCPSIM_SEC(1));
    assert_int_equal(t[2] - t[1], TCPSIM_SEC(2));
    assert_int_equal(tcpsim_sim_segments_lost(sim, C), 2);
    tcpsim_sim_free(sim);
}

static void test_synack_lost_both_retransmit_then_established(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("synack-lost", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED));
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED));
    assert_int_equal(tcpsim_sim_segments_lost(sim, S), 1);
    bool rtx = false;
    for (size_t i = 0; i < r.nseg; i++)
        rtx |= r.seg[i].rtx && (r.seg[i].flags & TCPSIM_SYN);
    assert_true(rtx);
    tcpsim_sim_free(sim);
}

/* ======== scenarios: RFC 9293 §3.6 closing ======== */
static void test_close_client_first_client_waits_in_time_wait(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("close-client-first", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                  ST(CLOSED));
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK),
                  ST(CLOSED));
    /* TIME_WAIT lasts 2*MSL (MSL 5 s in the simulator) */
    assert_true(tcpsim_sim_now(sim) >= TCPSIM_SEC(10));
    tcpsim_sim_free(sim);
}

static void test_close_server_first_server_waits_in_time_wait(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("close-server-first", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2),
                  ST(TIME_WAIT), ST(CLOSED));
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK), ST(CLOSED));
    tcpsim_sim_free(sim);
}

static void test_simultaneous_close_both_pass_closing(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("simultaneous-close", 0, &r, NULL, NULL);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(CLOSING), ST(TIME_WAIT),
                  ST(CLOSED));
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(CLOSING),
                  ST(TIME_WAIT), ST(CLOSED));
    tcpsim_sim_free(sim);
}

static void test_half_close_client_keeps_reading(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("half-close", 0, &r, NULL, NULL);
    assert_int_equal(tcpsim_sim_bytes_read(sim, S), 100);
    assert_int_equal(tcpsim_sim_bytes_read(sim, C), 3000);
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                  ST(CLOSED));
    /* the server's data went out after it entered CLOSE_WAIT: server data
     * segments exist after the client's FIN */
    size_t fin = 0, data_after = 0;
    for (size_t i = 0; i < r.nseg; i++) {
        if (r.seg[i].from == C && (r.seg[i].flags & TCPSIM_FIN))
            fin = i + 1;
        if (fin && r.seg[i].from == S && r.seg[i].len)
            data_after += r.seg[i].len;
    }
    assert_true(fin > 0);
    assert_int_equal(data_after, 3000);
    tcpsim_sim_free(sim);
}

static void test_abort_rst_resets_peer(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("abort", 0, &r, NULL, NULL);
    assert_int_equal(tcpsim_sim_endpoint(sim, C)->state, ST(CLOSED));
    assert_int_equal(tcpsim_sim_endpoint(sim, S)->state, ST(CLOSED));
    const enum tcpsim_err *errs;
    size_t n = tcpsim_sim_errors(sim, C, &errs);
    assert_int_equal(n, 1);
    assert_int_equal(errs[0], TCPSIM_ERR_RESET);
    assert_true(r.seg[r.nseg - 1].flags & TCPSIM_RST);
    assert_int_equal(r.seg[r.nseg - 1].from, S);
    tcpsim_sim_free(sim);
}

static void test_fin_lost_fin_retransmitted(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("fin-lost", 0, &r, NULL, NULL);
    size_t fins = 0;
    for (size_t i = 0; i < r.nseg; i++)
        if (r.seg[i].from == C && (r.seg[i].flags & TCPSIM_FIN)) {
            assert_int_equal(r.seg[i].dropped, fins == 0);
            assert_int_equal(r.seg[i].rtx, fins > 0);
            fins++;
        }
    assert_int_equal(fins, 2);
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK),
                  ST(CLOSED));
    tcpsim_sim_free(sim);
}

/* ======== the capture: a sender-side tap ======== */
struct cap {
    tcpsim_time_t t[512];
    uint32_t seq[512];
    size_t n;
};

static void cap_packet(void *ctx, const uint8_t *frame, size_t len, tcpsim_time_t t)
{
    struct cap *c = ctx;
    struct tcpsim_link l;
    struct tcpsim_ip ip;
    struct tcpsim_segment seg;
    assert_int_equal(tcpsim_link_decode(TCPSIM_DLT_EN10MB, frame, len, &l), TCPSIM_OK);
    assert_int_equal(tcpsim_ip_decode(l.l3_data, l.l3_len, &ip), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_decode(ip.payload, ip.payload_len, &seg), TCPSIM_OK);
    assert_true(c->n < 512);
    c->t[c->n] = t;
    c->seq[c->n++] = seg.seq;
}

/* Every segment, lost or not, is captured once when it is sent, and its
 * timeline frame number is its record's 1-based position in the capture
 * (Wireshark's frame.number): the JSON "frame" and the --pcap file agree. */
static void test_capture_lossy_link_frames_are_send_order_and_send_time(void **st)
{
    (void)st;
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin("data-transfer", &sc, err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "loss", "0.2", err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "dup", "0.2", err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "reorder", "0.2", err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "seed", "3", err, sizeof err), TCPSIM_OK);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    static struct rec r;
    static struct cap c;
    memset(&r, 0, sizeof r);
    memset(&c, 0, sizeof c);
    struct tcpsim_tl_sink k = {rec_event, &r};
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_set_packet_hook(sim, cap_packet, &c);
    tcpsim_sim_set_frame_base(sim, 100);
    tcpsim_sim_run(sim);
    size_t lost = 0, dups = 0, originals = 0;
    bool seen[512] = {false};
    for (size_t i = 0; i < r.nseg; i++) {
        const struct seen_seg *x = &r.seg[i];
        assert_true(x->frame > 100 && x->frame <= 100 + c.n);
        size_t f = (size_t)(x->frame - 101);
        assert_int_equal(c.seq[f], x->seq);
        assert_int_equal(c.t[f], x->t_sent); /* stamped when sent, lost or not */
        if (x->dup) {
            dups++;
            continue; /* the link copied it after the tap: no record of its own */
        }
        assert_false(seen[f]);
        seen[f] = true;
        originals++;
        lost += x->dropped;
    }
    assert_int_equal(originals, c.n); /* every record is one segment of the timeline */
    assert_int_equal(tcpsim_sim_frames(sim), 100 + c.n);
    for (size_t i = 1; i < c.n; i++)
        assert_true(c.t[i - 1] <= c.t[i]);
    assert_true(lost >= 1 && dups >= 1); /* the seed exercises both */
    tcpsim_sim_free(sim);
    tcpsim_scenario_free(sc);
}

static void test_data_transfer_lost_segment_retransmitted(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("data-transfer", 0, &r, NULL, NULL);
    assert_int_equal(tcpsim_sim_bytes_read(sim, S), 4000);
    assert_int_equal(tcpsim_sim_bytes_read(sim, C), 200);
    size_t rtx = 0, maxlen = 0;
    for (size_t i = 0; i < r.nseg; i++) {
        if (r.seg[i].from == C && r.seg[i].rtx && r.seg[i].len)
            rtx++;
        if (r.seg[i].len > maxlen)
            maxlen = r.seg[i].len;
    }
    assert_true(rtx >= 1);
    /* MSS 536 bounds the payload; TCP options (timestamps) may take some of it (RFC 6691) */
    assert_true(maxlen <= 536 && maxlen >= 536 - 40);
    assert_int_equal(tcpsim_sim_segments_lost(sim, C), 1);
    tcpsim_sim_free(sim);
}

static void test_time_wait_absorbs_late_fin_and_without_it_rst(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("time-wait", 0, &r, NULL, NULL);
    /* the final ACK was lost; the server's retransmitted FIN reaches the client
     * in TIME_WAIT, which ACKs it again (RFC 9293 3.10.7.4) */
    size_t server_fins = 0, acks_after = 0;
    for (size_t i = 0; i < r.nseg && r.seg[i].t_sent < TCPSIM_MSEC(1150); i++) {
        if (r.seg[i].from == S && (r.seg[i].flags & TCPSIM_FIN))
            server_fins++;
        else if (server_fins == 2 && r.seg[i].from == C && !r.seg[i].dup)
            acks_after++;
        assert_false(r.seg[i].flags & TCPSIM_RST);
    }
    assert_int_equal(server_fins, 2);
    assert_int_equal(r.last_why[C], TCPSIM_WHY_TIME_WAIT_EXPIRED);
    assert_int_equal(acks_after, 1);
    EXPECT_STATES(sim, S, ST(CLOSED), ST(LISTEN), ST(SYN_RECEIVED), ST(ESTABLISHED), ST(CLOSE_WAIT), ST(LAST_ACK),
                  ST(CLOSED), ST(LISTEN), ST(CLOSED));
    tcpsim_sim_free(sim);

    sim = run_builtin("time-wait", 1, &r, NULL, NULL);
    /* without TIME_WAIT the client has forgotten the connection: RST */
    bool rst = false;
    for (size_t i = 0; i < r.nseg; i++)
        rst |= r.seg[i].from == C && (r.seg[i].flags & TCPSIM_RST);
    assert_true(rst);
    tcpsim_sim_free(sim);
}

/* RFC 9293 3.6: TIME_WAIT keeps an old connection's delayed segments from
 * being taken for the next connection on the same 4-tuple. */
static void test_time_wait_old_duplicate_absorbed_with_tw_accepted_without(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("time-wait", 0, &r, NULL, NULL);
    const enum tcpsim_err *errs;
    size_t ne = tcpsim_sim_errors(sim, C, &errs);
    bool refused = false;
    for (size_t i = 0; i < ne; i++)
        refused |= errs[i] == TCPSIM_ERR_EXISTS;
    assert_true(refused); /* the new connect meets TIME_WAIT */
    assert_non_null(strstr(r.note_text, "held in TIME_WAIT for 2*MSL"));
    assert_non_null(strstr(r.note_text, "old duplicate from the previous connection on this 4-tuple: no connection"));
    assert_null(strstr(r.note_text, "ACCEPTED"));
    assert_int_equal(tcpsim_sim_bytes_read(sim, S), 0); /* nothing reached a new connection */
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                  ST(CLOSED));
    tcpsim_sim_free(sim);

    sim = run_builtin("time-wait", 1, &r, NULL, NULL);
    /* the second connection opened, and the old request's copy was taken as
     * its first 8 bytes: the server read "GET /old" again, the client's
     * "GET /new" was dropped as a duplicate */
    EXPECT_STATES(sim, C, ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT),
                  ST(CLOSED), ST(SYN_SENT), ST(ESTABLISHED), ST(FIN_WAIT_1), ST(FIN_WAIT_2), ST(TIME_WAIT), ST(CLOSED));
    assert_non_null(strstr(r.note_text, "its 8 bytes were ACCEPTED as data of the new connection"));
    assert_int_equal(tcpsim_sim_bytes_read(sim, S), 8);
    size_t dups = 0;
    for (size_t i = 0; i < r.nseg; i++)
        if (r.seg[i].dup) {
            dups++;
            assert_int_equal(r.seg[i].from, C);
            assert_int_equal(r.seg[i].len, 8);
            assert_int_equal(r.seg[i].t_arrived, TCPSIM_MSEC(1340));
        }
    assert_int_equal(dups, 1);
    tcpsim_sim_free(sim);
}

/* ======== scenarios: TLS over TCP ======== */
static void test_tls_before_tcp_refused_then_in_order(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("tls-before-tcp", 0, &r, NULL, NULL);
    const enum tcpsim_err *errs;
    assert_true(tcpsim_sim_errors(sim, C, &errs) >= 1);
    assert_int_equal(errs[0], TCPSIM_ERR_NOTCONN); /* RFC 9293 3.10.2: SEND in CLOSED */
    struct sim_tls_flight f;
    assert_int_equal(tcpsim__tls_flight_build(tcpsim__tls_flight_id("tls12-client-hello"), &f), TCPSIM_OK);
    assert_int_equal(tcpsim_sim_bytes_read(sim, S), f.len); /* sent once, after the handshake */
    free(f.bytes);
    assert_true(r.ntls >= 2);
    assert_string_equal(r.tls[0], "ClientHello");
    tcpsim_sim_free(sim);
}

static void test_tls12_handshake_messages_in_order(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("tls12-handshake", 0, &r, NULL, NULL);
    static const char *const want[] = {"ClientHello",     "ServerHello",        "Certificate",
                                       "ServerHelloDone", "ClientKeyExchange",  "change_cipher_spec",
                                       "encrypted",       "change_cipher_spec", "encrypted"};
    assert_int_equal(r.ntls, 9);
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(r.tls[i], want[i]);
    assert_int_equal(tcpsim_sim_endpoint(sim, C)->state, ST(CLOSED));
    tcpsim_sim_free(sim);
}

static void test_tls13_handshake_messages_in_order(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("tls13-handshake", 0, &r, NULL, NULL);
    /* RFC 8446 2: after the ServerHello everything is encrypted; the decoder
     * calls those records "encrypted" handshake (D.4: dummy CCS records) */
    static const char *const want[] = {"ClientHello", "ServerHello",        "change_cipher_spec",
                                       "encrypted",   "change_cipher_spec", "encrypted"};
    assert_int_equal(r.ntls, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(r.tls[i], want[i]);
    tcpsim_sim_free(sim);
}

/* ======== the link ======== */
static void test_link_total_loss_times_out(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("handshake", 0, &r, "loss", "1");
    assert_int_equal(tcpsim_sim_segments_lost(sim, C), tcpsim_sim_segments_sent(sim, C));
    assert_true(tcpsim_sim_segments_sent(sim, C) >= 2);
    const enum tcpsim_err *errs;
    assert_int_equal(tcpsim_sim_errors(sim, C, &errs), 1);
    assert_int_equal(errs[0], TCPSIM_ERR_TIMEDOUT);
    assert_int_equal(tcpsim_sim_endpoint(sim, C)->state, ST(CLOSED));
    tcpsim_sim_free(sim);
}

static void test_link_dup_one_duplicates_everything(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("handshake", 0, &r, "dup", "1");
    size_t dups = 0, orig = 0;
    for (size_t i = 0; i < r.nseg; i++)
        r.seg[i].dup ? dups++ : orig++;
    assert_int_equal(dups, orig);
    assert_int_equal(tcpsim_sim_endpoint(sim, C)->state, ST(ESTABLISHED));
    assert_int_equal(tcpsim_sim_endpoint(sim, S)->state, ST(ESTABLISHED));
    tcpsim_sim_free(sim);
}

/* ======== scripted faults: DSL and --fault ======== */
static char *run_json(const char *builtin, const char *dsl_extra, const char *cli_fault, size_t run)
{
    struct tcpsim_scenario *sc = NULL;
    char err[256] = "";
    if (dsl_extra) {
        const char *base = NULL;
        for (size_t i = 0; i < tcpsim_scenario_builtin_count(); i++)
            if (!strcmp(tcpsim_scenario_builtin_name(i), builtin))
                base = tcpsim_scenario_builtin_text(i);
        assert_non_null(base);
        char text[2048];
        snprintf(text, sizeof text, "%s%s\n", base, dsl_extra);
        assert_int_equal(tcpsim_scenario_parse(text, builtin, &sc, err, sizeof err), TCPSIM_OK);
    } else {
        assert_int_equal(tcpsim_scenario_builtin(builtin, &sc, err, sizeof err), TCPSIM_OK);
    }
    if (cli_fault) {
        enum tcpsim_err e = tcpsim_scenario_add_fault(sc, cli_fault, err, sizeof err);
        if (e != TCPSIM_OK)
            print_message("%s\n", err);
        assert_int_equal(e, TCPSIM_OK);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct tcpsim_json *j = tcpsim_json_new(f, NULL);
    struct tcpsim_tl_sink k = tcpsim_json_sink(j);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, run, &sim), TCPSIM_OK);
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    tcpsim_sim_free(sim);
    tcpsim_json_free(j);
    fclose(f);
    tcpsim_scenario_free(sc);
    return buf;
}

/* The DSL statement and the CLI's --fault are one grammar: same run. */
static void expect_same_as_dsl(const char *builtin, const char *spec)
{
    char dsl[128];
    snprintf(dsl, sizeof dsl, "fault %s", spec);
    char *a = run_json(builtin, dsl, NULL, 0), *b = run_json(builtin, NULL, spec, 0),
         *c = run_json(builtin, NULL, NULL, 0);
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0); /* and the fault changed something */
    free(a);
    free(b);
    free(c);
}

static void test_fault_drop_server_second_segment_lost(void **st)
{
    (void)st;
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin("close-client-first", &sc, err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_add_fault(sc, "drop server#2", err, sizeof err), TCPSIM_OK);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    struct rec r;
    memset(&r, 0, sizeof r);
    struct tcpsim_tl_sink k = {rec_event, &r};
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    /* the server's segments in send order: SYN-ACK, then the ACK of the FIN */
    size_t nth = 0, lost_at = 0;
    for (size_t i = 0; i < r.nseg; i++)
        if (r.seg[i].from == S && !r.seg[i].dup) {
            nth++;
            if (r.seg[i].dropped) {
                assert_int_equal(lost_at, 0);
                lost_at = nth;
                assert_int_equal(r.seg[i].flags, TCPSIM_ACK);
            }
        }
    assert_int_equal(lost_at, 2);
    assert_int_equal(tcpsim_sim_segments_lost(sim, S), 1);
    assert_int_equal(tcpsim_sim_segments_lost(sim, C), 0);
    tcpsim_sim_free(sim);
    tcpsim_scenario_free(sc);
    expect_same_as_dsl("close-client-first", "drop server#2");
}

static void test_fault_delay_client_fin_300ms_arrives_late(void **st)
{
    (void)st;
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin("close-client-first", &sc, err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_add_fault(sc, "delay client FIN 300ms", err, sizeof err), TCPSIM_OK);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    struct rec r;
    memset(&r, 0, sizeof r);
    struct tcpsim_tl_sink k = {rec_event, &r};
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    size_t fins = 0;
    for (size_t i = 0; i < r.nseg; i++)
        if (r.seg[i].from == C && (r.seg[i].flags & TCPSIM_FIN)) {
            fins++;
            /* 10 ms link delay + 300 ms held back */
            assert_int_equal(r.seg[i].t_arrived - r.seg[i].t_sent, TCPSIM_MSEC(310));
        } else if (!r.seg[i].dropped) {
            assert_int_equal(r.seg[i].t_arrived - r.seg[i].t_sent, TCPSIM_MSEC(10));
        }
    assert_int_equal(fins, 1); /* 310 ms is below the 1 s RTO: no retransmission */
    assert_int_equal(tcpsim_sim_endpoint(sim, S)->state, ST(CLOSED));
    tcpsim_sim_free(sim);
    tcpsim_scenario_free(sc);
    expect_same_as_dsl("close-client-first", "delay client FIN 300ms");
}

static void test_fault_dup_last_ack_copies_final_ack(void **st)
{
    (void)st;
    struct rec plain, r;
    struct tcpsim_sim *sim = run_builtin("close-client-first", 0, &plain, NULL, NULL);
    tcpsim_sim_free(sim);
    /* the last segment with ACK in the run without the fault */
    const struct seen_seg *last = NULL;
    for (size_t i = 0; i < plain.nseg; i++)
        if (plain.seg[i].flags & TCPSIM_ACK)
            last = &plain.seg[i];
    assert_non_null(last);

    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin("close-client-first", &sc, err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_add_fault(sc, "dup last ACK", err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    memset(&r, 0, sizeof r);
    struct tcpsim_tl_sink k = {rec_event, &r};
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    size_t dups = 0;
    for (size_t i = 0; i < r.nseg; i++)
        if (r.seg[i].dup) {
            dups++;
            assert_int_equal(r.seg[i].from, last->from);
            assert_int_equal(r.seg[i].seq, last->seq);
            assert_int_equal(r.seg[i].ack, last->ack);
            assert_int_equal(r.seg[i].t_sent, last->t_sent);
            assert_int_equal(r.seg[i].flags, last->flags);
        }
    assert_int_equal(dups, 1);
    /* the copy reaches a server that has already closed: RFC 9293 3.10.7.1 RST */
    bool rst = false;
    for (size_t i = 0; i < r.nseg; i++)
        rst |= r.seg[i].from == S && (r.seg[i].flags & TCPSIM_RST);
    assert_true(rst);
    tcpsim_sim_free(sim);
    tcpsim_scenario_free(sc);
    expect_same_as_dsl("close-client-first", "dup last ACK");
}

static void test_fault_never_applied_is_noted(void **st)
{
    (void)st;
    char *j = run_json("handshake", NULL, "drop server#9", 0);
    assert_non_null(strstr(j, "fault 'drop server#9' never applied: 1 matching segment in this run"));
    free(j);
    struct tcpsim_scenario *sc = NULL;
    char err[256] = "";
    assert_int_equal(tcpsim_scenario_builtin("handshake", &sc, err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_add_fault(sc, "drop sever#2", err, sizeof err), TCPSIM_ERR_PARSE);
    assert_non_null(strstr(err, "fault 'drop sever#2'"));
    tcpsim_scenario_free(sc);
}

static char *json_of(const char *scenario, const char *seed)
{
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin(scenario, &sc, err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "loss", "0.2", err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "jitter", "5ms", err, sizeof err), TCPSIM_OK);
    assert_int_equal(tcpsim_scenario_set(sc, "seed", seed, err, sizeof err), TCPSIM_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct tcpsim_json *j = tcpsim_json_new(f, NULL);
    struct tcpsim_tl_sink k = tcpsim_json_sink(j);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    tcpsim_sim_free(sim);
    tcpsim_json_free(j);
    fclose(f);
    tcpsim_scenario_free(sc);
    return buf;
}

static void test_seed_same_run_twice_identical(void **st)
{
    (void)st;
    char *a = json_of("data-transfer", "7"), *b = json_of("data-transfer", "7"), *c = json_of("data-transfer", "8");
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0);
    assert_non_null(strstr(a, "\"dropped\":true"));
    free(a);
    free(b);
    free(c);
}

/* RFC 5246 7.3 with ECDHE (RFC 8422): ServerKeyExchange between Certificate
 * and ServerHelloDone, an EC point in ClientKeyExchange; named by the parser. */
static void test_tls12_ecdhe_handshake_ske_and_ec_point(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("tls12-ecdhe-handshake", 0, &r, NULL, NULL);
    static const char *const want[] = {
        "ClientHello",       "ServerHello",        "Certificate", "ServerKeyExchange",  "ServerHelloDone",
        "ClientKeyExchange", "change_cipher_spec", "encrypted",   "change_cipher_spec", "encrypted"};
    assert_int_equal(r.ntls, 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(r.tls[i], want[i]);
    assert_int_equal(r.tls_why[3], TCPSIM_TLS_X_SKE_ECDHE);
    assert_int_equal(r.tls_why[5], TCPSIM_TLS_X_CKE_ECDHE);
    assert_int_equal(tcpsim_sim_endpoint(sim, C)->state, ST(CLOSED));
    tcpsim_sim_free(sim);
}

static void test_tls_explanations_carry_ids_and_parameters(void **st)
{
    (void)st;
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin("tls12-ecdhe-handshake", &sc, err, sizeof err), TCPSIM_OK);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    struct rec r;
    memset(&r, 0, sizeof r);
    struct tcpsim_tl_sink k = {rec_event, &r};
    tcpsim_sim_set_sink(sim, &k);
    tcpsim_sim_run(sim);
    /* every item the parser explains has its id (for translation) */
    for (size_t i = 0; i < r.ntls; i++)
        assert_true(r.tls_why[i] > TCPSIM_TLS_X_NONE);
    tcpsim_sim_free(sim);
    tcpsim_scenario_free(sc);
}

/* Notes have message ids (i18n.h) with their arguments; `text` is the English. */
static void test_notes_carry_message_ids_refused_and_time_wait(void **st)
{
    (void)st;
    struct rec r;
    struct tcpsim_sim *sim = run_builtin("refused", 0, &r, NULL, NULL);
    assert_non_null(strstr(r.note_msg, "sim.app_told @err.ERR_REFUSED\n"));
    assert_non_null(strstr(r.note_text, "the application is told: connection refused\n"));
    tcpsim_sim_free(sim);
    sim = run_builtin("time-wait", 0, &r, NULL, NULL);
    assert_non_null(strstr(r.note_msg, "sim.refused.timewait connect @err.ERR_EXISTS\n"));
    assert_non_null(strstr(r.note_msg, "sim.olddup."));
    tcpsim_sim_free(sim);
    sim = run_builtin("tls-before-tcp", 0, &r, NULL, NULL);
    assert_non_null(strstr(r.note_msg, "sim.refused.notconn send @err.ERR_NOTCONN\n"));
    tcpsim_sim_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evq_pop_orders_by_time_then_insertion),
        cmocka_unit_test(test_rng_same_seed_same_sequence),
        cmocka_unit_test(test_duration_units_parse),
        cmocka_unit_test(test_dsl_errors_name_file_line_and_expectation),
        cmocka_unit_test(test_dsl_full_grammar_parses),
        cmocka_unit_test(test_builtins_all_parse_and_unknown_is_refused),
        cmocka_unit_test(test_tls_flights_are_well_formed_records),
        cmocka_unit_test(test_tls12_flights_decode_to_rfc5246_sequence),
        cmocka_unit_test(test_tls13_flights_decode_to_rfc8446_sequence),
        cmocka_unit_test(test_handshake_three_segments_both_established),
        cmocka_unit_test(test_simultaneous_open_both_pass_syn_received),
        cmocka_unit_test(test_refused_rst_and_error),
        cmocka_unit_test(test_syn_lost_retransmitted_with_backoff),
        cmocka_unit_test(test_synack_lost_both_retransmit_then_established),
        cmocka_unit_test(test_close_client_first_client_waits_in_time_wait),
        cmocka_unit_test(test_close_server_first_server_waits_in_time_wait),
        cmocka_unit_test(test_simultaneous_close_both_pass_closing),
        cmocka_unit_test(test_half_close_client_keeps_reading),
        cmocka_unit_test(test_abort_rst_resets_peer),
        cmocka_unit_test(test_fin_lost_fin_retransmitted),
        cmocka_unit_test(test_data_transfer_lost_segment_retransmitted),
        cmocka_unit_test(test_capture_lossy_link_frames_are_send_order_and_send_time),
        cmocka_unit_test(test_time_wait_absorbs_late_fin_and_without_it_rst),
        cmocka_unit_test(test_time_wait_old_duplicate_absorbed_with_tw_accepted_without),
        cmocka_unit_test(test_tls_before_tcp_refused_then_in_order),
        cmocka_unit_test(test_tls12_handshake_messages_in_order),
        cmocka_unit_test(test_tls13_handshake_messages_in_order),
        cmocka_unit_test(test_tls12_ecdhe_handshake_ske_and_ec_point),
        cmocka_unit_test(test_tls_explanations_carry_ids_and_parameters),
        cmocka_unit_test(test_notes_carry_message_ids_refused_and_time_wait),
        cmocka_unit_test(test_link_total_loss_times_out),
        cmocka_unit_test(test_link_dup_one_duplicates_everything),
        cmocka_unit_test(test_seed_same_run_twice_identical),
        cmocka_unit_test(test_fault_drop_server_second_segment_lost),
        cmocka_unit_test(test_fault_delay_client_fin_300ms_arrives_late),
        cmocka_unit_test(test_fault_dup_last_ack_copies_final_ack),
        cmocka_unit_test(test_fault_never_applied_is_noted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
