/* html.c - the HTML view: one self-contained page per run (inline CSS, JS and
 * SVG) with a ladder per connection and the RFC 9293 §3.3.2 state diagram,
 * the visited states and transitions highlighted.
 * Read first: include/tcpsim/timeline.h, RFC 9293 §3.3.2 (state diagram),
 * RFC 8446 §2 / RFC 5246 §7.3 (the TLS messages drawn on the arrows). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

enum hkind { H_SEG, H_STATE, H_NOTE };

struct hitem {
    enum hkind kind;
    enum tcpsim_side side; /* sender of a segment, or the side a state/note is about */
    uint8_t flags;
    bool dropped, retrans, dup, show_ack;
    enum tcpsim_tcp_state from, to;
    enum tcpsim_tcp_why why;
    uint32_t seq, ack, len, analysis;
    uint64_t win, frame;
    tcpsim_time_t t0, t1;
    size_t tls;     /* arena offset of "ClientHello, ..." or SIZE_MAX */
    size_t explain; /* arena offset of the TLS explanations or SIZE_MAX */
    size_t text;    /* note text, SIZE_MAX when none */
};

struct hconn {
    unsigned conn;
    size_t client_label, server_label;
    enum tcpsim_tcp_state cs0, ss0;
    bool inferred;
    size_t first, end; /* item range */
};

struct tcpsim_html {
    FILE *out;
    struct tcpsim_view_opts o;
    enum tcpsim_lang lang;
    struct hitem *it;
    size_t nit, capit, omitted;
    struct hconn *c;
    size_t nc, capc;
    char *arena;
    size_t na, capa;
    bool oom, written;
};

static size_t arena_add(struct tcpsim_html *v, const char *s, size_t n)
{
    if (v->na + n + 1 > v->capa) {
        size_t cap = v->capa ? v->capa * 2 : 4096;
        while (cap < v->na + n + 1)
            cap *= 2;
        char *a = realloc(v->arena, cap);
        if (!a) {
            v->oom = true;
            return SIZE_MAX;
        }
        v->arena = a;
        v->capa = cap;
    }
    size_t at = v->na;
    memcpy(v->arena + at, s, n);
    v->arena[at + n] = '\0';
    v->na += n + 1;
    return at;
}

static size_t arena_str(struct tcpsim_html *v, const char *s)
{
    return s ? arena_add(v, s, strlen(s)) : SIZE_MAX;
}

static const char *astr(const struct tcpsim_html *v, size_t off, const char *dflt)
{
    return off == SIZE_MAX ? dflt : v->arena + off;
}

static struct hconn *conn_open(struct tcpsim_html *v)
{
    if (v->nc == v->capc) {
        size_t cap = v->capc ? v->capc * 2 : 8;
        struct hconn *c = realloc(v->c, cap * sizeof *c);
        if (!c) {
            v->oom = true;
            return NULL;
        }
        v->c = c;
        v->capc = cap;
    }
    struct hconn *c = &v->c[v->nc++];
    memset(c, 0, sizeof *c);
    c->conn = (unsigned)(v->nc - 1);
    c->client_label = c->server_label = SIZE_MAX;
    c->cs0 = TCPSIM_TCP_CLOSED;
    c->ss0 = TCPSIM_TCP_LISTEN;
    c->first = c->end = v->nit;
    return c;
}

static struct hitem *item_new(struct tcpsim_html *v)
{
    if (v->nit >= TCPSIM_HTML_MAX_ITEMS) {
        v->omitted++;
        return NULL;
    }
    if (!v->nc && !conn_open(v))
        return NULL;
    if (v->nit == v->capit) {
        size_t cap = v->capit ? v->capit * 2 : 64;
        struct hitem *it = realloc(v->it, cap * sizeof *it);
        if (!it) {
            v->oom = true;
            return NULL;
        }
        v->it = it;
        v->capit = cap;
    }
    struct hitem *h = &v->it[v->nit++];
    memset(h, 0, sizeof *h);
    h->tls = h->explain = h->text = SIZE_MAX;
    v->c[v->nc - 1].end = v->nit;
    return h;
}

