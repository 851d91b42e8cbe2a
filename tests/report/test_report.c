/* test_report.c - the views (ladder, JSON, Mermaid, DOT) on hand-built event
 * streams: a handshake whose first SYN is lost (RFC 9293 §3.5, RFC 6298 §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcpsim/report.h"

/* ---- a fake run: client 10.0.0.1:40000 -> server 10.0.0.2:80 ---- */
static struct tcpsim_segment mkseg(uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.window = 65535;
    s.payload_len = len;
    return s;
}

static void ev_state(const struct tcpsim_tl_sink *k, enum tcpsim_side side, tcpsim_time_t at,
                     enum tcpsim_tcp_state from, enum tcpsim_tcp_state to, enum tcpsim_tcp_why why)
{
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_STATE};
    e.u.state.side = side;
    e.u.state.at = at;
    e.u.state.from = from;
    e.u.state.to = to;
    e.u.state.why = why;
    tcpsim_tl_emit(k, &e);
}

static void ev_seg(const struct tcpsim_tl_sink *k, enum tcpsim_side from, const struct tcpsim_segment *s,
                   tcpsim_time_t sent, tcpsim_time_t arr, uint32_t rseq, uint32_t rack, bool dropped, bool rtx,
                   const struct tcpsim_tl_tls *tls, size_t ntls)
{
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_SEGMENT};
    e.u.segment.from = from;
    e.u.segment.seg = s;
    e.u.segment.t_sent = sent;
    e.u.segment.t_arrived = dropped ? TCPSIM_TIME_NEVER : arr;
    e.u.segment.rel_seq_known = true;
    e.u.segment.rel_seq = rseq;
    e.u.segment.rel_ack_known = (s->flags & TCPSIM_ACK) != 0;
    e.u.segment.rel_ack = rack;
    e.u.segment.win = s->window;
    e.u.segment.dropped = dropped;
    e.u.segment.retransmission = rtx;
    e.u.segment.analysis = rtx ? TCPSIM_AN_RETRANSMISSION : 0;
    e.u.segment.tls = tls;
    e.u.segment.ntls = ntls;
    tcpsim_tl_emit(k, &e);
}

/* The stream: SYN lost, RTO, SYN again, SYN-ACK, ACK + ClientHello. */
static void play(const struct tcpsim_tl_sink *k)
{
    struct tcpsim_tl_event b = {.kind = TCPSIM_TL_BEGIN};
    b.u.begin.client_label = "client 10.0.0.1:40000";
    b.u.begin.server_label = "server 10.0.0.2:80";
    b.u.begin.client_state = TCPSIM_TCP_CLOSED;
    b.u.begin.server_state = TCPSIM_TCP_LISTEN;
    b.u.begin.client_isn = 1000;
    b.u.begin.client_isn_known = true;
    b.u.begin.server_isn = 5000;
    b.u.begin.server_isn_known = true;
    tcpsim_tl_emit(k, &b);
    ev_state(k, TCPSIM_SIDE_CLIENT, 0, TCPSIM_TCP_CLOSED, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE);
    struct tcpsim_segment syn = mkseg(TCPSIM_SYN, 1000, 0, 0);
    ev_seg(k, TCPSIM_SIDE_CLIENT, &syn, 0, 0, 0, 0, true, false, NULL, 0);
    struct tcpsim_tl_event n = {.kind = TCPSIM_TL_NOTE};
    n.u.note.side = TCPSIM_SIDE_CLIENT;
    n.u.note.at = TCPSIM_SEC(1);
    n.u.note.why = TCPSIM_WHY_RTO_FIRED;
    tcpsim_tl_emit(k, &n);
    ev_seg(k, TCPSIM_SIDE_CLIENT, &syn, TCPSIM_SEC(1), TCPSIM_SEC(1) + TCPSIM_MSEC(10), 0, 0, false, true, NULL, 0);
    ev_state(k, TCPSIM_SIDE_SERVER, TCPSIM_SEC(1) + TCPSIM_MSEC(10), TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_RECEIVED,
             TCPSIM_WHY_SYN_IN_LISTEN);
    struct tcpsim_segment synack = mkseg(TCPSIM_SYN | TCPSIM_ACK, 5000, 1001, 0);
    ev_seg(k, TCPSIM_SIDE_SERVER, &synack, TCPSIM_SEC(1) + TCPSIM_MSEC(10), TCPSIM_SEC(1) + TCPSIM_MSEC(20), 0, 1,
           false, false, NULL, 0);
    ev_state(k, TCPSIM_SIDE_CLIENT, TCPSIM_SEC(1) + TCPSIM_MSEC(20), TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED,
             TCPSIM_WHY_SYNACK_ACKS_SYN);
    struct tcpsim_segment ack = mkseg(TCPSIM_ACK | TCPSIM_PSH, 1001, 5001, 200);
    struct tcpsim_tl_tls ch = {TCPSIM_SIDE_CLIENT, "handshake", "ClientHello", NULL};
    ev_seg(k, TCPSIM_SIDE_CLIENT, &ack, TCPSIM_SEC(1) + TCPSIM_MSEC(20), TCPSIM_SEC(1) + TCPSIM_MSEC(30), 1, 1,
           false, false, &ch, 1);
    ev_state(k, TCPSIM_SIDE_SERVER, TCPSIM_SEC(1) + TCPSIM_MSEC(30), TCPSIM_TCP_SYN_RECEIVED,
             TCPSIM_TCP_ESTABLISHED, TCPSIM_WHY_ACK_OF_SYNACK);
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(k, &e);
}

