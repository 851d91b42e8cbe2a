/* test_teach.c - the teach module: catalogue parser and completeness, the
 * HTML view on hand-built timelines, lessons run on the real endpoints.
 * Read first: include/tcpsim/teach.h, include/tcpsim/report.h (HTML). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcpsim/report.h"
#include "tcpsim/sim.h"
#include "tcpsim/teach.h"
#include "tcpsim/tls.h"

/* ================= catalogue parser ================= */

static struct tcpsim_catalog *parse_ok(const char *text)
{
    struct tcpsim_catalog *c = NULL;
    char err[256] = "";
    enum tcpsim_err e = tcpsim_catalog_parse(text, strlen(text), "t.txt", &c, err, sizeof err);
    if (e != TCPSIM_OK)
        print_error("unexpected parse error: %s\n", err);
    assert_int_equal(e, TCPSIM_OK);
    assert_non_null(c);
    return c;
}

static void test_catalog_parse_single_and_multiline(void **state)
{
    (void)state;
    struct tcpsim_catalog *c = parse_ok("# comment\n"
                                        "b.key = one line\n"
                                        "\n"
                                        "a.key =\n"
                                        "  first\n"
                                        "  .\n"
                                        "  third {1}\n"
                                        "c = x\r\n");
    assert_int_equal(tcpsim_catalog_count(c), 3);
    assert_string_equal(tcpsim_catalog_get(c, "b.key"), "one line");
    assert_string_equal(tcpsim_catalog_get(c, "a.key"), "first\n\nthird {1}");
    assert_string_equal(tcpsim_catalog_get(c, "c"), "x");
    assert_null(tcpsim_catalog_get(c, "missing"));
    /* sorted keys */
    assert_string_equal(tcpsim_catalog_key_at(c, 0), "a.key");
    assert_string_equal(tcpsim_catalog_key_at(c, 2), "c");
    assert_null(tcpsim_catalog_key_at(c, 3));
    tcpsim_catalog_free(c);
}

static void expect_parse_error(const char *text, const char *want)
{
    struct tcpsim_catalog *c = (struct tcpsim_catalog *)1;
    char err[256] = "";
    assert_int_equal(tcpsim_catalog_parse(text, strlen(text), "t.txt", &c, err, sizeof err), TCPSIM_ERR_PARSE);
    assert_null(c);
    if (!strstr(err, want))
        print_error("error '%s' lacks '%s'\n", err, want);
    assert_non_null(strstr(err, want));
}

static void test_catalog_bad_input_names_file_and_line(void **state)
{
    (void)state;
    expect_parse_error("a = 1\nno equals here\n", "t.txt:2: expected 'key = text'");
    expect_parse_error("  indented first\n", "t.txt:1: indented line before any");
    expect_parse_error("a = 1\n\tb = 2\n", "t.txt:2: continuation lines");
    expect_parse_error("a = 1\nb = 2\na = 3\n", "t.txt:3: key 'a' defined twice");
    expect_parse_error("# only comments\n", "no entries");
    expect_parse_error("a=1\n", "t.txt:1: expected");
    expect_parse_error("", "no entries");
}

static void test_catalog_truncations_never_crash(void **state)
{
    (void)state;
    /* every prefix of a valid catalogue parses or fails cleanly */
    const char *text = "x.y = hello {1}\nmulti =\n  a\n  b\n# c\nz = end\n";
    size_t n = strlen(text);
    for (size_t i = 0; i <= n; i++) {
        struct tcpsim_catalog *c = NULL;
        char err[128];
        enum tcpsim_err e = tcpsim_catalog_parse(text, i, "t", &c, err, sizeof err);
        assert_true(e == TCPSIM_OK || e == TCPSIM_ERR_PARSE);
        assert_true((e == TCPSIM_OK) == (c != NULL));
        tcpsim_catalog_free(c);
    }
}

