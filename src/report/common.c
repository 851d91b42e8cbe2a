/* common.c - what the views share: options, names, number formatting, and the
 * by-name view dispatcher. Read first: include/tcpsim/report.h, RFC 9293 §3.3.2. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/report_int.h"

void tcpsim_view_opts_default(struct tcpsim_view_opts *o)
{
    memset(o, 0, sizeof *o);
    o->notes = true;
    o->lang = "en";
}

void tcpsim__report_opts(struct tcpsim_view_opts *dst, const struct tcpsim_view_opts *src)
{
    if (src)
        *dst = *src;
    else
        tcpsim_view_opts_default(dst);
    if (!dst->lang)
        dst->lang = "en";
}

static const char *const an_names[TCPSIM_AN_COUNT] = {
    "retransmission",   "fast_retransmission", "spurious_retransmission", "out_of_order",
    "lost_segment",     "ack_lost_segment",    "duplicate_ack",           "zero_window",
    "zero_window_probe", "zero_window_probe_ack", "keep_alive",           "keep_alive_ack",
    "window_update",    "window_full",         "reused_ports",
};

const char *tcpsim_analysis_name(unsigned bit)
{
    return bit < TCPSIM_AN_COUNT ? an_names[bit] : NULL;
}

const char *tcpsim__report_state(enum tcpsim_tcp_state s)
{
    switch (s) {
    case TCPSIM_TCP_CLOSED: return "CLOSED";
    case TCPSIM_TCP_LISTEN: return "LISTEN";
    case TCPSIM_TCP_SYN_SENT: return "SYN_SENT";
    case TCPSIM_TCP_SYN_RECEIVED: return "SYN_RECEIVED";
    case TCPSIM_TCP_ESTABLISHED: return "ESTABLISHED";
    case TCPSIM_TCP_FIN_WAIT_1: return "FIN_WAIT_1";
    case TCPSIM_TCP_FIN_WAIT_2: return "FIN_WAIT_2";
    case TCPSIM_TCP_CLOSE_WAIT: return "CLOSE_WAIT";
    case TCPSIM_TCP_CLOSING: return "CLOSING";
    case TCPSIM_TCP_LAST_ACK: return "LAST_ACK";
    case TCPSIM_TCP_TIME_WAIT: return "TIME_WAIT";
    }
    return "?";
}

static const char *const why_rules[] = {
#define R_(id, rule, text) rule,
    TCPSIM_TCP_WHYS(R_)
#undef R_
};
static const char *const why_texts[] = {
#define T_(id, rule, text) text,
    TCPSIM_TCP_WHYS(T_)
#undef T_
};

const char *tcpsim__report_why_rule(enum tcpsim_tcp_why w)
{
    size_t i = (size_t)w;
    return i < sizeof why_rules / sizeof why_rules[0] ? why_rules[i] : "";
}

const char *tcpsim__report_why_text(enum tcpsim_tcp_why w)
{
    size_t i = (size_t)w;
    return i < sizeof why_texts / sizeof why_texts[0] ? why_texts[i] : "";
}

const char *tcpsim__report_side(enum tcpsim_side s)
{
    switch (s) {
    case TCPSIM_SIDE_CLIENT: return "client";
    case TCPSIM_SIDE_SERVER: return "server";
    }
    return "?";
}

void tcpsim__json_str(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
}

void tcpsim__report_numbers(const struct tcpsim_tl_segment *s, bool absolute, uint32_t *seq, uint32_t *ack,
                            bool *show_ack)
{
    *seq = (!absolute && s->rel_seq_known) ? s->rel_seq : s->seg->seq;
    *ack = (!absolute && s->rel_ack_known) ? s->rel_ack : s->seg->ack;
    *show_ack = (s->seg->flags & TCPSIM_ACK) != 0;
}

const char *tcpsim_report_flags(uint8_t flags, char *buf, size_t cap)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    /* Bit order, as the replay JSON contract lists them: FIN,SYN,RST,PSH,ACK,... */
    size_t n = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < 8; i++) {
        if (!(flags & (1u << i)))
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", names[i]);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, cap, "none");
    return buf;
}

const char *tcpsim_report_time(tcpsim_time_t t, char *buf, size_t cap)
{
    if (t == TCPSIM_TIME_NEVER)
        snprintf(buf, cap, "never");
    else
        snprintf(buf, cap, "%llu.%06llu", (unsigned long long)(t / 1000000u), (unsigned long long)(t % 1000000u));
    return buf;
}

static const char *const fmt_names[] = {"ladder", "mermaid", "dot", "json"};

bool tcpsim_view_format_parse(const char *name, enum tcpsim_view_format *f)
{
    for (size_t i = 0; i < sizeof fmt_names / sizeof fmt_names[0]; i++)
        if (name && !strcasecmp(name, fmt_names[i])) {
            *f = (enum tcpsim_view_format)i;
            return true;
        }
    return false;
}

const char *tcpsim_view_format_name(enum tcpsim_view_format f)
{
    switch (f) {
    case TCPSIM_VIEW_LADDER: return "ladder";
    case TCPSIM_VIEW_MERMAID: return "mermaid";
    case TCPSIM_VIEW_DOT: return "dot";
    case TCPSIM_VIEW_JSON: return "json";
    }
    return "?";
}

struct tcpsim_view {
    enum tcpsim_view_format f;
    void *impl;
};

struct tcpsim_view *tcpsim_view_new(enum tcpsim_view_format f, FILE *out, const struct tcpsim_view_opts *o)
{
    struct tcpsim_view *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->f = f;
    switch (f) {
    case TCPSIM_VIEW_LADDER: v->impl = tcpsim_ladder_new(out, o); break;
    case TCPSIM_VIEW_MERMAID: v->impl = tcpsim_mermaid_new(out, o); break;
    case TCPSIM_VIEW_DOT: v->impl = tcpsim_dot_new(out, o); break;
    case TCPSIM_VIEW_JSON: v->impl = tcpsim_json_new(out, o); break;
    }
    if (!v->impl) {
        free(v);
        return NULL;
    }
    return v;
}

struct tcpsim_tl_sink tcpsim_view_sink(struct tcpsim_view *v)
{
    struct tcpsim_tl_sink none = {NULL, NULL};
    if (!v)
        return none;
    switch (v->f) {
    case TCPSIM_VIEW_LADDER: return tcpsim_ladder_sink(v->impl);
    case TCPSIM_VIEW_MERMAID: return tcpsim_mermaid_sink(v->impl);
    case TCPSIM_VIEW_DOT: return tcpsim_dot_sink(v->impl);
    case TCPSIM_VIEW_JSON: return tcpsim_json_sink(v->impl);
    }
    return none;
}

void tcpsim_view_free(struct tcpsim_view *v)
{
    if (!v)
        return;
    switch (v->f) {
    case TCPSIM_VIEW_LADDER: tcpsim_ladder_free(v->impl); break;
    case TCPSIM_VIEW_MERMAID: tcpsim_mermaid_free(v->impl); break;
    case TCPSIM_VIEW_DOT: tcpsim_dot_free(v->impl); break;
    case TCPSIM_VIEW_JSON: tcpsim_json_free(v->impl); break;
    }
    free(v);
}
