/* test_script.c - cmocka suite of the script runner: the packetdrill parser
 * (fields, errors with line:column, every truncation of a script), and whole
 * runs through tcpsim_script_run_string asserting on the outcome and report.
 * Read first: docs/scripts.md, include/tcpsim/script.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "script/script_int.h"
#include "tcpsim/script.h"

/* The passive handshake every LISTEN test starts from (Linux defaults, no TS). */
#define PASSIVE_OPEN                                                                                                   \
    "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                                                                  \
    "+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"                                                        \
    "+0  bind(3, ..., ...) = 0\n"                                                                                      \
    "+0  listen(3, 1) = 0\n"                                                                                           \
    "+0  < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"                                                \
    "+0  > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>\n"                                                   \
    "+.1 < . 1:1(0) ack 1 win 257\n"                                                                                   \
    "+0  accept(3, ..., ...) = 4\n"

static struct tcpsim_script_result res;

static enum tcpsim_script_outcome run(const char *text)
{
    return tcpsim_script_run_string(text, "t.pkt", NULL, &res);
}

/* ==================== parser ==================== */

static void test_parse_handshake_events_and_fields(void **state)
{
    (void)state;
    struct ts_script sc;
    struct ts_parse_error pe;
    assert_int_equal(tcpsim__script_parse(PASSIVE_OPEN, &sc, &pe), TCPSIM_OK);
    assert_int_equal(sc.nev, 8);
    assert_int_equal(sc.ev[0].kind, TS_EV_SYSCALL);
    assert_int_equal(sc.ev[0].time.kind, TS_TIME_ABS);
    assert_string_equal(sc.ev[0].u.call.name, "socket");
    assert_int_equal(sc.ev[0].u.call.result, 3);
    const struct ts_packet *syn = &sc.ev[4].u.pkt;
    assert_true(syn->inbound);
    assert_int_equal(syn->flags, TCPSIM_SYN);
    assert_int_equal(syn->win, 32792);
    assert_int_equal(syn->opt_mode, TS_OPTS_LIST);
    assert_int_equal(syn->nopt, 6);
    assert_int_equal(syn->opt[0].kind, TCPSIM_OPT_MSS);
    assert_int_equal(syn->opt[0].v1, 1000);
    assert_int_equal(syn->opt[5].kind, TCPSIM_OPT_WSCALE);
    assert_int_equal(syn->opt[5].v1, 7);
    const struct ts_packet *sa = &sc.ev[5].u.pkt;
    assert_false(sa->inbound);
    assert_int_equal(sa->flags, TCPSIM_SYN | TCPSIM_ACK);
    assert_true(sa->has_ack);
    assert_int_equal(sa->ack, 1);
    assert_false(sa->has_win);
    assert_int_equal(sc.ev[6].time.kind, TS_TIME_REL);
    assert_int_equal(sc.ev[6].time.t, 100000);
    assert_int_equal(sc.ev[6].line, 7);
    tcpsim__script_free(&sc);
}

static void test_parse_time_forms_kinds(void **state)
{
    (void)state;
    struct ts_script sc;
    struct ts_parse_error pe;
    const char *text = "0.25 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "* > S 0:0(0) <...>\n"
                       "1.0~1.5 > S 0:0(0) <...>\n"
                       "+.1~+.2 > S 0:0(0) <...>\n"
                       "+0...0.200 accept(3, ..., ...) = 4\n";
    assert_int_equal(tcpsim__script_parse(text, &sc, &pe), TCPSIM_OK);
    assert_int_equal(sc.nev, 5);
    assert_int_equal(sc.ev[0].time.t, 250000);
    assert_int_equal(sc.ev[1].time.kind, TS_TIME_ANY);
    assert_int_equal(sc.ev[2].time.kind, TS_TIME_RANGE_ABS);
    assert_int_equal(sc.ev[2].time.t_end, 1500000);
    assert_int_equal(sc.ev[3].time.kind, TS_TIME_RANGE_REL);
    assert_int_equal(sc.ev[3].time.t, 100000);
    assert_int_equal(sc.ev[3].time.t_end, 200000);
    assert_true(sc.ev[4].time.has_block);
    assert_int_equal(sc.ev[4].time.block_end, 200000);
    assert_int_equal(sc.ev[1].u.pkt.opt_mode, TS_OPTS_ANY);
    tcpsim__script_free(&sc);
}

