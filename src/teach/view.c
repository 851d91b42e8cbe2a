/* view.c - the teaching view of a timeline: a plain-ASCII ladder that grows
 * one segment at a time, each step explained in the learner's language, and on
 * a terminal a pause per step with both state machines, the current state
 * highlighted. Read first: RFC 9293 §3.3.2 (states), §3.5 (handshake). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tcpsim/tls.h"
#include "teach/teach_int.h"

#define COLW 13 /* state column */
#define ARW  42 /* arrow area */

struct tcpsim_stepper {
    FILE *f;
    struct tcpsim_teach_opts o;
    bool pausing;       /* still pausing (q turns it off) */
    bool raw;           /* terminal switched to raw mode */
    bool in_step;       /* a segment has been shown and its step not closed */
    unsigned nseg;      /* segments shown so far (across parts) */
    const char *lesson; /* commentary keys "<lesson>.s<n>" */
    enum tcpsim_tcp_state cur[2];
    unsigned visited[2]; /* bit per state */
    enum tcpsim_tcp_state path[2][32];
    size_t npath[2];
    bool begun;
    unsigned told; /* segment kinds already explained in full since BEGIN */
};

/* ---- terminal ---- */
static struct termios saved_tio;
static int saved_fd = -1;
static struct sigaction saved_int, saved_term; /* the caller's handlers, put back afterwards */

static void tty_restore(void)
{
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSAFLUSH, &saved_tio);
        saved_fd = -1;
    }
}

/* Put the terminal back, then let the signal do what it did before us
 * (by default: end the process). tcsetattr is async-signal-safe. */
static void on_sigint(int sig)
{
    tty_restore();
    sigaction(sig, sig == SIGINT ? &saved_int : &saved_term, NULL);
    raise(sig);
}

static bool tty_raw(int fd)
{
    static bool registered;
    struct termios t;
    if (!isatty(fd) || tcgetattr(fd, &t) != 0)
        return false;
    saved_tio = t;
    saved_fd = fd;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSAFLUSH, &t) != 0) {
        saved_fd = -1;
        return false;
    }
    if (!registered) {
        registered = true;
        atexit(tty_restore);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &saved_int);
    sigaction(SIGTERM, &sa, &saved_term);
    return true;
}

/* ---- text helpers ---- */
static const char *msg(struct tcpsim_stepper *st, const char *key, const char *const *a, size_t n, char *buf,
                       size_t cap)
{
    tcpsim_msg(st->o.lang, key, a, n, buf, cap);
    return buf;
}

static const char *side_name(struct tcpsim_stepper *st, enum tcpsim_side s)
{
    return tcpsim_msg_raw(st->o.lang, s == TCPSIM_SIDE_CLIENT ? "side.client" : "side.server");
}

static const char *const why_ids[] = {
#define W_(id, rule, text) #id,
    TCPSIM_TCP_WHYS(W_)
#undef W_
};
static const char *const why_rules[] = {
#define W_(id, rule, text) rule,
    TCPSIM_TCP_WHYS(W_)
#undef W_
};
static const char *const why_texts[] = {
#define W_(id, rule, text) text,
    TCPSIM_TCP_WHYS(W_)
#undef W_
};
#define NWHY (sizeof why_ids / sizeof why_ids[0])

/* The reason in the learner's language, else the endpoint's English. */
static const char *why_text(struct tcpsim_stepper *st, enum tcpsim_tcp_why w)
{
    size_t i = (size_t)w;
    if (i >= NWHY)
        return "";
    char key[80];
    snprintf(key, sizeof key, "why.%s", why_ids[i]);
    const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(st->o.lang), key);
    return t ? t : why_texts[i];
}

/* Narration lines are indented under the ladder. */
static void say_lines(struct tcpsim_stepper *st, const char *prefix, const char *text)
{
    const char *p = text;
    if (!*p)
        fputc('\n', st->f);
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            fprintf(st->f, "%s%.*s\n", prefix, (int)n, p);
        else
            fputc('\n', st->f);
        p += n;
        if (*p == '\n')
            p++;
    }
}

/* Columns on a terminal: Hangul syllables are two cells wide. */
static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        w += (*p >= 0xE1 && *p <= 0xED) ? 2 : 1;
    }
    return w;
}

void tcpsim__stepper_header(struct tcpsim_stepper *st)
{
    const char *l = side_name(st, TCPSIM_SIDE_CLIENT), *r = side_name(st, TCPSIM_SIDE_SERVER);
    size_t w = disp_width(l);
    fprintf(st->f, "%*s%s  %*s %s\n", (int)(w < COLW ? COLW - w : 0), "", l, ARW, "", r);
}

