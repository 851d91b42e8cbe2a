/* dot.c - the RFC 9293 §3.3.2 state diagram in Graphviz DOT: all 11 states and
 * the standard transitions, with the ones this run took drawn bold in the
 * endpoint's colour (client blue, server orange); transitions outside the
 * standard diagram (e.g. a reset) are added dashed. Written at TCPSIM_TL_END. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define S_(x) TCPSIM_TCP_##x

static const struct std_edge {
    enum tcpsim_tcp_state from, to;
    const char *label;
} std_edges[] = {
    {S_(CLOSED), S_(LISTEN), "passive OPEN"},
    {S_(CLOSED), S_(SYN_SENT), "active OPEN / snd SYN"},
    {S_(LISTEN), S_(SYN_RECEIVED), "rcv SYN / snd SYN,ACK"},
    {S_(LISTEN), S_(SYN_SENT), "SEND / snd SYN"},
    {S_(LISTEN), S_(CLOSED), "CLOSE"},
    {S_(SYN_SENT), S_(SYN_RECEIVED), "rcv SYN / snd SYN,ACK"},
    {S_(SYN_SENT), S_(ESTABLISHED), "rcv SYN,ACK / snd ACK"},
    {S_(SYN_SENT), S_(CLOSED), "CLOSE / timeout"},
    {S_(SYN_RECEIVED), S_(ESTABLISHED), "rcv ACK of SYN"},
    {S_(SYN_RECEIVED), S_(FIN_WAIT_1), "CLOSE / snd FIN"},
    {S_(SYN_RECEIVED), S_(LISTEN), "rcv RST"},
    {S_(ESTABLISHED), S_(FIN_WAIT_1), "CLOSE / snd FIN"},
    {S_(ESTABLISHED), S_(CLOSE_WAIT), "rcv FIN / snd ACK"},
    {S_(FIN_WAIT_1), S_(FIN_WAIT_2), "rcv ACK of FIN"},
    {S_(FIN_WAIT_1), S_(CLOSING), "rcv FIN / snd ACK"},
    {S_(FIN_WAIT_1), S_(TIME_WAIT), "rcv FIN,ACK / snd ACK"},
    {S_(FIN_WAIT_2), S_(TIME_WAIT), "rcv FIN / snd ACK"},
    {S_(CLOSING), S_(TIME_WAIT), "rcv ACK of FIN"},
    {S_(CLOSE_WAIT), S_(LAST_ACK), "CLOSE / snd FIN"},
    {S_(LAST_ACK), S_(CLOSED), "rcv ACK of FIN"},
    {S_(TIME_WAIT), S_(CLOSED), "timeout = 2MSL"},
};
#define N_STD     (sizeof std_edges / sizeof std_edges[0])
#define MAX_EXTRA 32

struct tcpsim_dot {
    FILE *out;
    struct tcpsim_view_opts o;
    char cl[96], sl[96];
    unsigned conn;
    unsigned taken[2][TCPSIM_TCP_NSTATES][TCPSIM_TCP_NSTATES]; /* count per side, from, to */
    bool visited[2][TCPSIM_TCP_NSTATES];
};

static const char *const side_color[2] = {"#1f77b4", "#ff7f0e"};

static bool is_std(enum tcpsim_tcp_state a, enum tcpsim_tcp_state b)
{
    for (size_t i = 0; i < N_STD; i++)
        if (std_edges[i].from == a && std_edges[i].to == b)
            return true;
    return false;
}

