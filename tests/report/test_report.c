/* test_report.c - the views (ladder, JSON, Mermaid, DOT) on hand-built event
 * streams: a handshake whose first SYN is lost (RFC 9293 §3.5, RFC 6298 §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/report_int.h"
#include "tcpsim/report.h"
#include "tcpsim/tls.h"

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
    struct tcpsim_tl_tls ch = {TCPSIM_SIDE_CLIENT, "handshake", "ClientHello", NULL, NULL};
    ev_seg(k, TCPSIM_SIDE_CLIENT, &ack, TCPSIM_SEC(1) + TCPSIM_MSEC(20), TCPSIM_SEC(1) + TCPSIM_MSEC(30), 1, 1, false,
           false, &ch, 1);
    ev_state(k, TCPSIM_SIDE_SERVER, TCPSIM_SEC(1) + TCPSIM_MSEC(30), TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_ESTABLISHED,
             TCPSIM_WHY_ACK_OF_SYNACK);
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

/* ---- reasons, --brief, SYN options, rows in time order ---- */
static void test_ladder_state_row_carries_reason_and_rule(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    char *l = line_with(s, "SYN_SENT");
    assert_non_null(l);
    assert_non_null(strstr(l, "|               client: active OPEN: SYN sent (RFC 9293 3.10.1)"));
    free(l);
    l = line_with(s, "SYN_RECEIVED");
    assert_non_null(strstr(l, "SYN_RECEIVED  server: SYN received while listening: SYN-ACK sent (RFC 9293 3.10.7.2)"));
    free(l);
    /* the note sits in the same column, with its rule */
    l = line_with(s, "retransmission timer expired");
    assert_non_null(strstr(l, "* client: retransmission timer expired"));
    assert_non_null(strstr(l, "(RFC 6298 5)"));
    assert_non_null(strstr(l, "|"));
    free(l);
    free(s);
}

static void test_ladder_brief_hides_reasons_notes_options(void **st)
{
    (void)st;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    o.brief = true;
    char *s = render(TCPSIM_VIEW_LADDER, &o);
    assert_non_null(strstr(s, "SYN_SENT"));
    assert_non_null(strstr(s, "ESTABLISHED"));
    assert_non_null(strstr(s, "TLS ClientHello"));
    assert_null(strstr(s, "RFC 9293"));
    assert_null(strstr(s, "RFC 6298"));
    assert_null(strstr(s, "mss"));
    assert_null(strstr(s, "active OPEN"));
    free(s);
}

static void emit_begin(const struct tcpsim_tl_sink *k)
{
    struct tcpsim_tl_event b = {.kind = TCPSIM_TL_BEGIN};
    b.u.begin.client_label = "client";
    b.u.begin.server_label = "server";
    b.u.begin.client_state = TCPSIM_TCP_SYN_SENT;
    b.u.begin.server_state = TCPSIM_TCP_LISTEN;
    tcpsim_tl_emit(k, &b);
}

static void test_ladder_syn_options_in_packetdrill_notation(void **st)
{
    (void)st;
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    struct tcpsim_ladder *v = tcpsim_ladder_new(mf, &o);
    struct tcpsim_tl_sink k = tcpsim_ladder_sink(v);
    emit_begin(&k);
    struct tcpsim_segment syn = mkseg(TCPSIM_SYN, 1000, 0, 0);
    syn.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
    syn.opts.mss = 1460;
    syn.opts.ts_val = 1;
    syn.opts.wscale = 7;
    ev_seg(&k, TCPSIM_SIDE_CLIENT, &syn, 0, 10, 0, 0, false, false, NULL, 0);
    /* without timestamps the encoder pads SACK-permitted with NOPs */
    struct tcpsim_segment synack = mkseg(TCPSIM_SYN | TCPSIM_ACK, 5000, 1001, 0);
    synack.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_WSCALE;
    synack.opts.mss = 536;
    synack.opts.wscale = 8;
    ev_seg(&k, TCPSIM_SIDE_SERVER, &synack, 10, 20, 0, 1, false, false, NULL, 0);
    struct tcpsim_segment ack = mkseg(TCPSIM_ACK, 1001, 5001, 0);
    ack.opts.present = TCPSIM_HAS_TS;
    ev_seg(&k, TCPSIM_SIDE_CLIENT, &ack, 20, 30, 1, 1, false, false, NULL, 0);
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(&k, &e);
    tcpsim_ladder_free(v);
    fclose(mf);
    assert_non_null(strstr(buf, "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"));
    assert_non_null(strstr(buf, "<mss 536,nop,nop,sackOK,nop,wscale 8>"));
    assert_null(strstr(buf, "<nop,nop,TS")); /* options only under SYN arrows */
    free(buf);
}