static char *render(enum tcpsim_view_format f, const struct tcpsim_view_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    struct tcpsim_view *v = tcpsim_view_new(f, mf, o);
    assert_non_null(v);
    struct tcpsim_tl_sink k = tcpsim_view_sink(v);
    play(&k);
    tcpsim_view_free(v);
    fclose(mf);
    return buf;
}

/* the line of `text` containing `needle`, copied (or NULL) */
static char *line_with(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    if (!p)
        return NULL;
    const char *b = p, *e = p;
    while (b > text && b[-1] != '\n')
        b--;
    while (*e && *e != '\n')
        e++;
    char *l = malloc((size_t)(e - b) + 1);
    memcpy(l, b, (size_t)(e - b));
    l[e - b] = '\0';
    return l;
}

/* ======== ladder ======== */
static void test_ladder_ascii_has_no_utf8(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        assert_true(*p < 0x80);
    assert_null(strstr(s, "\033["));
    free(s);
}

static void test_ladder_lost_segment_ends_in_cross(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    char *l = line_with(s, "(lost)");
    assert_non_null(l);
    assert_non_null(strstr(l, "\u2715"));
    assert_non_null(strstr(l, "SYN seq=0 len=0"));
    assert_null(strstr(l, "\u25b6")); /* no arrow head: it never arrived */
    free(l);
    o.ascii = true;
    free(s);
    s = render(TCPSIM_VIEW_LADDER, &o);
    l = line_with(s, "(lost)");
    assert_non_null(l);
    assert_non_null(strstr(l, "-X "));
    free(l);
    free(s);
}

static void test_ladder_arrows_point_to_the_receiver(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    char *l = line_with(s, "SYN,ACK seq=0 ack=1");
    assert_non_null(l);
    assert_non_null(strstr(l, "|<-"));
    free(l);
    l = line_with(s, "(retransmission)");
    assert_non_null(l);
    assert_non_null(strstr(l, "->|"));
    assert_non_null(strstr(l, "1.000"));
    assert_non_null(strstr(l, "arrives 1.010"));
    free(l);
    free(s);
}

static void test_ladder_state_written_on_own_side(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    char *l = line_with(s, "SYN_RECEIVED");
    assert_non_null(l);
    /* server side: after the second lifeline */
    char *bar2 = strrchr(l, '|');
    assert_non_null(bar2);
    assert_non_null(strstr(bar2, "SYN_RECEIVED"));
    free(l);
    l = line_with(s, "SYN_SENT");
    assert_non_null(l);
    assert_true(strstr(l, "SYN_SENT") < strchr(l, '|'));
    free(l);
    free(s);
}

static void test_ladder_absolute_shows_raw_numbers(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    o.absolute = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    assert_non_null(strstr(s, "SYN,ACK seq=5000 ack=1001"));
    assert_null(strstr(s, "SYN,ACK seq=0 ack=1"));
    free(s);
}

