/* mermaid.c - the timeline as a Mermaid sequenceDiagram (renders on GitHub in
 * a ```mermaid block): one message per segment, lost ones as "-x", states as
 * notes over their endpoint. Read first: timeline.h, RFC 9293 §3.5. */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

struct tcpsim_mermaid {
    FILE *out;
    struct tcpsim_view_opts o;
    bool open;
};

/* Mermaid ends a statement at ';' and reads '#' as an entity; keep labels tame. */
static void mm_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc((*s == ';' || *s == '#' || *s == '\n') ? ' ' : *s, f);
}

static const char *who(enum tcpsim_side s)
{
    return s == TCPSIM_SIDE_CLIENT ? "C" : "S";
}

static void on_begin(struct tcpsim_mermaid *v, const struct tcpsim_tl_begin *b)
{
    fputs("sequenceDiagram\n", v->out);
    if (v->o.title) {
        fputs("    %% ", v->out);
        mm_text(v->out, v->o.title);
        fputc('\n', v->out);
    }
    enum tcpsim_lang lang = tcpsim__report_lang(&v->o);
    char lb[128];
    fputs("    participant C as ", v->out);
    mm_text(v->out, tcpsim__report_label(lang, b->client_label, TCPSIM_SIDE_CLIENT, lb, sizeof lb));
    fputs("\n    participant S as ", v->out);
    mm_text(v->out, tcpsim__report_label(lang, b->server_label, TCPSIM_SIDE_SERVER, lb, sizeof lb));
    fprintf(v->out, "\n    Note over C: %s\n    Note over S: %s\n", tcpsim_tcp_state_name(b->client_state),
            tcpsim_tcp_state_name(b->server_state));
    v->open = true;
}

static void on_segment(struct tcpsim_mermaid *v, const struct tcpsim_tl_segment *s)
{
    char flags[48];
    uint32_t seq, ack;
    bool show_ack;
    tcpsim__report_numbers(s, v->o.absolute, &seq, &ack, &show_ack);
    tcpsim_report_flags(s->seg->flags, flags, sizeof flags);
    enum tcpsim_side to = s->from == TCPSIM_SIDE_CLIENT ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    fprintf(v->out, "    %s%s%s: %s seq=%lu", who(s->from), s->dropped ? "-x" : "->>", who(to), flags,
            (unsigned long)seq);
    if (show_ack)
        fprintf(v->out, " ack=%lu", (unsigned long)ack);
    fprintf(v->out, " len=%zu win=%llu", s->seg->payload_len, (unsigned long long)s->win);
    for (size_t i = 0; i < s->ntls; i++) {
        fputs(i ? ", " : " [TLS ", v->out);
        mm_text(v->out, s->tls[i].handshake ? s->tls[i].handshake : s->tls[i].record);
        if (i + 1 == s->ntls)
            fputc(']', v->out);
    }
    enum tcpsim_lang lang = tcpsim__report_lang(&v->o);
    if (s->dropped)
        fprintf(v->out, " (%s)", tcpsim_msg_raw(lang, "view.tag.lost"));
    if (s->retransmission)
        fprintf(v->out, " (%s)", tcpsim_msg_raw(lang, "view.tag.retransmission"));
    if (s->duplicated)
        fprintf(v->out, " (%s)", tcpsim_msg_raw(lang, "view.tag.duplicate"));
    fputc('\n', v->out);
}

static void mermaid_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_mermaid *v = ctx;
    switch (ev->kind) {
    case TCPSIM_TL_BEGIN:
        on_begin(v, &ev->u.begin);
        break;
    case TCPSIM_TL_SEGMENT:
        on_segment(v, &ev->u.segment);
        break;
    case TCPSIM_TL_STATE:
        fprintf(v->out, "    Note over %s: %s\n", who(ev->u.state.side), tcpsim_tcp_state_name(ev->u.state.to));
        break;
    case TCPSIM_TL_NOTE:
        if (v->o.notes) {
            const struct tcpsim_tl_note *n = &ev->u.note;
            enum tcpsim_lang lang = tcpsim__report_lang(&v->o);
            char t[512];
            fprintf(v->out, "    Note right of %s: ", who(n->side));
            tcpsim_i18n_note(lang, n, t, sizeof t);
            mm_text(v->out, t[0] ? t : tcpsim_i18n_why(lang, n->why));
            fputc('\n', v->out);
        }
        break;
    case TCPSIM_TL_END:
        v->open = false;
        break;
    }
}

struct tcpsim_mermaid *tcpsim_mermaid_new(FILE *out, const struct tcpsim_view_opts *o)
{
    struct tcpsim_mermaid *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    tcpsim__report_opts(&v->o, o);
    return v;
}

struct tcpsim_tl_sink tcpsim_mermaid_sink(struct tcpsim_mermaid *v)
{
    struct tcpsim_tl_sink s = {mermaid_event, v};
    return s;
}

void tcpsim_mermaid_free(struct tcpsim_mermaid *v)
{
    free(v);
}