static void test_msg_substitutes_and_falls_back(void **state)
{
    (void)state;
    char buf[256];
    const char *args[6] = {"client", "server", "1000", "1", "0", "1001"};
    size_t n = tcpsim_msg(TCPSIM_LANG_EN, "seg.syn", args, 6, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    assert_non_null(strstr(buf, "The client sends SYN"));
    assert_non_null(strstr(buf, "ISN) 1000"));
    assert_null(strstr(buf, "{"));
    /* Korean keeps the protocol terms */
    tcpsim_msg(TCPSIM_LANG_KO, "seg.syn", args, 6, buf, sizeof buf);
    assert_non_null(strstr(buf, "SYN"));
    assert_non_null(strstr(buf, "1000"));
    assert_null(strstr(buf, "The client"));
    /* unknown key: the key itself */
    tcpsim_msg(TCPSIM_LANG_KO, "no.such.key", NULL, 0, buf, sizeof buf);
    assert_string_equal(buf, "no.such.key");
    /* truncation reports the full length and terminates */
    char small[8];
    n = tcpsim_msg(TCPSIM_LANG_EN, "seg.syn", args, 6, small, sizeof small);
    assert_true(n > sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_lang_parse_accepts_en_ko_only(void **state)
{
    (void)state;
    enum tcpsim_lang l;
    assert_true(tcpsim_lang_parse("ko", &l));
    assert_int_equal(l, TCPSIM_LANG_KO);
    assert_true(tcpsim_lang_parse("en", &l));
    assert_int_equal(l, TCPSIM_LANG_EN);
    assert_false(tcpsim_lang_parse("fr", &l));
    assert_false(tcpsim_lang_parse(NULL, &l));
    assert_string_equal(tcpsim_lang_code(TCPSIM_LANG_KO), "ko");
}

/* ================= catalogue completeness ================= */

static void test_catalog_en_and_ko_have_same_keys(void **state)
{
    (void)state;
    const struct tcpsim_catalog *en = tcpsim_catalog_builtin(TCPSIM_LANG_EN);
    const struct tcpsim_catalog *ko = tcpsim_catalog_builtin(TCPSIM_LANG_KO);
    assert_non_null(en);
    assert_non_null(ko);
    assert_true(tcpsim_catalog_count(en) > 100);
    int missing = 0;
    for (size_t i = 0; i < tcpsim_catalog_count(en); i++)
        if (!tcpsim_catalog_get(ko, tcpsim_catalog_key_at(en, i))) {
            print_error("ko.txt lacks '%s'\n", tcpsim_catalog_key_at(en, i));
            missing++;
        }
    for (size_t i = 0; i < tcpsim_catalog_count(ko); i++)
        if (!tcpsim_catalog_get(en, tcpsim_catalog_key_at(ko, i))) {
            print_error("en.txt lacks '%s'\n", tcpsim_catalog_key_at(ko, i));
            missing++;
        }
    assert_int_equal(missing, 0);
}

static const char *const why_ids[] = {
#define W_(id, rule, text) #id,
    TCPSIM_TCP_WHYS(W_)
#undef W_
};

static void test_catalog_translates_every_endpoint_reason(void **state)
{
    (void)state;
    int missing = 0;
    for (size_t l = 0; l < TCPSIM_LANG_COUNT; l++)
        for (size_t i = 1; i < sizeof why_ids / sizeof why_ids[0]; i++) { /* 0 is NONE */
            char key[96];
            snprintf(key, sizeof key, "why.%s", why_ids[i]);
            if (!tcpsim_catalog_get(tcpsim_catalog_builtin((enum tcpsim_lang)l), key)) {
                print_error("%s.txt lacks '%s'\n", tcpsim_lang_code((enum tcpsim_lang)l), key);
                missing++;
            }
        }
    assert_int_equal(missing, 0);
}

static void test_catalog_every_lesson_has_its_texts(void **state)
{
    (void)state;
    assert_int_equal(tcpsim_lesson_count(), 11);
    for (size_t i = 0; i < tcpsim_lesson_count(); i++) {
        const struct tcpsim_lesson_info *li = tcpsim_lesson_at(i);
        assert_ptr_equal(tcpsim_lesson_find(li->id), li);
        static const char *const parts[] = {"title", "intro", "summary"};
        for (size_t p = 0; p < 3; p++) {
            char key[96];
            snprintf(key, sizeof key, "%s.%s", li->id, parts[p]);
            for (size_t l = 0; l < TCPSIM_LANG_COUNT; l++) {
                const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin((enum tcpsim_lang)l), key);
                if (!t)
                    print_error("missing %s in %s\n", key, tcpsim_lang_code((enum tcpsim_lang)l));
                assert_non_null(t);
                assert_true(strlen(t) > 10);
            }
        }
    }
    assert_null(tcpsim_lesson_find("nope"));
    assert_null(tcpsim_lesson_at(11));
}

static void test_catalog_placeholders_match_between_languages(void **state)
{
    (void)state;
    const struct tcpsim_catalog *en = tcpsim_catalog_builtin(TCPSIM_LANG_EN);
    const struct tcpsim_catalog *ko = tcpsim_catalog_builtin(TCPSIM_LANG_KO);
    int bad = 0;
    for (size_t i = 0; i < tcpsim_catalog_count(en); i++) {
        const char *k = tcpsim_catalog_key_at(en, i);
        const char *a = tcpsim_catalog_get(en, k), *b = tcpsim_catalog_get(ko, k);
        if (!b)
            continue;
        for (char d = '1'; d <= '9'; d++) {
            char ph[4] = {'{', d, '}', 0};
            /* a translation may drop an argument, never invent one */
            if (strstr(b, ph) && !strstr(a, ph)) {
                print_error("ko '%s' uses %s which en does not\n", k, ph);
                bad++;
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* ================= HTML view on hand-built timelines ================= */

static char *render(void (*feed)(const struct tcpsim_tl_sink *), size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.title = "test <page> & \"title\"";
    struct tcpsim_html *h = tcpsim_html_new(f, &o);
    assert_non_null(h);
    struct tcpsim_tl_sink s = tcpsim_html_sink(h);
    feed(&s);
    assert_int_equal(tcpsim_html_finish(h), TCPSIM_OK);
    assert_int_equal(tcpsim_html_finish(h), TCPSIM_OK); /* once only */
    tcpsim_html_free(h);
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void ev_state(const struct tcpsim_tl_sink *s, enum tcpsim_side side, enum tcpsim_tcp_state from,
                     enum tcpsim_tcp_state to, enum tcpsim_tcp_why why)
{
    struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_STATE};
    ev.u.state.side = side;
    ev.u.state.from = from;
    ev.u.state.to = to;
    ev.u.state.why = why;
    tcpsim_tl_emit(s, &ev);
}

static void ev_seg(const struct tcpsim_tl_sink *s, enum tcpsim_side from, uint8_t flags, uint32_t seq, uint32_t ack,
                   const struct tcpsim_tl_tls *tls, size_t ntls, bool dropped)
{
    struct tcpsim_segment seg;
    memset(&seg, 0, sizeof seg);
    seg.flags = flags;
    seg.seq = seq;
    seg.ack = ack;
    struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_SEGMENT};
    ev.u.segment.from = from;
    ev.u.segment.seg = &seg;
    ev.u.segment.rel_seq_known = ev.u.segment.rel_ack_known = true;
    ev.u.segment.rel_seq = seq;
    ev.u.segment.rel_ack = ack;
    ev.u.segment.t_arrived = dropped ? TCPSIM_TIME_NEVER : 10000;
    ev.u.segment.dropped = dropped;
    ev.u.segment.tls = tls;
    ev.u.segment.ntls = ntls;
    tcpsim_tl_emit(s, &ev);
}

static void feed_handshake(const struct tcpsim_tl_sink *s)
{
    struct tcpsim_tl_event b = {.kind = TCPSIM_TL_BEGIN};
    b.u.begin.client_label = "client 10.0.0.1:40000";
    b.u.begin.server_label = "server <b>";
    b.u.begin.client_state = TCPSIM_TCP_CLOSED;
    b.u.begin.server_state = TCPSIM_TCP_LISTEN;
    tcpsim_tl_emit(s, &b);
    ev_state(s, TCPSIM_SIDE_CLIENT, TCPSIM_TCP_CLOSED, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE);
    ev_seg(s, TCPSIM_SIDE_CLIENT, TCPSIM_SYN, 0, 0, NULL, 0, true);
    ev_seg(s, TCPSIM_SIDE_CLIENT, TCPSIM_SYN, 0, 0, NULL, 0, false);
    ev_state(s, TCPSIM_SIDE_SERVER, TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_WHY_SYN_IN_LISTEN);
    ev_seg(s, TCPSIM_SIDE_SERVER, TCPSIM_SYN | TCPSIM_ACK, 0, 1, NULL, 0, false);
    ev_state(s, TCPSIM_SIDE_CLIENT, TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED, TCPSIM_WHY_SYNACK_ACKS_SYN);
    struct tcpsim_tl_tls t[2] = {{TCPSIM_SIDE_CLIENT, "handshake", "ClientHello", "offers <31> suites", NULL},
                                 {TCPSIM_SIDE_CLIENT, "alert", NULL, NULL, NULL}};
    ev_seg(s, TCPSIM_SIDE_CLIENT, TCPSIM_ACK | TCPSIM_PSH, 1, 1, t, 2, false);
    ev_state(s, TCPSIM_SIDE_SERVER, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_ESTABLISHED, TCPSIM_WHY_ACK_OF_SYNACK);
    /* a transition the RFC diagram does not draw */
    ev_state(s, TCPSIM_SIDE_SERVER, TCPSIM_TCP_ESTABLISHED, TCPSIM_TCP_CLOSED, TCPSIM_WHY_RST_RECEIVED);
    struct tcpsim_tl_event n = {.kind = TCPSIM_TL_NOTE};
    n.u.note.side = TCPSIM_SIDE_SERVER;
    n.u.note.text = "timer <fired>";
    tcpsim_tl_emit(s, &n);
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(s, &e);
}

static void test_html_handshake_arrows_states_and_path(void **state)
{
    (void)state;
    size_t len;
    char *html = render(feed_handshake, &len);
    assert_true(len > 1000);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "</html>"));
    assert_int_equal(count(html, "data-seg=\""), 4);
    assert_int_equal(count(html, "class=\"seg dropped\""), 1);
    /* 2 initial + 5 transitions */
    assert_int_equal(count(html, "<text class=\"state"), 7);
    /* TLS names on the arrow, explanations in the details, escaped */
    assert_non_null(strstr(html, "ClientHello, alert</text>"));
    assert_non_null(strstr(html, "offers &lt;31&gt; suites"));
    assert_non_null(strstr(html, "server &lt;b&gt;"));
    assert_non_null(strstr(html, "timer &lt;fired&gt;"));
    assert_non_null(strstr(html, "test &lt;page&gt; &amp; &quot;title&quot;"));
    assert_null(strstr(html, "<b>"));
    /* the diagram: visited edges and nodes */
    assert_non_null(strstr(html, "data-edge=\"CLOSED-SYN_SENT\" data-visited=\"client\""));
    assert_non_null(strstr(html, "data-edge=\"LISTEN-SYN_RECEIVED\" data-visited=\"server\""));
    assert_non_null(strstr(html, "data-edge=\"SYN_RECEIVED-ESTABLISHED\" data-visited=\"server\""));
    assert_non_null(strstr(html, "data-edge=\"ESTABLISHED-FIN_WAIT_1\" data-visited=\"\""));
    assert_non_null(strstr(html, "class=\"edge extra visited\" data-edge=\"ESTABLISHED-CLOSED\""));
    assert_non_null(strstr(html, "data-node=\"ESTABLISHED\" data-visited=\"both\""));
    assert_non_null(strstr(html, "data-node=\"TIME_WAIT\" data-visited=\"\""));
    assert_int_equal(count(html, "<g class=\"node"), 11);
    /* self-contained: no external resources */
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "src=\""));
    free(html);
}

static void feed_nothing(const struct tcpsim_tl_sink *s)
{
    (void)s;
}

static void feed_no_begin(const struct tcpsim_tl_sink *s)
{
    ev_seg(s, TCPSIM_SIDE_SERVER, TCPSIM_RST, 5, 0, NULL, 0, false);
    struct tcpsim_tl_event bad = {.kind = TCPSIM_TL_SEGMENT}; /* no segment pointer: ignored */
    tcpsim_tl_emit(s, &bad);
}

static void feed_two_conns(const struct tcpsim_tl_sink *s)
{
    for (unsigned c = 0; c < 2; c++) {
        struct tcpsim_tl_event b = {.kind = TCPSIM_TL_BEGIN};
        b.u.begin.conn = c + 7;
        b.u.begin.inferred = c == 1;
        tcpsim_tl_emit(s, &b);
        ev_seg(s, TCPSIM_SIDE_CLIENT, TCPSIM_FIN | TCPSIM_ACK, 10, 20, NULL, 0, false);
        struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
        tcpsim_tl_emit(s, &e);
    }
}

static void test_html_empty_and_partial_streams_still_render(void **state)
{
    (void)state;
    size_t len;
    char *html = render(feed_nothing, &len);
    assert_non_null(strstr(html, "No events."));
    assert_non_null(strstr(html, "</html>"));
    free(html);
    html = render(feed_no_begin, &len);
    assert_int_equal(count(html, "data-seg=\""), 1);
    assert_non_null(strstr(html, "RST seq=5"));
    assert_null(strstr(html, "ack=0"));
    free(html);
    html = render(feed_two_conns, &len);
    assert_int_equal(count(html, "<section class=\"conn\""), 2);
    assert_non_null(strstr(html, "data-conn=\"7\""));
    assert_non_null(strstr(html, "data-conn=\"8\""));
    assert_non_null(strstr(html, "mid-connection"));
    assert_int_equal(count(html, "data-seg=\""), 2);
    free(html);
}

static void feed_many(const struct tcpsim_tl_sink *s)
{
    for (unsigned i = 0; i < TCPSIM_HTML_MAX_ITEMS + 5; i++)
        ev_seg(s, TCPSIM_SIDE_CLIENT, TCPSIM_ACK, i, 1, NULL, 0, false);
}

static void test_html_too_many_events_bounded_with_notice(void **state)
{
    (void)state;
    size_t len;
    char *html = render(feed_many, &len);
    assert_int_equal(count(html, "data-seg=\""), TCPSIM_HTML_MAX_ITEMS);
    assert_non_null(strstr(html, "5 events after the first"));
    free(html);
}

static void test_html_null_arguments_rejected(void **state)
{
    (void)state;
    assert_null(tcpsim_html_new(NULL, NULL));
    assert_int_equal(tcpsim_html_finish(NULL), TCPSIM_ERR_INVALID);
    struct tcpsim_tl_sink s = tcpsim_html_sink(NULL);
    assert_null(s.event);
    tcpsim_html_free(NULL);
}

static void test_html_from_simulator_one_arrow_per_segment(void **state)
{
    (void)state;
    /* a real event stream: the simulator's TLS 1.3 scenario */
    struct tcpsim_scenario *sc = NULL;
    char err[256];
    assert_int_equal(tcpsim_scenario_builtin("tls13-handshake", &sc, err, sizeof err), TCPSIM_OK);
    struct tcpsim_sim *sim = NULL;
    assert_int_equal(tcpsim_sim_new(sc, 0, &sim), TCPSIM_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct tcpsim_html *h = tcpsim_html_new(f, NULL);
    struct tcpsim_tl_sink sink = tcpsim_html_sink(h);
    tcpsim_sim_set_sink(sim, &sink);
    tcpsim_sim_run(sim);
    unsigned nseg =
        tcpsim_sim_segments_sent(sim, TCPSIM_SIDE_CLIENT) + tcpsim_sim_segments_sent(sim, TCPSIM_SIDE_SERVER);
    const enum tcpsim_tcp_state *states;
    size_t nstates =
        tcpsim_sim_states(sim, TCPSIM_SIDE_CLIENT, &states) + tcpsim_sim_states(sim, TCPSIM_SIDE_SERVER, &states);
    tcpsim_sim_free(sim);
    tcpsim_scenario_free(sc);
    tcpsim_html_free(h);
    fclose(f);
    assert_true(nseg >= 10);
    assert_int_equal(count(buf, "data-seg=\""), nseg);
    /* every state each side went through (CLOSED first) is a label */
    assert_int_equal(count(buf, "<text class=\"state"), nstates);
    assert_non_null(strstr(buf, "ClientHello"));
    assert_non_null(strstr(buf, "ServerHello"));
    /* one side closed first and waited in TIME_WAIT; nobody went through CLOSING */
    assert_null(strstr(buf, "data-node=\"TIME_WAIT\" data-visited=\"\""));
    assert_non_null(strstr(buf, "data-node=\"CLOSING\" data-visited=\"\""));
    free(buf);
}

/* ================= lessons on the real endpoints ================= */

static char *run_lesson(const char *id, enum tcpsim_lang lang)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct tcpsim_teach_opts o = {lang, false, -1, false};
    assert_int_equal(tcpsim_lesson_run(id, &o, f, NULL), TCPSIM_OK);
    fclose(f);
    return buf;
}

static void test_lesson_handshake_three_segments_both_established(void **state)
{
    (void)state;
    char *t = run_lesson("handshake", TCPSIM_LANG_EN);
    assert_non_null(strstr(t, "-- SYN seq=0 "));
    assert_non_null(strstr(t, " SYN,ACK seq=0 ack=1 --"));
    assert_non_null(strstr(t, "-- ACK seq=1 ack=1 "));
    assert_int_equal(count(t, "     * The "), 3); /* one narration per segment */
    assert_non_null(strstr(t, "client went through: CLOSED > SYN_SENT > ESTABLISHED"));
    assert_non_null(strstr(t, "server went through: CLOSED > LISTEN > SYN_RECEIVED > ESTABLISHED"));
    free(t);
}

static void test_lesson_time_wait_with_and_without_differ(void **state)
{
    (void)state;
    char *t = run_lesson("time-wait", TCPSIM_LANG_EN);
    const char *run2 = strstr(t, "Run 2");
    assert_non_null(run2);
    /* run 1: the retransmitted FIN is re-acknowledged; run 2: answered by RST */
    const char *rst = strstr(t, "The client sends RST");
    assert_non_null(rst);
    assert_true(rst > run2);
    assert_non_null(strstr(t, "(rtx)"));
    free(t);
}

static void test_lesson_rst_refused_reported(void **state)
{
    (void)state;
    char *t = run_lesson("rst", TCPSIM_LANG_KO);
    assert_non_null(strstr(t, "RST"));
    assert_non_null(strstr(t, "연결 거부됨"));
    free(t);
}

static void test_lesson_unknown_is_notfound(void **state)
{
    (void)state;
    struct tcpsim_teach_opts o = {TCPSIM_LANG_EN, false, -1, false};
    assert_int_equal(tcpsim_lesson_run("nope", &o, stdout, NULL), TCPSIM_ERR_NOTFOUND);
    assert_int_equal(tcpsim_lesson_run(NULL, &o, stdout, NULL), TCPSIM_ERR_NOTFOUND);
}

static void test_stepper_without_tty_never_pauses(void **state)
{
    (void)state;
    /* pause requested but in_fd is not a terminal: runs straight, reads nothing */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct tcpsim_teach_opts o = {TCPSIM_LANG_EN, true, -1, false};
    struct tcpsim_stepper *st;
    assert_int_equal(tcpsim_stepper_new(&st, f, &o), TCPSIM_OK);
    struct tcpsim_tl_sink s = tcpsim_stepper_sink(st);
    feed_handshake(&s);
    tcpsim_stepper_free(st);
    fclose(f);
    assert_null(strstr(buf, "[Enter"));
    assert_non_null(strstr(buf, "SYN_RECEIVED"));
    assert_non_null(strstr(buf, "TLS ClientHello: offers <31> suites"));
    assert_non_null(strstr(buf, "-X")); /* the lost SYN */
    free(buf);
}

/* ================= one catalogue for views, simulator and lessons ================= */

static void test_catalog_en_errors_match_strerror_and_ko_has_all(void **state)
{
    (void)state;
    for (int e = TCPSIM_OK; e <= TCPSIM_ERR_NOTFOUND; e++) {
        char key[64];
        snprintf(key, sizeof key, "err.%s", tcpsim_errname((enum tcpsim_err)e));
        const char *en = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), key);
        assert_non_null(en);
        assert_string_equal(en, tcpsim_strerror((enum tcpsim_err)e)); /* error.h is the English source */
        assert_non_null(tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_KO), key));
    }
}

