/* scenario.c - the scenario DSL (one statement per line) and the built-in
 * scenarios written in it. The DSL is documented in docs/scenarios.md.
 * Read first: RFC 9293 §3.5 and §3.6 (what the scenarios show). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

/* ---- built-ins: a few declarative lines each ---- */
static const struct builtin {
    const char *name, *desc, *text;
} builtins[] = {
    {"handshake", "three-way handshake: SYN, SYN-ACK, ACK (RFC 9293 3.5)",
     "at 0 server listen\n"
     "at 0 client connect\n"},
    {"close-client-first", "handshake, then the client closes first and waits in TIME_WAIT (RFC 9293 3.6)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED +50ms client close\n"
     "on server CLOSE_WAIT +20ms server close\n"},
    {"close-server-first", "handshake, then the server closes first and waits in TIME_WAIT (RFC 9293 3.6)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on server ESTABLISHED +50ms server close\n"
     "on client CLOSE_WAIT +20ms client close\n"},
    {"simultaneous-open", "both sides send a SYN at once: SYN_SENT -> SYN_RECEIVED on both (RFC 9293 3.5, figure 8)",
     "set delay 20ms\n"
     "at 0 client connect\n"
     "at 0 server connect\n"},
    {"simultaneous-close", "both sides close at once: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both (RFC 9293 3.6)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on server ESTABLISHED +50ms server close\n"
     "on client ESTABLISHED +60ms client close\n"},
    {"half-close",
     "the client shuts down its sending side and keeps reading what the server still sends (RFC 9293 3.6)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED +10ms client send 100\n"
     "on client ESTABLISHED +20ms client shutdown\n"
     "on server CLOSE_WAIT +10ms server send 3000\n"
     "on server CLOSE_WAIT +60ms server close\n"},
    {"refused", "SYN to a port nobody listens on: RST,ACK and connection refused (RFC 9293 3.10.7.1)",
     "at 0 client connect\n"},
    {"abort", "the server aborts an established connection: RST, both sides CLOSED (RFC 9293 3.10.5)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED +10ms client send 500\n"
     "on server got 1 +20ms server abort\n"},
    {"syn-lost", "the first two SYNs are lost: retransmission after 1 s, then 2 s (RFC 6298 5.5 backoff)",
     "fault drop client SYN #1\n"
     "fault drop client SYN #2\n"
     "at 0 server listen\n"
     "at 0 client connect\n"},
    {"synack-lost", "the SYN-ACK is lost: both sides retransmit after their RTO (RFC 9293 3.10.8, RFC 6298)",
     "fault drop server SYN,ACK #1\n"
     "at 0 server listen\n"
     "at 0 client connect\n"},
    {"fin-lost", "the client's FIN is lost and retransmitted after the RTO (RFC 9293 3.10.8)",
     "fault drop client FIN #1\n"
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED +50ms client close\n"
     "on server CLOSE_WAIT +20ms server close\n"},
    {"data-transfer",
     "4000 bytes with MSS 536: 524 bytes per segment (the 12-byte timestamp option takes the rest, RFC 6691), "
     "one lost and retransmitted (RFC 9293 3.8, RFC 6298)",
     "set mss 536\n"
     "fault drop client data #3\n"
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED +10ms client send 4000\n"
     "on server got 1 +10ms server send 200\n"
     "on client got 1 +10ms client close\n"
     "on server CLOSE_WAIT +10ms server close\n"},
    {"time-wait",
     "why TIME_WAIT (RFC 9293 3.6): a lost final ACK, then an old delayed segment meets the next connection on "
     "the same ports",
     "set msl 2s\n"
     "# RFC 7323 PAWS would also reject the old copy by its timestamp: off, to see what TIME_WAIT alone does\n"
     "set timestamps off\n"
     "# the client's 4th segment with ACK is its final ACK: lost, so the server retransmits its FIN\n"
     "fault drop client ACK #4\n"
     "# a copy of the old request stays in the network for 1.3 s (RFC 9293 3.4.1: up to MSL)\n"
     "fault dup client data #1 1.3s\n"
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED +10ms client send \"GET /old\"\n"
     "on client ESTABLISHED +50ms client close\n"
     "on server CLOSE_WAIT +20ms server close\n"
     "# a new connection on the same 4-tuple, with the same ISN (as a careless ISN generator would pick)\n"
     "on server CLOSED server listen\n"
     "on server CLOSED +50ms client connect isn +0\n"
     "at 1345ms client send \"GET /new\"\n"
     "at 1600ms client close\n"
     "at 1700ms server close\n"
     "variant without-TIME_WAIT timewait off\n"},
    {"tls-before-tcp",
     "a ClientHello sent before the connection exists is refused (SEND in CLOSED, RFC 9293 3.10.2), then sent in order",
     "at 0 server listen\n"
     "at 0 client send tls12-client-hello\n"
     "at 5ms client connect\n"
     "on client ESTABLISHED client send tls12-client-hello\n"
     "on server got 1 server send tls12-server-hello\n"
     "on client got 1 +10ms client close\n"
     "on server CLOSE_WAIT server close\n"},
    {"tls12-handshake", "TCP handshake, then a TLS 1.2 handshake (RSA key exchange) and close (RFC 5246 7.3)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED client send tls12-client-hello\n"
     "on server got 1 server send tls12-server-hello\n"
     "on client got 1 client send tls12-client-finish\n"
     "on server got 2 server send tls12-server-finish\n"
     "on client got 2 +20ms client close\n"
     "on server CLOSE_WAIT server close\n"},
    {"tls12-ecdhe-handshake",
     "TCP handshake, then a TLS 1.2 handshake with ECDHE key exchange and close (RFC 5246 7.3, RFC 8422)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED client send tls12-client-hello\n"
     "on server got 1 server send tls12-ecdhe-server-hello\n"
     "on client got 1 client send tls12-ecdhe-client-finish\n"
     "on server got 2 server send tls12-server-finish\n"
     "on client got 2 +20ms client close\n"
     "on server CLOSE_WAIT server close\n"},
    {"tls13-handshake", "TCP handshake, then a TLS 1.3 handshake (1-RTT) and close (RFC 8446 2)",
     "at 0 server listen\n"
     "at 0 client connect\n"
     "on client ESTABLISHED client send tls13-client-hello\n"
     "on server got 1 server send tls13-server-hello\n"
     "on client got 1 client send tls13-client-finish\n"
     "on server got 2 +20ms server close\n"
     "on client CLOSE_WAIT client close\n"},
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

size_t tcpsim_scenario_builtin_count(void)
{
    return NBUILTIN;
}
const char *tcpsim_scenario_builtin_name(size_t i)
{
    return i < NBUILTIN ? builtins[i].name : NULL;
}
const char *tcpsim_scenario_builtin_desc(size_t i)
{
    return i < NBUILTIN ? builtins[i].desc : NULL;
}
const char *tcpsim_scenario_builtin_text(size_t i)
{
    return i < NBUILTIN ? builtins[i].text : NULL;
}

void tcpsim__sim_params_default(struct sim_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->delay = TCPSIM_MSEC(10);
    p->msl = TCPSIM_SEC(5); /* short so ladders stay readable; RFC 9293 suggests 2 min */
    p->until = TCPSIM_SEC(600);
    p->mss = 1460;
    p->isn[0] = 1000;
    p->isn[1] = 5000;
    p->timewait = true;
    p->autoread = true;
    p->timestamps = true;
}

static void errf(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || x > max)
        return false;
    *v = x;
    return true;
}