static void test_parse_options_sack_ts_values(void **state)
{
    (void)state;
    struct ts_script sc;
    struct ts_parse_error pe;
    const char *text = "0 > . 1:1(0) ack 5 win 9 <nop,nop,TS val 77 ecr 88,nop,nop,sack 10:20 30:40>\n";
    assert_int_equal(tcpsim__script_parse(text, &sc, &pe), TCPSIM_OK);
    const struct ts_packet *k = &sc.ev[0].u.pkt;
    assert_int_equal(k->nopt, 6);
    assert_int_equal(k->opt[2].kind, TCPSIM_OPT_TS);
    assert_int_equal(k->opt[2].v1, 77);
    assert_int_equal(k->opt[2].v2, 88);
    assert_int_equal(k->opt[5].kind, TCPSIM_OPT_SACK);
    assert_int_equal(k->opt[5].nsack, 2);
    assert_int_equal(k->opt[5].sack[1].left, 30);
    assert_int_equal(k->opt[5].sack[1].right, 40);
    tcpsim__script_free(&sc);
}

static void test_parse_syscall_errno_struct_or(void **state)
{
    (void)state;
    struct ts_script sc;
    struct ts_parse_error pe;
    const char *text = "0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
                       "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                       "+0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)\n"
                       "/* a comment\n spanning lines */ +0 %{ assert tcpi_state == TCP_LISTEN }%\n";
    assert_int_equal(tcpsim__script_parse(text, &sc, &pe), TCPSIM_OK);
    assert_int_equal(sc.nev, 4);
    const struct ts_expr *lin = &sc.ex[sc.ev[0].u.call.args[3]];
    assert_int_equal(lin->kind, TS_E_STRUCT);
    const struct ts_expr *f1 = &sc.ex[lin->child];
    assert_string_equal(f1->field, "onoff");
    assert_int_equal(f1->ival, 1);
    assert_int_equal(sc.ex[sc.ev[1].u.call.args[2]].kind, TS_E_OR);
    assert_int_equal(sc.ev[2].u.call.result, -1);
    assert_string_equal(sc.ev[2].u.call.err, "EAGAIN");
    assert_int_equal(sc.ev[3].kind, TS_EV_PYTHON);
    assert_int_equal(sc.ev[3].u.py.n, 1);
    assert_int_equal(sc.ev[3].u.py.a[0].value, 10);
    tcpsim__script_free(&sc);
}

struct bad_case {
    const char *text;
    unsigned line, col;
    const char *needle;
};