static void ladder_row(struct tcpsim_stepper *st, const char *left, const char *mid, const char *right)
{
    /* no trailing spaces: golden files stay readable in diffs */
    if (*right)
        fprintf(st->f, "%*s |%-*s| %s\n", COLW, left, ARW, mid, right);
    else
        fprintf(st->f, "%*s |%-*s|\n", COLW, left, ARW, mid);
}

static void arrow(char *out, size_t cap, enum tcpsim_side from, const char *label, bool lost)
{
    char a[256];
    size_t ll = strlen(label);
    if (from == TCPSIM_SIDE_CLIENT) {
        size_t n = (size_t)snprintf(a, sizeof a, "-- %s ", label);
        size_t stop = lost ? n + 4 : ARW - 1;
        while (n < stop && n + 1 < sizeof a)
            a[n++] = '-';
        a[n++] = lost ? 'X' : '>';
        a[n] = '\0';
    } else {
        size_t n = 0;
        size_t dashes = ARW > ll + 4 ? ARW - ll - 4 : 1;
        if (lost) {
            /* lost halfway: leave the left part empty */
            size_t pad = dashes > 4 ? dashes - 4 : 0;
            for (size_t i = 0; i < pad; i++)
                a[n++] = ' ';
            a[n++] = 'X';
            for (size_t i = 0; i + pad + 1 < dashes; i++)
                a[n++] = '-';
        } else {
            a[n++] = '<';
            for (size_t i = 1; i < dashes; i++)
                a[n++] = '-';
        }
        snprintf(a + n, sizeof a - n, " %s --", label);
    }
    snprintf(out, cap, "%s", a);
}

static void visit(struct tcpsim_stepper *st, enum tcpsim_side s, enum tcpsim_tcp_state to)
{
    st->cur[s] = to;
    st->visited[s] |= 1u << (unsigned)to;
    if (st->npath[s] < 32)
        st->path[s][st->npath[s]++] = to;
}

/* ---- pause: the state machines and a key ---- */
static void panel_and_wait(struct tcpsim_stepper *st)
{
    static const enum tcpsim_tcp_state order[TCPSIM_TCP_NSTATES] = {
        TCPSIM_TCP_CLOSED,      TCPSIM_TCP_LISTEN,     TCPSIM_TCP_SYN_SENT,   TCPSIM_TCP_SYN_RECEIVED,
        TCPSIM_TCP_ESTABLISHED, TCPSIM_TCP_FIN_WAIT_1, TCPSIM_TCP_FIN_WAIT_2, TCPSIM_TCP_CLOSING,
        TCPSIM_TCP_TIME_WAIT,   TCPSIM_TCP_CLOSE_WAIT, TCPSIM_TCP_LAST_ACK,
    };
    char b[256];
    int lines = 0;
    fprintf(st->f, "\n  %-30s %s\n", side_name(st, TCPSIM_SIDE_CLIENT), side_name(st, TCPSIM_SIDE_SERVER));
    lines += 2;
    for (size_t i = 0; i < TCPSIM_TCP_NSTATES; i++) {
        for (int s = 0; s < 2; s++) {
            enum tcpsim_tcp_state x = order[i];
            bool cur = st->cur[s] == x, seen = (st->visited[s] >> (unsigned)x) & 1u;
            const char *name = tcpsim_tcp_state_name(x);
            int w = 0;
            if (cur && st->o.color)
                w = fprintf(st->f, "  \033[7;1m> %-12s\033[0m", name) - 10;
            else if (cur)
                w = fprintf(st->f, "  > %-12s <", name);
            else
                w = fprintf(st->f, "    %-12s %s", name, seen ? "*" : " ");
            if (s == 0)
                fprintf(st->f, "%*s", w < 31 ? 31 - w : 1, "");
        }
        fputc('\n', st->f);
        lines++;
    }
    fprintf(st->f, "%s", msg(st, "ui.prompt", NULL, 0, b, sizeof b));
    fflush(st->f);
    lines++;
    unsigned char c = 0;
    for (;;) {
        ssize_t r = read(st->o.in_fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            c = 'q';
        break;
    }
    if (c == 'q' || c == 'Q')
        st->pausing = false;
    /* erase the panel: the transcript goes on below the ladder */
    fprintf(st->f, "\r\033[%dA\033[J", lines);
    fflush(st->f);
}

static void end_step(struct tcpsim_stepper *st)
{
    if (!st->in_step)
        return;
    st->in_step = false;
    if (st->lesson) {
        char key[96];
        snprintf(key, sizeof key, "%s.s%u", st->lesson, st->nseg);
        const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(st->o.lang), key);
        if (!t)
            t = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), key);
        if (t)
            say_lines(st, "     >> ", t);
    }
    if (st->pausing)
        panel_and_wait(st);
}