/* A segment sent at 0 that lands at 300 ms while a state change happens at
 * 100 ms: its arrow leaves at 0 ("in flight"), the state row follows, and an
 * "arrives" row at 300 ms; the time column never goes back. */
static void test_ladder_in_flight_arrow_rows_stay_in_time_order(void **st)
{
    (void)st;
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    struct tcpsim_ladder *v = tcpsim_ladder_new(mf, &o);
    struct tcpsim_tl_sink k = tcpsim_ladder_sink(v);
    emit_begin(&k);
    struct tcpsim_segment fin = mkseg(TCPSIM_FIN | TCPSIM_ACK, 1001, 5001, 0);
    struct tcpsim_segment ack = mkseg(TCPSIM_ACK, 5001, 1001, 0);
    /* emission order as the simulator reports it: by the time things happen */
    ev_seg(&k, TCPSIM_SIDE_SERVER, &ack, TCPSIM_MSEC(50), TCPSIM_MSEC(60), 1, 1, false, false, NULL, 0);
    ev_state(&k, TCPSIM_SIDE_SERVER, TCPSIM_MSEC(100), TCPSIM_TCP_LISTEN, TCPSIM_TCP_CLOSED, TCPSIM_WHY_CLOSE_LISTEN);
    ev_seg(&k, TCPSIM_SIDE_CLIENT, &fin, 0, TCPSIM_MSEC(300), 1, 1, false, false, NULL, 0);
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(&k, &e);
    tcpsim_ladder_free(v);
    fclose(mf);
    /* every time in the first column is >= the one before */
    unsigned long prev = 0;
    size_t rows = 0;
    for (const char *p = buf; *p;) {
        const char *nl = strchr(p, '\n');
        unsigned long a, b;
        if (sscanf(p, " %lu.%lu ", &a, &b) == 2 && (p[0] == ' ' || (p[0] >= '0' && p[0] <= '9'))) {
            unsigned long t = a * 1000 + b;
            assert_true(t >= prev);
            prev = t;
            rows++;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    assert_true(rows >= 4);
    char *l = line_with(buf, "in flight");
    assert_non_null(l);
    assert_non_null(strstr(l, "   0.000"));
    assert_non_null(strstr(l, "FIN,ACK"));
    assert_non_null(strstr(l, "arrives 0.300"));
    free(l);
    l = line_with(buf, "FIN,ACK seq=1 ack=1 arrives");
    assert_non_null(l);
    assert_non_null(strstr(l, "   0.300"));
    assert_non_null(strstr(l, "sent 0.000"));
    free(l);
    /* the ACK at 50 ms did not need a second row: nothing happened while it flew */
    assert_non_null(strstr(buf, "arrives 0.060\n"));
    assert_true(strstr(buf, "in flight") < strstr(buf, "CLOSED"));
    assert_true(strstr(buf, "CLOSED") < strstr(buf, "FIN,ACK seq=1 ack=1 arrives"));
    free(buf);
}

static void test_ladder_tls_explanation_right_of_item(void **st)
{
    (void)st;
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    struct tcpsim_ladder *v = tcpsim_ladder_new(mf, &o);
    struct tcpsim_tl_sink k = tcpsim_ladder_sink(v);
    emit_begin(&k);
    struct tcpsim_segment d = mkseg(TCPSIM_ACK | TCPSIM_PSH, 5001, 1001, 600);
    char explain[] = "chooses TLS_RSA_WITH_AES_128_GCM_SHA256, TLS 1.2";
    struct tcpsim_tl_tls sh = {TCPSIM_SIDE_SERVER, "handshake", "ServerHello", explain, NULL};
    ev_seg(&k, TCPSIM_SIDE_SERVER, &d, 0, 10, 1, 1, false, false, &sh, 1);
    memset(explain, 'x', sizeof explain - 1); /* the view must have copied it */
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(&k, &e);
    tcpsim_ladder_free(v);
    fclose(mf);
    char *l = line_with(buf, "TLS ServerHello");
    assert_non_null(l);
    assert_non_null(strstr(l, "|               server: chooses TLS_RSA_WITH_AES_128_GCM_SHA256, TLS 1.2"));
    free(l);
    free(buf);
}

/* Mermaid has no validator here (no network for mermaid-cli): check the
 * structure instead. One arrow line per segment, a note per state. */
static void test_mermaid_structure_one_arrow_per_segment(void **st)
{
    (void)st;
    char *s = render(TCPSIM_VIEW_MERMAID, NULL);
    size_t arrows = 0, notes = 0, participants = 0, lines = 0;
    for (char *p = s; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lines++;
        if (lines == 1)
            assert_int_equal(strncmp(p, "sequenceDiagram", n), 0);
        else
            assert_int_equal(strncmp(p, "    ", 4), 0); /* every statement indented under it */
        if (!strncmp(p, "    participant ", 16))
            participants++;
        if (!strncmp(p, "    C->>S: ", 11) || !strncmp(p, "    S->>C: ", 11) || !strncmp(p, "    C-xS: ", 10) ||
            !strncmp(p, "    S-xC: ", 10))
            arrows++;
        if (!strncmp(p, "    Note over ", 14))
            notes++;
        for (size_t i = 0; i < n; i++)
            assert_true(p[i] != ';' && p[i] != '#');
        if (!nl)
            break;
        p = nl + 1;
    }
    assert_int_equal(participants, 2);
    assert_int_equal(arrows, 4);    /* SYN (lost), SYN again, SYN-ACK, ACK */
    assert_int_equal(notes, 2 + 4); /* the two initial states, four transitions */
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
    static const char *const names[] = {"CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
                                        "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                        "CLOSING",     "LAST_ACK",   "TIME_WAIT"};
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

/* ================= language: --lang ko ================= */

/* A refused connect: a note by message id with an "@err" argument, a TLS
 * item with an explanation id, and an endpoint reason. */
static void play_i18n(const struct tcpsim_tl_sink *k)
{
    struct tcpsim_tl_event b = {.kind = TCPSIM_TL_BEGIN};
    b.u.begin.client_label = "client 10.0.0.1:40000";
    b.u.begin.server_label = "server 10.0.0.2:443";
    b.u.begin.client_isn_known = b.u.begin.server_isn_known = true;
    tcpsim_tl_emit(k, &b);
    ev_state(k, TCPSIM_SIDE_CLIENT, 0, TCPSIM_TCP_CLOSED, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE);
    struct tcpsim_tls_explain x = {TCPSIM_TLS_X_SKE_ECDHE, {32, 0, 0}, {"x25519", "", ""}};
    struct tcpsim_tl_tls ske = {TCPSIM_SIDE_SERVER, "handshake", "ServerKeyExchange",
                                "ECDHE key exchange on x25519 (32-byte public key), signed by the server", &x};
    struct tcpsim_segment d = mkseg(TCPSIM_ACK | TCPSIM_PSH, 5001, 1001, 300);
    ev_seg(k, TCPSIM_SIDE_SERVER, &d, TCPSIM_MSEC(10), TCPSIM_MSEC(20), 1, 1, false, false, &ske, 1);
    struct tcpsim_tl_event n = {.kind = TCPSIM_TL_NOTE};
    n.u.note.side = TCPSIM_SIDE_CLIENT;
    n.u.note.at = TCPSIM_MSEC(20);
    n.u.note.text = "the application is told: connection refused";
    n.u.note.msg = "sim.app_told";
    n.u.note.args[0] = "@err.ERR_REFUSED";
    n.u.note.nargs = 1;
    tcpsim_tl_emit(k, &n);
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(k, &e);
}

static char *render_i18n(enum tcpsim_view_format f, const char *lang)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    o.lang = lang;
    struct tcpsim_view *v = tcpsim_view_new(f, mf, &o);
    assert_non_null(v);
    struct tcpsim_tl_sink k = tcpsim_view_sink(v);
    play_i18n(&k);
    tcpsim_view_free(v);
    fclose(mf);
    return buf;
}

static void test_ladder_lang_ko_reasons_notes_tls_headings_korean(void **state)
{
    (void)state;
    char *s = render_i18n(TCPSIM_VIEW_LADDER, "ko");
    /* reason by why id, note by message id (its error argument translated too) */
    assert_non_null(strstr(s, "\xed\x81\xb4\xeb\x9d\xbc\xec\x9d\xb4\xec\x96\xb8\xed\x8a\xb8: ")); /* 클라이언트: */
    assert_non_null(strstr(s, "(RFC 9293 3.10.1)"));
    assert_non_null(strstr(s, "\xec\x97\xb0\xea\xb2\xb0 \xea\xb1\xb0\xeb\xb6\x80\xeb\x90\xa8")); /* 연결 거부됨 */
    assert_null(strstr(s, "the application is told"));
    /* the TLS explanation by id, parameters kept; protocol terms stay English */
    char *l = line_with(s, "ServerKeyExchange");
    assert_non_null(l);
    assert_non_null(strstr(s, "x25519"));
    assert_null(strstr(s, "signed by the server"));
    assert_non_null(strstr(s, "SYN_SENT"));
    /* headings: time column and final line */
    assert_null(strstr(s, "final:"));
    assert_non_null(strstr(s, "\xec\xb5\x9c\xec\xa2\x85: ")); /* 최종: */
    free(l);
    free(s);
}

static void test_ladder_lang_en_and_unknown_keep_english(void **state)
{
    (void)state;
    char *en = render_i18n(TCPSIM_VIEW_LADDER, "en");
    char *xx = render_i18n(TCPSIM_VIEW_LADDER, "xx");
    char *nul = render_i18n(TCPSIM_VIEW_LADDER, NULL);
    assert_non_null(strstr(en, "client: the application is told: connection refused"));
    assert_non_null(strstr(en, "ECDHE key exchange on x25519 (32-byte public key), signed by the server"));
    assert_non_null(strstr(en, "final: client SYN_SENT, server CLOSED"));
    assert_string_equal(en, xx);
    assert_string_equal(en, nul);
    free(en);
    free(xx);
    free(nul);
}

static void test_html_lang_ko_page_in_korean_by_factory(void **state)
{
    (void)state;
    enum tcpsim_view_format f;
    assert_true(tcpsim_view_format_parse("html", &f));
    assert_int_equal(f, TCPSIM_VIEW_HTML);
    assert_string_equal(tcpsim_view_format_name(TCPSIM_VIEW_HTML), "html");
    char *s = render_i18n(TCPSIM_VIEW_HTML, "ko");
    assert_non_null(strstr(s, "<html lang=\"ko\">"));
    assert_non_null(strstr(s, "data-seg=\"1\""));
    assert_non_null(strstr(s, "\xec\x97\xb0\xea\xb2\xb0 \xea\xb1\xb0\xeb\xb6\x80\xeb\x90\xa8")); /* 연결 거부됨 */
    assert_null(strstr(s, "Hover or click"));
    assert_non_null(strstr(s, "</html>"));
    free(s);
}

static void test_json_stays_english_with_lang_ko(void **state)
{
    (void)state;
    char *ko = render_i18n(TCPSIM_VIEW_JSON, "ko");
    char *en = render_i18n(TCPSIM_VIEW_JSON, "en");
    assert_string_equal(ko, en); /* the machine contract (docs/replay-json.md) */
    free(ko);
    free(en);
}

static void test_i18n_tls_every_explain_id_has_words_in_both_languages(void **state)
{
    (void)state;
    for (int id = TCPSIM_TLS_X_CLIENT_HELLO; id <= TCPSIM_TLS_X_MALFORMED; id++) {
        const char *key = tcpsim_i18n_tls_key(id);
        assert_non_null(key);
        struct tcpsim_tls_explain x = {(enum tcpsim_tls_explain_id)id, {7, 1, 0}, {"S0", "S1", "S2"}};
        struct tcpsim_tl_tls t = {TCPSIM_SIDE_CLIENT, "handshake", "X", "english", &x};
        char b[400];
        const char *r = tcpsim_i18n_tls(TCPSIM_LANG_KO, &t, b, sizeof b);
        assert_non_null(r);
        if (strstr(r, "tlsx.") || strchr(r, '{'))
            fail_msg("id %d: untranslated '%s'", id, r);
        assert_string_equal(tcpsim_i18n_tls(TCPSIM_LANG_EN, &t, b, sizeof b), "english");
    }
    assert_null(tcpsim_i18n_tls_key(TCPSIM_TLS_X_NONE));
    assert_null(tcpsim_i18n_tls_key(-1));
    assert_null(tcpsim_i18n_tls_key(TCPSIM_TLS_X_MALFORMED + 1));
}

/* ======== ladder layout: options, columns, order at equal times ======== */
static char *ladder_of(void (*feed)(const struct tcpsim_tl_sink *k), const char *lang)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    o.lang = lang;
    struct tcpsim_ladder *v = tcpsim_ladder_new(mf, &o);
    assert_non_null(v);
    struct tcpsim_tl_sink k = tcpsim_ladder_sink(v);
    feed(&k);
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(&k, &e);
    tcpsim_ladder_free(v);
    fclose(mf);
    return buf;
}

static void feed_long_syn(const struct tcpsim_tl_sink *k)
{
    emit_begin(k);
    struct tcpsim_segment syn = mkseg(TCPSIM_SYN, 1000, 0, 0);
    syn.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE | TCPSIM_HAS_SACK;
    syn.opts.mss = 1460;
    syn.opts.ts_val = 4294967295u;
    syn.opts.ts_ecr = 4294967294u;
    syn.opts.wscale = 14;
    syn.opts.sack_count = 4;
    for (unsigned i = 0; i < 4; i++) {
        syn.opts.sack[i].left = 4294967200u + i;
        syn.opts.sack[i].right = 4294967290u + i;
    }
    ev_seg(k, TCPSIM_SIDE_CLIENT, &syn, 0, 10, 0, 0, false, false, NULL, 0);
}

/* A long option list (RFC 7323 timestamps, RFC 2018 SACK blocks) wraps
 * between options, or between the words of one option, never inside one. */
static void test_ladder_long_options_wrap_whole_tokens(void **st)
{
    (void)st;
    char *s = ladder_of(feed_long_syn, NULL);
    const char *tokens[] = {"<mss 1460",
                            "sackOK",
                            "TS val 4294967295 ecr 4294967294",
                            "wscale 14",
                            "4294967200:4294967290",
                            "4294967201:4294967291",
                            "4294967202:4294967292",
                            "4294967203:4294967293>"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        char *l = line_with(s, tokens[i]);
        if (!l)
            fail_msg("'%s' is not whole on one line:\n%s", tokens[i], s);
        free(l);
    }
    assert_null(strstr(s, "...")); /* nothing was left out */
    free(s);
}

static void test_ladder_tcp_opts_too_long_end_in_ellipsis_after_whole_option(void **st)
{
    (void)st;
    struct tcpsim_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
    o.mss = 1460;
    o.ts_val = 4294967295u;
    o.wscale = 7;
    char b[80];
    assert_string_equal(tcpsim__report_tcp_opts(&o, b, sizeof b),
                        "<mss 1460,sackOK,TS val 4294967295 ecr 0,nop,wscale 7>");
    char small[30];
    assert_string_equal(tcpsim__report_tcp_opts(&o, small, sizeof small), "<mss 1460,sackOK,...>");
    char tiny[7];
    assert_string_equal(tcpsim__report_tcp_opts(&o, tiny, sizeof tiny), "<...>");
}

static void feed_synrcvd(const struct tcpsim_tl_sink *k)
{
    emit_begin(k);
    ev_state(k, TCPSIM_SIDE_SERVER, 0, TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_WHY_SYN_IN_LISTEN);
    ev_state(k, TCPSIM_SIDE_SERVER, 5, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_ESTABLISHED, TCPSIM_WHY_ACK_OF_SYNACK);
    ev_state(k, TCPSIM_SIDE_CLIENT, 9, TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED, TCPSIM_WHY_SYNACK_ACKS_SYN);
}

/* The longest state name beside the server's lifeline keeps a gap before the
 * reason, and every reason starts in the same column. */
static void test_ladder_state_name_never_runs_into_reason(void **st)
{
    (void)st;
    char *s = ladder_of(feed_synrcvd, NULL);
    char *a = line_with(s, "SYN_RECEIVED"), *b = line_with(s, "ESTABLISHED   server"),
         *c = line_with(s, "client: SYN-ACK");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    const char *ra = strstr(a, "server:"), *rb = strstr(b, "server:"), *rc = strstr(c, "client:");
    assert_non_null(ra);
    assert_true(ra[-1] == ' ' && ra[-2] == ' '); /* "SYN_RECEIVED  server:" */
    assert_int_equal(ra - a, rb - b);
    assert_int_equal(ra - a, rc - c);
    free(a);
    free(b);
    free(c);
    free(s);
}

/* Replay's order: a frame, then the transitions it caused at both ends, all
 * at the capture time. */
static void replay_frame(const struct tcpsim_tl_sink *k, uint64_t frame, enum tcpsim_side from,
                         const struct tcpsim_segment *g, tcpsim_time_t at)
{
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_SEGMENT};
    e.u.segment.frame = frame;
    e.u.segment.from = from;
    e.u.segment.seg = g;
    e.u.segment.t_sent = e.u.segment.t_arrived = at;
    e.u.segment.win = g->window;
    tcpsim_tl_emit(k, &e);
}

static void replay_state(const struct tcpsim_tl_sink *k, uint64_t frame, enum tcpsim_side side, tcpsim_time_t at,
                         enum tcpsim_tcp_state from, enum tcpsim_tcp_state to, enum tcpsim_tcp_why why)
{
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_STATE};
    e.u.state.side = side;
    e.u.state.at = at;
    e.u.state.frame = frame;
    e.u.state.from = from;
    e.u.state.to = to;
    e.u.state.why = why;
    tcpsim_tl_emit(k, &e);
}

