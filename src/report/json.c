/* json.c - the timeline as JSON Lines, with the field names of the replay JSON
 * contract (docs/replay-json.md) where they apply. A segment line is held back
 * until the transitions it caused at the receiver have arrived, so that its
 * "events" and "client_state"/"server_state" are complete (RFC 9293 §3.10.7:
 * SEGMENT ARRIVES is what moves the receiver). */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define JSON_MAX_PENDING 16
#define JSON_MAX_HIST    64

struct pending_tr {
    enum tcpsim_side side;
    enum tcpsim_tcp_state from, to;
    enum tcpsim_tcp_why why;
};

struct tcpsim_json {
    FILE *out;
    struct tcpsim_view_opts o;
    unsigned conn;
    char addr[2][96];
    enum tcpsim_tcp_state st[2];
    enum tcpsim_tcp_state hist[2][JSON_MAX_HIST];
    size_t nhist[2];
    unsigned long long packets[2], bytes[2];
    /* the held-back segment line */
    char *head; /* everything up to the state fields */
    size_t head_len;
    bool have_seg;
    enum tcpsim_side seg_to;
    tcpsim_time_t seg_arrived;
    struct pending_tr tr[JSON_MAX_PENDING];
    size_t ntr;
};

static void time_json(FILE *f, tcpsim_time_t t)
{
    char b[32];
    fputs(tcpsim_report_time(t, b, sizeof b), f);
}

static void flush_seg(struct tcpsim_json *v)
{
    if (!v->have_seg)
        return;
    fwrite(v->head, 1, v->head_len, v->out);
    fprintf(v->out, ",\"client_state\":\"%s\",\"server_state\":\"%s\",\"events\":[", tcpsim_tcp_state_name(v->st[0]),
            tcpsim_tcp_state_name(v->st[1]));
    for (size_t i = 0; i < v->ntr; i++)
        fprintf(v->out, "%s{\"endpoint\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"rule\":\"%s\",\"why\":\"%s\"}",
                i ? "," : "", tcpsim__report_side(v->tr[i].side), tcpsim_tcp_state_name(v->tr[i].from),
                tcpsim_tcp_state_name(v->tr[i].to), tcpsim__report_why_rule(v->tr[i].why),
                tcpsim__report_why_text(v->tr[i].why));
    fputs("]}\n", v->out);
    free(v->head);
    v->head = NULL;
    v->have_seg = false;
    v->ntr = 0;
}

static void hist_push(struct tcpsim_json *v, enum tcpsim_side s, enum tcpsim_tcp_state st)
{
    if (v->nhist[s] < JSON_MAX_HIST)
        v->hist[s][v->nhist[s]++] = st;
}

/* "client 10.0.0.1:40000" -> "10.0.0.1:40000" (the contract wants ip:port) */
static void addr_of(char *dst, size_t cap, const char *label, const char *fallback)
{
    const char *s = label ? label : fallback;
    const char *sp = strrchr(s, ' ');
    snprintf(dst, cap, "%s", sp ? sp + 1 : s);
}

static void on_begin(struct tcpsim_json *v, const struct tcpsim_tl_begin *b)
{
    flush_seg(v);
    v->conn = b->conn;
    addr_of(v->addr[0], sizeof v->addr[0], b->client_label, "client");
    addr_of(v->addr[1], sizeof v->addr[1], b->server_label, "server");
    v->st[0] = b->client_state;
    v->st[1] = b->server_state;
    v->nhist[0] = v->nhist[1] = 0;
    v->packets[0] = v->packets[1] = v->bytes[0] = v->bytes[1] = 0;
    hist_push(v, TCPSIM_SIDE_CLIENT, b->client_state);
    hist_push(v, TCPSIM_SIDE_SERVER, b->server_state);
    fprintf(v->out, "{\"type\":\"begin\",\"conn\":%u,\"client\":\"", b->conn);
    tcpsim__json_str(v->out, v->addr[0]);
    fputs("\",\"server\":\"", v->out);
    tcpsim__json_str(v->out, v->addr[1]);
    fprintf(v->out, "\",\"client_state\":\"%s\",\"server_state\":\"%s\",\"inferred\":%s",
            tcpsim_tcp_state_name(b->client_state), tcpsim_tcp_state_name(b->server_state),
            b->inferred ? "true" : "false");
    if (b->client_isn_known)
        fprintf(v->out, ",\"client_isn\":%lu", (unsigned long)b->client_isn);
    if (b->server_isn_known)
        fprintf(v->out, ",\"server_isn\":%lu", (unsigned long)b->server_isn);
    fputs("}\n", v->out);
}