/* A note in the learner's language: the simulator gives its notes message
 * ids (i18n.h); others (replay) are said as they come. */
static const char *note_text(struct tcpsim_stepper *st, const struct tcpsim_tl_note *n, char *buf, size_t cap)
{
    char t[512];
    tcpsim_i18n_note(st->o.lang, n, t, sizeof t);
    const char *a[2] = {side_name(st, n->side), t};
    tcpsim_msg(st->o.lang, "note.text", a, 2, buf, cap);
    return buf;
}

/* In a lesson, what a TLS message is for, in the learner's words: chosen by
 * the parser's explanation id (RFC 5246 7.3, RFC 8446 2); NULL when the
 * lessons have nothing to add. */
static const char *tls_lesson_key(const struct tcpsim_tl_tls *t)
{
    if (!t->why)
        return NULL;
    const struct tcpsim_tls_explain *x = t->why;
    switch (x->id) {
    case TCPSIM_TLS_X_CLIENT_HELLO:
        return x->n[1] ? "tls13.ClientHello" : "tls.ClientHello";
    case TCPSIM_TLS_X_SERVER_HELLO:
        return x->s[1] && !strcmp(x->s[1], "TLS 1.3") ? "tls13.ServerHello" : "tls.ServerHello";
    case TCPSIM_TLS_X_CERTIFICATE:
        return "tls.Certificate";
    case TCPSIM_TLS_X_SERVER_HELLO_DONE:
        return "tls.ServerHelloDone";
    case TCPSIM_TLS_X_SKE_ECDHE:
        return "tls.ecdhe.ServerKeyExchange";
    case TCPSIM_TLS_X_CKE_RSA:
        return "tls.rsa.ClientKeyExchange";
    case TCPSIM_TLS_X_CKE_ECDHE:
        return "tls.ecdhe.ClientKeyExchange";
    case TCPSIM_TLS_X_CCS:
        return "tls.ChangeCipherSpec";
    case TCPSIM_TLS_X_CCS_COMPAT:
        return "tls13.ChangeCipherSpec";
    case TCPSIM_TLS_X_FINISHED_ENC:
        return "tls.Finished";
    case TCPSIM_TLS_X_TLS13_FLIGHT_S:
        return "tls13.flight.server";
    case TCPSIM_TLS_X_TLS13_FLIGHT_C:
        return "tls13.Finished.client";
    case TCPSIM_TLS_X_APP_DATA:
        return t->dir == TCPSIM_SIDE_CLIENT ? "tls.app.request" : "tls.app.response";
    case TCPSIM_TLS_X_NONE:
    case TCPSIM_TLS_X_CLIENT_HELLO_V2:
    case TCPSIM_TLS_X_HELLO_RETRY:
    case TCPSIM_TLS_X_CERTIFICATE_EMPTY:
    case TCPSIM_TLS_X_SKE_DHE:
    case TCPSIM_TLS_X_SKE_OTHER:
    case TCPSIM_TLS_X_CERT_REQUEST:
    case TCPSIM_TLS_X_CKE_DHE:
    case TCPSIM_TLS_X_CKE_OTHER:
    case TCPSIM_TLS_X_ENCRYPTED_HS:
    case TCPSIM_TLS_X_NEW_SESSION_TICKET:
    case TCPSIM_TLS_X_ALERT:
    case TCPSIM_TLS_X_ALERT_ENC:
    case TCPSIM_TLS_X_HEARTBEAT:
    case TCPSIM_TLS_X_HANDSHAKE_OTHER:
    case TCPSIM_TLS_X_TOO_LARGE:
    case TCPSIM_TLS_X_MALFORMED:
        return NULL;
    }
    return NULL;
}

static void seg_label(const struct tcpsim_tl_segment *s, char *buf, size_t cap)
{
    char fl[48];
    const uint8_t f = s->seg->flags;
    size_t n = 0;
    fl[0] = '\0';
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    /* SYN and FIN first: that is how people say them ("SYN,ACK", "FIN,ACK") */
    static const unsigned ord[8] = {1, 0, 2, 3, 4, 5, 6, 7};
    for (size_t i = 0; i < 8; i++)
        if (f & (1u << ord[i]))
            n += (size_t)snprintf(fl + n, sizeof fl - n, "%s%s", n ? "," : "", names[ord[i]]);
    if (!n)
        snprintf(fl, sizeof fl, "-");
    uint32_t seq = s->rel_seq_known ? s->rel_seq : s->seg->seq;
    int w = snprintf(buf, cap, "%s seq=%" PRIu32, fl, seq);
    if (w > 0 && (size_t)w < cap && (f & TCPSIM_ACK))
        w += snprintf(buf + w, cap - (size_t)w, " ack=%" PRIu32, s->rel_ack_known ? s->rel_ack : s->seg->ack);
    if (w > 0 && (size_t)w < cap && s->seg->payload_len)
        snprintf(buf + w, cap - (size_t)w, " len=%zu", s->seg->payload_len);
}

