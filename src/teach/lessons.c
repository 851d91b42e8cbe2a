/* lessons.c - the lessons: which connections to run, and in which order to
 * explain them. TCP lessons are scenarios of the simulator (src/sim, the
 * scenario language of docs/scenarios.md); the TLS lessons run the endpoints
 * through drive.c, which carries per-message TLS explanations in the
 * learner's language (and an ECDHE flight the simulator does not have).
 * The words are in the catalogues (src/teach/catalog/<lang>.txt):
 * <lesson>.title, .intro, .p<N> (part headings), .p<N>.after, .summary, and
 * <lesson>.<side>.<STATE> remarks shown when a side first enters a state.
 * Read first: RFC 9293 §3.5, §3.6, RFC 5246 §7.3, RFC 8446 §2. */
#include <string.h>

#include "tcpsim/sim.h"
#include "teach/teach_int.h"

#define C TCPSIM_SIDE_CLIENT
#define S TCPSIM_SIDE_SERVER
#define ACT(side, op, when, at, n)                                                                                     \
    {                                                                                                                  \
        side, TCPSIM__OP_##op, TCPSIM__WHEN_##when, at, n, {{0}}, 0, 0                                                 \
    }
#define LISTEN_NOW  ACT(S, OPEN_PASSIVE, TIME, 0, 0)
#define CONNECT_NOW ACT(C, OPEN_ACTIVE, TIME, 0, 0)
#define HS(name, len, key)                                                                                             \
    {                                                                                                                  \
        "handshake", name, key, len                                                                                    \
    }
#define CCS                                                                                                            \
    {                                                                                                                  \
        "change_cipher_spec", NULL, "tls.ChangeCipherSpec", 6                                                          \
    }
#define APP(len, key)                                                                                                  \
    {                                                                                                                  \
        "application_data", NULL, key, len                                                                             \
    }

/* ---- TCP lessons: scenarios for the simulator ---- */
static const char dsl_handshake[] = "at 0 server listen\n"
                                    "at 0 client connect\n";
/* the client sends a request and half-closes; the server answers in
 * CLOSE_WAIT, then closes too (RFC 9293 §3.6 case 1) */
static const char dsl_close[] = "at 0 server listen\n"
                                "at 0 client connect\n"
                                "on client ESTABLISHED client send 100\n"
                                "on client ESTABLISHED +50ms client shutdown\n"
                                "on server CLOSE_WAIT +20ms server send 300\n"
                                "on server CLOSE_WAIT +40ms server close\n";
/* the client's third ACK (the one that answers the server's FIN) is lost;
 * run 1 is the same without TIME_WAIT */
static const char dsl_time_wait[] = "set msl 60s\n"
                                    "fault drop client ACK #3\n"
                                    "at 0 server listen\n"
                                    "at 0 client connect\n"
                                    "on client ESTABLISHED +50ms client close\n"
                                    "on server CLOSE_WAIT +20ms server close\n"
                                    "variant without-TIME_WAIT timewait off\n";
static const char dsl_sim_open[] = "at 0 client connect\n"
                                   "at 0 server connect\n";
static const char dsl_sim_close[] = "at 0 server listen\n"
                                    "at 0 client connect\n"
                                    "at 100ms client close\n"
                                    "at 100ms server close\n";
static const char dsl_refused[] = "at 0 client connect\n";
static const char dsl_abort[] = "at 0 server listen\n"
                                "at 0 client connect\n"
                                "on client ESTABLISHED +50ms client abort\n";
static const char dsl_syn_loss[] = "fault drop client SYN #1\n"
                                   "fault drop client SYN #2\n"
                                   "at 0 server listen\n"
                                   "at 0 client connect\n";
static const char dsl_tcp_data[] = "fault drop client data #2\n"
                                   "at 0 server listen\n"
                                   "at 0 client connect\n"
                                   "at 100ms client send 100\n"
                                   "at 200ms client send 100\n"
                                   "at 300ms client send 100\n";

/* ---- TLS on top of TCP (sizes are typical of real handshakes) ---- */
static const struct tcpsim__action a_tls_wrong[] = {
    LISTEN_NOW,
    {C, TCPSIM__OP_SEND, TCPSIM__WHEN_TIME, 0, 0, {HS("ClientHello", 517, "tls.ClientHello")}, 1, 0},
};