static bool parse_prob(const char *s, double *v)
{
    if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
        return false;
    char *end;
    double x = strtod(s, &end);
    if (*end || !(x >= 0.0 && x <= 1.0))
        return false;
    *v = x;
    return true;
}

static bool parse_onoff(const char *s, bool *v)
{
    if (!s)
        return false;
    if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
        *v = true;
    else if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
        *v = false;
    else
        return false;
    return true;
}

static enum tcpsim_err set_param(struct sim_params *p, const char *key, const char *val, char *err, size_t cap)
{
    uint64_t u;
    if (!key || !val) {
        errf(err, cap, "expected a parameter name and a value");
        return TCPSIM_ERR_INVALID;
    }
#define DUR(name, field)                                                                                               \
    if (!strcmp(key, name)) {                                                                                          \
        if (!tcpsim_parse_duration(val, &p->field)) {                                                                  \
            errf(err, cap,                                                                                             \
                 "%s: expected a non-negative duration with a unit (us, ms, s, m) such as 20ms, "                      \
                 "got '%s'",                                                                                           \
                 name, val);                                                                                           \
            return TCPSIM_ERR_INVALID;                                                                                 \
        }                                                                                                              \
        return TCPSIM_OK;                                                                                              \
    }
#define PROB(name, field)                                                                                              \
    if (!strcmp(key, name)) {                                                                                          \
        if (!parse_prob(val, &p->field)) {                                                                             \
            errf(err, cap, "%s: expected a probability between 0 and 1 such as 0.05, got '%s'", name, val);            \
            return TCPSIM_ERR_INVALID;                                                                                 \
        }                                                                                                              \
        return TCPSIM_OK;                                                                                              \
    }
#define ONOFF(name, field)                                                                                             \
    if (!strcmp(key, name)) {                                                                                          \
        if (!parse_onoff(val, &p->field)) {                                                                            \
            errf(err, cap, "%s: expected on or off, got '%s'", name, val);                                             \
            return TCPSIM_ERR_INVALID;                                                                                 \
        }                                                                                                              \
        return TCPSIM_OK;                                                                                              \
    }
    DUR("delay", delay)
    DUR("jitter", jitter)
    DUR("msl", msl)
    DUR("until", until)
    PROB("loss", loss)
    PROB("dup", dup)
    PROB("reorder", reorder)
    ONOFF("ipv6", ipv6)
    ONOFF("timewait", timewait)
    ONOFF("autoread", autoread)
    ONOFF("timestamps", timestamps)
#undef DUR
#undef PROB
#undef ONOFF
    if (!strcmp(key, "seed")) {
        if (!parse_u64(val, UINT64_MAX, &p->seed)) {
            errf(err, cap, "seed: expected a non-negative integer, got '%s'", val);
            return TCPSIM_ERR_INVALID;
        }
        return TCPSIM_OK;
    }
    if (!strcmp(key, "mss")) {
        /* RFC 9293 3.7.1: 536 is the IPv4 default; below 64 nothing useful fits */
        if (!parse_u64(val, 65495, &u) || u < 64) {
            errf(err, cap, "mss: expected an integer between 64 and 65495, got '%s'", val);
            return TCPSIM_ERR_INVALID;
        }
        p->mss = (uint16_t)u;
        return TCPSIM_OK;
    }
    if (!strcmp(key, "isn-client") || !strcmp(key, "isn-server")) {
        if (!parse_u64(val, UINT32_MAX, &u)) {
            errf(err, cap, "%s: expected an integer between 0 and 4294967295, got '%s'", key, val);
            return TCPSIM_ERR_INVALID;
        }
        p->isn[key[4] == 'c' ? 0 : 1] = (uint32_t)u;
        return TCPSIM_OK;
    }
    errf(err, cap,
         "unknown parameter '%s' (expected seed, delay, jitter, loss, dup, reorder, mss, isn-client, isn-server, "
         "msl, ipv6, timewait, autoread, timestamps or until)",
         key);
    return TCPSIM_ERR_INVALID;
}

