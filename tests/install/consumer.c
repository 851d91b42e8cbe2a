/* consumer.c - a program built against the installed libtcpsim through
 * pkg-config: an active OPEN must emit one SYN and enter SYN_SENT. */
#include <stdio.h>

#include <tcpsim/tcp.h>

int main(void)
{
    struct tcpsim_tcp_config c;
    struct tcpsim_tcp_endpoint ep;
    static struct tcpsim_tcp_out out;
    tcpsim_tcp_config_default(&c, TCPSIM_PROFILE_RFC);
    c.iss = 1000;
    tcpsim_tcp_out_reset(&out);
    if (tcpsim_tcp_init(&ep, &c, 40000, 80) != TCPSIM_OK)
        return 1;
    if (tcpsim_tcp_open(&ep, true, 0, &out) != TCPSIM_OK)
        return 1;
    int ok = ep.state == TCPSIM_TCP_SYN_SENT && out.nseg == 1 && out.seg[0].seg.flags == TCPSIM_SYN &&
             out.seg[0].seg.seq == 1000;
    printf("%s, %zu segment(s)\n", tcpsim_tcp_state_name(ep.state), out.nseg);
    tcpsim_tcp_free(&ep);
    return ok ? 0 : 1;
}