static void test_ladder_tls_item_under_its_arrow(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    const char *a = strstr(s, "len=200");
    const char *t = strstr(s, "TLS ClientHello");
    assert_non_null(a);
    assert_non_null(t);
    assert_true(a < t);
    const char *eol = strchr(a, '\n');
    assert_non_null(eol);
    assert_true(t > eol);
    assert_true(t < strchr(eol + 1, '\n')); /* on the very next line */
    free(s);
}

static void test_ladder_color_only_when_asked(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.color = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    assert_non_null(strstr(s, "\033[31m")); /* the lost SYN in red */
    free(s);
}

/* ======== json ======== */
static void test_json_segment_carries_the_transition_it_caused(void **st)
{
    (void)st;
    char *s = render(TCPSIM_VIEW_JSON, NULL);
    char *l = line_with(s, "\"flags\":[\"SYN\",\"ACK\"]");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"type\":\"segment\""));
    assert_non_null(strstr(l, "\"dir\":\"s2c\""));
    assert_non_null(strstr(l, "\"src\":\"10.0.0.2:80\""));
    assert_non_null(strstr(l, "\"seq\":5000,\"ack\":1001,\"rel_seq\":0,\"rel_ack\":1"));
    assert_non_null(strstr(l, "\"client_state\":\"ESTABLISHED\",\"server_state\":\"SYN_RECEIVED\""));
    assert_non_null(strstr(l, "{\"endpoint\":\"client\",\"from\":\"SYN_SENT\",\"to\":\"ESTABLISHED\","
                              "\"rule\":\"RFC 9293 3.10.7.3\",\"why\":\"SYN-ACK acknowledges our SYN\"}"));
    free(l);
    free(s);
}

static void test_json_user_call_is_a_state_line(void **st)
{
    (void)st;
    char *s = render(TCPSIM_VIEW_JSON, NULL);
    char *l = line_with(s, "\"to\":\"SYN_SENT\"");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"type\":\"state\""));
    free(l);
    l = line_with(s, "\"dropped\":true");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"arrived\":null"));
    assert_non_null(strstr(l, "\"events\":[]"));
    free(l);
    l = line_with(s, "\"analysis\":[\"retransmission\"]");
    assert_non_null(l);
    free(l);
    l = line_with(s, "\"handshake\":\"ClientHello\"");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"server_state\":\"ESTABLISHED\""));
    free(l);
    free(s);
}

static void test_json_conn_lists_every_state(void **st)
{
    (void)st;
    char *s = render(TCPSIM_VIEW_JSON, NULL);
    char *l = line_with(s, "\"type\":\"conn\"");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"client_states\":[\"CLOSED\",\"SYN_SENT\",\"ESTABLISHED\"]"));
    assert_non_null(strstr(l, "\"server_states\":[\"LISTEN\",\"SYN_RECEIVED\",\"ESTABLISHED\"]"));
    assert_non_null(strstr(l, "\"packets\":{\"c2s\":3,\"s2c\":1}"));
    free(l);
    /* every line is one object */
    for (const char *p = s; *p;) {
        assert_int_equal(*p, '{');
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        assert_int_equal(e[-1], '}');
        p = e + 1;
    }
    free(s);
}

static void test_json_escapes_strings(void **st)
{
    (void)st;
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    struct tcpsim_json *j = tcpsim_json_new(mf, NULL);
    struct tcpsim_tl_sink k = tcpsim_json_sink(j);
    struct tcpsim_tl_event n = {.kind = TCPSIM_TL_NOTE};
    n.u.note.text = "say \"hi\"\\\n";
    tcpsim_tl_emit(&k, &n);
    tcpsim_json_free(j);
    fclose(mf);
    assert_non_null(strstr(buf, "\"text\":\"say \\\"hi\\\"\\\\\\n\""));
    free(buf);
}

/* ======== mermaid ======== */
static void test_mermaid_lost_segment_uses_cross(void **st)
{
    (void)st;
    char *s = render(TCPSIM_VIEW_MERMAID, NULL);
    assert_int_equal(strncmp(s, "sequenceDiagram\n", 16), 0);
    assert_non_null(strstr(s, "participant C as client 10.0.0.1:40000"));
    assert_non_null(strstr(s, "C-xS: SYN seq=0 len=0 win=65535 (lost)"));
    assert_non_null(strstr(s, "S->>C: SYN,ACK seq=0 ack=1"));
    assert_non_null(strstr(s, "Note over S: SYN_RECEIVED"));
    assert_non_null(strstr(s, "[TLS ClientHello]"));
    assert_null(strchr(s, ';'));
    free(s);
}