enum tcpsim_err tcpsim_scenario_set(struct tcpsim_scenario *sc, const char *key, const char *value, char *err,
                                    size_t errcap)
{
    if (!sc)
        return TCPSIM_ERR_INVALID;
    return set_param(&sc->p, key, value, err, errcap);
}

/* ---- the parser ---- */
#define MAX_TOK 16

/* Split a line into tokens; "double quoted" text is one token (quotes
 * removed, no escapes). A word starting with '#' begins a comment unless it is
 * a segment number such as "#2". */
static int tokenize(char *line, char **tok, int max, bool *bad_quote)
{
    int n = 0;
    char *p = line;
    *bad_quote = false;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || (*p == '#' && !isdigit((unsigned char)p[1])))
            break;
        if (n == max)
            return -1;
        if (*p == '"') {
            char *q = strchr(p + 1, '"');
            if (!q) {
                *bad_quote = true;
                return -1;
            }
            *q = '\0';
            tok[n++] = p + 1;
            p = q + 1;
            continue;
        }
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static bool parse_side(const char *s, enum tcpsim_side *side)
{
    if (s && !strcmp(s, "client"))
        *side = TCPSIM_SIDE_CLIENT;
    else if (s && !strcmp(s, "server"))
        *side = TCPSIM_SIDE_SERVER;
    else
        return false;
    return true;
}