static void test_parse_broken_scripts_error_line_col(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < Q 0:0(0)\n", 2, 6, "flags"},
        {"0 < S 0:5(0) win 10\n", 1, 7, "end - start"},
        {"0 < S 0:0(0) <mss 1460,bogus 3>\n", 1, 24, "unsupported TCP option"},
        {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = -1\n", 1, 45, "errno"},
        {"0 close(3) = -1 ENOPE\n", 1, 17, "unknown errno"},
        {"/* never closed\n0 close(3) = 0\n", 1, 1, "never closed"},
        {"0 close(3) = 0\n--tolerance_usecs=5\n", 2, 1, "before the first event"},
        {"x close(3) = 0\n", 1, 1, "time"},
        {"0 %{ print(1) }%\n", 1, 6, "assert"},
        {"0 < S 0:0(0) <...>\n", 1, 1, "outbound"},
        {"* < S 0:0(0)\n", 1, 1, "outbound"},
        {"0.5...0.1 accept(3, ..., ...) = 4\n", 1, 10, "before it starts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ts_script sc;
        struct ts_parse_error pe;
        enum tcpsim_err rc = tcpsim__script_parse(cases[i].text, &sc, &pe);
        print_message("case %zu: %u:%u %s\n", i, pe.line, pe.col, pe.msg);
        assert_int_equal(rc, TCPSIM_ERR_PARSE);
        assert_int_equal(pe.line, cases[i].line);
        assert_int_equal(pe.col, cases[i].col);
        assert_non_null(strstr(pe.msg, cases[i].needle));
        tcpsim__script_free(&sc);
    }
}

static void test_parse_every_truncation_no_crash(void **state)
{
    (void)state;
    const char *full = PASSIVE_OPEN "+0 %{ assert tcpi_state == TCP_ESTABLISHED }%\n"
                                    "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
                                    "+0 > . 1:1(0) ack 1 <nop,nop,TS val 1 ecr 2,sack 1:2>\n"
                                    "`echo hi`\n";
    size_t n = strlen(full);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    unsigned ok = 0, bad = 0;
    for (size_t k = 0; k <= n; k++) {
        memcpy(buf, full, k);
        buf[k] = '\0';
        struct ts_script sc;
        struct ts_parse_error pe;
        enum tcpsim_err rc = tcpsim__script_parse(buf, &sc, &pe);
        assert_true(rc == TCPSIM_OK || rc == TCPSIM_ERR_PARSE);
        if (rc == TCPSIM_OK)
            ok++;
        else {
            bad++;
            assert_true(pe.line >= 1 && pe.col >= 1);
            assert_true(pe.msg[0] != '\0');
        }
        tcpsim__script_free(&sc);
    }
    /* both outcomes must occur: a prefix cut inside a line is an error */
    assert_true(ok > 5);
    assert_true(bad > 5);
    free(buf);
}

/* ==================== runs: outcomes ==================== */

static void test_listen_handshake_passes(void **state)
{
    (void)state;
    assert_int_equal(run(PASSIVE_OPEN "+0 %{ assert tcpi_state == TCP_ESTABLISHED }%\n"), TCPSIM_SCRIPT_PASS);
    assert_int_equal(res.events_run, 9);
    assert_string_equal(res.report, "");
}

static void test_listen_wrong_synack_fails_at_line(void **state)
{
    (void)state;
    const char *text = "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0  < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
                       "+0  > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 5);
    assert_non_null(strstr(res.message, "t.pkt:5:"));
    assert_non_null(strstr(res.message, "options"));
    assert_non_null(strstr(res.report, "expected: > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 6>"));
    assert_non_null(strstr(res.report, "actual:   > S. 0:0(0) ack 1"));
    assert_non_null(strstr(res.report, "SYN_RECEIVED"));
    assert_non_null(strstr(res.report, "last events"));
}

static void test_listen_wrong_ack_number_fails(void **state)
{
    (void)state;
    const char *text = "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0  < S 0:0(0) win 32792\n"
                       "+0  > S. 0:0(0) ack 2 <...>\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 5);
    assert_non_null(strstr(res.message, "ack"));
}

static void test_runner_missing_packet_got_nothing(void **state)
{
    (void)state;
    assert_int_equal(run(PASSIVE_OPEN "+0 > . 1:1(0) ack 1\n"), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 9);
    assert_non_null(strstr(res.message, "got nothing"));
}

static void test_runner_unexpected_packet_expected_nothing(void **state)
{
    (void)state;
    /* the FIN close() sends is not listed before the next call */
    assert_int_equal(run(PASSIVE_OPEN "+0 close(4) = 0\n+.1 read(3, ..., 10) = -1 ENOTCONN\n"), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 10);
    assert_non_null(strstr(res.message, "expected nothing"));
    assert_non_null(strstr(res.report, "actual:   > F. 1:1(0) ack 1"));
}

/* A last line the endpoint answers (close() sends a FIN no line lists): by
 * default a note and a pass, as packetdrill does; with strict_end a failure at
 * the last line that shows the packet. */
static void test_runner_trailing_packet_strict_end_fails(void **state)
{
    (void)state;
    const char *text = PASSIVE_OPEN "+0 close(4) = 0\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_PASS);
    struct tcpsim_script_opts o;
    tcpsim_script_opts_default(&o);
    o.strict_end = true;
    assert_int_equal(tcpsim_script_run_string(text, "t.pkt", &o, &res), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 9);
    assert_non_null(strstr(res.message, "t.pkt:9: expected nothing after the last line (--strict-end)"));
    assert_non_null(strstr(res.report, "actual:   > F. 1:1(0) ack 1"));
    /* listing the FIN makes it pass again */
    assert_int_equal(
        tcpsim_script_run_string(PASSIVE_OPEN "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n", "t.pkt", &o, &res),
        TCPSIM_SCRIPT_PASS);
}

/* A packet sent while the script waits (a retransmission after a partial ACK)
 * fails the next line, even an assert: the final wait of a script ending on an
 * inbound line relies on this. */
static void test_runner_packet_during_final_wait_fails(void **state)
{
    (void)state;
    const char *text = PASSIVE_OPEN "+0 write(4, ..., 1500) = 1500\n"
                                    "+0 > . 1:1001(1000) ack 1\n"
                                    "+0 > P. 1001:1501(500) ack 1\n"
                                    "+.1 < . 1:1(0) ack 1001 win 257\n"
                                    "+1 %{ assert tcpi_state == TCP_ESTABLISHED }%\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 13);
    assert_non_null(strstr(res.message, "expected nothing, got an outbound packet"));
    assert_non_null(strstr(res.report, "actual:   > P. 1001:1501(500) ack 1"));
}

static void test_runner_timing_outside_tolerance_fails(void **state)
{
    (void)state;
    /* the SYN-ACK goes out at 0, the script expects it 50 ms later */
    const char *text = "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0  < S 0:0(0) win 32792 <mss 1000>\n"
                       "+.05 > S. 0:0(0) ack 1 <mss 1460>\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 5);
    assert_non_null(strstr(res.message, "expected at 0.050000"));
}

static void test_runner_tolerance_option_widens_passes(void **state)
{
    (void)state;
    const char *text = "--tolerance_usecs=60000\n"
                       "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0  < S 0:0(0) win 32792 <mss 1000>\n"
                       "+.05 > S. 0:0(0) ack 1 <mss 1460>\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_PASS);
}

static void test_syscall_wrong_errno_fails(void **state)
{
    (void)state;
    const char *text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0 write(3, ..., 10) = -1 ENOTCONN\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 2);
    assert_non_null(strstr(res.message, "returned -1 EPIPE, expected -1 ENOTCONN"));
}