static void test_catalog_scenario_descriptions_match_builtins(void **state)
{
    (void)state;
    for (size_t i = 0; i < tcpsim_scenario_builtin_count(); i++) {
        char key[96];
        snprintf(key, sizeof key, "scenario.%s", tcpsim_scenario_builtin_name(i));
        const char *en = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), key);
        if (!en)
            fail_msg("en.txt lacks %s", key);
        assert_string_equal(en, tcpsim_scenario_builtin_desc(i));
        assert_non_null(tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_KO), key));
    }
}

/* The facts the lessons and descriptions state (QA D2, D6), in both languages. */
static void expect_in(enum tcpsim_lang lang, const char *key, const char *const *needles, size_t n)
{
    const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(lang), key);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        if (!strstr(t, needles[i]))
            fail_msg("%s.txt %s lacks '%s':\n%s", tcpsim_lang_code(lang), key, needles[i], t);
}

static void test_catalog_lessons_state_msl_key_exchange_and_payload_facts(void **state)
{
    (void)state;
    /* time-wait: the demo shortens MSL; RFC 9293's 2 min MSL (TIME_WAIT 4 min); Linux's fixed 60 s */
    static const char *const tw_en[] = {"2 minutes", "4 minutes", "TCP_TIMEWAIT_LEN", "60 s", "shortens"};
    static const char *const tw_ko[] = {"2분", "4분", "TCP_TIMEWAIT_LEN", "60초", "줄였"};
    expect_in(TCPSIM_LANG_EN, "time-wait.intro", tw_en, 5);
    expect_in(TCPSIM_LANG_KO, "time-wait.intro", tw_ko, 5);
    /* tls13: (EC)DHE, finite-field DHE allowed, psk_ke resumption without forward secrecy */
    static const char *const t13_en[] = {"(EC)DHE", "finite-field", "psk_ke"};
    static const char *const t13_ko[] = {"(EC)DHE", "유한체", "psk_ke"};
    expect_in(TCPSIM_LANG_EN, "tls13.summary", t13_en, 3);
    expect_in(TCPSIM_LANG_KO, "tls13.summary", t13_ko, 3);
    const char *en13 = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), "tls13.summary");
    assert_null(strstr(en13, "Only ECDHE"));
    /* data-transfer: 524 = MSS 536 less the 12-byte timestamp option */
    static const char *const dt_en[] = {"MSS 536", "524 bytes per segment", "12-byte timestamp option"};
    static const char *const dt_ko[] = {"MSS 536", "524바이트", "12바이트"};
    expect_in(TCPSIM_LANG_EN, "scenario.data-transfer", dt_en, 3);
    expect_in(TCPSIM_LANG_KO, "scenario.data-transfer", dt_ko, 3);
    /* a capture is not a video recording */
    const struct tcpsim_catalog *ko = tcpsim_catalog_builtin(TCPSIM_LANG_KO);
    for (size_t i = 0; i < tcpsim_catalog_count(ko); i++) {
        const char *k = tcpsim_catalog_key_at(ko, i);
        if (strstr(tcpsim_catalog_get(ko, k), "\xeb\x85\xb9\xed\x99\x94")) /* 녹화 */
            fail_msg("ko.txt %s still says 녹화", k);
    }
}