static bool parse_state(const char *s, enum tcpsim_tcp_state *st)
{
    static const char *const names[TCPSIM_TCP_NSTATES] = {"CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
                                                          "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                                          "CLOSING",     "LAST_ACK",   "TIME_WAIT"};
    for (int i = 0; i < TCPSIM_TCP_NSTATES; i++)
        if (s && !strcmp(s, names[i])) {
            *st = (enum tcpsim_tcp_state)i;
            return true;
        }
    return false;
}

static bool parse_flags(const char *s, uint8_t *flags, bool *data)
{
    static const struct {
        const char *n;
        uint8_t f;
    } fl[] = {{"FIN", TCPSIM_FIN}, {"SYN", TCPSIM_SYN}, {"RST", TCPSIM_RST}, {"PSH", TCPSIM_PSH}, {"ACK", TCPSIM_ACK}};
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    *flags = 0;
    *data = false;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool ok = false;
        if (!strcmp(t, "data")) {
            *data = ok = true;
        }
        for (size_t i = 0; i < sizeof fl / sizeof fl[0] && !ok; i++)
            if (!strcmp(t, fl[i].n)) {
                *flags |= fl[i].f;
                ok = true;
            }
        if (!ok)
            return false;
    }
    return true;
}

/* "#3" -> 3; "first" -> 1; "last" -> last */
static bool parse_nth(const char *t, struct sim_fault *f)
{
    uint64_t u;
    if (!strcmp(t, "first")) {
        f->nth = 1;
        return true;
    }
    if (!strcmp(t, "last")) {
        f->last = true;
        return true;
    }
    if (t[0] != '#' || !parse_u64(t + 1, 1000000, &u) || u == 0)
        return false;
    f->nth = (unsigned)u;
    return true;
}

#define FAULT_SYNTAX "'drop|delay|dup [client|server][#N] [FLAGS] [#N|first|last] [DURATION]'"

/* The words of a fault may come in any order after the kind: a side
 * (optionally with its number glued on, "server#2"), flags, which one, and
 * for delay/dup a duration. Defaults: either side, any segment, the first. */
bool tcpsim__fault_parse(char **tok, int n, struct sim_fault *f, char *err, size_t cap)
{
    memset(f, 0, sizeof *f);
    f->any_side = true;
    f->nth = 1;
    if (n < 1) {
        errf(err, cap, "fault: expected %s", FAULT_SYNTAX);
        return false;
    }
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(f->spec + used, sizeof f->spec - used, "%s%s", i ? " " : "", tok[i]);
        if (w > 0 && (size_t)w < sizeof f->spec - used)
            used += (size_t)w;
    }
    if (!strcmp(tok[0], "drop"))
        f->kind = SIM_FAULT_DROP;
    else if (!strcmp(tok[0], "delay"))
        f->kind = SIM_FAULT_DELAY;
    else if (!strcmp(tok[0], "dup"))
        f->kind = SIM_FAULT_DUP;
    else {
        errf(err, cap, "fault: expected drop, delay or dup, got '%s'", tok[0]);
        return false;
    }
    bool have_side = false, have_flags = false, have_nth = false, have_t = false;
    for (int i = 1; i < n; i++) {
        const char *t = tok[i];
        char side[16];
        size_t sl = strcspn(t, "#");
        if (sl < sizeof side) {
            memcpy(side, t, sl);
            side[sl] = '\0';
        } else {
            side[0] = '\0';
        }
        if (parse_side(side, &f->side)) {
            if (have_side) {
                errf(err, cap, "fault: more than one side ('%s')", t);
                return false;
            }
            have_side = true;
            f->any_side = false;
            if (t[sl] == '#') {
                if (have_nth || !parse_nth(t + sl, f)) {
                    errf(err, cap, "fault: expected SIDE#N with N >= 1, such as server#2, got '%s'", t);
                    return false;
                }
                have_nth = true;
            }
            continue;
        }
        if (t[0] == '#' || !strcmp(t, "first") || !strcmp(t, "last")) {
            if (have_nth || !parse_nth(t, f)) {
                errf(err, cap, "fault: expected which segment as #N (N >= 1), first or last, got '%s'", t);
                return false;
            }
            have_nth = true;
            continue;
        }
        if (isupper((unsigned char)t[0]) || !strncmp(t, "data", 4)) {
            if (have_flags || !parse_flags(t, &f->flags, &f->data)) {
                errf(err, cap, "fault: expected flags such as SYN, FIN, ACK, SYN,ACK or data, got '%s'", t);
                return false;
            }
            have_flags = true;
            continue;
        }
        const char *d = t[0] == '+' ? t + 1 : t;
        if (f->kind != SIM_FAULT_DROP && !have_t && tcpsim_parse_duration(d, &f->t)) {
            have_t = true;
            continue;
        }
        if (f->kind == SIM_FAULT_DROP)
            errf(err, cap, "fault: unexpected '%s' (expected %s)", t, FAULT_SYNTAX);
        else
            errf(err, cap, "fault: expected a duration such as 300ms, got '%s'", t);
        return false;
    }
    if (f->kind == SIM_FAULT_DELAY && !have_t) {
        errf(err, cap, "fault delay: expected how long, such as 300ms");
        return false;
    }
    return true;
}