static void on_segment(struct tcpsim_stepper *st, const struct tcpsim_tl_segment *s)
{
    end_step(st);
    st->nseg++;
    st->in_step = true;
    char lab[128], row[300], b[1024], n1[16], n2[16], n3[16], n4[16];
    seg_label(s, lab, sizeof lab);
    if (s->retransmission)
        strncat(lab, " (rtx)", sizeof lab - strlen(lab) - 1);
    arrow(row, sizeof row, s->from, lab, s->dropped);
    fprintf(st->f, "%*s |%-*s|\n", COLW, "", ARW, "");
    ladder_row(st, "", row, "");
    enum tcpsim_side to = s->from == TCPSIM_SIDE_CLIENT ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    snprintf(n1, sizeof n1, "%" PRIu32, s->seg->seq);
    snprintf(n2, sizeof n2, "%" PRIu32, s->rel_ack_known ? s->rel_ack : s->seg->ack);
    snprintf(n3, sizeof n3, "%zu", s->seg->payload_len);
    snprintf(n4, sizeof n4, "%" PRIu32, s->seg->seq + 1u);
    const char *a[6] = {side_name(st, s->from), side_name(st, to), n1, n2, n3, n4};
    const uint8_t f = s->seg->flags;
    const char *key;
    if (f & TCPSIM_RST)
        key = "seg.rst";
    else if ((f & TCPSIM_SYN) && (f & TCPSIM_ACK))
        key = "seg.synack";
    else if (f & TCPSIM_SYN)
        key = "seg.syn";
    else if (f & TCPSIM_FIN)
        key = "seg.fin";
    else if (s->seg->payload_len)
        key = "seg.data";
    else
        key = "seg.ack";
    /* each kind of segment is explained once per connection; after that the
     * arrow speaks for itself */
    static const char *const kinds[] = {"seg.rst", "seg.synack", "seg.syn", "seg.fin", "seg.data", "seg.ack"};
    unsigned bit = 0;
    for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!strcmp(kinds[k], key))
            bit = 1u << k;
    if (!(st->told & bit))
        say_lines(st, "     * ", msg(st, key, a, 6, b, sizeof b));
    st->told |= bit;
    if (s->retransmission)
        say_lines(st, "     * ", msg(st, "seg.retransmission", a, 6, b, sizeof b));
    if (s->dropped)
        say_lines(st, "     * ", msg(st, "seg.lost", a, 6, b, sizeof b));
    for (size_t i = 0; i < s->ntls; i++) {
        const struct tcpsim_tl_tls *t = &s->tls[i];
        char xb[320];
        const char *x = tcpsim_i18n_tls(st->o.lang, t, xb, sizeof xb);
        const char *ta[2] = {t->handshake ? t->handshake : (t->record ? t->record : "?"), x ? x : ""};
        say_lines(st, "       ", msg(st, x ? "seg.tls" : "seg.tls_plain", ta, 2, b, sizeof b));
        const char *tk = st->lesson ? tls_lesson_key(t) : NULL;
        if (tk)
            say_lines(st, "         ", tcpsim_msg_raw(st->o.lang, tk));
    }
}