static void tls_join(struct tcpsim_html *v, struct hitem *h, const struct tcpsim_tl_segment *s)
{
    char names[512], expl[1024];
    size_t nn = 0, ne = 0;
    names[0] = expl[0] = '\0';
    for (size_t i = 0; i < s->ntls; i++) {
        const struct tcpsim_tl_tls *t = &s->tls[i];
        const char *name = t->handshake ? t->handshake : (t->record ? t->record : "?");
        int w = snprintf(names + nn, sizeof names - nn, "%s%s", nn ? ", " : "", name);
        if (w > 0 && (size_t)w < sizeof names - nn)
            nn += (size_t)w;
        char xb[320];
        const char *x = tcpsim_i18n_tls(v->lang, t, xb, sizeof xb);
        if (x) {
            w = snprintf(expl + ne, sizeof expl - ne, "%s%s: %s", ne ? "; " : "", name, x);
            if (w > 0 && (size_t)w < sizeof expl - ne)
                ne += (size_t)w;
        }
    }
    if (nn)
        h->tls = arena_str(v, names);
    if (ne)
        h->explain = arena_str(v, expl);
}

static void on_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_html *v = ctx;
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN: {
        const struct tcpsim_tl_begin *b = &ev->u.begin;
        /* A BEGIN on a connection that has no items yet reuses it. */
        struct hconn *c = (v->nc && v->c[v->nc - 1].first == v->c[v->nc - 1].end) ? &v->c[v->nc - 1] : conn_open(v);
        if (!c)
            return;
        c->conn = b->conn;
        c->client_label = arena_str(v, b->client_label);
        c->server_label = arena_str(v, b->server_label);
        c->cs0 = b->client_state;
        c->ss0 = b->server_state;
        c->inferred = b->inferred;
        return;
    }
    case TCPSIM_TL_SEGMENT: {
        const struct tcpsim_tl_segment *s = &ev->u.segment;
        if (!s->seg)
            return;
        struct hitem *h = item_new(v);
        if (!h)
            return;
        h->kind = H_SEG;
        h->side = s->from;
        h->flags = s->seg->flags;
        h->dropped = s->dropped;
        h->dup = s->duplicated;
        h->retrans = s->retransmission || (s->analysis & TCPSIM_AN_RETRANSMISSION);
        tcpsim__report_numbers(s, v->o.absolute, &h->seq, &h->ack, &h->show_ack);
        h->len = (uint32_t)s->seg->payload_len;
        h->win = s->win;
        h->analysis = s->analysis;
        h->frame = s->frame;
        h->t0 = s->t_sent;
        h->t1 = s->t_arrived;
        tls_join(v, h, s);
        return;
    }
    case TCPSIM_TL_STATE: {
        struct hitem *h = item_new(v);
        if (!h)
            return;
        h->kind = H_STATE;
        h->side = ev->u.state.side;
        h->from = ev->u.state.from;
        h->to = ev->u.state.to;
        h->why = ev->u.state.why;
        h->t0 = ev->u.state.at;
        h->frame = ev->u.state.frame;
        return;
    }
    case TCPSIM_TL_NOTE: {
        if (!v->o.notes)
            return;
        struct hitem *h = item_new(v);
        if (!h)
            return;
        h->kind = H_NOTE;
        h->side = ev->u.note.side;
        h->why = ev->u.note.why;
        h->t0 = ev->u.note.at;
        char t[512];
        tcpsim_i18n_note(v->lang, &ev->u.note, t, sizeof t);
        h->text = t[0] ? arena_str(v, t) : SIZE_MAX;
        return;
    }
    case TCPSIM_TL_END:
        return;
    }
}

struct tcpsim_html *tcpsim_html_new(FILE *out, const struct tcpsim_view_opts *o)
{
    if (!out)
        return NULL;
    struct tcpsim_html *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    tcpsim__report_opts(&v->o, o);
    v->lang = tcpsim__report_lang(&v->o);
    return v;
}

struct tcpsim_tl_sink tcpsim_html_sink(struct tcpsim_html *v)
{
    struct tcpsim_tl_sink s = {on_event, v};
    if (!v)
        s.event = NULL;
    return s;
}

/* ---- writing ---- */

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        case '\n':
            fputs("&#10;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
    }
}

/* The RFC 9293 §3.3.2 diagram: node positions and the transitions it draws.
 * Edges with a control point are drawn as curves around the others. */