enum tcpsim_err tcpsim_scenario_add_fault(struct tcpsim_scenario *sc, const char *spec, char *err, size_t cap)
{
    if (!sc || !spec)
        return TCPSIM_ERR_INVALID;
    if (sc->nfault == SIM_MAX_FAULTS) {
        errf(err, cap, "fault '%s': at most %d faults", spec, SIM_MAX_FAULTS);
        return TCPSIM_ERR_PARSE;
    }
    char buf[256], *tok[MAX_TOK];
    bool bad_quote;
    snprintf(buf, sizeof buf, "%s", spec);
    int n = tokenize(buf, tok, MAX_TOK, &bad_quote);
    char m[200];
    if (n < 0) {
        errf(err, cap, "fault '%s': too many words", spec);
        return TCPSIM_ERR_PARSE;
    }
    if (!tcpsim__fault_parse(tok, n, &sc->fault[sc->nfault], m, sizeof m)) {
        errf(err, cap, "fault '%s': %s", spec, m + (strncmp(m, "fault: ", 7) ? 0 : 7));
        return TCPSIM_ERR_PARSE;
    }
    sc->nfault++;
    return TCPSIM_OK;
}

#define PERR(...)                                                                                                      \
    do {                                                                                                               \
        char m_[256];                                                                                                  \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                                          \
        errf(err, cap, "%s, line %u: %s", name, line, m_);                                                             \
        return TCPSIM_ERR_PARSE;                                                                                       \
    } while (0)

static enum tcpsim_err parse_action(struct sim_rule *r, char **tok, int n, const char *name, unsigned line, char *err,
                                    size_t cap)
{
    if (n < 2)
        PERR("expected a side and an action, such as 'client connect'");
    if (!parse_side(tok[0], &r->side))
        PERR("expected a side (client or server), got '%s'", tok[0]);
    const char *a = tok[1];
    r->tls = -1;
    int need = 2;
    if (!strcmp(a, "listen") || !strcmp(a, "connect")) {
        r->act = !strcmp(a, "listen") ? SIM_ACT_LISTEN : SIM_ACT_CONNECT;
        if (n == 4 && !strcmp(tok[2], "isn")) {
            const char *v = tok[3];
            uint64_t u;
            r->isn_set = true;
            r->isn_rel = (*v == '+' || *v == '-');
            if (!parse_u64(r->isn_rel ? v + 1 : v, UINT32_MAX, &u))
                PERR("isn: expected a number, or +N / -N relative to the first ISN, got '%s'", v);
            r->isn = *v == '-' ? -(int64_t)u : (int64_t)u;
            need = 4;
        }
    } else if (!strcmp(a, "send")) {
        r->act = SIM_ACT_SEND;
        if (n < 3)
            PERR("send: expected a byte count, \"text\" or a TLS flight name");
        uint64_t u;
        int id = tcpsim__tls_flight_id(tok[2]);
        if (id >= 0)
            r->tls = id;
        else if (parse_u64(tok[2], 1u << 20, &u) && u > 0)
            r->nbytes = (size_t)u;
        else if (tok[2][-1] == '"' || strchr(tok[2], ' ') || !isdigit((unsigned char)tok[2][0])) {
            if (!strncmp(tok[2], "tls", 3) && tok[2][-1] != '"')
                PERR("send: unknown TLS flight '%s' (expected e.g. tls12-client-hello)", tok[2]);
            r->text = strdup(tok[2]);
            if (!r->text)
                return TCPSIM_ERR_NOMEM;
        } else {
            PERR("send: expected a byte count between 1 and 1048576, got '%s'", tok[2]);
        }
        need = 3;
    } else if (!strcmp(a, "read")) {
        r->act = SIM_ACT_READ;
    } else if (!strcmp(a, "close")) {
        r->act = SIM_ACT_CLOSE;
    } else if (!strcmp(a, "shutdown")) {
        r->act = SIM_ACT_SHUTDOWN;
    } else if (!strcmp(a, "abort")) {
        r->act = SIM_ACT_ABORT;
    } else {
        PERR("unknown action '%s' (expected listen, connect, send, read, close, shutdown or abort)", a);
    }
    if (n != need)
        PERR("unexpected '%s' after '%s'", tok[need < n ? need : n - 1], a);
    return TCPSIM_OK;
}