static void on_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_stepper *st = ctx;
    char b[1024];
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN: {
        const struct tcpsim_tl_begin *g = &ev->u.begin;
        st->begun = true;
        st->told = 0;
        memset(st->visited, 0, sizeof st->visited);
        st->npath[0] = st->npath[1] = 0;
        visit(st, TCPSIM_SIDE_CLIENT, g->client_state);
        visit(st, TCPSIM_SIDE_SERVER, g->server_state);
        fputc('\n', st->f);
        tcpsim__stepper_header(st);
        ladder_row(st, tcpsim_tcp_state_name(g->client_state), "", tcpsim_tcp_state_name(g->server_state));
        return;
    }
    case TCPSIM_TL_SEGMENT:
        if (ev->u.segment.seg)
            on_segment(st, &ev->u.segment);
        return;
    case TCPSIM_TL_STATE: {
        const struct tcpsim_tl_state *s = &ev->u.state;
        bool first = !((st->visited[s->side] >> (unsigned)s->to) & 1u);
        visit(st, s->side, s->to);
        if (s->side == TCPSIM_SIDE_CLIENT)
            ladder_row(st, tcpsim_tcp_state_name(s->to), "", "");
        else
            ladder_row(st, "", "", tcpsim_tcp_state_name(s->to));
        size_t wi = (size_t)s->why;
        const char *a[5] = {side_name(st, s->side), tcpsim_tcp_state_name(s->from), tcpsim_tcp_state_name(s->to),
                            why_text(st, s->why), wi < NWHY ? why_rules[wi] : ""};
        say_lines(st, "     * ", msg(st, "state.change", a, 5, b, sizeof b));
        if (st->lesson && first) {
            /* the lesson's remark the first time a side enters a state */
            char key[128];
            snprintf(key, sizeof key, "%s.%s.%s", st->lesson, s->side == TCPSIM_SIDE_CLIENT ? "client" : "server",
                     tcpsim_tcp_state_name(s->to));
            const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(st->o.lang), key);
            if (!t)
                t = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), key);
            if (t)
                say_lines(st, "     >> ", t);
        }
        return;
    }
    case TCPSIM_TL_NOTE: {
        const struct tcpsim_tl_note *n = &ev->u.note;
        const char *text = n->text ? n->text : n->msg;
        if (!text || n->why != TCPSIM_WHY_NONE) {
            size_t wi = (size_t)n->why;
            const char *a[3] = {side_name(st, n->side), why_text(st, n->why), wi < NWHY ? why_rules[wi] : ""};
            say_lines(st, "     ! ", msg(st, "note.why", a, 3, b, sizeof b));
            if (!text)
                return;
        }
        say_lines(st, "     ! ", note_text(st, n, b, sizeof b));
        return;
    }
    case TCPSIM_TL_END: {
        end_step(st);
        fputc('\n', st->f);
        for (int s = 0; s < 2; s++) {
            char path[600];
            size_t n = 0;
            path[0] = '\0';
            for (size_t i = 0; i < st->npath[s] && n < sizeof path - 20; i++)
                n += (size_t)snprintf(path + n, sizeof path - n, "%s%s", i ? " > " : "",
                                      tcpsim_tcp_state_name(st->path[s][i]));
            const char *a[2] = {side_name(st, (enum tcpsim_side)s), path};
            say_lines(st, "  ", msg(st, "ui.path", a, 2, b, sizeof b));
        }
        fflush(st->f);
        return;
    }
    }
}

enum tcpsim_err tcpsim_stepper_new(struct tcpsim_stepper **out, FILE *f, const struct tcpsim_teach_opts *opts)
{
    *out = NULL;
    if (!f || !opts)
        return TCPSIM_ERR_INVALID;
    struct tcpsim_stepper *st = calloc(1, sizeof *st);
    if (!st)
        return TCPSIM_ERR_NOMEM;
    st->f = f;
    st->o = *opts;
    /* Pause only with a terminal to read keys from; otherwise run straight. */
    st->pausing = opts->pause && tty_raw(opts->in_fd);
    st->raw = st->pausing;
    *out = st;
    return TCPSIM_OK;
}

struct tcpsim_tl_sink tcpsim_stepper_sink(struct tcpsim_stepper *st)
{
    struct tcpsim_tl_sink s = {on_event, st};
    if (!st)
        s.event = NULL;
    return s;
}

void tcpsim_stepper_free(struct tcpsim_stepper *st)
{
    if (!st)
        return;
    end_step(st);
    fflush(st->f);
    if (st->raw) {
        tty_restore();
        sigaction(SIGINT, &saved_int, NULL);
        sigaction(SIGTERM, &saved_term, NULL);
    }
    free(st);
}

void tcpsim__stepper_say(struct tcpsim_stepper *st, const char *text)
{
    end_step(st);
    say_lines(st, "", text);
}

void tcpsim__stepper_lesson(struct tcpsim_stepper *st, const char *lesson_id)
{
    st->lesson = lesson_id;
}

void tcpsim__stepper_flush(struct tcpsim_stepper *st)
{
    end_step(st);
    fflush(st->f);
}

void tcpsim__stepper_datagram(struct tcpsim_stepper *st, enum tcpsim_side from, const char *label, bool lost,
                              const char *narration)
{
    end_step(st);
    st->nseg++;
    st->in_step = true;
    char row[300];
    arrow(row, sizeof row, from, label, lost);
    fprintf(st->f, "%*s |%-*s|\n", COLW, "", ARW, "");
    ladder_row(st, "", row, "");
    if (narration)
        say_lines(st, "     * ", narration);
}