static void on_segment(struct tcpsim_json *v, const struct tcpsim_tl_segment *s)
{
    flush_seg(v);
    FILE *f = open_memstream(&v->head, &v->head_len);
    if (!f)
        return;
    const struct tcpsim_segment *g = s->seg;
    int from = s->from == TCPSIM_SIDE_CLIENT ? 0 : 1;
    v->packets[from]++;
    v->bytes[from] += g->payload_len;
    fprintf(f, "{\"type\":\"segment\",\"frame\":%llu,\"time\":", (unsigned long long)s->frame);
    time_json(f, s->t_sent);
    fprintf(f, ",\"conn\":%u,\"dir\":\"%s\",\"src\":\"", v->conn, from == 0 ? "c2s" : "s2c");
    tcpsim__json_str(f, v->addr[from]);
    fputs("\",\"dst\":\"", f);
    tcpsim__json_str(f, v->addr[1 - from]);
    fputs("\",\"flags\":[", f);
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    bool first = true;
    for (unsigned i = 0; i < 8; i++)
        if (g->flags & (1u << i)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", names[i]);
            first = false;
        }
    fprintf(f, "],\"seq\":%lu,\"ack\":%lu", (unsigned long)g->seq, (unsigned long)g->ack);
    if (s->rel_seq_known)
        fprintf(f, ",\"rel_seq\":%lu", (unsigned long)s->rel_seq);
    if (s->rel_ack_known)
        fprintf(f, ",\"rel_ack\":%lu", (unsigned long)s->rel_ack);
    fprintf(f, ",\"len\":%zu,\"win\":%llu,\"analysis\":[", g->payload_len, (unsigned long long)s->win);
    first = true;
    for (unsigned i = 0; i < TCPSIM_AN_COUNT; i++)
        if (s->analysis & (1u << i)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", tcpsim_analysis_name(i));
            first = false;
        }
    fputs("],\"tls\":[", f);
    for (size_t i = 0; i < s->ntls; i++) {
        const struct tcpsim_tl_tls *t = &s->tls[i];
        fprintf(f, "%s{\"dir\":\"%s\",\"record\":\"", i ? "," : "", t->dir == TCPSIM_SIDE_CLIENT ? "c2s" : "s2c");
        tcpsim__json_str(f, t->record);
        fputc('"', f);
        if (t->handshake) {
            fputs(",\"handshake\":\"", f);
            tcpsim__json_str(f, t->handshake);
            fputc('"', f);
        }
        if (t->explain) {
            fputs(",\"explain\":\"", f);
            tcpsim__json_str(f, t->explain);
            fputc('"', f);
        }
        fputc('}', f);
    }
    fputc(']', f);
    /* simulation-only fields */
    if (s->t_arrived != TCPSIM_TIME_NEVER) {
        fputs(",\"arrived\":", f);
        time_json(f, s->t_arrived);
    } else {
        fputs(",\"arrived\":null", f);
    }
    fprintf(f, ",\"dropped\":%s,\"duplicated\":%s,\"retransmission\":%s", s->dropped ? "true" : "false",
            s->duplicated ? "true" : "false", s->retransmission ? "true" : "false");
    fclose(f);
    v->have_seg = true;
    v->seg_to = from == 0 ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    v->seg_arrived = s->dropped ? TCPSIM_TIME_NEVER : s->t_arrived;
}

