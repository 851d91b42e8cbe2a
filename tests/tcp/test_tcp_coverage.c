/* test_tcp_coverage.c - suite-level guarantee, run after every other group:
 * each of the 11 states is entered and left by some test, and every arrow of
 * RFC 9293 §3.3.2's state diagram (Figure 5, with its notes) is taken.
 * The transitions checked come from fx_asserted_matrix (those some test
 * asserted with expect_trans), not from every transition the fixtures made:
 * a state reached only by fixture setup is not covered. */
#include <string.h>

#include "tcp_test.h"

#define S(x) TCPSIM_TCP_##x
#define N    TCPSIM_TCP_NSTATES

typedef unsigned long matrix_t[N][N];

struct arrow {
    enum tcpsim_tcp_state from, to;
    const char *label; /* the diagram's "event / action" */
};

/* RFC 9293 §3.3.2, Figure 5, arrow by arrow, then the transitions its notes add:
 * note 2 (FIN_WAIT_1 -> TIME_WAIT when a FIN arrives with the ACK of ours) and
 * note 3 (an RST received, or an ABORT, takes any connected state to CLOSED;
 * the SYN_RECEIVED -> LISTEN case of note 1 is an arrow of the figure). */
static const struct arrow diagram[] = {
    {S(CLOSED), S(LISTEN), "passive OPEN / create TCB"},
    {S(CLOSED), S(SYN_SENT), "active OPEN / create TCB, snd SYN"},
    {S(LISTEN), S(SYN_RECEIVED), "rcv SYN / snd SYN,ACK"},
    {S(LISTEN), S(SYN_SENT), "SEND / snd SYN"},
    {S(LISTEN), S(CLOSED), "CLOSE / delete TCB"},
    {S(SYN_SENT), S(SYN_RECEIVED), "rcv SYN / snd SYN,ACK (simultaneous open)"},
    {S(SYN_SENT), S(ESTABLISHED), "rcv SYN,ACK / snd ACK"},
    {S(SYN_SENT), S(CLOSED), "CLOSE / delete TCB"},
    {S(SYN_RECEIVED), S(ESTABLISHED), "rcv ACK of SYN"},
    {S(SYN_RECEIVED), S(FIN_WAIT_1), "CLOSE / snd FIN"},
    {S(SYN_RECEIVED), S(LISTEN), "rcv RST (note 1: after a passive OPEN)"},
    {S(ESTABLISHED), S(FIN_WAIT_1), "CLOSE / snd FIN"},
    {S(ESTABLISHED), S(CLOSE_WAIT), "rcv FIN / snd ACK"},
    {S(FIN_WAIT_1), S(FIN_WAIT_2), "rcv ACK of FIN"},
    {S(FIN_WAIT_1), S(CLOSING), "rcv FIN / snd ACK"},
    {S(FIN_WAIT_1), S(TIME_WAIT), "rcv FIN and ACK of FIN / snd ACK (note 2)"},
    {S(FIN_WAIT_2), S(TIME_WAIT), "rcv FIN / snd ACK"},
    {S(CLOSING), S(TIME_WAIT), "rcv ACK of FIN"},
    {S(TIME_WAIT), S(CLOSED), "timeout = 2MSL / delete TCB"},
    {S(CLOSE_WAIT), S(LAST_ACK), "CLOSE / snd FIN"},
    {S(LAST_ACK), S(CLOSED), "rcv ACK of FIN"},
    {S(SYN_RECEIVED), S(CLOSED), "rcv RST after an active OPEN (notes 1, 3)"},
    {S(ESTABLISHED), S(CLOSED), "rcv RST or ABORT (note 3)"},
    {S(FIN_WAIT_1), S(CLOSED), "rcv RST or ABORT (note 3)"},
    {S(FIN_WAIT_2), S(CLOSED), "rcv RST or ABORT (note 3)"},
    {S(CLOSE_WAIT), S(CLOSED), "rcv RST or ABORT (note 3)"},
    {S(CLOSING), S(CLOSED), "rcv RST (note 3)"},
};
#define NDIAGRAM (sizeof diagram / sizeof diagram[0])

/* Append the strings of a NULL-terminated list to buf (bounded, always terminated). */
static void append(char *buf, size_t cap, size_t *len, const char *const *parts)
{
    for (; *parts != NULL; parts++)
        for (const char *c = *parts; *c != '\0' && *len + 1 < cap; c++)
            buf[(*len)++] = *c;
    buf[*len] = '\0';
}

/* Count the gaps of a transition matrix and describe each in buf: states never
 * entered, states never left, diagram arrows never taken. Self-loops count for
 * neither entering nor leaving. */
