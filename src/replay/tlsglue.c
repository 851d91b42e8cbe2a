/* tlsglue.c - TLS on a replayed connection: decide whether its streams are
 * TLS (the client's first bytes), feed each segment's payload to src/tls,
 * and collect the items a segment completed for the views.
 * Read first: RFC 8446 §5.1 (records), RFC 9293 §3.4 (the stream after the SYN). */
#include "replay/replay_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tcpsim__rp_tls_release(struct tcpsim_rp_conn *c)
{
    tcpsim_tls_conn_free(c->tls);
    c->tls = NULL;
    free(c->tls_done);
    c->tls_done = NULL;
}

const struct tcpsim_tls_summary *tcpsim__rp_tls_summary(const struct tcpsim_rp_conn *c)
{
    static _Thread_local struct tcpsim_tls_summary unpacked;
    if (c->tls)
        return tcpsim_tls_is_tls(c->tls) ? tcpsim_tls_summary(c->tls) : NULL;
    if (!c->tls_done)
        return NULL;
    tcpsim_tls_summary_unpack(&unpacked, c->tls_done);
    return &unpacked;
}

const uint8_t *tcpsim__rp_tls_packed(const struct tcpsim_rp_conn *c, size_t *len)
{
    if (c->tls || !c->tls_done)
        return NULL;
    *len = c->tls_done_len;
    return c->tls_done;
}

/* Both directions ended: nothing more can be decoded, so the decoder (~40 KB)
 * goes back to its pool, and only the summary, packed (~1 KB instead of
 * ~14 KB), waits for the conn record (a closed connection is held ~2
 * minutes, like conntrack's TIME_WAIT: thousands of them at once). */
static void tls_both_done(struct tcpsim_rp_conn *c)
{
    if (tcpsim_tls_is_tls(c->tls)) {
        const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c->tls);
        c->tls_done_len = tcpsim_tls_summary_packed_size(s);
        c->tls_done = malloc(c->tls_done_len);
        if (!c->tls_done)
            return; /* keep the decoder: the summary stays reachable through it */
        tcpsim_tls_summary_pack(c->tls_done, s);
    }
    tcpsim_tls_conn_free(c->tls);
    c->tls = NULL;
}

/* The decoder's callback: one record or handshake message completed by the
 * segment being fed. Pointers in `it` die with the call, so the JSON and the
 * explanation are copied into the scratch arena now. */
