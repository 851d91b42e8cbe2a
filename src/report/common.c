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
    "retransmission",        "fast_retransmission", "spurious_retransmission",
    "out_of_order",          "lost_segment",        "ack_lost_segment",
    "duplicate_ack",         "zero_window",         "zero_window_probe",
    "zero_window_probe_ack", "keep_alive",          "keep_alive_ack",
    "window_update",         "window_full",         "reused_ports",
};

const char *tcpsim_analysis_name(unsigned bit)
{
    return bit < TCPSIM_AN_COUNT ? an_names[bit] : NULL;
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

enum tcpsim_lang tcpsim__report_lang(const struct tcpsim_view_opts *o)
{
    return tcpsim_lang_of(o ? o->lang : NULL);
}

const char *tcpsim__report_label(enum tcpsim_lang lang, const char *label, enum tcpsim_side side, char *buf, size_t cap)
{
    const char *word = side == TCPSIM_SIDE_CLIENT ? "client" : "server";
    size_t wl = strlen(word);
    if (!label)
        snprintf(buf, cap, "%s", tcpsim_i18n_side(lang, side));
    else if (!strncmp(label, word, wl) && (label[wl] == ' ' || label[wl] == '\0'))
        snprintf(buf, cap, "%s%s", tcpsim_i18n_side(lang, side), label + wl);
    else
        snprintf(buf, cap, "%s", label);
    return buf;
}

size_t tcpsim__report_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp = *p++;
        int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
        cp &= more == 3 ? 0x07u : more == 2 ? 0x0Fu : more == 1 ? 0x1Fu : 0x7Fu;
        for (; more > 0 && (*p & 0xC0) == 0x80; more--)
            cp = (cp << 6) | (*p++ & 0x3Fu);
        /* East Asian wide: Hangul jamo, CJK and Hangul syllables, fullwidth forms */
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60);
        w += wide ? 2 : 1;
    }
    return w;
}