static void feed_replay_handshake(const struct tcpsim_tl_sink *k)
{
    struct tcpsim_tl_event b = {.kind = TCPSIM_TL_BEGIN};
    b.u.begin.client_label = "client";
    b.u.begin.server_label = "server";
    b.u.begin.client_state = TCPSIM_TCP_CLOSED;
    b.u.begin.server_state = TCPSIM_TCP_LISTEN;
    tcpsim_tl_emit(k, &b);
    static struct tcpsim_segment syn, synack, fin;
    syn = mkseg(TCPSIM_SYN, 1000, 0, 0);
    synack = mkseg(TCPSIM_SYN | TCPSIM_ACK, 5000, 1001, 0);
    fin = mkseg(TCPSIM_FIN | TCPSIM_ACK, 1001, 5001, 0);
    /* in the order replay reports them: the sender's own changes before its
     * segment, the receiver's after it */
    replay_state(k, 1, TCPSIM_SIDE_CLIENT, 100, TCPSIM_TCP_CLOSED, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE);
    replay_frame(k, 1, TCPSIM_SIDE_CLIENT, &syn, 100);
    replay_state(k, 2, TCPSIM_SIDE_SERVER, 200, TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_WHY_SYN_IN_LISTEN);
    replay_frame(k, 2, TCPSIM_SIDE_SERVER, &synack, 200);
    replay_state(k, 2, TCPSIM_SIDE_CLIENT, 200, TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED,
                 TCPSIM_WHY_SYNACK_ACKS_SYN);
    replay_state(k, 3, TCPSIM_SIDE_CLIENT, 300, TCPSIM_TCP_ESTABLISHED, TCPSIM_TCP_FIN_WAIT_1,
                 TCPSIM_WHY_CLOSE_SENDS_FIN);
    replay_frame(k, 3, TCPSIM_SIDE_CLIENT, &fin, 300);
    replay_state(k, 3, TCPSIM_SIDE_SERVER, 300, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_CLOSE_WAIT,
                 TCPSIM_WHY_FIN_RECEIVED);
}

