/* ladder.c - the two-column arrow diagram ("ladder") learners draw by hand:
 * one arrow per segment, each endpoint's state on its own side when it changes.
 * Read first: RFC 9293 §3.5 (the handshake figures this mimics), timeline.h. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define LADDER_W 58 /* cells between the two lifelines */

struct tcpsim_ladder {
    FILE *out;
    struct tcpsim_view_opts o;
    enum tcpsim_tcp_state st[2];
};

struct glyphs {
    const char *bar, *line, *right, *left, *lost;
};

static const struct glyphs g_utf8 = {"\u2502", "\u2500", "\u25b6", "\u25c0", "\u2715"};
static const struct glyphs g_ascii = {"|", "-", ">", "<", "X"};

static const struct glyphs *glyphs(const struct tcpsim_ladder *v)
{
    return v->o.ascii ? &g_ascii : &g_utf8;
}

static void color(const struct tcpsim_ladder *v, const char *code)
{
    if (v->o.color)
        fputs(code, v->out);
}

#define C_RESET "\033[0m"
#define C_STATE "\033[1;32m"
#define C_CLIENT "\033[36m"
#define C_SERVER "\033[33m"
#define C_LOST "\033[31m"
#define C_NOTE "\033[2m"
#define C_TLS "\033[35m"

static void time_col(struct tcpsim_ladder *v, tcpsim_time_t t, bool show)
{
    if (!show) {
        fprintf(v->out, "%8s  ", "");
        return;
    }
    /* milliseconds are enough to read a ladder; JSON has microseconds */
    fprintf(v->out, "%4llu.%03llu  ", (unsigned long long)(t / 1000000u),
            (unsigned long long)(t % 1000000u / 1000u));
}

static void left_state(struct tcpsim_ladder *v, const char *s)
{
    if (s && *s) {
        color(v, C_STATE);
        fprintf(v->out, "%12s", s);
        color(v, C_RESET);
        fputc(' ', v->out);
    } else {
        fprintf(v->out, "%13s", "");
    }
}

static void plain_area(struct tcpsim_ladder *v, const char *text, const char *col)
{
    const struct glyphs *g = glyphs(v);
    size_t n = text ? strlen(text) : 0;
    if (n > LADDER_W)
        n = LADDER_W;
    size_t start = (LADDER_W - n) / 2;
    fputs(g->bar, v->out);
    if (n)
        fprintf(v->out, "%*s", (int)start, "");
    else
        fprintf(v->out, "%*s", LADDER_W, "");
    if (n) {
        color(v, col);
        fwrite(text, 1, n, v->out);
        color(v, C_RESET);
        fprintf(v->out, "%*s", (int)(LADDER_W - start - n), "");
    }
    fputs(g->bar, v->out);
}

static void state_row(struct tcpsim_ladder *v, tcpsim_time_t t, bool show_t, const char *l, const char *r)
{
    time_col(v, t, show_t);
    left_state(v, l);
    plain_area(v, NULL, NULL);
    if (r && *r) {
        fputc(' ', v->out);
        color(v, C_STATE);
        fputs(r, v->out);
        color(v, C_RESET);
    }
    fputc('\n', v->out);
}

static void on_begin(struct tcpsim_ladder *v, const struct tcpsim_tl_begin *b)
{
    v->st[TCPSIM_SIDE_CLIENT] = b->client_state;
    v->st[TCPSIM_SIDE_SERVER] = b->server_state;
    if (v->o.title)
        fprintf(v->out, "%s\n", v->o.title);
    if (b->conn)
        fprintf(v->out, "connection %u\n", b->conn);
    const char *cl = b->client_label ? b->client_label : "client";
    const char *sl = b->server_label ? b->server_label : "server";
    /* left label starts at the left lifeline, right label ends at the right one */
    int pad = 2 + LADDER_W - (int)strlen(cl) - (int)strlen(sl);
    fprintf(v->out, "%8s  %12s %s%*s%s\n", "time", "", cl, pad > 1 ? pad : 1, "", sl);
    state_row(v, 0, false, tcpsim__report_state(b->client_state), tcpsim__report_state(b->server_state));
    if (b->inferred)
        fprintf(v->out, "%8s  (states inferred: the start of the connection was not seen)\n", "");
}