const char *tcpsim__report_side(enum tcpsim_side s)
{
    switch (s) {
    case TCPSIM_SIDE_CLIENT:
        return "client";
    case TCPSIM_SIDE_SERVER:
        return "server";
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

/* RFC 9293 3.2 kinds, written as packetdrill writes them. */
static size_t opt_one(const struct tcpsim_tcp_opts *o, uint8_t kind, char *b, size_t cap)
{
    int n = 0;
    switch (kind) {
    case TCPSIM_OPT_EOL:
        n = snprintf(b, cap, "eol");
        break;
    case TCPSIM_OPT_NOP:
        n = snprintf(b, cap, "nop");
        break;
    case TCPSIM_OPT_MSS:
        n = snprintf(b, cap, "mss %u", (unsigned)o->mss);
        break;
    case TCPSIM_OPT_WSCALE:
        n = snprintf(b, cap, "wscale %u", (unsigned)o->wscale);
        break;
    case TCPSIM_OPT_SACK_PERM:
        n = snprintf(b, cap, "sackOK");
        break;
    case TCPSIM_OPT_TS:
        n = snprintf(b, cap, "TS val %lu ecr %lu", (unsigned long)o->ts_val, (unsigned long)o->ts_ecr);
        break;
    case TCPSIM_OPT_SACK: {
        n = snprintf(b, cap, "sack");
        for (unsigned i = 0; i < o->sack_count && i < TCPSIM_MAX_SACK_BLOCKS && n > 0 && (size_t)n < cap; i++)
            n += snprintf(b + n, cap - (size_t)n, " %lu:%lu", (unsigned long)o->sack[i].left,
                          (unsigned long)o->sack[i].right);
        break;
    }
    default:
        n = snprintf(b, cap, "kind %u", (unsigned)kind);
        break;
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

const char *tcpsim__report_tcp_opts(const struct tcpsim_tcp_opts *o, char *buf, size_t cap)
{
    uint8_t k[TCPSIM_TCP_OPT_SPACE * 2];
    size_t nk = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (o->layout_len) {
        for (size_t i = 0; i < o->layout_len; i++)
            k[nk++] = o->layout[i];
    } else {
        /* the order the wire encoder uses (Linux tcp_options_write()) */
        if (o->present & TCPSIM_HAS_MSS)
            k[nk++] = TCPSIM_OPT_MSS;
        if (o->present & TCPSIM_HAS_TS) {
            if (o->present & TCPSIM_HAS_SACK_PERM) {
                k[nk++] = TCPSIM_OPT_SACK_PERM;
            } else {
                k[nk++] = TCPSIM_OPT_NOP;
                k[nk++] = TCPSIM_OPT_NOP;
            }
            k[nk++] = TCPSIM_OPT_TS;
        } else if (o->present & TCPSIM_HAS_SACK_PERM) {
            k[nk++] = TCPSIM_OPT_NOP;
            k[nk++] = TCPSIM_OPT_NOP;
            k[nk++] = TCPSIM_OPT_SACK_PERM;
        }
        if (o->present & TCPSIM_HAS_WSCALE) {
            k[nk++] = TCPSIM_OPT_NOP;
            k[nk++] = TCPSIM_OPT_WSCALE;
        }
        if (o->present & TCPSIM_HAS_SACK) {
            k[nk++] = TCPSIM_OPT_NOP;
            k[nk++] = TCPSIM_OPT_NOP;
            k[nk++] = TCPSIM_OPT_SACK;
        }
    }
    if (nk == 0)
        return buf;
    /* whole options only: when `buf` is too small the list ends in "...>"
     * after the last option that fits, never in half an option */
    char full[TCPSIM_TCP_OPT_SPACE * 2 * 112 + 4];
    size_t n = 0;
    full[n++] = '<';
    for (size_t i = 0; i < nk; i++) {
        if (i)
            full[n++] = ',';
        n += opt_one(o, k[i], full + n, sizeof full - n - 2);
    }
    full[n++] = '>';
    full[n] = '\0';
    if (n < cap) {
        memcpy(buf, full, n + 1);
        return buf;
    }
    size_t keep = 0; /* bytes of full up to (not including) a comma */
    for (size_t i = 1; i < n && i + 6 <= cap; i++)
        if (full[i] == ',')
            keep = i;
    if (keep == 0 && cap > 5)
        keep = 1; /* "<...>" */
    if (keep == 0)
        return buf;
    memcpy(buf, full, keep);
    snprintf(buf + keep, cap - keep, "%s...>", keep > 1 ? "," : "");
    return buf;
}

static const char *const fmt_names[] = {"ladder", "mermaid", "dot", "json", "html"};

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
    case TCPSIM_VIEW_LADDER:
        return "ladder";
    case TCPSIM_VIEW_MERMAID:
        return "mermaid";
    case TCPSIM_VIEW_DOT:
        return "dot";
    case TCPSIM_VIEW_JSON:
        return "json";
    case TCPSIM_VIEW_HTML:
        return "html";
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
    case TCPSIM_VIEW_LADDER:
        v->impl = tcpsim_ladder_new(out, o);
        break;
    case TCPSIM_VIEW_MERMAID:
        v->impl = tcpsim_mermaid_new(out, o);
        break;
    case TCPSIM_VIEW_DOT:
        v->impl = tcpsim_dot_new(out, o);
        break;
    case TCPSIM_VIEW_JSON:
        v->impl = tcpsim_json_new(out, o);
        break;
    case TCPSIM_VIEW_HTML:
        v->impl = tcpsim_html_new(out, o);
        break;
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
    case TCPSIM_VIEW_LADDER:
        return tcpsim_ladder_sink(v->impl);
    case TCPSIM_VIEW_MERMAID:
        return tcpsim_mermaid_sink(v->impl);
    case TCPSIM_VIEW_DOT:
        return tcpsim_dot_sink(v->impl);
    case TCPSIM_VIEW_JSON:
        return tcpsim_json_sink(v->impl);
    case TCPSIM_VIEW_HTML:
        return tcpsim_html_sink(v->impl);
    }
    return none;
}

void tcpsim_view_free(struct tcpsim_view *v)
{
    if (!v)
        return;
    switch (v->f) {
    case TCPSIM_VIEW_LADDER:
        tcpsim_ladder_free(v->impl);
        break;
    case TCPSIM_VIEW_MERMAID:
        tcpsim_mermaid_free(v->impl);
        break;
    case TCPSIM_VIEW_DOT:
        tcpsim_dot_free(v->impl);
        break;
    case TCPSIM_VIEW_JSON:
        tcpsim_json_free(v->impl);
        break;
    case TCPSIM_VIEW_HTML:
        tcpsim_html_free(v->impl);
        break;
    }
    free(v);
}