/* Every note a built-in scenario makes, said in Korean: its message id is in
 * the catalogue and no English is left. */
struct note_rec {
    unsigned notes, untranslated;
};
static void note_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct note_rec *r = ctx;
    if (ev->kind != TCPSIM_TL_NOTE || !ev->u.note.msg)
        return;
    char b[512];
    r->notes++;
    tcpsim_i18n_note(TCPSIM_LANG_KO, &ev->u.note, b, sizeof b);
    if (!tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_KO), ev->u.note.msg) || !strcmp(b, ev->u.note.text) ||
        strstr(b, "@err")) {
        print_error("untranslated note %s: %s\n", ev->u.note.msg, b);
        r->untranslated++;
    }
}

static void test_sim_notes_of_every_builtin_translate_to_korean(void **state)
{
    (void)state;
    struct note_rec r = {0, 0};
    for (size_t i = 0; i < tcpsim_scenario_builtin_count(); i++) {
        struct tcpsim_scenario *sc = NULL;
        char err[256];
        assert_int_equal(tcpsim_scenario_builtin(tcpsim_scenario_builtin_name(i), &sc, err, sizeof err), TCPSIM_OK);
        for (size_t run = 0; run < tcpsim_scenario_runs(sc); run++) {
            struct tcpsim_sim *sim = NULL;
            assert_int_equal(tcpsim_sim_new(sc, run, &sim), TCPSIM_OK);
            struct tcpsim_tl_sink k = {note_event, &r};
            tcpsim_sim_set_sink(sim, &k);
            tcpsim_sim_run(sim);
            tcpsim_sim_free(sim);
        }
        tcpsim_scenario_free(sc);
    }
    assert_true(r.notes >= 5); /* refused, time-wait, tls-before-tcp ... */
    assert_int_equal(r.untranslated, 0);
}