static void on_segment(struct tcpsim_ladder *v, const struct tcpsim_tl_segment *s)
{
    const struct glyphs *g = glyphs(v);
    char flags[48], label[128];
    uint32_t seq, ack;
    bool show_ack;
    tcpsim__report_numbers(s, v->o.absolute, &seq, &ack, &show_ack);
    tcpsim_report_flags(s->seg->flags, flags, sizeof flags);
    int n;
    if (show_ack)
        n = snprintf(label, sizeof label, " %s seq=%lu ack=%lu len=%zu win=%llu ", flags, (unsigned long)seq,
                     (unsigned long)ack, s->seg->payload_len, (unsigned long long)s->win);
    else
        n = snprintf(label, sizeof label, " %s seq=%lu len=%zu win=%llu ", flags, (unsigned long)seq,
                     s->seg->payload_len, (unsigned long long)s->win);
    size_t ln = n < 0 ? 0 : (size_t)n;
    if (ln > LADDER_W - 4)
        ln = LADDER_W - 4;
    bool c2s = s->from == TCPSIM_SIDE_CLIENT;
    /* a lost segment's arrow stops two thirds of the way across, ending in ✕ */
    size_t len = s->dropped ? (LADDER_W * 2) / 3 : LADDER_W;
    if (ln > len - 4)
        len = ln + 4 < LADDER_W ? ln + 4 : LADDER_W;
    size_t lstart = (len - ln) / 2;

    time_col(v, s->t_sent, true);
    left_state(v, NULL);
    fputs(g->bar, v->out);
    color(v, s->dropped ? C_LOST : c2s ? C_CLIENT : C_SERVER);
    /* cells of the arrow, from the sender's lifeline outwards */
    size_t begin = c2s ? 0 : LADDER_W - len; /* first cell of the arrow */
    for (size_t i = 0; i < LADDER_W; i++) {
        if (i < begin || i >= begin + len) {
            fputc(' ', v->out);
            continue;
        }
        size_t k = i - begin; /* position within the arrow, left to right */
        if (k >= lstart && k < lstart + ln)
            fputc(label[k - lstart], v->out);
        else if (c2s && k == len - 1)
            fputs(s->dropped ? g->lost : g->right, v->out);
        else if (!c2s && k == 0)
            fputs(s->dropped ? g->lost : g->left, v->out);
        else
            fputs(g->line, v->out);
    }
    color(v, C_RESET);
    fputs(g->bar, v->out);
    bool any = false;
    const char *tags[4];
    size_t nt = 0;
    if (s->dropped)
        tags[nt++] = "lost";
    if (s->retransmission)
        tags[nt++] = "retransmission";
    if (s->duplicated)
        tags[nt++] = "duplicate";
    for (size_t i = 0; i < nt; i++) {
        fprintf(v->out, "%s%s", any ? ", " : " (", tags[i]);
        any = true;
    }
    if (any)
        fputc(')', v->out);
    if (!s->dropped && s->t_arrived != TCPSIM_TIME_NEVER && s->t_arrived != s->t_sent) {
        char tb[32];
        tcpsim_report_time(s->t_arrived, tb, sizeof tb);
        /* the ladder is in ms; show the arrival to the ms as well */
        tb[strlen(tb) - 3] = '\0';
        fprintf(v->out, " arrives %s", tb);
    }
    fputc('\n', v->out);
    for (size_t i = 0; i < s->ntls; i++) {
        char t[96];
        const struct tcpsim_tl_tls *x = &s->tls[i];
        if (x->handshake)
            snprintf(t, sizeof t, "TLS %s", x->handshake);
        else
            snprintf(t, sizeof t, "TLS %s", x->record ? x->record : "record");
        time_col(v, 0, false);
        left_state(v, NULL);
        plain_area(v, t, C_TLS);
        fputc('\n', v->out);
    }
}

static void on_state(struct tcpsim_ladder *v, const struct tcpsim_tl_state *s)
{
    v->st[s->side] = s->to;
    const char *name = tcpsim__report_state(s->to);
    if (s->side == TCPSIM_SIDE_CLIENT)
        state_row(v, s->at, true, name, NULL);
    else
        state_row(v, s->at, true, NULL, name);
}

static void on_note(struct tcpsim_ladder *v, const struct tcpsim_tl_note *n)
{
    if (!v->o.notes)
        return;
    time_col(v, n->at, true);
    color(v, C_NOTE);
    fprintf(v->out, "%s %s: ", v->o.ascii ? "*" : "\u2022", tcpsim__report_side(n->side));
    const char *why = n->why != TCPSIM_WHY_NONE ? tcpsim__report_why_text(n->why) : NULL;
    if (why && n->text)
        fprintf(v->out, "%s: %s", n->text, why);
    else
        fputs(why ? why : n->text ? n->text : "", v->out);
    if (n->why != TCPSIM_WHY_NONE)
        fprintf(v->out, " (%s)", tcpsim__report_why_rule(n->why));
    color(v, C_RESET);
    fputc('\n', v->out);
}

static void on_end(struct tcpsim_ladder *v)
{
    fprintf(v->out, "%8s  final: client %s, server %s\n", "", tcpsim__report_state(v->st[0]),
            tcpsim__report_state(v->st[1]));
}

static void ladder_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_ladder *v = ctx;
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN: on_begin(v, &ev->u.begin); break;
    case TCPSIM_TL_SEGMENT: on_segment(v, &ev->u.segment); break;
    case TCPSIM_TL_STATE: on_state(v, &ev->u.state); break;
    case TCPSIM_TL_NOTE: on_note(v, &ev->u.note); break;
    case TCPSIM_TL_END: on_end(v); break;
    }
}

struct tcpsim_ladder *tcpsim_ladder_new(FILE *out, const struct tcpsim_view_opts *o)
{
    struct tcpsim_ladder *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    tcpsim__report_opts(&v->o, o);
    return v;
}

struct tcpsim_tl_sink tcpsim_ladder_sink(struct tcpsim_ladder *v)
{
    struct tcpsim_tl_sink s = {ladder_event, v};
    return s;
}

void tcpsim_ladder_free(struct tcpsim_ladder *v)
{
    free(v);
}