static const struct tcpsim__action a_tls12_rsa[] = {
    LISTEN_NOW,
    CONNECT_NOW,
    {C, TCPSIM__OP_SEND, TCPSIM__WHEN_ESTABLISHED, 0, 0, {HS("ClientHello", 517, "tls.ClientHello")}, 1, 0},
    {S,
     TCPSIM__OP_SEND,
     TCPSIM__WHEN_RCVD,
     0,
     517,
     {HS("ServerHello", 89, "tls.ServerHello"), HS("Certificate", 1100, "tls.Certificate"),
      HS("ServerHelloDone", 9, "tls.ServerHelloDone")},
     3,
     0},
    {C,
     TCPSIM__OP_SEND,
     TCPSIM__WHEN_RCVD,
     0,
     1198,
     {HS("ClientKeyExchange", 262, "tls.rsa.ClientKeyExchange"), CCS, HS("Finished", 45, "tls.Finished")},
     3,
     0},
    {S, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 830, {CCS, HS("Finished", 45, "tls.Finished")}, 2, 0},
    {C, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 1249, {APP(120, "tls.app.request")}, 1, 0},
    {S, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 950, {APP(300, "tls.app.response")}, 1, 0},
};

static const struct tcpsim__action a_tls12_ecdhe[] = {
    LISTEN_NOW,
    CONNECT_NOW,
    {C, TCPSIM__OP_SEND, TCPSIM__WHEN_ESTABLISHED, 0, 0, {HS("ClientHello", 517, "tls.ClientHello")}, 1, 0},
    {S,
     TCPSIM__OP_SEND,
     TCPSIM__WHEN_RCVD,
     0,
     517,
     {HS("ServerHello", 89, "tls.ServerHello"), HS("Certificate", 1100, "tls.Certificate"),
      HS("ServerKeyExchange", 300, "tls.ecdhe.ServerKeyExchange"), HS("ServerHelloDone", 9, "tls.ServerHelloDone")},
     4,
     0},
    {C,
     TCPSIM__OP_SEND,
     TCPSIM__WHEN_RCVD,
     0,
     1498,
     {HS("ClientKeyExchange", 37, "tls.ecdhe.ClientKeyExchange"), CCS, HS("Finished", 45, "tls.Finished")},
     3,
     0},
    {S, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 605, {CCS, HS("Finished", 45, "tls.Finished")}, 2, 0},
    {C, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 1549, {APP(120, "tls.app.request")}, 1, 0},
    {S, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 725, {APP(300, "tls.app.response")}, 1, 0},
};

static const struct tcpsim__action a_tls13[] = {
    LISTEN_NOW,
    CONNECT_NOW,
    {C, TCPSIM__OP_SEND, TCPSIM__WHEN_ESTABLISHED, 0, 0, {HS("ClientHello", 517, "tls13.ClientHello")}, 1, 0},
    {S,
     TCPSIM__OP_SEND,
     TCPSIM__WHEN_RCVD,
     0,
     517,
     {HS("ServerHello", 122, "tls13.ServerHello"), HS("EncryptedExtensions", 32, "tls13.EncryptedExtensions"),
      HS("Certificate", 1100, "tls13.Certificate"), HS("CertificateVerify", 286, "tls13.CertificateVerify"),
      HS("Finished", 58, "tls13.Finished.server")},
     5,
     0},
    {C,
     TCPSIM__OP_SEND,
     TCPSIM__WHEN_RCVD,
     0,
     1598,
     {HS("Finished", 58, "tls13.Finished.client"), APP(120, "tls.app.request")},
     2,
     0},
    {S, TCPSIM__OP_SEND, TCPSIM__WHEN_RCVD, 0, 695, {APP(300, "tls.app.response")}, 1, 0},
};

#define SC(a)                                                                                                          \
    {                                                                                                                  \
        a, sizeof a / sizeof a[0], 0, 0, 0, false, false                                                               \
    }
#define NOSC                                                                                                           \
    {                                                                                                                  \
        NULL, 0, 0, 0, 0, false, false                                                                                 \
    }