/* At one instant the ladder keeps the order the producer reports: replay
 * gives the sender's own change (SYN_SENT by sending the SYN) before its
 * segment and the receiver's after it (RFC 9293 figure 6), and the ladder
 * draws them above and below the arrow in that order. */
static void test_ladder_replay_sender_state_above_arrow_receiver_below(void **st)
{
    (void)st;
    char *s = ladder_of(feed_replay_handshake, NULL);
    const char *syn_sent = strstr(s, "SYN_SENT |"), *syn = strstr(s, "- SYN seq=1000");
    const char *synrcvd = strstr(s, "| SYN_RECEIVED"), *synack = strstr(s, "SYN,ACK seq=5000");
    const char *est = strstr(s, "ESTABLISHED |"), *finw = strstr(s, "FIN_WAIT_1 |");
    const char *fin = strstr(s, "FIN,ACK seq=1001"), *cw = strstr(s, "| CLOSE_WAIT");
    assert_true(syn_sent && syn && synrcvd && synack && est && finw && fin && cw);
    assert_true(syn_sent < syn);
    assert_true(synrcvd < synack && synack < est);
    assert_true(finw < fin && fin < cw);
    free(s);
}

static void feed_in_flight(const struct tcpsim_tl_sink *k)
{
    emit_begin(k);
    struct tcpsim_segment fin = mkseg(TCPSIM_FIN | TCPSIM_ACK, 1001, 5001, 0);
    ev_state(k, TCPSIM_SIDE_SERVER, TCPSIM_MSEC(100), TCPSIM_TCP_LISTEN, TCPSIM_TCP_CLOSED, TCPSIM_WHY_CLOSE_LISTEN);
    ev_seg(k, TCPSIM_SIDE_CLIENT, &fin, 0, TCPSIM_MSEC(300), 1, 1, false, false, NULL, 0);
}