static enum tcpsim_err parse_line(struct tcpsim_scenario *sc, char **tok, int n, const char *name, unsigned line,
                                  char *err, size_t cap)
{
    const char *kw = tok[0];
    if (!strcmp(kw, "describe")) {
        if (n != 2)
            PERR("describe: expected one \"quoted\" description");
        free(sc->desc);
        sc->desc = strdup(tok[1]);
        return sc->desc ? TCPSIM_OK : TCPSIM_ERR_NOMEM;
    }
    if (!strcmp(kw, "set")) {
        if (n != 3)
            PERR("set: expected 'set KEY VALUE'");
        char m[200];
        if (set_param(&sc->p, tok[1], tok[2], m, sizeof m) != TCPSIM_OK)
            PERR("%s", m);
        return TCPSIM_OK;
    }
    if (!strcmp(kw, "variant")) {
        if (n != 4)
            PERR("variant: expected 'variant LABEL KEY VALUE'");
        if (sc->nvar == SIM_MAX_VARIANTS)
            PERR("at most %d variants", SIM_MAX_VARIANTS);
        struct sim_params tmp = sc->p;
        char m[200];
        if (set_param(&tmp, tok[2], tok[3], m, sizeof m) != TCPSIM_OK)
            PERR("%s", m);
        struct sim_variant *v = &sc->var[sc->nvar];
        v->label = strdup(tok[1]);
        v->key = strdup(tok[2]);
        v->value = strdup(tok[3]);
        sc->nvar++;
        return (v->label && v->key && v->value) ? TCPSIM_OK : TCPSIM_ERR_NOMEM;
    }
    if (!strcmp(kw, "fault")) {
        if (sc->nfault == SIM_MAX_FAULTS)
            PERR("at most %d faults", SIM_MAX_FAULTS);
        char m[200];
        if (!tcpsim__fault_parse(tok + 1, n - 1, &sc->fault[sc->nfault], m, sizeof m))
            PERR("%s", m);
        sc->nfault++;
        return TCPSIM_OK;
    }
    if (!strcmp(kw, "at") || !strcmp(kw, "on")) {
        if (sc->nrule == SIM_MAX_RULES)
            PERR("at most %d rules", SIM_MAX_RULES);
        struct sim_rule r;
        memset(&r, 0, sizeof r);
        r.line = line;
        int i;
        if (kw[0] == 'a') {
            if (n < 2 || !tcpsim_parse_duration(tok[1], &r.t))
                PERR("at: expected a time such as 0, 20ms or 1.5s, got '%s'", n > 1 ? tok[1] : "");
            r.trig = SIM_TRIG_AT;
            i = 2;
        } else {
            if (n < 3 || !parse_side(tok[1], &r.tside))
                PERR("on: expected a side (client or server), got '%s'", n > 1 ? tok[1] : "");
            if (!strcmp(tok[2], "got")) {
                uint64_t u;
                if (n < 4 || !parse_u64(tok[3], 1000, &u) || u == 0)
                    PERR("on ... got: expected the number of the peer's message (1, 2, ...)");
                r.trig = SIM_TRIG_GOT;
                r.k = (unsigned)u;
                i = 4;
            } else if (parse_state(tok[2], &r.state)) {
                r.trig = SIM_TRIG_STATE;
                i = 3;
            } else {
                PERR("on: expected a state such as ESTABLISHED or 'got N', got '%s'", tok[2]);
            }
            if (i < n && tok[i][0] == '+') {
                if (!tcpsim_parse_duration(tok[i] + 1, &r.t))
                    PERR("on: expected a delay such as +20ms, got '%s'", tok[i]);
                i++;
            }
        }
        enum tcpsim_err e = parse_action(&r, tok + i, n - i, name, line, err, cap);
        if (e != TCPSIM_OK)
            return e;
        sc->rule[sc->nrule++] = r;
        return TCPSIM_OK;
    }
    PERR("unknown statement '%s' (expected describe, set, at, on, fault or variant)", kw);
}

