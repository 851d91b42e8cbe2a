/* ladder.c - the two-column arrow diagram ("ladder") learners draw by hand:
 * one arrow per segment, each endpoint's state on its own side when it
 * changes, and at the right of the row why (the RFC rule). Rows are kept per
 * connection and sorted by time, so arrows in flight while other things
 * happen read correctly. Read first: RFC 9293 §3.5 (the handshake figures
 * this mimics), include/tcpsim/timeline.h, include/tcpsim/report.h. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define LADDER_W 58 /* cells between the two lifelines */
#define STATE_W  12 /* cells for a state name beside a lifeline (SYN_RECEIVED) */

enum row_kind { ROW_SEND, ROW_ARRIVE, ROW_STATE, ROW_NOTE };

struct row {
    enum row_kind kind;
    tcpsim_time_t t; /* when the row happens (sort key 1) */
    size_t after;    /* sort key 2: the event it follows in emission order */
    size_t ev;       /* sort key 3: its own event's emission index */
    size_t seg;      /* ROW_SEND / ROW_ARRIVE: index into segs */
    bool hidden;     /* ROW_ARRIVE shown on the send row instead */
    enum tcpsim_side side;
    enum tcpsim_tcp_state to;
    enum tcpsim_tcp_why why;
    uint64_t frame; /* ROW_STATE: the frame that caused it (replay; 0 unknown) */
    char *text;     /* ROW_NOTE (owned) */
};

struct seg_copy {
    struct tcpsim_tl_segment s; /* pointers re-aimed at the copies below */
    struct tcpsim_segment seg;
    struct tcpsim_tl_tls *tls; /* owned, explain strings owned */
    bool split;                /* drawn as "in flight" + "arrives" rows */
};

struct tcpsim_ladder {
    FILE *out;
    struct tcpsim_view_opts o;
    enum tcpsim_lang lang;
    enum tcpsim_tcp_state st[2];
    bool open;
    struct row *rows;
    size_t nrows, caprows;
    struct seg_copy *segs;
    size_t nsegs, capsegs;
    tcpsim_time_t *ev_now; /* per event: the time it was emitted at */
    size_t nev, capev;
    bool oom;
};

struct glyphs {
    const char *bar, *line, *right, *left, *lost, *flight, *bullet;
};

static const struct glyphs g_utf8 = {"\u2502", "\u2500", "\u25b6", "\u25c0", "\u2715", "\u2508", "\u2022"};
static const struct glyphs g_ascii = {"|", "-", ">", "<", "X", "~", "*"};

static const struct glyphs *glyphs(const struct tcpsim_ladder *v)
{
    return v->o.ascii ? &g_ascii : &g_utf8;
}

static void color(const struct tcpsim_ladder *v, const char *code)
{
    if (v->o.color)
        fputs(code, v->out);
}

#define C_RESET  "\033[0m"
#define C_STATE  "\033[1;32m"
#define C_CLIENT "\033[36m"
#define C_SERVER "\033[33m"
#define C_LOST   "\033[31m"
#define C_NOTE   "\033[2m"
#define C_TLS    "\033[35m"