static size_t coverage_gaps(const matrix_t m, char *buf, size_t cap)
{
    size_t gaps = 0, len = 0;
    buf[0] = '\0';
    for (int s = 0; s < N; s++) {
        unsigned long in = 0, outn = 0;
        for (int o = 0; o < N; o++) {
            if (o == s)
                continue;
            in += m[o][s];
            outn += m[s][o];
        }
        const char *name = tcpsim_tcp_state_name((enum tcpsim_tcp_state)s);
        if (in == 0) {
            gaps++;
            append(buf, cap, &len, (const char *const[]){"state ", name, " never entered by any test\n", NULL});
        }
        if (outn == 0) {
            gaps++;
            append(buf, cap, &len, (const char *const[]){"state ", name, " never left by any test\n", NULL});
        }
    }
    for (size_t i = 0; i < NDIAGRAM; i++) {
        if (m[diagram[i].from][diagram[i].to] == 0) {
            gaps++;
            append(buf, cap, &len,
                   (const char *const[]){"RFC 9293 3.3.2 transition ", tcpsim_tcp_state_name(diagram[i].from), " -> ",
                                         tcpsim_tcp_state_name(diagram[i].to), " (", diagram[i].label,
                                         ") never taken\n", NULL});
        }
    }
    return gaps;
}

/* The checker itself must be able to fail: an empty matrix misses everything;
 * with every arrow it passes; without the two arrows out of CLOSE_WAIT it names
 * them, CLOSE_WAIT as never left and LAST_ACK as never entered. */
static void test_coverage_checker_names_each_gap(void **st)
{
    (void)st;
    static matrix_t m;
    char buf[4096];
    memset(m, 0, sizeof m);
    assert_int_equal(coverage_gaps(m, buf, sizeof buf), 2 * N + NDIAGRAM); /* empty: everything missing */
    for (size_t i = 0; i < NDIAGRAM; i++)
        m[diagram[i].from][diagram[i].to] = 1;
    m[S(TIME_WAIT)][S(SYN_RECEIVED)] = 1; /* not an arrow: ignored by the arrow check */
    assert_int_equal(coverage_gaps(m, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    m[S(CLOSE_WAIT)][S(LAST_ACK)] = 0;
    m[S(CLOSE_WAIT)][S(CLOSED)] = 0;     /* CLOSE_WAIT now never left */
    m[S(CLOSE_WAIT)][S(CLOSE_WAIT)] = 5; /* a self-loop does not count as leaving */
    assert_int_equal(coverage_gaps(m, buf, sizeof buf), 4);
    assert_non_null(strstr(buf, "state CLOSE_WAIT never left by any test\n"));
    assert_non_null(strstr(buf, "state LAST_ACK never entered by any test\n")); /* only CLOSE_WAIT leads there */
    assert_non_null(strstr(buf, "transition CLOSE_WAIT -> LAST_ACK (CLOSE / snd FIN) never taken\n"));
    assert_non_null(strstr(buf, "transition CLOSE_WAIT -> CLOSED (rcv RST or ABORT (note 3)) never taken\n"));
    assert_null(strstr(buf, "CLOSE_WAIT never entered"));
}

/* What the suite did: must run after every other group (test_tcp.c). */
static void test_suite_every_state_entered_left_and_diagram_covered(void **st)
{
    (void)st;
    char buf[4096];
    size_t gaps = coverage_gaps((const unsigned long(*)[N])fx_asserted_matrix, buf, sizeof buf);
    if (gaps != 0) {
        print_error("the tcp suite leaves %zu gap(s) in the state machine (transitions asserted with "
                    "expect_trans):\n%s",
                    gaps, buf);
        fail();
    }
    unsigned long total = 0, asserted = 0;
    unsigned distinct = 0;
    for (int a = 0; a < N; a++)
        for (int b = 0; b < N; b++) {
            total += fx_trans_matrix[a][b];
            asserted += fx_asserted_matrix[a][b];
            if (fx_asserted_matrix[a][b] != 0)
                distinct++;
            /* an asserted transition was also made, so also recorded */
            assert_true(fx_asserted_matrix[a][b] == 0 || fx_trans_matrix[a][b] != 0);
        }
    print_message("tcp suite: %lu transitions made, %lu asserted, %u distinct asserted from -> to pairs, "
                  "all %zu diagram arrows asserted\n",
                  total, asserted, distinct, NDIAGRAM);
}

const struct CMUnitTest tcp_coverage_tests[] = {
    cmocka_unit_test(test_coverage_checker_names_each_gap),
    cmocka_unit_test(test_suite_every_state_entered_left_and_diagram_covered),
};
const size_t tcp_coverage_tests_n = sizeof tcp_coverage_tests / sizeof tcp_coverage_tests[0];
