/* test_tcp.c - the tcp module's cmocka suite: RFC 9293 endpoint by state
 * (test_tcp_states.c), timers (test_tcp_timers.c), profiles / observe /
 * wraparound / robustness (test_tcp_misc.c), header prediction against the
 * full path (test_tcp_fastpath.c), then the suite's state and
 * transition coverage (test_tcp_coverage.c). */
#include "tcp_test.h"

int main(void)
{
    int fails = 0;
    fails += _cmocka_run_group_tests("tcp_states", tcp_state_tests, tcp_state_tests_n, NULL, NULL);
    fails += _cmocka_run_group_tests("tcp_timers", tcp_timer_tests, tcp_timer_tests_n, NULL, NULL);
    fails += _cmocka_run_group_tests("tcp_misc", tcp_misc_tests, tcp_misc_tests_n, NULL, NULL);
    fails += _cmocka_run_group_tests("tcp_fastpath", tcp_fastpath_tests, tcp_fastpath_tests_n, NULL, NULL);
    /* last: what the groups above made the endpoint do, state by state */
    fails += _cmocka_run_group_tests("tcp_coverage", tcp_coverage_tests, tcp_coverage_tests_n, NULL, NULL);
    return fails;
}
