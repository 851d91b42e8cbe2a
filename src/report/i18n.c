/* i18n.c - what the views say, in the reader's language: reasons by why id,
 * notes by message id, TLS explanations by explanation id, side names. The
 * English sources stay where they are (tcp_why.h, src/tls/explain.c); other
 * languages come from the catalogue (catalog.c). Read first:
 * include/tcpsim/i18n.h, RFC 9293 §3.10 (the reasons), RFC 8446 §2. */
#include <stdio.h>
#include <string.h>

#include "tcpsim/i18n.h"
#include "tcpsim/tls.h"
#include "report/report_int.h"

enum tcpsim_lang tcpsim_lang_of(const char *code)
{
    enum tcpsim_lang l = TCPSIM_LANG_EN;
    if (!tcpsim_lang_parse(code, &l))
        l = TCPSIM_LANG_EN;
    return l;
}

const char *tcpsim_i18n_side(enum tcpsim_lang lang, enum tcpsim_side side)
{
    return tcpsim_msg_raw(lang, side == TCPSIM_SIDE_CLIENT ? "side.client" : "side.server");
}

static const char *const why_ids[] = {
#define W_(id, rule, text) #id,
    TCPSIM_TCP_WHYS(W_)
#undef W_
};

const char *tcpsim_i18n_why(enum tcpsim_lang lang, enum tcpsim_tcp_why why)
{
    size_t i = (size_t)why;
    if (lang == TCPSIM_LANG_EN || i == 0 || i >= sizeof why_ids / sizeof why_ids[0])
        return tcpsim__report_why_text(why);
    char key[80];
    snprintf(key, sizeof key, "why.%s", why_ids[i]);
    const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(lang), key);
    return t ? t : tcpsim__report_why_text(why);
}

const char *tcpsim_i18n_err(enum tcpsim_lang lang, enum tcpsim_err err)
{
    char key[64];
    snprintf(key, sizeof key, "err.%s", tcpsim_errname(err));
    const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(lang), key);
    return t ? t : tcpsim_strerror(err);
}

const char *tcpsim_i18n_note(enum tcpsim_lang lang, const struct tcpsim_tl_note *n, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (n->msg && (lang != TCPSIM_LANG_EN || !n->text)) {
        size_t na = n->nargs < TCPSIM_TL_NOTE_ARGS ? n->nargs : TCPSIM_TL_NOTE_ARGS;
        tcpsim_msg(lang, n->msg, n->args, na, buf, cap);
    } else if (n->text) {
        snprintf(buf, cap, "%s", n->text);
    }
    return buf;
}

/* ---- TLS explanations (src/tls/explain.c is the English source) ----
 * Catalogue arguments: {1} {2} {3} = n[0..2], {4} {5} {6} = s[0..2]. */
const char *tcpsim_i18n_tls_key(int explain_id)
{
    if (explain_id < TCPSIM_TLS_X_NONE || explain_id > TCPSIM_TLS_X_MALFORMED)
        return NULL;
    switch ((enum tcpsim_tls_explain_id)explain_id) {
    case TCPSIM_TLS_X_NONE:
        return NULL;
    case TCPSIM_TLS_X_CLIENT_HELLO:
        return "tlsx.CLIENT_HELLO";
    case TCPSIM_TLS_X_CLIENT_HELLO_V2:
        return "tlsx.CLIENT_HELLO_V2";
    case TCPSIM_TLS_X_SERVER_HELLO:
        return "tlsx.SERVER_HELLO";
    case TCPSIM_TLS_X_HELLO_RETRY:
        return "tlsx.HELLO_RETRY";
    case TCPSIM_TLS_X_CERTIFICATE:
        return "tlsx.CERTIFICATE";
    case TCPSIM_TLS_X_CERTIFICATE_EMPTY:
        return "tlsx.CERTIFICATE_EMPTY";
    case TCPSIM_TLS_X_SKE_ECDHE:
        return "tlsx.SKE_ECDHE";
    case TCPSIM_TLS_X_SKE_DHE:
        return "tlsx.SKE_DHE";
    case TCPSIM_TLS_X_SKE_OTHER:
        return "tlsx.SKE_OTHER";
    case TCPSIM_TLS_X_CERT_REQUEST:
        return "tlsx.CERT_REQUEST";
    case TCPSIM_TLS_X_SERVER_HELLO_DONE:
        return "tlsx.SERVER_HELLO_DONE";
    case TCPSIM_TLS_X_CKE_RSA:
        return "tlsx.CKE_RSA";
    case TCPSIM_TLS_X_CKE_ECDHE:
        return "tlsx.CKE_ECDHE";
    case TCPSIM_TLS_X_CKE_DHE:
        return "tlsx.CKE_DHE";
    case TCPSIM_TLS_X_CKE_OTHER:
        return "tlsx.CKE_OTHER";
    case TCPSIM_TLS_X_CCS:
        return "tlsx.CCS";
    case TCPSIM_TLS_X_CCS_COMPAT:
        return "tlsx.CCS_COMPAT";
    case TCPSIM_TLS_X_FINISHED_ENC:
        return "tlsx.FINISHED_ENC";
    case TCPSIM_TLS_X_ENCRYPTED_HS:
        return "tlsx.ENCRYPTED_HS";
    case TCPSIM_TLS_X_TLS13_FLIGHT_S:
        return "tlsx.TLS13_FLIGHT_S";
    case TCPSIM_TLS_X_TLS13_FLIGHT_C:
        return "tlsx.TLS13_FLIGHT_C";
    case TCPSIM_TLS_X_NEW_SESSION_TICKET:
        return "tlsx.NEW_SESSION_TICKET";
    case TCPSIM_TLS_X_ALERT:
        return "tlsx.ALERT";
    case TCPSIM_TLS_X_ALERT_ENC:
        return "tlsx.ALERT_ENC";
    case TCPSIM_TLS_X_APP_DATA:
        return "tlsx.APP_DATA";
    case TCPSIM_TLS_X_HEARTBEAT:
        return "tlsx.HEARTBEAT";
    case TCPSIM_TLS_X_HANDSHAKE_OTHER:
        return "tlsx.HANDSHAKE_OTHER";
    case TCPSIM_TLS_X_TOO_LARGE:
        return "tlsx.TOO_LARGE";
    case TCPSIM_TLS_X_MALFORMED:
        return "tlsx.MALFORMED";
    }
    return NULL;
}