static void dot_label(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void write_graph(struct tcpsim_dot *v)
{
    FILE *f = v->out;
    enum tcpsim_lang lang = tcpsim__report_lang(&v->o);
    char lb[2][128], legend[320];
    const char *la[2] = {tcpsim__report_label(lang, v->cl, TCPSIM_SIDE_CLIENT, lb[0], sizeof lb[0]),
                         tcpsim__report_label(lang, v->sl, TCPSIM_SIDE_SERVER, lb[1], sizeof lb[1])};
    tcpsim_msg(lang, "view.dot.legend", la, 2, legend, sizeof legend);
    fprintf(f, "digraph tcp_states_%u {\n", v->conn);
    fputs("  label=\"", f);
    dot_label(f, v->o.title ? v->o.title : tcpsim_msg_raw(lang, "view.dot.title"));
    fputs("\\n", f);
    dot_label(f, legend);
    fputs("\";\n  labelloc=t;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n", f);
    fputs("  edge [fontname=\"Helvetica\", fontsize=10, color=\"#999999\", fontcolor=\"#666666\"];\n", f);
    for (int s = 0; s < TCPSIM_TCP_NSTATES; s++) {
        const char *name = tcpsim_tcp_state_name((enum tcpsim_tcp_state)s);
        bool c = v->visited[0][s], sv = v->visited[1][s];
        fprintf(f, "  %s", name);
        if (c && sv)
            fprintf(f, " [penwidth=2, color=\"%s:%s\", style=\"rounded,bold\"]", side_color[0], side_color[1]);
        else if (c || sv)
            fprintf(f, " [penwidth=2, color=\"%s\", style=\"rounded,bold\"]", side_color[c ? 0 : 1]);
        fputs(";\n", f);
    }
    for (size_t i = 0; i < N_STD; i++) {
        const struct std_edge *e = &std_edges[i];
        fprintf(f, "  %s -> %s [label=\"%s\"];\n", tcpsim_tcp_state_name(e->from), tcpsim_tcp_state_name(e->to),
                e->label);
    }
    /* this run's transitions, one highlighted edge per endpoint */
    for (int side = 0; side < 2; side++)
        for (int a = 0; a < TCPSIM_TCP_NSTATES; a++)
            for (int b = 0; b < TCPSIM_TCP_NSTATES; b++) {
                unsigned n = v->taken[side][a][b];
                if (!n)
                    continue;
                bool std = is_std((enum tcpsim_tcp_state)a, (enum tcpsim_tcp_state)b);
                fprintf(f, "  %s -> %s [color=\"%s\", fontcolor=\"%s\", penwidth=3%s, label=\"%s%s\"];\n",
                        tcpsim_tcp_state_name((enum tcpsim_tcp_state)a),
                        tcpsim_tcp_state_name((enum tcpsim_tcp_state)b), side_color[side], side_color[side],
                        std ? "" : ", style=dashed", tcpsim_i18n_side(lang, (enum tcpsim_side)side),
                        n > 1 ? " (x2+)" : "");
            }
    fputs("}\n", f);
}

static void dot_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_dot *v = ctx;
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN:
        memset(v->taken, 0, sizeof v->taken);
        memset(v->visited, 0, sizeof v->visited);
        v->conn = ev->u.begin.conn;
        snprintf(v->cl, sizeof v->cl, "%s", ev->u.begin.client_label ? ev->u.begin.client_label : "client");
        snprintf(v->sl, sizeof v->sl, "%s", ev->u.begin.server_label ? ev->u.begin.server_label : "server");
        v->visited[0][ev->u.begin.client_state] = true;
        v->visited[1][ev->u.begin.server_state] = true;
        break;
    case TCPSIM_TL_STATE: {
        const struct tcpsim_tl_state *s = &ev->u.state;
        if ((unsigned)s->from < TCPSIM_TCP_NSTATES && (unsigned)s->to < TCPSIM_TCP_NSTATES) {
            v->taken[s->side][s->from][s->to]++;
            v->visited[s->side][s->to] = true;
        }
        break;
    }
    case TCPSIM_TL_SEGMENT:
    case TCPSIM_TL_NOTE:
        break;
    case TCPSIM_TL_END:
        write_graph(v);
        break;
    }
}

struct tcpsim_dot *tcpsim_dot_new(FILE *out, const struct tcpsim_view_opts *o)
{
    struct tcpsim_dot *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    tcpsim__report_opts(&v->o, o);
    return v;
}

struct tcpsim_tl_sink tcpsim_dot_sink(struct tcpsim_dot *v)
{
    struct tcpsim_tl_sink s = {dot_event, v};
    return s;
}

void tcpsim_dot_free(struct tcpsim_dot *v)
{
    free(v);
}