enum part_kind { PART_SIM, PART_DRIVE, PART_UDP };

struct part {
    enum part_kind kind;
    const char *dsl;            /* PART_SIM: scenario text */
    size_t run;                 /* PART_SIM: variant (0 = the scenario itself) */
    struct tcpsim__scenario sc; /* PART_DRIVE */
};

struct lesson {
    struct tcpsim_lesson_info info;
    struct part parts[3];
    size_t nparts;
};

#define SIM(dsl, run)                                                                                                  \
    {                                                                                                                  \
        PART_SIM, dsl, run, NOSC                                                                                       \
    }
#define DRIVE(a)                                                                                                       \
    {                                                                                                                  \
        PART_DRIVE, NULL, 0, SC(a)                                                                                     \
    }

static const struct lesson lessons[] = {
    {{"handshake", "handshake.title"}, {SIM(dsl_handshake, 0)}, 1},
    {{"close", "close.title"}, {SIM(dsl_close, 0)}, 1},
    {{"time-wait", "time-wait.title"}, {SIM(dsl_time_wait, 0), SIM(dsl_time_wait, 1)}, 2},
    {{"simultaneous", "simultaneous.title"}, {SIM(dsl_sim_open, 0), SIM(dsl_sim_close, 0)}, 2},
    {{"rst", "rst.title"}, {SIM(dsl_refused, 0), SIM(dsl_abort, 0)}, 2},
    {{"syn-loss", "syn-loss.title"}, {SIM(dsl_syn_loss, 0)}, 1},
    {{"tcp-vs-udp", "tcp-vs-udp.title"}, {{PART_UDP, NULL, 0, NOSC}, SIM(dsl_tcp_data, 0)}, 2},
    {{"tls-order", "tls-order.title"}, {DRIVE(a_tls_wrong), DRIVE(a_tls13)}, 2},
    {{"tls12-rsa", "tls12-rsa.title"}, {DRIVE(a_tls12_rsa)}, 1},
    {{"tls12-ecdhe", "tls12-ecdhe.title"}, {DRIVE(a_tls12_ecdhe)}, 1},
    {{"tls13", "tls13.title"}, {DRIVE(a_tls13)}, 1},
};
#define NLESSONS (sizeof lessons / sizeof lessons[0])

size_t tcpsim_lesson_count(void)
{
    return NLESSONS;
}

const struct tcpsim_lesson_info *tcpsim_lesson_at(size_t i)
{
    return i < NLESSONS ? &lessons[i].info : NULL;
}

const struct tcpsim_lesson_info *tcpsim_lesson_find(const char *id)
{
    for (size_t i = 0; id && i < NLESSONS; i++)
        if (!strcmp(lessons[i].info.id, id))
            return &lessons[i].info;
    return NULL;
}

/* UDP (RFC 768) has no connection: the model is a sender and a link. Three
 * datagrams, the second lost; nobody notices. */
static void run_udp(struct tcpsim_stepper *st, enum tcpsim_lang lang)
{
    char b[512];
    tcpsim__stepper_say(st, "");
    tcpsim__stepper_header(st);
    for (int i = 1; i <= 3; i++) {
        char n[8], label[64];
        snprintf(n, sizeof n, "%d", i);
        snprintf(label, sizeof label, "UDP datagram #%d len=100", i);
        const char *a[1] = {n};
        tcpsim_msg(lang, i == 2 ? "udp.lost" : "udp.sent", a, 1, b, sizeof b);
        tcpsim__stepper_datagram(st, TCPSIM_SIDE_CLIENT, label, i == 2, b);
    }
    tcpsim__stepper_flush(st);
    tcpsim__stepper_say(st, "");
    tcpsim__stepper_say(st, tcpsim_msg_raw(lang, "udp.after"));
}

static void say_key(struct tcpsim_stepper *st, enum tcpsim_lang lang, const char *id, const char *suffix, bool required)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", id, suffix);
    const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(lang), key);
    if (!t)
        t = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), key);
    if (!t && required)
        t = key;
    if (t)
        tcpsim__stepper_say(st, t);
}