/* Append the rendering of `key` (base or ".suffix" variant) to buf at *n. */
static void put(enum tcpsim_lang lang, const char *base, const char *suffix, const char *const *a, char *buf,
                size_t cap, size_t *n)
{
    char key[64];
    snprintf(key, sizeof key, "%s%s", base, suffix);
    if (*n + 1 >= cap)
        return;
    size_t w = tcpsim_msg(lang, key, a, 6, buf + *n, cap - *n);
    *n += w < cap - *n ? w : cap - *n - 1;
}

const char *tcpsim_i18n_tls(enum tcpsim_lang lang, const struct tcpsim_tl_tls *t, char *buf, size_t cap)
{
    if (cap == 0)
        return NULL;
    buf[0] = '\0';
    const struct tcpsim_tls_explain *x = t->why;
    const char *key = x ? tcpsim_i18n_tls_key((int)x->id) : NULL;
    if (lang == TCPSIM_LANG_EN || !key) {
        if (!t->explain)
            return NULL;
        snprintf(buf, cap, "%s", t->explain);
        return buf;
    }
    char nb[3][24];
    const char *a[6];
    for (int i = 0; i < 3; i++) {
        snprintf(nb[i], sizeof nb[i], "%lld", x->n[i]);
        a[i] = nb[i];
        a[3 + i] = x->s[i] ? x->s[i] : "";
    }
    size_t n = 0;
    switch (x->id) {
    case TCPSIM_TLS_X_CLIENT_HELLO:
        put(lang, key, x->n[1] ? ".sv" : "", a, buf, cap, &n);
        if (*a[4])
            put(lang, key, ".sni", a, buf, cap, &n);
        if (*a[5])
            put(lang, key, ".alpn", a, buf, cap, &n);
        break;
    case TCPSIM_TLS_X_SERVER_HELLO:
        put(lang, key, "", a, buf, cap, &n);
        if (x->n[1])
            put(lang, key, ".resumed", a, buf, cap, &n);
        break;
    case TCPSIM_TLS_X_HELLO_RETRY:
        put(lang, key, *a[3] ? "" : ".again", a, buf, cap, &n);
        break;
    case TCPSIM_TLS_X_CERTIFICATE:
        put(lang, key, "", a, buf, cap, &n);
        if (*a[5])
            put(lang, key, ".key", a, buf, cap, &n);
        break;
    case TCPSIM_TLS_X_TLS13_FLIGHT_S: /* src/tls/explain.c: by record position (n1) and guess (n2) */
        if (x->n[1] <= 1)
            put(lang, key,
                x->n[2] == TCPSIM_TLS_FLIGHT_EE        ? ".ee"
                : x->n[2] == TCPSIM_TLS_FLIGHT_EE_MORE ? ".ee_more"
                                                       : ".first",
                a, buf, cap, &n);
        else
            put(lang, key, x->n[2] == TCPSIM_TLS_FLIGHT_FINISHED ? ".fin" : "", a, buf, cap, &n);
        break;
    case TCPSIM_TLS_X_NONE:
    case TCPSIM_TLS_X_CLIENT_HELLO_V2:
    case TCPSIM_TLS_X_CERTIFICATE_EMPTY:
    case TCPSIM_TLS_X_SKE_ECDHE:
    case TCPSIM_TLS_X_SKE_DHE:
    case TCPSIM_TLS_X_SKE_OTHER:
    case TCPSIM_TLS_X_CERT_REQUEST:
    case TCPSIM_TLS_X_SERVER_HELLO_DONE:
    case TCPSIM_TLS_X_CKE_RSA:
    case TCPSIM_TLS_X_CKE_ECDHE:
    case TCPSIM_TLS_X_CKE_DHE:
    case TCPSIM_TLS_X_CKE_OTHER:
    case TCPSIM_TLS_X_CCS:
    case TCPSIM_TLS_X_CCS_COMPAT:
    case TCPSIM_TLS_X_FINISHED_ENC:
    case TCPSIM_TLS_X_ENCRYPTED_HS:
    case TCPSIM_TLS_X_TLS13_FLIGHT_C:
    case TCPSIM_TLS_X_NEW_SESSION_TICKET:
    case TCPSIM_TLS_X_ALERT:
    case TCPSIM_TLS_X_ALERT_ENC:
    case TCPSIM_TLS_X_APP_DATA:
    case TCPSIM_TLS_X_HEARTBEAT:
    case TCPSIM_TLS_X_HANDSHAKE_OTHER:
    case TCPSIM_TLS_X_TOO_LARGE:
    case TCPSIM_TLS_X_MALFORMED:
        put(lang, key, "", a, buf, cap, &n);
        break;
    }
    return buf;
}