/* ======== dot ======== */
static void test_dot_draws_all_states_and_highlights_taken(void **st)
{
    (void)st;
    char *s = render(TCPSIM_VIEW_DOT, NULL);
    static const char *const names[] = {"CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED",
                                        "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                        "CLOSING",    "LAST_ACK",   "TIME_WAIT"};
    for (size_t i = 0; i < 11; i++) {
        char want[64];
        snprintf(want, sizeof want, "\n  %s", names[i]);
        assert_non_null(strstr(s, want));
    }
    assert_non_null(strstr(s, "SYN_SENT -> ESTABLISHED [color=\"#1f77b4\""));
    assert_non_null(strstr(s, "LISTEN -> SYN_RECEIVED [color=\"#ff7f0e\""));
    assert_null(strstr(s, "FIN_WAIT_1 -> FIN_WAIT_2 [color="));
    assert_non_null(strstr(s, "FIN_WAIT_1 -> FIN_WAIT_2 [label="));
    assert_int_equal(strncmp(s, "digraph", 7), 0);
    free(s);
}

/* ======== helpers ======== */
static void test_analysis_name_every_bit_named(void **st)
{
    (void)st;
    assert_string_equal(tcpsim_analysis_name(0), "retransmission");
    assert_string_equal(tcpsim_analysis_name(6), "duplicate_ack");
    assert_string_equal(tcpsim_analysis_name(14), "reused_ports");
    for (unsigned i = 0; i < TCPSIM_AN_COUNT; i++)
        assert_non_null(tcpsim_analysis_name(i));
    assert_null(tcpsim_analysis_name(TCPSIM_AN_COUNT));
}

static void test_format_parse_known_and_unknown(void **st)
{
    (void)st;
    enum tcpsim_view_format f;
    assert_true(tcpsim_view_format_parse("mermaid", &f));
    assert_int_equal(f, TCPSIM_VIEW_MERMAID);
    assert_true(tcpsim_view_format_parse("JSON", &f));
    assert_int_equal(f, TCPSIM_VIEW_JSON);
    assert_false(tcpsim_view_format_parse("svg", &f));
    assert_false(tcpsim_view_format_parse(NULL, &f));
    assert_string_equal(tcpsim_view_format_name(TCPSIM_VIEW_DOT), "dot");
}

static void test_flags_wireshark_order(void **st)
{
    (void)st;
    char b[48];
    assert_string_equal(tcpsim_report_flags(TCPSIM_SYN | TCPSIM_ACK, b, sizeof b), "SYN,ACK");
    assert_string_equal(tcpsim_report_flags(TCPSIM_FIN | TCPSIM_PSH | TCPSIM_ACK, b, sizeof b), "FIN,PSH,ACK");
    assert_string_equal(tcpsim_report_flags(0, b, sizeof b), "none");
    assert_string_equal(tcpsim_report_flags(TCPSIM_SYN | TCPSIM_ACK, b, 4), "SYN");
    assert_string_equal(tcpsim_report_time(TCPSIM_MSEC(1234), b, sizeof b), "1.234000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ladder_ascii_has_no_utf8),
        cmocka_unit_test(test_ladder_lost_segment_ends_in_cross),
        cmocka_unit_test(test_ladder_arrows_point_to_the_receiver),
        cmocka_unit_test(test_ladder_state_written_on_own_side),
        cmocka_unit_test(test_ladder_absolute_shows_raw_numbers),
        cmocka_unit_test(test_ladder_tls_item_under_its_arrow),
        cmocka_unit_test(test_ladder_color_only_when_asked),
        cmocka_unit_test(test_json_segment_carries_the_transition_it_caused),
        cmocka_unit_test(test_json_user_call_is_a_state_line),
        cmocka_unit_test(test_json_conn_lists_every_state),
        cmocka_unit_test(test_json_escapes_strings),
        cmocka_unit_test(test_mermaid_lost_segment_uses_cross),
        cmocka_unit_test(test_dot_draws_all_states_and_highlights_taken),
        cmocka_unit_test(test_analysis_name_every_bit_named),
        cmocka_unit_test(test_format_parse_known_and_unknown),
        cmocka_unit_test(test_flags_wireshark_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