/* The word inside an arrival arrow is said in the reader's language, and a
 * wide (Hangul) word keeps the lifelines in their columns. */
static void test_ladder_lang_ko_arrival_arrow_word_korean_and_aligned(void **st)
{
    (void)st;
    char *s = ladder_of(feed_in_flight, "ko");
    assert_null(strstr(s, "arrives"));
    char *l = line_with(s, "FIN,ACK seq=1 ack=1 \xeb\x8f\x84\xec\xb0\xa9"); /* 도착 */
    assert_non_null(l);
    char *first = line_with(s, "FIN,ACK seq=1 ack=1 len=0");
    assert_non_null(first);
    /* the right lifeline: same cell on both rows (Hangul takes two cells, 3 bytes) */
    const char *bar = strrchr(l, '|'), *bar0 = strrchr(first, '|');
    assert_non_null(bar);
    assert_non_null(bar0);
    size_t cells = tcpsim__report_width(l) - tcpsim__report_width(bar);
    size_t cells0 = tcpsim__report_width(first) - tcpsim__report_width(bar0);
    assert_int_equal(cells, cells0);
    free(first);
    free(l);
    free(s);
    s = ladder_of(feed_in_flight, "en");
    assert_non_null(strstr(s, "FIN,ACK seq=1 ack=1 arrives"));
    free(s);
}