/* ---- drawing ---- */
static void time_col(struct tcpsim_ladder *v, tcpsim_time_t t, bool show)
{
    if (!show) {
        fprintf(v->out, "%8s  ", "");
        return;
    }
    /* milliseconds are enough to read a ladder; JSON has microseconds */
    fprintf(v->out, "%4llu.%03llu  ", (unsigned long long)(t / 1000000u), (unsigned long long)(t % 1000000u / 1000u));
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

/* The longest prefix of s (at most `bytes` bytes) that fits in `cells`
 * terminal cells without splitting a UTF-8 character; its width in *w. */
static size_t fit(const char *s, size_t bytes, size_t cells, size_t *w)
{
    size_t n = 0, used = 0;
    while (n < bytes && s[n]) {
        size_t k = 1;
        while (n + k < bytes && ((unsigned char)s[n + k] & 0xC0) == 0x80)
            k++;
        char ch[8];
        memcpy(ch, s + n, k < sizeof ch ? k : sizeof ch - 1);
        ch[k < sizeof ch ? k : sizeof ch - 1] = '\0';
        size_t cw = tcpsim__report_width(ch);
        if (used + cw > cells)
            break;
        used += cw;
        n += k;
    }
    *w = used;
    return n;
}

static void plain_area(struct tcpsim_ladder *v, const char *text, const char *col)
{
    const struct glyphs *g = glyphs(v);
    size_t w = 0;
    size_t n = text ? fit(text, strlen(text), LADDER_W, &w) : 0;
    size_t start = (LADDER_W - w) / 2;
    fputs(g->bar, v->out);
    if (n)
        fprintf(v->out, "%*s", (int)start, "");
    else
        fprintf(v->out, "%*s", LADDER_W, "");
    if (n) {
        color(v, col);
        fwrite(text, 1, n, v->out);
        color(v, C_RESET);
        fprintf(v->out, "%*s", (int)(LADDER_W - start - w), "");
    }
    fputs(g->bar, v->out);
}

/* The column right of the server's lifeline: its state (STATE_W cells, the
 * longest name SYN_RECEIVED fills it), at least two spaces, then why:
 * "side: reason (rule)", or the note's text. A bullet (notes) shows the
 * reason even when brief (the caller decided). */
static void right_col(struct tcpsim_ladder *v, const char *state, enum tcpsim_side side, enum tcpsim_tcp_why why,
                      const char *text, const char *col, const char *bullet)
{
    bool reason = (!v->o.brief || bullet) && (why != TCPSIM_WHY_NONE || (text && *text));
    size_t sl = state ? strlen(state) : 0;
    if (!sl && !reason)
        return;
    fputc(' ', v->out);
    if (sl) {
        color(v, C_STATE);
        fputs(state, v->out);
        color(v, C_RESET);
    }
    if (!reason)
        return;
    fprintf(v->out, "%*s", (int)(sl < STATE_W ? STATE_W - sl : 0) + 2, "");
    color(v, col);
    if (bullet)
        fprintf(v->out, "%s ", bullet);
    fprintf(v->out, "%s: ", tcpsim_i18n_side(v->lang, side));
    const char *w = why != TCPSIM_WHY_NONE ? tcpsim_i18n_why(v->lang, why) : NULL;
    if (w && text && *text)
        fprintf(v->out, "%s: %s", text, w);
    else
        fputs(w ? w : text, v->out);
    if (why != TCPSIM_WHY_NONE)
        fprintf(v->out, " (%s)", tcpsim__report_why_rule(why));
    color(v, C_RESET);
}

/* " SYN,ACK seq=0 ack=1 len=0 win=65535 " */
static size_t seg_label(const struct tcpsim_ladder *v, const struct tcpsim_tl_segment *s, bool full, char *label,
                        size_t cap)
{
    char flags[48];
    uint32_t seq, ack;
    bool show_ack;
    tcpsim__report_numbers(s, v->o.absolute, &seq, &ack, &show_ack);
    tcpsim_report_flags(s->seg->flags, flags, sizeof flags);
    int n = snprintf(label, cap, " %s seq=%lu", flags, (unsigned long)seq);
    if (n > 0 && (size_t)n < cap && show_ack)
        n += snprintf(label + n, cap - (size_t)n, " ack=%lu", (unsigned long)ack);
    if (n > 0 && (size_t)n < cap && full)
        n += snprintf(label + n, cap - (size_t)n, " len=%zu win=%llu", s->seg->payload_len, (unsigned long long)s->win);
    else if (n > 0 && (size_t)n < cap && s->seg->payload_len)
        n += snprintf(label + n, cap - (size_t)n, " len=%zu", s->seg->payload_len);
    if (n > 0 && (size_t)n < cap)
        n += snprintf(label + n, cap - (size_t)n, " ");
    size_t ln = n < 0 ? 0 : (size_t)n;
    return ln < cap ? ln : cap - 1;
}

/* One arrow in the area between the lifelines: cells [begin, begin+len),
 * `tail` at the sender's end, `tip` at the far end, label centred. */
static void arrow(struct tcpsim_ladder *v, bool c2s, size_t begin, size_t len, const char *label, size_t ln,
                  const char *tail, const char *tip, const char *col)
{
    const struct glyphs *g = glyphs(v);
    size_t lw = 0; /* the label in cells: a translated word may be wide (Hangul) */
    ln = fit(label, ln, len > 2 ? len - 2 : 0, &lw);
    size_t lstart = (len - lw) / 2;
    fputs(g->bar, v->out);
    color(v, col);
    for (size_t i = 0; i < LADDER_W; i++) {
        if (i < begin || i >= begin + len) {
            fputc(' ', v->out);
            continue;
        }
        size_t k = i - begin; /* position within the arrow, left to right */
        if (k == lstart && lw) {
            fwrite(label, 1, ln, v->out);
            i += lw - 1;
        } else if (k == len - 1)
            fputs(c2s ? tip : tail, v->out);
        else if (k == 0)
            fputs(c2s ? tail : tip, v->out);
        else
            fputs(g->line, v->out);
    }
    color(v, C_RESET);
    fputs(g->bar, v->out);
}

static void tags(struct tcpsim_ladder *v, const struct tcpsim_tl_segment *s)
{
    const char *t[4];
    size_t nt = 0;
    if (s->dropped)
        t[nt++] = tcpsim_msg_raw(v->lang, "view.tag.lost");
    if (s->retransmission)
        t[nt++] = tcpsim_msg_raw(v->lang, "view.tag.retransmission");
    if (s->duplicated)
        t[nt++] = tcpsim_msg_raw(v->lang, "view.tag.duplicate");
    for (size_t i = 0; i < nt; i++)
        fprintf(v->out, "%s%s", i ? ", " : " (", t[i]);
    if (nt)
        fputc(')', v->out);
}

static const char *ms(tcpsim_time_t t, char *tb, size_t cap)
{
    tcpsim_report_time(t, tb, cap);
    size_t n = strlen(tb);
    if (n > 3 && t != TCPSIM_TIME_NEVER)
        tb[n - 3] = '\0'; /* the ladder is in ms */
    return tb;
}

/* How much of an option list goes on one line of at most `w` cells: long
 * lists (real captures: big TS values, SACK blocks) wrap after a comma, so
 * an option ("TS val 1 ecr 0") is never cut; one option longer than a line
 * wraps between its words, and only a single word that long is cut. */
static size_t opts_line(const char *p, size_t w)
{
    size_t n = strlen(p);
    if (n <= w)
        return n;
    for (size_t k = w; k > 1; k--)
        if (p[k - 1] == ',')
            return k;
    for (size_t k = w; k > 1; k--)
        if (p[k - 1] == ' ')
            return k - 1; /* the space itself is dropped by the caller */
    return w;
}

/* Continuation lines under an arrow: the options of a SYN (what the
 * handshake negotiates, RFC 9293 3.7.1, RFC 7323, RFC 2018) and TLS items. */
static void seg_extras(struct tcpsim_ladder *v, const struct seg_copy *c, bool opts, bool tls)
{
    const struct tcpsim_tl_segment *s = &c->s;
    if (opts && !v->o.brief && (s->seg->flags & TCPSIM_SYN)) {
        char o[400];
        tcpsim__report_tcp_opts(&s->seg->opts, o, sizeof o);
        for (const char *p = o; *p;) {
            char line[LADDER_W + 1];
            size_t n = opts_line(p, LADDER_W - 2);
            memcpy(line, p, n);
            line[n] = '\0';
            p += n;
            if (*p == ' ')
                p++;
            time_col(v, 0, false);
            left_state(v, NULL);
            plain_area(v, line, s->from == TCPSIM_SIDE_CLIENT ? C_CLIENT : C_SERVER);
            fputc('\n', v->out);
        }
    }
    for (size_t i = 0; tls && i < s->ntls; i++) {
        char t[96];
        const struct tcpsim_tl_tls *x = &s->tls[i];
        snprintf(t, sizeof t, "TLS %s", x->handshake ? x->handshake : x->record ? x->record : "record");
        time_col(v, 0, false);
        left_state(v, NULL);
        plain_area(v, t, C_TLS);
        right_col(v, NULL, x->dir, TCPSIM_WHY_NONE, x->explain, C_TLS, NULL);
        fputc('\n', v->out);
    }
}

static void draw_send(struct tcpsim_ladder *v, const struct seg_copy *c)
{
    const struct glyphs *g = glyphs(v);
    const struct tcpsim_tl_segment *s = &c->s;
    char label[128];
    size_t lw, ln = seg_label(v, s, true, label, sizeof label);
    ln = fit(label, ln, LADDER_W - 4, &lw);
    bool c2s = s->from == TCPSIM_SIDE_CLIENT;
    /* a lost segment's arrow stops two thirds of the way across, ending in ✕;
     * one still in flight stops there too and continues on its arrival row */
    bool partial = s->dropped || c->split;
    size_t len = partial ? (LADDER_W * 2) / 3 : LADDER_W;
    if (lw > len - 4)
        len = lw + 4 < LADDER_W ? lw + 4 : LADDER_W;
    const char *tip = s->dropped ? g->lost : c->split ? g->flight : c2s ? g->right : g->left;
    time_col(v, s->t_sent, true);
    left_state(v, NULL);
    arrow(v, c2s, c2s ? 0 : LADDER_W - len, len, label, ln, g->line, tip,
          s->dropped ? C_LOST
          : c2s      ? C_CLIENT
                     : C_SERVER);
    tags(v, s);
    char tb[32], w[96];
    const char *a[1] = {tb};
    ms(s->t_arrived, tb, sizeof tb);
    if (c->split)
        fprintf(v->out, " %s", (tcpsim_msg(v->lang, "view.in_flight", a, 1, w, sizeof w), w));
    else if (!s->dropped && s->t_arrived != TCPSIM_TIME_NEVER && s->t_arrived != s->t_sent)
        fprintf(v->out, " %s", (tcpsim_msg(v->lang, "view.arrives", a, 1, w, sizeof w), w));
    fputc('\n', v->out);
    seg_extras(v, c, true, !c->split);
}

static void draw_arrive(struct tcpsim_ladder *v, const struct seg_copy *c)
{
    const struct glyphs *g = glyphs(v);
    const struct tcpsim_tl_segment *s = &c->s;
    char label[160];
    size_t lw, ln = seg_label(v, s, false, label, sizeof label - 32);
    /* "... len=8 arrives ": the word in the reader's language */
    int m = snprintf(label + ln, sizeof label - ln, "%s ", tcpsim_msg_raw(v->lang, "view.arrow.arrives"));
    if (m > 0)
        ln += (size_t)m < sizeof label - ln ? (size_t)m : sizeof label - ln - 1;
    ln = fit(label, ln, LADDER_W - 4, &lw);
    bool c2s = s->from == TCPSIM_SIDE_CLIENT;
    size_t len = (LADDER_W * 2) / 3;
    if (lw > len - 4)
        len = lw + 4 < LADDER_W ? lw + 4 : LADDER_W;
    time_col(v, s->t_arrived, true);
    left_state(v, NULL);
    arrow(v, c2s, c2s ? LADDER_W - len : 0, len, label, ln, g->flight, c2s ? g->right : g->left,
          c2s ? C_CLIENT : C_SERVER);
    tags(v, s);
    char tb[32], w[96];
    const char *a[1] = {ms(s->t_sent, tb, sizeof tb)};
    tcpsim_msg(v->lang, "view.sent", a, 1, w, sizeof w);
    fprintf(v->out, " %s\n", w);
    seg_extras(v, c, false, true);
}

static void draw_state(struct tcpsim_ladder *v, const struct row *r)
{
    const char *name = tcpsim_tcp_state_name(r->to);
    time_col(v, r->t, true);
    left_state(v, r->side == TCPSIM_SIDE_CLIENT ? name : NULL);
    plain_area(v, NULL, NULL);
    right_col(v, r->side == TCPSIM_SIDE_SERVER ? name : NULL, r->side, r->why, NULL, C_NOTE, NULL);
    fputc('\n', v->out);
}

static void draw_note(struct tcpsim_ladder *v, const struct row *r)
{
    time_col(v, r->t, true);
    left_state(v, NULL);
    plain_area(v, NULL, NULL);
    right_col(v, NULL, r->side, r->why, r->text, C_NOTE, glyphs(v)->bullet);
    fputc('\n', v->out);
}

/* ---- buffering ---- */
static bool grow(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 64;
    void *q = realloc(*p, nc * sz);
    if (!q)
        return false;
    *p = q;
    *cap = nc;
    return true;
}

/* Register an event emitted at `now`; returns its index. */
static bool add_event(struct tcpsim_ladder *v, tcpsim_time_t now, size_t *idx)
{
    if (!grow((void **)&v->ev_now, &v->capev, v->nev, sizeof *v->ev_now)) {
        v->oom = true;
        return false;
    }
    *idx = v->nev;
    v->ev_now[v->nev++] = now;
    return true;
}

static struct row *add_row(struct tcpsim_ladder *v)
{
    if (!grow((void **)&v->rows, &v->caprows, v->nrows, sizeof *v->rows)) {
        v->oom = true;
        return NULL;
    }
    struct row *r = &v->rows[v->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

/* The last event emitted at or before t: where a row at time t belongs
 * among events that were emitted before it (a segment is reported when it
 * arrives, but its arrow belongs where it was sent). */
static size_t after_time(const struct tcpsim_ladder *v, size_t own, tcpsim_time_t t)
{
    size_t i = own;
    while (i > 0 && v->ev_now[i - 1] > t)
        i--;
    return i; /* events [0, i) were emitted at or before t */
}

static void on_segment(struct tcpsim_ladder *v, const struct tcpsim_tl_segment *s)
{
    bool arrives = !s->dropped && s->t_arrived != TCPSIM_TIME_NEVER;
    tcpsim_time_t now = arrives ? s->t_arrived : s->t_sent;
    size_t ev;
    if (!add_event(v, now, &ev))
        return;
    if (!grow((void **)&v->segs, &v->capsegs, v->nsegs, sizeof *v->segs)) {
        v->oom = true;
        return;
    }
    struct seg_copy *c = &v->segs[v->nsegs];
    memset(c, 0, sizeof *c);
    c->s = *s;
    c->seg = *s->seg;
    c->seg.payload = NULL;
    c->s.seg = NULL; /* set in flush_rows: segs may still move */
    if (s->ntls) {
        c->tls = calloc(s->ntls, sizeof *c->tls);
        if (!c->tls) {
            v->oom = true;
            return;
        }
        for (size_t i = 0; i < s->ntls; i++) {
            c->tls[i] = s->tls[i]; /* record and handshake names are static strings */
            /* said now, in the view's language: the item's id is not kept */
            char x[320];
            const char *t = tcpsim_i18n_tls(v->lang, &s->tls[i], x, sizeof x);
            c->tls[i].explain = t ? strdup(t) : NULL;
            c->tls[i].why = NULL;
        }
    }
    c->s.tls = c->tls;
    size_t si = v->nsegs++;
    struct row *r = add_row(v);
    if (!r)
        return;
    r->kind = ROW_SEND;
    r->t = s->t_sent;
    r->after = after_time(v, ev, s->t_sent);
    r->ev = ev;
    r->seg = si;
    if (arrives && s->t_arrived != s->t_sent) {
        r = add_row(v);
        if (!r)
            return;
        r->kind = ROW_ARRIVE;
        r->t = s->t_arrived;
        r->after = ev;
        r->ev = ev;
        r->seg = si;
    }
}

static int row_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->after != y->after)
        return x->after < y->after ? -1 : 1;
    if (x->ev != y->ev)
        return x->ev < y->ev ? -1 : 1;
    return (int)x->kind - (int)y->kind; /* send before its arrival */
}

/* An arrow gets its own arrival row when something other than more arrows
 * from the same sender happens while it is in flight (strictly between its
 * send and arrival times): otherwise "arrives T" on the send row reads right. */
static void decide_splits(struct tcpsim_ladder *v)
{
    for (size_t i = 0; i < v->nrows; i++) {
        struct row *snd = &v->rows[i];
        if (snd->kind != ROW_SEND)
            continue;
        struct seg_copy *c = &v->segs[snd->seg];
        size_t j = i + 1;
        bool busy = false;
        for (; j < v->nrows; j++) {
            const struct row *r = &v->rows[j];
            if (r->kind == ROW_ARRIVE && r->seg == snd->seg)
                break;
            if (r->t <= c->s.t_sent || r->t >= c->s.t_arrived)
                continue;
            if (r->kind == ROW_SEND && v->segs[r->seg].s.from == c->s.from)
                continue;
            if (r->kind == ROW_NOTE && (!v->o.notes || v->o.brief))
                continue;
            busy = true;
        }
        if (j < v->nrows) {
            c->split = busy;
            v->rows[j].hidden = !busy;
        }
    }
}

/* Segments sent in one burst (same sender, same instant) go out in sequence
 * order; the timeline reports a lost one earlier than the delivered ones
 * (when it is lost rather than when it lands), so put bursts back in order. */
static void order_bursts(struct tcpsim_ladder *v)
{
    for (size_t i = 1; i < v->nrows; i++) {
        for (size_t j = i; j > 0; j--) {
            struct row *a = &v->rows[j - 1], *b = &v->rows[j];
            if (a->kind != ROW_SEND || b->kind != ROW_SEND || a->t != b->t)
                break;
            const struct tcpsim_tl_segment *x = &v->segs[a->seg].s, *y = &v->segs[b->seg].s;
            if (x->from != y->from || !tcpsim_seq_lt(y->seg->seq, x->seg->seq))
                break;
            struct row tmp = *a;
            *a = *b;
            *b = tmp;
        }
    }
}

static void flush_rows(struct tcpsim_ladder *v)
{
    for (size_t i = 0; i < v->nsegs; i++) /* segs may have moved since they were copied */
        v->segs[i].s.seg = &v->segs[i].seg;
    qsort(v->rows, v->nrows, sizeof *v->rows, row_cmp);
    order_bursts(v);
    decide_splits(v);
    for (size_t i = 0; i < v->nrows; i++) {
        const struct row *r = &v->rows[i];
        switch (r->kind) {
        case ROW_SEND:
            draw_send(v, &v->segs[r->seg]);
            break;
        case ROW_ARRIVE:
            if (!r->hidden)
                draw_arrive(v, &v->segs[r->seg]);
            break;
        case ROW_STATE:
            draw_state(v, r);
            break;
        case ROW_NOTE:
            if (v->o.notes && !v->o.brief)
                draw_note(v, r);
            break;
        }
    }
    if (v->oom)
        fprintf(v->out, "%8s  %s\n", "", tcpsim_msg_raw(v->lang, "view.oom"));
}

static void clear_rows(struct tcpsim_ladder *v)
{
    for (size_t i = 0; i < v->nrows; i++)
        free(v->rows[i].text);
    for (size_t i = 0; i < v->nsegs; i++) {
        for (size_t k = 0; k < v->segs[i].s.ntls && v->segs[i].tls; k++)
            free((char *)v->segs[i].tls[k].explain);
        free(v->segs[i].tls);
    }
    v->nrows = v->nsegs = v->nev = 0;
    v->oom = false;
}

/* ---- events ---- */
static void on_begin(struct tcpsim_ladder *v, const struct tcpsim_tl_begin *b)
{
    v->open = true;
    v->st[TCPSIM_SIDE_CLIENT] = b->client_state;
    v->st[TCPSIM_SIDE_SERVER] = b->server_state;
    if (v->o.title)
        fprintf(v->out, "%s\n", v->o.title);
    char lb[2][128], nb[16], w[64];
    if (b->conn) {
        const char *a[1] = {nb};
        snprintf(nb, sizeof nb, "%u", b->conn);
        tcpsim_msg(v->lang, "view.connection", a, 1, w, sizeof w);
        fprintf(v->out, "%s\n", w);
    }
    const char *cl = tcpsim__report_label(v->lang, b->client_label, TCPSIM_SIDE_CLIENT, lb[0], sizeof lb[0]);
    const char *sl = tcpsim__report_label(v->lang, b->server_label, TCPSIM_SIDE_SERVER, lb[1], sizeof lb[1]);
    /* left label starts at the left lifeline, right label ends at the right one;
     * widths in terminal cells (Hangul takes two) */
    const char *tw = tcpsim_msg_raw(v->lang, "view.time");
    int tpad = 8 - (int)tcpsim__report_width(tw);
    int pad = 2 + LADDER_W - (int)tcpsim__report_width(cl) - (int)tcpsim__report_width(sl);
    fprintf(v->out, "%*s%s  %12s %s%*s%s\n", tpad > 0 ? tpad : 0, "", tw, "", cl, pad > 1 ? pad : 1, "", sl);
    time_col(v, 0, false);
    left_state(v, tcpsim_tcp_state_name(b->client_state));
    plain_area(v, NULL, NULL);
    right_col(v, tcpsim_tcp_state_name(b->server_state), TCPSIM_SIDE_SERVER, TCPSIM_WHY_NONE, NULL, NULL, NULL);
    fputc('\n', v->out);
    if (b->inferred)
        fprintf(v->out, "%8s  %s\n", "", tcpsim_msg_raw(v->lang, "view.inferred"));
}

static void on_state(struct tcpsim_ladder *v, const struct tcpsim_tl_state *s)
{
    v->st[s->side] = s->to;
    size_t ev;
    if (!add_event(v, s->at, &ev))
        return;
    struct row *r = add_row(v);
    if (!r)
        return;
    r->kind = ROW_STATE;
    r->t = s->at;
    r->after = r->ev = ev;
    r->side = s->side;
    r->to = s->to;
    r->why = s->why;
    r->frame = s->frame;
}

static void on_note(struct tcpsim_ladder *v, const struct tcpsim_tl_note *n)
{
    size_t ev;
    if (!add_event(v, n->at, &ev))
        return;
    struct row *r = add_row(v);
    if (!r)
        return;
    r->kind = ROW_NOTE;
    r->t = n->at;
    r->after = r->ev = ev;
    r->side = n->side;
    r->why = n->why;
    char t[512];
    tcpsim_i18n_note(v->lang, n, t, sizeof t);
    r->text = t[0] ? strdup(t) : NULL;
}

static void on_end(struct tcpsim_ladder *v)
{
    flush_rows(v);
    clear_rows(v);
    v->open = false;
    char w[160];
    const char *a[4] = {tcpsim_i18n_side(v->lang, TCPSIM_SIDE_CLIENT), tcpsim_tcp_state_name(v->st[0]),
                        tcpsim_i18n_side(v->lang, TCPSIM_SIDE_SERVER), tcpsim_tcp_state_name(v->st[1])};
    tcpsim_msg(v->lang, "view.final", a, 4, w, sizeof w);
    fprintf(v->out, "%8s  %s\n", "", w);
}

static void ladder_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_ladder *v = ctx;
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN:
        on_begin(v, &ev->u.begin);
        break;
    case TCPSIM_TL_SEGMENT:
        on_segment(v, &ev->u.segment);
        break;
    case TCPSIM_TL_STATE:
        on_state(v, &ev->u.state);
        break;
    case TCPSIM_TL_NOTE:
        on_note(v, &ev->u.note);
        break;
    case TCPSIM_TL_END:
        on_end(v);
        break;
    }
}

struct tcpsim_ladder *tcpsim_ladder_new(FILE *out, const struct tcpsim_view_opts *o)
{
    struct tcpsim_ladder *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    tcpsim__report_opts(&v->o, o);
    v->lang = tcpsim__report_lang(&v->o);
    return v;
}

struct tcpsim_tl_sink tcpsim_ladder_sink(struct tcpsim_ladder *v)
{
    struct tcpsim_tl_sink s = {ladder_event, v};
    return s;
}

void tcpsim_ladder_free(struct tcpsim_ladder *v)
{
    if (!v)
        return;
    if (v->open) /* no END: draw what there is */
        flush_rows(v);
    clear_rows(v);
    free(v->rows);
    free(v->segs);
    free(v->ev_now);
    free(v);
}
