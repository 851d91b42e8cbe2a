/* state.c - printable names of the RFC 9293 §3.3.2 states and their parser.
 * The names are those of the replay JSON contract (docs/replay-json.md). */
#include <stddef.h>

#include "tcpsim/tcp.h"

const char *tcpsim_tcp_state_name(enum tcpsim_tcp_state s)
{
    switch (s) {
    case TCPSIM_TCP_CLOSED:
        return "CLOSED";
    case TCPSIM_TCP_LISTEN:
        return "LISTEN";
    case TCPSIM_TCP_SYN_SENT:
        return "SYN_SENT";
    case TCPSIM_TCP_SYN_RECEIVED:
        return "SYN_RECEIVED";
    case TCPSIM_TCP_ESTABLISHED:
        return "ESTABLISHED";
    case TCPSIM_TCP_FIN_WAIT_1:
        return "FIN_WAIT_1";
    case TCPSIM_TCP_FIN_WAIT_2:
        return "FIN_WAIT_2";
    case TCPSIM_TCP_CLOSE_WAIT:
        return "CLOSE_WAIT";
    case TCPSIM_TCP_CLOSING:
        return "CLOSING";
    case TCPSIM_TCP_LAST_ACK:
        return "LAST_ACK";
    case TCPSIM_TCP_TIME_WAIT:
        return "TIME_WAIT";
    }
    return "UNKNOWN";
}

/* Compare ignoring case and treating '-' and '_' alike ("syn-received"). */
static bool name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 'a' + 'A');
        if (x == '-')
            x = '_';
        if (x != y)
            return false;
        if (x == '\0')
            return true;
    }
}

bool tcpsim_tcp_state_parse(const char *name, enum tcpsim_tcp_state *s)
{
    if (name == NULL || s == NULL)
        return false;
    /* Linux spellings (TCP_INFO / packetdrill): SYN_RECV, FIN_WAIT1, ... */
    static const struct {
        const char *name;
        enum tcpsim_tcp_state st;
    } alias[] = {
        {"SYN_RECV", TCPSIM_TCP_SYN_RECEIVED}, {"FIN_WAIT1", TCPSIM_TCP_FIN_WAIT_1},
        {"FIN_WAIT2", TCPSIM_TCP_FIN_WAIT_2},  {"CLOSE", TCPSIM_TCP_CLOSED},
        {"SYN_RCVD", TCPSIM_TCP_SYN_RECEIVED}, {"ESTAB", TCPSIM_TCP_ESTABLISHED},
    };
    for (int i = 0; i < TCPSIM_TCP_NSTATES; i++) {
        if (name_eq(name, tcpsim_tcp_state_name((enum tcpsim_tcp_state)i))) {
            *s = (enum tcpsim_tcp_state)i;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
        if (name_eq(name, alias[i].name)) {
            *s = alias[i].st;
            return true;
        }
    }
    return false;
}