static void on_tls_item(void *ctx, const struct tcpsim_tls_item *it)
{
    struct tcpsim_replay *rp = ctx;
    struct tls_scratch *t = &rp->tls;
    struct tcpsim_rp_conn *c = rp->tls_conn;
    /* (the item's kind first: alpn_offered is on a cold line of the connection) */
    if (it->hs == TCPSIM_TLS_HS_CLIENT_HELLO && c && !c->alpn_offered && it->hello && it->hello->nalpn) {
        /* B4: in TLS 1.3 the server's choice is encrypted (EncryptedExtensions,
         * RFC 8446 §4.3.1); what the client offered is all we can show. */
        const struct tcpsim_tls_hello *h = it->hello;
        size_t len[TCPSIM_TLS_MAX_ALPN], n = 0, k = h->nalpn < TCPSIM_TLS_MAX_ALPN ? h->nalpn : TCPSIM_TLS_MAX_ALPN;
        for (size_t i = 0; i < k; i++)
            n += (len[i] = strnlen(h->alpn[i], sizeof h->alpn[i] - 1)) + 1;
        char *a = malloc(n);
        c->alpn_offered = a;
        if (a) { /* the names, '\n' between them (one pass: lengths known) */
            for (size_t i = 0; i < k; i++) {
                memcpy(a, h->alpn[i], len[i]);
                a += len[i];
                *a++ = '\n';
            }
            a[-1] = '\0';
        }
    }
    const char *side = it->dir == TCPSIM_SIDE_CLIENT ? "c2s" : "s2c";
    if (it->malformed && rp->cfg.diag) {
        char msg[640];
        snprintf(msg, sizeof msg, "malformed TLS (%s): %s", side, it->explain ? it->explain : "?");
        rp->cfg.diag(rp->cfg.diag_ctx, it->frame, msg);
    }
    if (!t->collect)
        return;
    if (it->record == TCPSIM_TLS_REC_INVALID) {
        /* Not a record at all: the contract's `tls` array has no name for it
         * (B1); it goes to the additive `tls_errors` (and the summary's
         * malformed count). */
        char e[700];
        size_t n = (size_t)snprintf(e, sizeof e, "%s{\"dir\":\"%s\",\"error\":\"", t->err_len ? "," : "", side);
        for (const char *x = it->explain ? it->explain : ""; *x && n + 8 < sizeof e; x++) {
            unsigned char ch = (unsigned char)*x;
            if (ch == '"' || ch == '\\')
                e[n++] = '\\';
            e[n++] = ch < 0x20 ? ' ' : (char)ch;
        }
        n += (size_t)snprintf(e + n, sizeof e - n, "\"}");
        if (n < sizeof t->err - t->err_len) {
            memcpy(t->err + t->err_len, e, n);
            t->err_len += n;
        } else {
            t->dropped++;
        }
        return;
    }
    if (t->n == TCPSIM_RP_MAX_TLS) {
        t->dropped++;
        return;
    }
    size_t jl = 0;
    if (rp->cfg.tls_json) {
        size_t room = sizeof t->json - t->json_len;
        if (room < 2 || tcpsim_tls_item_json(it, t->json + t->json_len + 1, room - 1, &jl) != TCPSIM_OK) {
            t->dropped++;
            return;
        }
    }
    /* The explanation, and its id with the parameters (so the views can say
     * it in the reader's language, i18n.h): all copied, as `it` dies now. */
    const char *ex = it->explain ? it->explain : "";
    size_t el = strlen(ex) + 1, need = el;
    bool has_why = it->why.id != TCPSIM_TLS_X_NONE;
    if (has_why)
        for (int k = 0; k < 3; k++)
            need += strlen(it->why.s[k] ? it->why.s[k] : "") + 1;
    if (need > sizeof t->arena - t->arena_len) {
        t->dropped++;
        return;
    }
    if (rp->cfg.tls_json) {
        t->json[t->json_len] = ','; /* the separator; the first one is skipped */
        t->json_len += jl + 1;
    }
    if (rp->cfg.h.tls_items_unread) {
        /* The view reads the JSON only: no copies. The room they would take
         * is still counted (the arena's bound above and the hold ring's,
         * emit_or_hold), so that items are dropped and held records written
         * early exactly as when they are kept. */
        t->arena_len += need;
        t->xl += need + (has_why ? 0u : 3u); /* emit_or_hold counts three strings per item */
        t->n++;
        return;
    }
    char *copy = memcpy(t->arena + t->arena_len, ex, el);
    t->arena_len += el;
    struct tcpsim_tl_tls *x = &t->it[t->n];
    x->why = NULL;
    if (has_why) {
        struct tcpsim_tls_explain *w = &t->why[t->n];
        *w = it->why;
        for (int k = 0; k < 3; k++) {
            const char *p = it->why.s[k] ? it->why.s[k] : "";
            size_t pl = strlen(p) + 1;
            w->s[k] = memcpy(t->arena + t->arena_len, p, pl);
            t->arena_len += pl;
        }
        x->why = w;
    }
    t->n++;
    x->dir = it->dir;
    x->record = tcpsim_tls_record_name(it->record);
    x->handshake = it->hs == TCPSIM_TLS_HS_NONE ? NULL : tcpsim_tls_hs_name(it->hs);
    x->explain = copy;
}

/* Is this connection TLS? Decided on the client's first payload at the start
 * of its stream: a TLS client speaks first, with a handshake record (content
 * type 22, RFC 8446 §5.1) or an SSLv2-compatible ClientHello (high bit set,
 * RFC 5246 §E.2). Only then is the decoder allocated; src/tls confirms. A
 * server speaking first means not TLS (RFC 8446 §2: the client sends the
 * ClientHello). Payload that is not at the stream start (reordering before
 * the first byte) is left to the decoder, which reassembles. */