struct node_pos {
    enum tcpsim_tcp_state s;
    int x, y;
};
static const struct node_pos nodes[TCPSIM_TCP_NSTATES] = {
    {TCPSIM_TCP_CLOSED, 300, 34},      {TCPSIM_TCP_LISTEN, 300, 110},      {TCPSIM_TCP_SYN_RECEIVED, 110, 190},
    {TCPSIM_TCP_SYN_SENT, 490, 190},   {TCPSIM_TCP_ESTABLISHED, 300, 270}, {TCPSIM_TCP_FIN_WAIT_1, 110, 350},
    {TCPSIM_TCP_CLOSE_WAIT, 490, 350}, {TCPSIM_TCP_FIN_WAIT_2, 110, 430},  {TCPSIM_TCP_CLOSING, 300, 430},
    {TCPSIM_TCP_LAST_ACK, 490, 430},   {TCPSIM_TCP_TIME_WAIT, 300, 510},
};

struct edge {
    enum tcpsim_tcp_state from, to;
    const char *label;
    int cx, cy; /* control point; 0,0 = straight */
};
static const struct edge edges[] = {
    {TCPSIM_TCP_CLOSED, TCPSIM_TCP_LISTEN, "passive OPEN", 0, 0},
    {TCPSIM_TCP_CLOSED, TCPSIM_TCP_SYN_SENT, "active OPEN / snd SYN", 470, 60},
    {TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_RECEIVED, "rcv SYN / snd SYN,ACK", 0, 0},
    {TCPSIM_TCP_LISTEN, TCPSIM_TCP_SYN_SENT, "SEND / snd SYN", 0, 0},
    {TCPSIM_TCP_LISTEN, TCPSIM_TCP_CLOSED, "CLOSE", 330, 72},
    {TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_SYN_RECEIVED, "rcv SYN / snd ACK", 300, 215},
    {TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED, "rcv SYN,ACK / snd ACK", 0, 0},
    {TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_CLOSED, "CLOSE, RST or timeout", 560, 60},
    {TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_ESTABLISHED, "rcv ACK of SYN", 0, 0},
    {TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_LISTEN, "rcv RST", 190, 120},
    {TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_FIN_WAIT_1, "CLOSE / snd FIN", 0, 0},
    {TCPSIM_TCP_ESTABLISHED, TCPSIM_TCP_FIN_WAIT_1, "CLOSE / snd FIN", 0, 0},
    {TCPSIM_TCP_ESTABLISHED, TCPSIM_TCP_CLOSE_WAIT, "rcv FIN / snd ACK", 0, 0},
    {TCPSIM_TCP_FIN_WAIT_1, TCPSIM_TCP_FIN_WAIT_2, "rcv ACK of FIN", 0, 0},
    {TCPSIM_TCP_FIN_WAIT_1, TCPSIM_TCP_CLOSING, "rcv FIN / snd ACK", 0, 0},
    {TCPSIM_TCP_FIN_WAIT_1, TCPSIM_TCP_TIME_WAIT, "rcv FIN,ACK / snd ACK", 190, 470},
    {TCPSIM_TCP_FIN_WAIT_2, TCPSIM_TCP_TIME_WAIT, "rcv FIN / snd ACK", 0, 0},
    {TCPSIM_TCP_CLOSING, TCPSIM_TCP_TIME_WAIT, "rcv ACK of FIN", 0, 0},
    {TCPSIM_TCP_CLOSE_WAIT, TCPSIM_TCP_LAST_ACK, "CLOSE / snd FIN", 0, 0},
    {TCPSIM_TCP_LAST_ACK, TCPSIM_TCP_CLOSED, "rcv ACK of FIN", 600, 200},
    {TCPSIM_TCP_TIME_WAIT, TCPSIM_TCP_CLOSED, "timeout 2MSL", 0, 280},
};
#define NEDGES (sizeof edges / sizeof edges[0])

static const struct node_pos *node_of(enum tcpsim_tcp_state s)
{
    for (size_t i = 0; i < TCPSIM_TCP_NSTATES; i++)
        if (nodes[i].s == s)
            return &nodes[i];
    return &nodes[0];
}

/* Where a line from the node's centre towards (tx,ty) leaves its box
 * (112 x 24), so that arrowheads are not hidden under the box. */