enum tcpsim_err tcpsim_scenario_parse(const char *text, const char *name, struct tcpsim_scenario **out, char *err,
                                      size_t cap)
{
    *out = NULL;
    if (!text)
        return TCPSIM_ERR_INVALID;
    if (!name)
        name = "scenario";
    struct tcpsim_scenario *sc = calloc(1, sizeof *sc);
    if (!sc)
        return TCPSIM_ERR_NOMEM;
    tcpsim__sim_params_default(&sc->p);
    sc->name = strdup(name);
    enum tcpsim_err e = sc->name ? TCPSIM_OK : TCPSIM_ERR_NOMEM;
    unsigned line = 0;
    for (const char *p = text; e == TCPSIM_OK && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        char buf[512];
        if (len >= sizeof buf) {
            errf(err, cap, "%s, line %u: line too long (at most %zu characters)", name, line, sizeof buf - 1);
            e = TCPSIM_ERR_PARSE;
            break;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        char *tok[MAX_TOK];
        bool bad_quote;
        int n = tokenize(buf, tok, MAX_TOK, &bad_quote);
        if (n < 0) {
            errf(err, cap, "%s, line %u: %s", name, line,
                 bad_quote ? "expected a closing '\"'" : "too many words on one line");
            e = TCPSIM_ERR_PARSE;
            break;
        }
        if (n > 0)
            e = parse_line(sc, tok, n, name, line, err, cap);
        p += len;
        if (*p == '\n')
            p++;
    }
    if (e == TCPSIM_OK && sc->nrule == 0) {
        errf(err, cap, "%s: no 'at' or 'on' rule: nothing would happen", name);
        e = TCPSIM_ERR_PARSE;
    }
    if (e != TCPSIM_OK) {
        tcpsim_scenario_free(sc);
        return e;
    }
    *out = sc;
    return TCPSIM_OK;
}

enum tcpsim_err tcpsim_scenario_builtin(const char *name, struct tcpsim_scenario **out, char *err, size_t cap)
{
    *out = NULL;
    for (size_t i = 0; i < NBUILTIN; i++)
        if (name && !strcmp(name, builtins[i].name)) {
            enum tcpsim_err e = tcpsim_scenario_parse(builtins[i].text, builtins[i].name, out, err, cap);
            if (e == TCPSIM_OK && !(*out)->desc) {
                (*out)->desc = strdup(builtins[i].desc);
                if (!(*out)->desc) {
                    tcpsim_scenario_free(*out);
                    *out = NULL;
                    return TCPSIM_ERR_NOMEM;
                }
            }
            return e;
        }
    errf(err, cap, "unknown scenario '%s' (expected one of the names 'tcpsim sim --list' shows)", name ? name : "");
    return TCPSIM_ERR_NOTFOUND;
}

const char *tcpsim_scenario_name(const struct tcpsim_scenario *sc)
{
    return sc->name;
}

const char *tcpsim_scenario_desc(const struct tcpsim_scenario *sc)
{
    return sc->desc ? sc->desc : "";
}

size_t tcpsim_scenario_runs(const struct tcpsim_scenario *sc)
{
    return 1 + sc->nvar;
}

const char *tcpsim_scenario_run_label(const struct tcpsim_scenario *sc, size_t run)
{
    if (run == 0)
        return sc->nvar ? "as specified" : "";
    return run <= sc->nvar ? sc->var[run - 1].label : NULL;
}

void tcpsim_scenario_free(struct tcpsim_scenario *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->nrule; i++)
        free(sc->rule[i].text);
    for (size_t i = 0; i < sc->nvar; i++) {
        free(sc->var[i].label);
        free(sc->var[i].key);
        free(sc->var[i].value);
    }
    free(sc->name);
    free(sc->desc);
    free(sc);
}