/* DOT with --lang ko: the legend and this run's edge labels in Korean. */
static void test_dot_lang_ko_legend_and_edge_labels_korean(void **st)
{
    (void)st;
    char *s = render_i18n(TCPSIM_VIEW_DOT, "ko");
    assert_null(strstr(s, "blue:"));
    assert_null(strstr(s, "label=\"client"));
    assert_non_null(
        strstr(s, "label=\"\xed\x81\xb4\xeb\x9d\xbc\xec\x9d\xb4\xec\x96\xb8\xed\x8a\xb8\"")); /* 클라이언트 */
    free(s);
    s = render_i18n(TCPSIM_VIEW_DOT, "en");
    assert_non_null(strstr(s, "blue: client"));
    assert_non_null(strstr(s, "label=\"client\""));
    free(s);
}

/* A segment ACKed in TIME_WAIT has its own reason (RFC 9293 3.10.7.4: ACK it
 * and restart 2*MSL), not "data after the peer's FIN: ignored". */
static void test_why_time_wait_segment_acked_own_words_and_rule(void **st)
{
    (void)st;
    enum tcpsim_tcp_why w = TCPSIM_WHY_TIME_WAIT_SEGMENT_ACKED;
    assert_string_equal(tcpsim__report_why_rule(w), "RFC 9293 3.10.7.4");
    assert_string_equal(tcpsim_i18n_why(TCPSIM_LANG_EN, w), "segment in TIME_WAIT: ACK sent, 2*MSL restarted");
    const char *ko = tcpsim_i18n_why(TCPSIM_LANG_KO, w);
    assert_non_null(strstr(ko, "TIME_WAIT"));
    assert_non_null(strstr(ko, "2*MSL"));
    assert_string_not_equal(ko, tcpsim_i18n_why(TCPSIM_LANG_EN, w));
    assert_string_not_equal(ko, tcpsim_i18n_why(TCPSIM_LANG_KO, TCPSIM_WHY_TEXT_AFTER_FIN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ladder_lang_ko_reasons_notes_tls_headings_korean),
        cmocka_unit_test(test_ladder_lang_en_and_unknown_keep_english),
        cmocka_unit_test(test_html_lang_ko_page_in_korean_by_factory),
        cmocka_unit_test(test_json_stays_english_with_lang_ko),
        cmocka_unit_test(test_i18n_tls_every_explain_id_has_words_in_both_languages),
        cmocka_unit_test(test_ladder_ascii_has_no_utf8),
        cmocka_unit_test(test_ladder_lost_segment_ends_in_cross),
        cmocka_unit_test(test_ladder_arrows_point_to_the_receiver),
        cmocka_unit_test(test_ladder_state_written_on_own_side),
        cmocka_unit_test(test_ladder_absolute_shows_raw_numbers),
        cmocka_unit_test(test_ladder_tls_item_under_its_arrow),
        cmocka_unit_test(test_ladder_color_only_when_asked),
        cmocka_unit_test(test_ladder_state_row_carries_reason_and_rule),
        cmocka_unit_test(test_ladder_brief_hides_reasons_notes_options),
        cmocka_unit_test(test_ladder_syn_options_in_packetdrill_notation),
        cmocka_unit_test(test_ladder_in_flight_arrow_rows_stay_in_time_order),
        cmocka_unit_test(test_ladder_tls_explanation_right_of_item),
        cmocka_unit_test(test_mermaid_structure_one_arrow_per_segment),
        cmocka_unit_test(test_json_segment_carries_the_transition_it_caused),
        cmocka_unit_test(test_json_user_call_is_a_state_line),
        cmocka_unit_test(test_json_conn_lists_every_state),
        cmocka_unit_test(test_json_escapes_strings),
        cmocka_unit_test(test_mermaid_lost_segment_uses_cross),
        cmocka_unit_test(test_dot_draws_all_states_and_highlights_taken),
        cmocka_unit_test(test_analysis_name_every_bit_named),
        cmocka_unit_test(test_format_parse_known_and_unknown),
        cmocka_unit_test(test_flags_wireshark_order),
        cmocka_unit_test(test_ladder_long_options_wrap_whole_tokens),
        cmocka_unit_test(test_ladder_tcp_opts_too_long_end_in_ellipsis_after_whole_option),
        cmocka_unit_test(test_ladder_state_name_never_runs_into_reason),
        cmocka_unit_test(test_ladder_replay_sender_state_above_arrow_receiver_below),
        cmocka_unit_test(test_ladder_lang_ko_arrival_arrow_word_korean_and_aligned),
        cmocka_unit_test(test_dot_lang_ko_legend_and_edge_labels_korean),
        cmocka_unit_test(test_why_time_wait_segment_acked_own_words_and_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