static void test_syscall_linux_errnos_pass(void **state)
{
    (void)state;
    const char *text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0 write(3, ..., 10) = -1 EPIPE (Broken pipe)\n"
                       "+0 read(3, ..., 10) = -1 ENOTCONN (Transport endpoint is not connected)\n"
                       "+0 shutdown(3, SHUT_WR) = -1 ENOTCONN\n"
                       "+0 close(7) = -1 EBADF\n"
                       "+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)\n"
                       "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                       "+0 fcntl(3, F_GETFL) = 0x802\n"
                       "+0 getsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [536], [4]) = 0\n"
                       "+0 close(3) = 0\n"
                       "+0 close(3) = -1 EBADF\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_PASS);
}

static void test_closed_port_syn_rst_ack(void **state)
{
    (void)state;
    assert_int_equal(run("0 < S 0:0(0) win 1000\n+0 > R. 0:0(0) ack 1\n"), TCPSIM_SCRIPT_PASS);
    /* and the same with a wrong expectation fails */
    assert_int_equal(run("0 < S 0:0(0) win 1000\n+0 > R 0:0(0)\n"), TCPSIM_SCRIPT_FAIL);
    assert_non_null(strstr(res.message, "flags"));
}

static void test_python_state_assert_fails_with_names(void **state)
{
    (void)state;
    assert_int_equal(run(PASSIVE_OPEN "+0 %{\nassert tcpi_state == TCP_CLOSE_WAIT\n}%\n"), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 10);
    assert_non_null(strstr(res.message, "TCP_ESTABLISHED"));
    assert_int_equal(run(PASSIVE_OPEN "+0 %{ assert tcpi_state != TCP_CLOSE_WAIT }%\n"), TCPSIM_SCRIPT_PASS);
}