/* The TLS lessons run on the simulator: their items come from the TLS parser. */
struct tls_rec {
    unsigned items, ske_ecdhe, cke_ecdhe, app;
};
static void tls_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tls_rec *r = ctx;
    if (ev->kind != TCPSIM_TL_SEGMENT)
        return;
    for (size_t i = 0; i < ev->u.segment.ntls; i++) {
        const struct tcpsim_tl_tls *t = &ev->u.segment.tls[i];
        r->items++;
        if (!t->why)
            continue;
        r->ske_ecdhe += t->why->id == TCPSIM_TLS_X_SKE_ECDHE;
        r->cke_ecdhe += t->why->id == TCPSIM_TLS_X_CKE_ECDHE;
        r->app += t->why->id == TCPSIM_TLS_X_APP_DATA;
    }
}

static void test_lesson_tls12_ecdhe_items_from_the_parser(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct tcpsim_teach_opts o = {TCPSIM_LANG_KO, false, 0, false};
    struct tls_rec r = {0, 0, 0, 0};
    struct tcpsim_tl_sink k = {tls_event, &r};
    assert_int_equal(tcpsim_lesson_run("tls12-ecdhe", &o, f, &k), TCPSIM_OK);
    fclose(f);
    assert_int_equal(r.items, 12); /* CH; SH Cert SKE SHD; CKE CCS Fin; CCS Fin; 2 x application_data */
    assert_int_equal(r.ske_ecdhe, 1);
    assert_int_equal(r.cke_ecdhe, 1);
    assert_int_equal(r.app, 2);
    /* the parser's words in Korean ("x25519 위의 ECDHE") and the lesson's own */
    assert_non_null(strstr(buf, "x25519"));
    assert_null(strstr(buf, "signed by the server"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* ---- catalogue ---- */
        cmocka_unit_test(test_catalog_en_errors_match_strerror_and_ko_has_all),
        cmocka_unit_test(test_catalog_scenario_descriptions_match_builtins),
        cmocka_unit_test(test_catalog_lessons_state_msl_key_exchange_and_payload_facts),
        cmocka_unit_test(test_sim_notes_of_every_builtin_translate_to_korean),
        cmocka_unit_test(test_lesson_tls12_ecdhe_items_from_the_parser),
        cmocka_unit_test(test_catalog_parse_single_and_multiline),
        cmocka_unit_test(test_catalog_bad_input_names_file_and_line),
        cmocka_unit_test(test_catalog_truncations_never_crash),
        cmocka_unit_test(test_msg_substitutes_and_falls_back),
        cmocka_unit_test(test_lang_parse_accepts_en_ko_only),
        cmocka_unit_test(test_catalog_en_and_ko_have_same_keys),
        cmocka_unit_test(test_catalog_translates_every_endpoint_reason),
        cmocka_unit_test(test_catalog_every_lesson_has_its_texts),
        cmocka_unit_test(test_catalog_placeholders_match_between_languages),
        /* ---- HTML ---- */
        cmocka_unit_test(test_html_handshake_arrows_states_and_path),
        cmocka_unit_test(test_html_empty_and_partial_streams_still_render),
        cmocka_unit_test(test_html_too_many_events_bounded_with_notice),
        cmocka_unit_test(test_html_null_arguments_rejected),
        cmocka_unit_test(test_html_from_simulator_one_arrow_per_segment),
        /* ---- lessons ---- */
        cmocka_unit_test(test_lesson_handshake_three_segments_both_established),
        cmocka_unit_test(test_lesson_time_wait_with_and_without_differ),
        cmocka_unit_test(test_lesson_rst_refused_reported),
        cmocka_unit_test(test_lesson_unknown_is_notfound),
        cmocka_unit_test(test_stepper_without_tty_never_pauses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