static void rim(const struct node_pos *n, int tx, int ty, int *x, int *y)
{
    double dx = tx - n->x, dy = ty - n->y;
    double sx = dx != 0 ? 58.0 / (dx < 0 ? -dx : dx) : 1e9, sy = dy != 0 ? 14.0 / (dy < 0 ? -dy : dy) : 1e9;
    double k = sx < sy ? sx : sy;
    if (k > 1.0)
        k = 1.0;
    *x = n->x + (int)(dx * k);
    *y = n->y + (int)(dy * k);
}

/* bit 1 client, bit 2 server */
static const char *visited_attr(unsigned m)
{
    switch (m & 3u) {
    case 1:
        return "client";
    case 2:
        return "server";
    case 3:
        return "both";
    default:
        return "";
    }
}

static void write_fsm(struct tcpsim_html *v, FILE *f, const struct hconn *c)
{
    unsigned nodev[TCPSIM_TCP_NSTATES] = {0};
    unsigned edgev[NEDGES] = {0};
    /* transitions outside the drawn edges (RST to CLOSED from a synchronized state ...) */
    struct {
        enum tcpsim_tcp_state from, to;
        unsigned m;
    } extra[32];
    size_t nextra = 0;
    if ((size_t)c->cs0 < TCPSIM_TCP_NSTATES)
        nodev[c->cs0] |= 1u;
    if ((size_t)c->ss0 < TCPSIM_TCP_NSTATES)
        nodev[c->ss0] |= 2u;
    for (size_t i = c->first; i < c->end; i++) {
        const struct hitem *h = &v->it[i];
        if (h->kind != H_STATE || (size_t)h->to >= TCPSIM_TCP_NSTATES || (size_t)h->from >= TCPSIM_TCP_NSTATES)
            continue;
        unsigned m = h->side == TCPSIM_SIDE_CLIENT ? 1u : 2u;
        nodev[h->to] |= m;
        nodev[h->from] |= m;
        bool found = false;
        for (size_t e = 0; e < NEDGES; e++)
            if (edges[e].from == h->from && edges[e].to == h->to) {
                edgev[e] |= m;
                found = true;
            }
        if (found)
            continue;
        size_t k;
        for (k = 0; k < nextra; k++)
            if (extra[k].from == h->from && extra[k].to == h->to)
                break;
        if (k == nextra && nextra < sizeof extra / sizeof extra[0]) {
            extra[k].from = h->from;
            extra[k].to = h->to;
            extra[k].m = 0;
            nextra++;
        }
        if (k < nextra)
            extra[k].m |= m;
    }
    fprintf(f, "<svg class=\"fsm\" viewBox=\"0 0 620 550\" width=\"620\" height=\"550\" role=\"img\" "
               "aria-label=\"RFC 9293 state diagram\">\n");
    fprintf(f, "<text x=\"8\" y=\"16\" class=\"cap\">");
    esc(f, tcpsim_msg_raw(v->lang, "html.fsm"));
    fprintf(f, "</text>\n");
    for (size_t e = 0; e < NEDGES; e++) {
        const struct node_pos *a = node_of(edges[e].from), *b = node_of(edges[e].to);
        const char *st = tcpsim_tcp_state_name(edges[e].from), *en = tcpsim_tcp_state_name(edges[e].to);
        fprintf(f, "<g class=\"edge%s\" data-edge=\"%s-%s\" data-visited=\"%s\"><title>", edgev[e] ? " visited" : "",
                st, en, visited_attr(edgev[e]));
        esc(f, edges[e].label);
        fprintf(f, "</title>");
        int ax, ay, bx, by;
        rim(a, b->x, b->y, &ax, &ay);
        rim(b, a->x, a->y, &bx, &by);
        if (edges[e].cx || edges[e].cy) {
            rim(a, edges[e].cx, edges[e].cy, &ax, &ay);
            rim(b, edges[e].cx, edges[e].cy, &bx, &by);
            fprintf(f, "<path d=\"M%d %d Q%d %d %d %d\" marker-end=\"url(#fa)\"/>", ax, ay, edges[e].cx, edges[e].cy,
                    bx, by);
        } else {
            fprintf(f, "<path d=\"M%d %d L%d %d\" marker-end=\"url(#fa)\"/>", ax, ay, bx, by);
        }
        fprintf(f, "</g>\n");
    }
    for (size_t k = 0; k < nextra; k++) {
        const struct node_pos *a = node_of(extra[k].from), *b = node_of(extra[k].to);
        int cx = (a->x + b->x) / 2 + 60, cy = (a->y + b->y) / 2, ax, ay, bx, by;
        rim(a, cx, cy, &ax, &ay);
        rim(b, cx, cy, &bx, &by);
        fprintf(f,
                "<g class=\"edge extra visited\" data-edge=\"%s-%s\" data-visited=\"%s\"><title>%s to %s</title>"
                "<path d=\"M%d %d Q%d %d %d %d\" marker-end=\"url(#fa)\"/></g>\n",
                tcpsim_tcp_state_name(extra[k].from), tcpsim_tcp_state_name(extra[k].to), visited_attr(extra[k].m),
                tcpsim_tcp_state_name(extra[k].from), tcpsim_tcp_state_name(extra[k].to), ax, ay, cx, cy, bx, by);
    }
    for (size_t i = 0; i < TCPSIM_TCP_NSTATES; i++) {
        const struct node_pos *n = &nodes[i];
        const char *name = tcpsim_tcp_state_name(n->s);
        unsigned m = nodev[n->s];
        fprintf(f,
                "<g class=\"node%s%s%s\" data-node=\"%s\" data-visited=\"%s\"><rect x=\"%d\" y=\"%d\" width=\"112\" "
                "height=\"24\" rx=\"6\"/><text x=\"%d\" y=\"%d\">%s</text></g>\n",
                m ? " visited" : "", (m & 1u) ? " vc" : "", (m & 2u) ? " vs" : "", name, visited_attr(m), n->x - 56,
                n->y - 12, n->x, n->y + 4, name);
    }
    fprintf(f, "</svg>\n");
}