static void test_syntax_error_outcome_error_with_column(void **state)
{
    (void)state;
    assert_int_equal(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0 ack 1\n"), TCPSIM_SCRIPT_ERROR);
    assert_int_equal(res.line, 2);
    assert_int_equal(res.column, 14);
    assert_non_null(strstr(res.message, "t.pkt:2:14: syntax error"));
}

static void test_unsupported_syscall_error(void **state)
{
    (void)state;
    assert_int_equal(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 sendfile(3, 4, 0, 10) = 10\n"),
                     TCPSIM_SCRIPT_ERROR);
    assert_int_equal(res.line, 2);
    assert_non_null(strstr(res.message, "unsupported system call 'sendfile'"));
}

static void test_listen_blocking_accept_returns_on_ack(void **state)
{
    (void)state;
    const char *text = "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0...0.2 accept(3, ..., ...) = 4\n"
                       "+0  < S 0:0(0) win 32792 <mss 1000>\n"
                       "+0  > S. 0:0(0) ack 1 <mss 1460>\n"
                       "+.2 < . 1:1(0) ack 1 win 257\n"
                       "+0  %{ assert tcpi_state == TCP_ESTABLISHED }%\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_PASS);
    /* returning at 0.2 when 0.1 was promised is a failure at the call's line */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    char *p = strstr(buf, "+0...0.2");
    p[7] = '1';
    assert_int_equal(run(buf), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 4);
    assert_non_null(strstr(res.message, "returned at 0.200000, expected at 0.100000"));
}

static void test_listen_nonblocking_accept_eagain(void **state)
{
    (void)state;
    const char *text = "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0  accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_PASS);
}

static void test_runner_never_returning_call_fails(void **state)
{
    (void)state;
    const char *text = "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0  bind(3, ..., ...) = 0\n"
                       "+0  listen(3, 1) = 0\n"
                       "+0  accept(3, ..., ...) = 4\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_FAIL);
    assert_int_equal(res.line, 4);
    assert_non_null(strstr(res.message, "never returned"));
}

static void test_linux_state_mapping_all_states(void **state)
{
    (void)state;
    static const struct {
        enum tcpsim_tcp_state s;
        int v;
        const char *name;
    } m[] = {
        {TCPSIM_TCP_CLOSED, 7, "TCP_CLOSE"},
        {TCPSIM_TCP_LISTEN, 10, "TCP_LISTEN"},
        {TCPSIM_TCP_SYN_SENT, 2, "TCP_SYN_SENT"},
        {TCPSIM_TCP_SYN_RECEIVED, 3, "TCP_SYN_RECV"},
        {TCPSIM_TCP_ESTABLISHED, 1, "TCP_ESTABLISHED"},
        {TCPSIM_TCP_FIN_WAIT_1, 4, "TCP_FIN_WAIT1"},
        {TCPSIM_TCP_FIN_WAIT_2, 5, "TCP_FIN_WAIT2"},
        {TCPSIM_TCP_CLOSE_WAIT, 8, "TCP_CLOSE_WAIT"},
        {TCPSIM_TCP_CLOSING, 11, "TCP_CLOSING"},
        {TCPSIM_TCP_LAST_ACK, 9, "TCP_LAST_ACK"},
        {TCPSIM_TCP_TIME_WAIT, 6, "TCP_TIME_WAIT"},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        assert_int_equal(tcpsim_script_linux_state(m[i].s), m[i].v);
        assert_string_equal(tcpsim_script_linux_state_name(m[i].s), m[i].name);
        int64_t v;
        assert_true(tcpsim__script_const(m[i].name, &v));
        assert_int_equal(v, m[i].v);
    }
}

static void test_run_every_truncation_no_crash(void **state)
{
    (void)state;
    /* every prefix of a script is run through the whole runner: each must end
     * in one of the three outcomes with a message, never crash or hang */
    const char *full = PASSIVE_OPEN "+0 < P. 1:1001(1000) ack 1 win 257\n"
                                    "+0 > . 1:1(0) ack 1001\n"
                                    "+0 read(4, ..., 2000) = 1000\n"
                                    "+0 write(4, ..., 10) = 10\n"
                                    "+0 > P. 1:11(10) ack 1001\n"
                                    "+.1 < F. 1001:1001(0) ack 11 win 257\n"
                                    "+0 > . 11:11(0) ack 1002\n"
                                    "+0 close(4) = 0\n"
                                    "+0 > F. 11:11(0) ack 1002\n"
                                    "+.25 > F. 11:11(0) ack 1002\n"
                                    "+0 %{ assert tcpi_state == TCP_LAST_ACK }%\n";
    size_t n = strlen(full);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    unsigned seen[3] = {0, 0, 0};
    for (size_t k = 0; k <= n; k++) {
        memcpy(buf, full, k);
        buf[k] = '\0';
        enum tcpsim_script_outcome oc = run(buf);
        assert_true(oc == TCPSIM_SCRIPT_PASS || oc == TCPSIM_SCRIPT_FAIL || oc == TCPSIM_SCRIPT_ERROR);
        seen[oc]++;
        if (oc != TCPSIM_SCRIPT_PASS)
            assert_true(res.message[0] != '\0');
    }
    assert_int_equal(run(full), TCPSIM_SCRIPT_PASS);
    assert_true(seen[TCPSIM_SCRIPT_PASS] > 10);
    assert_true(seen[TCPSIM_SCRIPT_FAIL] > 10);
    assert_true(seen[TCPSIM_SCRIPT_ERROR] > 10);
    free(buf);
}

static void test_shell_and_options_skipped_counted(void **state)
{
    (void)state;
    const char *text = "--local_ip=192.168.0.1\n"
                       "--no_such_option=1\n"
                       "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
                       "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "+0 `ip link`\n"
                       "+0 close(3) = 0\n";
    assert_int_equal(run(text), TCPSIM_SCRIPT_PASS);
    assert_int_equal(res.skipped, 4);
    assert_int_equal(res.events_run, 4);
}

static void test_script_file_missing_error(void **state)
{
    (void)state;
    assert_int_equal(tcpsim_script_run_file("/nonexistent/x.pkt", NULL, &res), TCPSIM_SCRIPT_ERROR);
    assert_non_null(strstr(res.message, "/nonexistent/x.pkt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* parser */
        cmocka_unit_test(test_parse_handshake_events_and_fields),
        cmocka_unit_test(test_parse_time_forms_kinds),
        cmocka_unit_test(test_parse_options_sack_ts_values),
        cmocka_unit_test(test_parse_syscall_errno_struct_or),
        cmocka_unit_test(test_parse_broken_scripts_error_line_col),
        cmocka_unit_test(test_parse_every_truncation_no_crash),
        /* runs */
        cmocka_unit_test(test_listen_handshake_passes),
        cmocka_unit_test(test_listen_wrong_synack_fails_at_line),
        cmocka_unit_test(test_listen_wrong_ack_number_fails),
        cmocka_unit_test(test_runner_missing_packet_got_nothing),
        cmocka_unit_test(test_runner_unexpected_packet_expected_nothing),
        cmocka_unit_test(test_runner_trailing_packet_strict_end_fails),
        cmocka_unit_test(test_runner_packet_during_final_wait_fails),
        cmocka_unit_test(test_runner_timing_outside_tolerance_fails),
        cmocka_unit_test(test_runner_tolerance_option_widens_passes),
        cmocka_unit_test(test_syscall_wrong_errno_fails),
        cmocka_unit_test(test_syscall_linux_errnos_pass),
        cmocka_unit_test(test_closed_port_syn_rst_ack),
        cmocka_unit_test(test_python_state_assert_fails_with_names),
        cmocka_unit_test(test_syntax_error_outcome_error_with_column),
        cmocka_unit_test(test_unsupported_syscall_error),
        cmocka_unit_test(test_listen_blocking_accept_returns_on_ack),
        cmocka_unit_test(test_listen_nonblocking_accept_eagain),
        cmocka_unit_test(test_runner_never_returning_call_fails),
        cmocka_unit_test(test_linux_state_mapping_all_states),
        cmocka_unit_test(test_run_every_truncation_no_crash),
        cmocka_unit_test(test_shell_and_options_skipped_counted),
        cmocka_unit_test(test_script_file_missing_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