static void on_state(struct tcpsim_json *v, const struct tcpsim_tl_state *s)
{
    v->st[s->side] = s->to;
    hist_push(v, s->side, s->to);
    if (v->have_seg && s->side == v->seg_to && s->at == v->seg_arrived && v->ntr < JSON_MAX_PENDING) {
        struct pending_tr *t = &v->tr[v->ntr++];
        t->side = s->side;
        t->from = s->from;
        t->to = s->to;
        t->why = s->why;
        return;
    }
    flush_seg(v);
    fputs("{\"type\":\"state\",\"time\":", v->out);
    time_json(v->out, s->at);
    fprintf(v->out,
            ",\"conn\":%u,\"endpoint\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"rule\":\"%s\",\"why\":\"%s\","
            "\"client_state\":\"%s\",\"server_state\":\"%s\"}\n",
            v->conn, tcpsim__report_side(s->side), tcpsim_tcp_state_name(s->from), tcpsim_tcp_state_name(s->to),
            tcpsim__report_why_rule(s->why), tcpsim__report_why_text(s->why), tcpsim_tcp_state_name(v->st[0]),
            tcpsim_tcp_state_name(v->st[1]));
}

static void on_note(struct tcpsim_json *v, const struct tcpsim_tl_note *n)
{
    flush_seg(v);
    if (!v->o.notes)
        return;
    fputs("{\"type\":\"note\",\"time\":", v->out);
    time_json(v->out, n->at);
    fprintf(v->out, ",\"conn\":%u,\"endpoint\":\"%s\"", v->conn, tcpsim__report_side(n->side));
    if (n->why != TCPSIM_WHY_NONE)
        fprintf(v->out, ",\"rule\":\"%s\",\"why\":\"%s\"", tcpsim__report_why_rule(n->why),
                tcpsim__report_why_text(n->why));
    if (n->text) {
        fputs(",\"text\":\"", v->out);
        tcpsim__json_str(v->out, n->text);
        fputc('"', v->out);
    }
    fputs("}\n", v->out);
}

static void states_array(struct tcpsim_json *v, int side)
{
    fputc('[', v->out);
    for (size_t i = 0; i < v->nhist[side]; i++)
        fprintf(v->out, "%s\"%s\"", i ? "," : "", tcpsim_tcp_state_name(v->hist[side][i]));
    fputc(']', v->out);
}

static void on_end(struct tcpsim_json *v)
{
    flush_seg(v);
    fprintf(v->out, "{\"type\":\"conn\",\"conn\":%u,\"client\":\"", v->conn);
    tcpsim__json_str(v->out, v->addr[0]);
    fputs("\",\"server\":\"", v->out);
    tcpsim__json_str(v->out, v->addr[1]);
    fprintf(v->out, "\",\"packets\":{\"c2s\":%llu,\"s2c\":%llu},\"payload_bytes\":{\"c2s\":%llu,\"s2c\":%llu}",
            v->packets[0], v->packets[1], v->bytes[0], v->bytes[1]);
    fputs(",\"client_states\":", v->out);
    states_array(v, 0);
    fputs(",\"server_states\":", v->out);
    states_array(v, 1);
    fputs("}\n", v->out);
}

static void json_event(void *ctx, const struct tcpsim_tl_event *ev)
{
    struct tcpsim_json *v = ctx;
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

struct tcpsim_json *tcpsim_json_new(FILE *out, const struct tcpsim_view_opts *o)
{
    struct tcpsim_json *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->out = out;
    tcpsim__report_opts(&v->o, o);
    return v;
}

struct tcpsim_tl_sink tcpsim_json_sink(struct tcpsim_json *v)
{
    struct tcpsim_tl_sink s = {json_event, v};
    return s;
}

void tcpsim_json_free(struct tcpsim_json *v)
{
    if (!v)
        return;
    flush_seg(v);
    free(v->head);
    free(v);
}