#define LAD_W 680
#define XC    170
#define XS    510

static void seg_label(const struct tcpsim_html *v, const struct hitem *h, char *buf, size_t cap)
{
    char fl[48];
    tcpsim_report_flags(h->flags, fl, sizeof fl);
    int n = snprintf(buf, cap, "%s seq=%" PRIu32, fl, h->seq);
    if (n > 0 && (size_t)n < cap && h->show_ack)
        n += snprintf(buf + n, cap - (size_t)n, " ack=%" PRIu32, h->ack);
    if (n > 0 && (size_t)n < cap && h->len)
        n += snprintf(buf + n, cap - (size_t)n, " len=%" PRIu32, h->len);
    if (n > 0 && (size_t)n < cap && h->retrans)
        snprintf(buf + n, cap - (size_t)n, " (retransmission)");
    (void)v;
}

static void write_ladder(struct tcpsim_html *v, FILE *f, const struct hconn *c, size_t *segno)
{
    /* first pass: height */
    int y = 74;
    for (size_t i = c->first; i < c->end; i++) {
        const struct hitem *h = &v->it[i];
        y += h->kind == H_SEG ? (h->tls != SIZE_MAX ? 58 : 44) : 20;
    }
    int height = y + 30;
    fprintf(f, "<svg class=\"ladder\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", LAD_W, height,
            LAD_W, height);
    char lb[128];
    fprintf(f, "<text class=\"who\" x=\"%d\" y=\"20\">", XC);
    esc(f, tcpsim__report_label(v->lang, astr(v, c->client_label, NULL), TCPSIM_SIDE_CLIENT, lb, sizeof lb));
    fprintf(f, "</text><text class=\"who\" x=\"%d\" y=\"20\">", XS);
    esc(f, tcpsim__report_label(v->lang, astr(v, c->server_label, NULL), TCPSIM_SIDE_SERVER, lb, sizeof lb));
    fprintf(f, "</text>\n");
    fprintf(f, "<line class=\"life\" x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"%d\"/>", XC, XC, height - 10);
    fprintf(f, "<line class=\"life\" x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"%d\"/>\n", XS, XS, height - 10);
    fprintf(f,
            "<text class=\"state c\" x=\"%d\" y=\"44\" data-state=\"%s\" data-side=\"client\">%s</text>"
            "<text class=\"state s\" x=\"%d\" y=\"44\" data-state=\"%s\" data-side=\"server\">%s</text>\n",
            XC - 8, tcpsim_tcp_state_name(c->cs0), tcpsim_tcp_state_name(c->cs0), XS + 8, tcpsim_tcp_state_name(c->ss0),
            tcpsim_tcp_state_name(c->ss0));
    y = 74;
    for (size_t i = c->first; i < c->end; i++) {
        const struct hitem *h = &v->it[i];
        switch (h->kind) {
        case H_SEG: {
            char lab[160], t0[32], t1[32], fl[48];
            seg_label(v, h, lab, sizeof lab);
            tcpsim_report_flags(h->flags, fl, sizeof fl);
            int top = y + (h->tls != SIZE_MAX ? 26 : 12);
            int x0 = h->side == TCPSIM_SIDE_CLIENT ? XC : XS, x1 = h->side == TCPSIM_SIDE_CLIENT ? XS : XC;
            int y1 = top + 22;
            if (h->dropped) {
                x1 = (x0 + x1) / 2;
                y1 = top + 11;
            }
            fprintf(f, "<g class=\"seg%s%s\" data-seg=\"%zu\" data-from=\"%s\" data-flags=\"%s\" data-detail=\"",
                    h->dropped ? " dropped" : "", h->retrans ? " rtx" : "", *segno, tcpsim__report_side(h->side), fl);
            /* details shown on hover/click, in the page's language */
            char w[160], nb[32];
            const char *a[1] = {nb};
            fprintf(f, "#%zu ", *segno);
            esc(f, tcpsim_i18n_side(v->lang, h->side));
            fprintf(f, " &#8594; ");
            esc(f, tcpsim_i18n_side(v->lang, h->side == TCPSIM_SIDE_CLIENT ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT));
            fprintf(f, "&#10;");
            if (h->frame) {
                snprintf(nb, sizeof nb, "%" PRIu64, h->frame);
                esc(f, (tcpsim_msg(v->lang, "html.frame", a, 1, w, sizeof w), w));
                fprintf(f, "&#10;");
            }
            esc(f, lab);
            snprintf(nb, sizeof nb, "%" PRIu64, h->win);
            fprintf(f, "&#10;");
            esc(f, (tcpsim_msg(v->lang, "html.window", a, 1, w, sizeof w), w));
            fprintf(f, "&#10;");
            a[0] = tcpsim_report_time(h->t0, t0, sizeof t0);
            esc(f, (tcpsim_msg(v->lang, "html.sent", a, 1, w, sizeof w), w));
            if (h->dropped) {
                fprintf(f, ", ");
                esc(f, tcpsim_msg_raw(v->lang, "html.lost"));
            } else if (h->t1 != TCPSIM_TIME_NEVER) {
                a[0] = tcpsim_report_time(h->t1, t1, sizeof t1);
                fprintf(f, ", ");
                esc(f, (tcpsim_msg(v->lang, "html.arrived", a, 1, w, sizeof w), w));
            }
            if (h->dup) {
                fprintf(f, "&#10;");
                esc(f, tcpsim_msg_raw(v->lang, "html.dup"));
            }
            for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
                if (h->analysis & (1u << b))
                    fprintf(f, "&#10;tcp.analysis.%s", tcpsim_analysis_name(b));
            if (h->tls != SIZE_MAX) {
                fprintf(f, "&#10;TLS: ");
                esc(f, astr(v, h->tls, ""));
            }
            if (h->explain != SIZE_MAX) {
                fprintf(f, "&#10;");
                esc(f, astr(v, h->explain, ""));
            }
            fprintf(f, "\" tabindex=\"0\">");
            fprintf(f, "<line class=\"hit\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x0, top, x1, y1);
            fprintf(f, "<line class=\"arrow\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"%s/>", x0, top, x1, y1,
                    h->dropped ? "" : " marker-end=\"url(#la)\"");
            if (h->dropped)
                fprintf(f, "<text class=\"lost\" x=\"%d\" y=\"%d\">&#10007;</text>", x1, y1 + 5);
            fprintf(f, "<text class=\"lab\" x=\"%d\" y=\"%d\">", (XC + XS) / 2, top - 3);
            esc(f, lab);
            fprintf(f, "</text>");
            if (h->tls != SIZE_MAX) {
                fprintf(f, "<text class=\"tls\" x=\"%d\" y=\"%d\">", (XC + XS) / 2, y + 8);
                esc(f, astr(v, h->tls, ""));
                fprintf(f, "</text>");
            }
            fprintf(f, "</g>\n");
            (*segno)++;
            y += h->tls != SIZE_MAX ? 58 : 44;
            break;
        }
        case H_STATE: {
            bool cl = h->side == TCPSIM_SIDE_CLIENT;
            fprintf(f,
                    "<text class=\"state %s\" x=\"%d\" y=\"%d\" data-state=\"%s\" data-side=\"%s\"><title>%s "
                    "&#8594; %s: ",
                    cl ? "c" : "s", cl ? XC - 8 : XS + 8, y + 10, tcpsim_tcp_state_name(h->to),
                    tcpsim__report_side(h->side), tcpsim_tcp_state_name(h->from), tcpsim_tcp_state_name(h->to));
            esc(f, tcpsim_i18n_why(v->lang, h->why));
            fprintf(f, " (");
            esc(f, tcpsim__report_why_rule(h->why));
            fprintf(f, ")</title>%s</text>\n", tcpsim_tcp_state_name(h->to));
            y += 20;
            break;
        }
        case H_NOTE: {
            bool cl = h->side == TCPSIM_SIDE_CLIENT;
            fprintf(f, "<text class=\"note %s\" x=\"%d\" y=\"%d\" data-note=\"%s\">", cl ? "c" : "s",
                    cl ? XC + 6 : XS - 6, y + 10, tcpsim__report_side(h->side));
            const char *t = astr(v, h->text, NULL);
            esc(f, t ? t : tcpsim_i18n_why(v->lang, h->why));
            fprintf(f, "</text>\n");
            y += 20;
            break;
        }
        }
    }
    fprintf(f, "</svg>\n");
}

static const char css[] =
    "body{font-family:system-ui,'Noto Sans',sans-serif;margin:16px;color:#222;background:#fafafa}"
    "h1{font-size:20px}h2{font-size:16px;margin:18px 0 6px}"
    ".row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
    "svg{background:#fff;border:1px solid #ddd;border-radius:6px}"
    ".who{font-weight:bold;text-anchor:middle;font-size:13px}"
    ".life{stroke:#999;stroke-width:2}"
    ".state{font:bold 12px monospace;fill:#1a5fb4}.state.c{text-anchor:end}.state.s{text-anchor:start}"
    ".seg .arrow{stroke:#333;stroke-width:1.6}.seg .hit{stroke:transparent;stroke-width:14}"
    ".seg.dropped .arrow{stroke:#c01c28;stroke-dasharray:5 3}.seg.rtx .arrow{stroke:#e66100}"
    ".seg:hover .arrow,.seg.sel .arrow{stroke:#26a269;stroke-width:3}.seg{cursor:pointer}"
    ".lab{font:11px monospace;text-anchor:middle;fill:#333}.tls{font:bold 11px sans-serif;text-anchor:middle;"
    "fill:#813d9c}.lost{fill:#c01c28;font-size:16px;text-anchor:middle}"
    ".note{font:italic 11px sans-serif;fill:#666}.note.s{text-anchor:end}"
    ".details{white-space:pre-wrap;font:12px monospace;background:#fff;border:1px solid #ddd;border-radius:6px;"
    "padding:8px;min-height:90px;width:600px;box-sizing:border-box}"
    ".fsm .node rect{fill:#f4f4f4;stroke:#999}.fsm .node text{font:bold 11px monospace;text-anchor:middle}"
    ".fsm .node.visited rect{fill:#dbeafe;stroke:#1a5fb4;stroke-width:2}"
    ".fsm .node.cur rect{fill:#fde68a;stroke:#b45309;stroke-width:3}"
    ".fsm .edge path{fill:none;stroke:#bbb;stroke-width:1.2}"
    ".fsm .edge.visited path{stroke:#1a5fb4;stroke-width:2.6}.fsm .edge.extra path{stroke-dasharray:4 3}"
    ".cap{font-size:11px;fill:#666}.legend{font-size:12px;color:#555}";

/* Hover or click an arrow: its details go to the panel; the states on the
 * ladder light up the matching node of the diagram. */
static const char js[] =
    "'use strict';\n"
    "document.querySelectorAll('section.conn').forEach(function(sec){\n"
    "  var det=sec.querySelector('.details');\n"
    "  function show(g){sec.querySelectorAll('.seg.sel').forEach(function(x){x.classList.remove('sel');});\n"
    "    g.classList.add('sel');det.textContent=g.getAttribute('data-detail');}\n"
    "  sec.querySelectorAll('.seg').forEach(function(g){\n"
    "    g.addEventListener('mouseenter',function(){show(g);});\n"
    "    g.addEventListener('click',function(){show(g);});\n"
    "    g.addEventListener('focus',function(){show(g);});});\n"
    "  sec.querySelectorAll('.ladder .state').forEach(function(t){\n"
    "    t.addEventListener('mouseenter',function(){var n=sec.querySelector('.fsm [data-node=\"'+\n"
    "      t.getAttribute('data-state')+'\"]');if(n)n.classList.add('cur');});\n"
    "    t.addEventListener('mouseleave',function(){sec.querySelectorAll('.fsm .cur').forEach(function(n){\n"
    "      n.classList.remove('cur');});});});\n"
    "});\n"
    "document.body.setAttribute('data-ready','1');\n";

enum tcpsim_err tcpsim_html_finish(struct tcpsim_html *v)
{
    if (!v)
        return TCPSIM_ERR_INVALID;
    if (v->written)
        return TCPSIM_OK;
    v->written = true;
    FILE *f = v->out;
    const char *title = v->o.title ? v->o.title : "tcpsim";
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>", v->o.lang);
    esc(f, title);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>", css);
    esc(f, title);
    fprintf(f, "</h1>\n<p class=\"legend\">");
    esc(f, tcpsim_msg_raw(v->lang, "html.legend"));
    fprintf(f, "</p>\n");
    fprintf(f, "<svg width=\"0\" height=\"0\" style=\"position:absolute\"><defs>"
               "<marker id=\"la\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" "
               "markerWidth=\"11\" markerHeight=\"11\" "
               "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#333\"/></marker>"
               "<marker id=\"fa\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" "
               "markerWidth=\"9\" markerHeight=\"9\" "
               "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#555\"/></marker>"
               "</defs></svg>\n");
    char w[256], n1[32], n2[32];
    const char *a[2] = {n1, n2};
    if (v->oom) {
        fprintf(f, "<p class=\"warn\">");
        esc(f, tcpsim_msg_raw(v->lang, "html.oom"));
        fprintf(f, "</p>\n");
    }
    if (v->omitted) {
        snprintf(n1, sizeof n1, "%zu", v->omitted);
        snprintf(n2, sizeof n2, "%d", TCPSIM_HTML_MAX_ITEMS);
        fprintf(f, "<p class=\"warn\">");
        esc(f, (tcpsim_msg(v->lang, "html.omitted", a, 2, w, sizeof w), w));
        fprintf(f, "</p>\n");
    }
    if (v->nc == 0) {
        fprintf(f, "<p>");
        esc(f, tcpsim_msg_raw(v->lang, "html.no_events"));
        fprintf(f, "</p>\n");
    }
    size_t segno = 1;
    for (size_t i = 0; i < v->nc; i++) {
        const struct hconn *c = &v->c[i];
        char lb[128];
        snprintf(n1, sizeof n1, "%u", c->conn);
        fprintf(f, "<section class=\"conn\" data-conn=\"%u\">\n<h2>", c->conn);
        esc(f, (tcpsim_msg(v->lang, "html.connection", a, 1, w, sizeof w), w));
        fprintf(f, ": ");
        esc(f, tcpsim__report_label(v->lang, astr(v, c->client_label, NULL), TCPSIM_SIDE_CLIENT, lb, sizeof lb));
        fprintf(f, " &#8596; ");
        esc(f, tcpsim__report_label(v->lang, astr(v, c->server_label, NULL), TCPSIM_SIDE_SERVER, lb, sizeof lb));
        if (c->inferred) {
            fprintf(f, " ");
            esc(f, tcpsim_msg_raw(v->lang, "html.inferred"));
        }
        fprintf(f, "</h2>\n<div class=\"row\">\n");
        write_ladder(v, f, c, &segno);
        fprintf(f, "<div><div class=\"details\">");
        esc(f, tcpsim_msg_raw(v->lang, "html.hover"));
        fprintf(f, "</div>\n");
        write_fsm(v, f, c);
        fprintf(f, "</div></div></section>\n");
    }
    fprintf(f, "<script>%s</script>\n</body></html>\n", js);
    fflush(f);
    return ferror(f) ? TCPSIM_ERR_IO : TCPSIM_OK;
}

void tcpsim_html_free(struct tcpsim_html *v)
{
    if (!v)
        return;
    if (!v->written)
        (void)tcpsim_html_finish(v);
    free(v->it);
    free(v->c);
    free(v->arena);
    free(v);
}