/* One run of a scenario on the simulator. The scenario text is ours, so a
 * parse error is a bug: it is reported with the lesson's name. */
static enum tcpsim_err run_sim(const char *lesson, const char *dsl, size_t run, const struct tcpsim_tl_sink *sink)
{
    struct tcpsim_scenario *sc = NULL;
    char err[256] = "";
    enum tcpsim_err e = tcpsim_scenario_parse(dsl, lesson, &sc, err, sizeof err);
    if (e != TCPSIM_OK) {
        fprintf(stderr, "tcpsim teach: lesson %s: %s\n", lesson, err);
        return e;
    }
    if (run >= tcpsim_scenario_runs(sc)) {
        tcpsim_scenario_free(sc);
        return TCPSIM_ERR_INVALID;
    }
    struct tcpsim_sim *sim = NULL;
    e = tcpsim_sim_new(sc, run, &sim);
    if (e == TCPSIM_OK) {
        tcpsim_sim_set_sink(sim, sink);
        tcpsim_sim_run(sim);
        tcpsim_sim_free(sim);
    }
    tcpsim_scenario_free(sc);
    return e;
}

/* Both the text view and the caller's sink get every event; connections are
 * numbered by part, whoever ran them. */
struct tee {
    struct tcpsim_tl_sink a, b;
    unsigned conn;
};
static void tee_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    const struct tee *t = ctx;
    struct tcpsim_tl_event copy;
    if (ev->kind == TCPSIM_TL_BEGIN) {
        copy = *ev;
        copy.u.begin.conn = t->conn;
        ev = &copy;
    }
    tcpsim_tl_emit(&t->a, ev);
    tcpsim_tl_emit(&t->b, ev);
}

enum tcpsim_err tcpsim_lesson_run(const char *id, const struct tcpsim_teach_opts *opts, FILE *out,
                                  const struct tcpsim_tl_sink *extra)
{
    const struct lesson *ls = NULL;
    for (size_t i = 0; i < NLESSONS; i++)
        if (id && !strcmp(lessons[i].info.id, id))
            ls = &lessons[i];
    if (!ls || !opts || !out)
        return ls ? TCPSIM_ERR_INVALID : TCPSIM_ERR_NOTFOUND;
    struct tcpsim_stepper *st;
    enum tcpsim_err e = tcpsim_stepper_new(&st, out, opts);
    if (e != TCPSIM_OK)
        return e;
    char line[256];
    const char *title = tcpsim_msg_raw(opts->lang, ls->info.title_key);
    snprintf(line, sizeof line, "=== %s ===", title);
    tcpsim__stepper_say(st, line);
    tcpsim__stepper_say(st, "");
    say_key(st, opts->lang, ls->info.id, "intro", true);
    tcpsim__stepper_lesson(st, ls->info.id);
    for (size_t p = 0; p < ls->nparts && e == TCPSIM_OK; p++) {
        char suffix[48];
        snprintf(suffix, sizeof suffix, "p%zu", p + 1);
        tcpsim__stepper_say(st, "");
        say_key(st, opts->lang, ls->info.id, suffix, ls->nparts > 1);
        const struct part *pt = &ls->parts[p];
        struct tcpsim_tl_sink view = tcpsim_stepper_sink(st);
        struct tee t = {view, extra ? *extra : (struct tcpsim_tl_sink){NULL, NULL}, (unsigned)p};
        struct tcpsim_tl_sink both = {tee_event, &t};
        switch (pt->kind) {
        case PART_UDP:
            run_udp(st, opts->lang);
            continue;
        case PART_SIM:
            e = run_sim(ls->info.id, pt->dsl, pt->run, &both);
            break;
        case PART_DRIVE:
            e = tcpsim__drive(&pt->sc, (unsigned)p, opts->lang, &both);
            break;
        }
        snprintf(suffix, sizeof suffix, "p%zu.after", p + 1);
        tcpsim__stepper_flush(st);
        say_key(st, opts->lang, ls->info.id, suffix, false);
    }
    tcpsim__stepper_say(st, "");
    say_key(st, opts->lang, ls->info.id, "summary", true);
    tcpsim_stepper_free(st);
    return e;
}
