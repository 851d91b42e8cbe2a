/* sim-example.c - using libtcpsim's simulator from C: build a scenario from
 * DSL text, override a parameter, step it while watching the endpoints, and
 * print a ladder. Compiled and run by the test suite (tests/sim), so it stays
 * correct. Read first: include/tcpsim/sim.h, docs/scenarios.md. */
#include <stdio.h>

#include "tcpsim/report.h"
#include "tcpsim/sim.h"

static const char *state_name(enum tcpsim_tcp_state s)
{
    static const char *const n[] = {"CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
                                    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

int main(void)
{
    const char *text = "describe \"a handshake over a slow link, then a short request\"\n"
                       "at 0 server listen\n"
                       "at 0 client connect\n"
                       "on client ESTABLISHED client send \"GET / HTTP/1.0\"\n";
    char err[256];
    struct tcpsim_scenario *sc;
    if (tcpsim_scenario_parse(text, "example", &sc, err, sizeof err) != TCPSIM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (tcpsim_scenario_set(sc, "delay", "40ms", err, sizeof err) != TCPSIM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.ascii = true;
    struct tcpsim_ladder *ladder = tcpsim_ladder_new(stdout, &o);
    struct tcpsim_tl_sink sink = tcpsim_ladder_sink(ladder);

    struct tcpsim_sim *sim;
    if (tcpsim_sim_new(sc, 0, &sim) != TCPSIM_OK)
        return 1;
    tcpsim_sim_set_sink(sim, &sink);
    unsigned steps = 0;
    while (tcpsim_sim_step(sim))
        steps++;
    printf("%u steps, %.3f s of virtual time\n", steps, (double)tcpsim_sim_now(sim) / 1e6);
    printf("client %s, server %s, server read %llu bytes\n",
           state_name(tcpsim_sim_endpoint(sim, TCPSIM_SIDE_CLIENT)->state),
           state_name(tcpsim_sim_endpoint(sim, TCPSIM_SIDE_SERVER)->state),
           (unsigned long long)tcpsim_sim_bytes_read(sim, TCPSIM_SIDE_SERVER));
    tcpsim_sim_free(sim);
    tcpsim_ladder_free(ladder);
    tcpsim_scenario_free(sc);
    return 0;
}