static void tls_decide(struct tcpsim_replay *rp, struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg)
{
    uint32_t start = c->d[dir].base_seq + 1;
    uint32_t seq = seg->seq + ((seg->flags & TCPSIM_SYN) ? 1u : 0u);
    bool at_start = seq == start;
    if (dir == TCPSIM_SIDE_SERVER) {
        if (!c->d[TCPSIM_SIDE_CLIENT].bytes)
            c->tls_det = TCPSIM_RP_TLS_NO;
        return;
    }
    if (at_start) {
        uint8_t b0 = seg->payload[0];
        if (b0 != 22 && !(b0 & 0x80)) {
            c->tls_det = TCPSIM_RP_TLS_NO;
            return;
        }
    }
    c->tls = tcpsim_tls_conn_new(NULL, on_tls_item, rp);
    if (!c->tls) {
        c->tls_det = TCPSIM_RP_TLS_NO; /* out of memory: plain TCP then */
        return;
    }
    c->tls_det = TCPSIM_RP_TLS_YES;
    /* The ClientHello item this segment probably completes reads
     * alpn_offered (on_tls_item), on a cold line of the connection: asked
     * for now, it arrives while the hello is parsed. */
    TCPSIM__PREFETCH(&c->alpn_offered);
    /* Sentences are rendered only for views that collect items (and for the
     * diagnostics of malformed ones, which the decoder always explains). */
    tcpsim_tls_set_explain(c->tls, rp->cfg.h.segment != NULL);
    /* Without segment records, on_tls_item keeps only ClientHellos (the
     * offered ALPN) and malformed items (diagnostics): the rest need not
     * be made. */
    tcpsim_tls_set_quiet(c->tls, rp->cfg.h.segment == NULL);
    /* The streams start after the SYNs when they were seen (RFC 9293 §3.4). */
    for (int i = 0; i < 2; i++)
        if (c->d[i].syn_seen)
            tcpsim_tls_start(c->tls, (enum tcpsim_side)i, c->d[i].base_seq + 1);
}

/* Hand one segment's payload to the TLS decoder (RFC 9293 §3.4: a SYN takes
 * one sequence number before the data; RST and FIN end the direction). */
void tcpsim__rp_tls_segment(struct tcpsim_replay *rp, struct tcpsim_rp_conn *c, int dir,
                            const struct tcpsim_segment *seg, uint32_t seglen, uint64_t frame, tcpsim_ns_t ts)
{
    if (c->tls_det == TCPSIM_RP_TLS_UNDECIDED && seg->payload_len > 0)
        tls_decide(rp, c, dir, seg);
    if (!c->tls)
        return; /* (a bare ACK never comes here: process_tcp's tls_ran) */
    tcpsim_time_t now = ts / 1000u;
    enum tcpsim_side side = dir ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    rp->tls_conn = c;
    uint32_t seq = seg->seq + ((seg->flags & TCPSIM_SYN) ? 1u : 0u);
    rp->tls.collect = rp->cfg.h.segment != NULL; /* items only ride on segment records */
    if (seg->payload_len > 0)
        (void)tcpsim_tls_feed(c->tls, side, seq, seg->payload, seg->payload_len, frame, now);
    if (seglen > seg->payload_len) /* cut by the snap length: those bytes are lost */
        tcpsim_tls_gap(c->tls, side, seq + seglen, frame, now);
    if (seg->flags & TCPSIM_RST) {
        tcpsim_tls_fin(c->tls, TCPSIM_SIDE_CLIENT, frame, now);
        tcpsim_tls_fin(c->tls, TCPSIM_SIDE_SERVER, frame, now);
        c->tls_fin[0] = c->tls_fin[1] = true;
    } else if (seg->flags & TCPSIM_FIN) {
        tcpsim_tls_fin(c->tls, side, frame, now);
        c->tls_fin[dir] = true;
    }
    if (tcpsim_tls_is_not_tls(c->tls)) {
        /* src/tls disagreed with the first byte: nothing more to hold. */
        c->tls_det = TCPSIM_RP_TLS_NO;
        tcpsim__rp_tls_release(c);
    } else if (c->tls_fin[0] && c->tls_fin[1]) {
        tls_both_done(c);
    }
}
