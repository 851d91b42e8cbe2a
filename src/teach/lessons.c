/* lessons.c - the lessons: which connections to run, and in which order to
 * explain them. Every lesson is a scenario of the simulator (src/sim, the
 * scenario language of docs/scenarios.md); in the TLS lessons the arrows'
 * TLS messages come from the real TLS parser reading the simulator's flights,
 * and view.c adds the lesson's words for each message.
 * The words are in the catalogues (src/teach/catalog/<lang>.txt):
 * <lesson>.title, .intro, .p<N> (part headings), .p<N>.after, .summary, and
 * <lesson>.<side>.<STATE> remarks shown when a side first enters a state.
 * Read first: RFC 9293 §3.5, §3.6, RFC 5246 §7.3, RFC 8446 §2. */
#include <string.h>

#include "tcpsim/sim.h"
#include "teach/teach_int.h"

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

/* ---- TLS on top of TCP: the simulator's TLS flights (src/sim/tls_synth.c),
 * named on the arrows by the real TLS parser (src/tls) as they arrive ---- */
/* the application writes its ClientHello before connect(): SEND in CLOSED
 * is refused (RFC 9293 3.10.2) and nothing goes on the wire */
static const char dsl_tls_wrong[] = "at 0 server listen\n"
                                    "at 0 client send tls12-client-hello\n";
/* RFC 5246 7.3: full handshake with RSA key transport, then one request and
 * one response as application data */
static const char dsl_tls12_rsa[] = "at 0 server listen\n"
                                    "at 0 client connect\n"
                                    "on client ESTABLISHED client send tls12-client-hello\n"
                                    "on server got 1 server send tls12-server-hello\n"
                                    "on client got 1 client send tls12-client-finish\n"
                                    "on server got 2 server send tls12-server-finish\n"
                                    "on client got 2 client send tls-app-request\n"
                                    "on server got 3 server send tls-app-response\n";
/* the same with ECDHE (RFC 8422): ServerKeyExchange, EC point in ClientKeyExchange */
static const char dsl_tls12_ecdhe[] = "at 0 server listen\n"
                                      "at 0 client connect\n"
                                      "on client ESTABLISHED client send tls12-client-hello\n"
                                      "on server got 1 server send tls12-ecdhe-server-hello\n"
                                      "on client got 1 client send tls12-ecdhe-client-finish\n"
                                      "on server got 2 server send tls12-server-finish\n"
                                      "on client got 2 client send tls-app-request\n"
                                      "on server got 3 server send tls-app-response\n";
/* RFC 8446 2: one round trip; the client's request follows its Finished */
static const char dsl_tls13[] = "at 0 server listen\n"
                                "at 0 client connect\n"
                                "on client ESTABLISHED client send tls13-client-hello\n"
                                "on server got 1 server send tls13-server-hello\n"
                                "on client got 1 client send tls13-client-finish\n"
                                "on client got 1 client send tls-app-request\n"
                                "on server got 3 server send tls-app-response\n";

enum part_kind { PART_SIM, PART_UDP };

struct part {
    enum part_kind kind;
    const char *dsl; /* PART_SIM: scenario text */
    size_t run;      /* PART_SIM: variant (0 = the scenario itself) */
};

struct lesson {
    struct tcpsim_lesson_info info;
    struct part parts[3];
    size_t nparts;
};

#define SIM(dsl, run)                                                                                                  \
    {                                                                                                                  \
        PART_SIM, dsl, run                                                                                             \
    }

static const struct lesson lessons[] = {
    {{"handshake", "handshake.title"}, {SIM(dsl_handshake, 0)}, 1},
    {{"close", "close.title"}, {SIM(dsl_close, 0)}, 1},
    {{"time-wait", "time-wait.title"}, {SIM(dsl_time_wait, 0), SIM(dsl_time_wait, 1)}, 2},
    {{"simultaneous", "simultaneous.title"}, {SIM(dsl_sim_open, 0), SIM(dsl_sim_close, 0)}, 2},
    {{"rst", "rst.title"}, {SIM(dsl_refused, 0), SIM(dsl_abort, 0)}, 2},
    {{"syn-loss", "syn-loss.title"}, {SIM(dsl_syn_loss, 0)}, 1},
    {{"tcp-vs-udp", "tcp-vs-udp.title"}, {{PART_UDP, NULL, 0}, SIM(dsl_tcp_data, 0)}, 2},
    {{"tls-order", "tls-order.title"}, {SIM(dsl_tls_wrong, 0), SIM(dsl_tls13, 0)}, 2},
    {{"tls12-rsa", "tls12-rsa.title"}, {SIM(dsl_tls12_rsa, 0)}, 1},
    {{"tls12-ecdhe", "tls12-ecdhe.title"}, {SIM(dsl_tls12_ecdhe, 0)}, 1},
    {{"tls13", "tls13.title"}, {SIM(dsl_tls13, 0)}, 1},
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
