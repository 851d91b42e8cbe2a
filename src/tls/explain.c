/* explain.c - the one place where TLS items become English sentences.
 * Read first: RFC 8446 §2 (protocol overview), RFC 5246 §7.3 (handshake
 * overview). Each sentence is keyed by a stable id (enum
 * tcpsim_tls_explain_id) with numeric/string parameters, so another
 * catalogue (e.g. Korean) can render the same ids. */
#include "tls/tls_internal.h"

#include <string.h>

static const char *S(const struct tcpsim_tls_explain *x, int i)
{
    return x->s[i] ? x->s[i] : "";
}

/* ---- the sentences written straight ----
 *
 * With FAST_ROOM bytes more than the text parameters' lengths, the longest
 * sentence (about 110 letters of its own and two numbers of at most 20)
 * fits, so the builder would cut none of its pieces either: it is written
 * by hand here, the same text as the builder's below
 * (tcpsim__tls_explain_en_sb; tests/replay/test_output.c compares the two
 * for every id and buffer size). */
#define FAST_ROOM 256u

/* A literal at o. */
#define LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

/* "%lld" of v at o (at most 20 bytes). */
static char *put_ll(char *o, long long v)
{
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    char t[20];
    size_t i = sizeof t;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        t[--i] = (char)('0' + r % 10);
        t[--i] = (char)('0' + r / 10);
    }
    if (u >= 10) {
        t[--i] = (char)('0' + u % 10);
        t[--i] = (char)('0' + u / 10);
    } else {
        t[--i] = (char)('0' + u);
    }
    if (v < 0)
        *o++ = '-';
    memcpy(o, t + i, sizeof t - i);
    return o + (sizeof t - i);
}

/* "%s" at o (its room was counted). */
static char *put_s(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

/* The sentence at o (cap bytes), or NULL when the room is not surely there
 * (the builder's way). */
static char *explain_fast(const struct tcpsim_tls_explain *x, char *o, size_t cap)
{
    if (cap < FAST_ROOM)
        return NULL;
    switch (x->id) {
    case TCPSIM_TLS_X_NONE:
        return o;
    case TCPSIM_TLS_X_CLIENT_HELLO:
    case TCPSIM_TLS_X_CLIENT_HELLO_V2:
    case TCPSIM_TLS_X_SERVER_HELLO:
    case TCPSIM_TLS_X_HELLO_RETRY:
    case TCPSIM_TLS_X_CERTIFICATE:
    case TCPSIM_TLS_X_SKE_ECDHE:
    case TCPSIM_TLS_X_CKE_ECDHE:
    case TCPSIM_TLS_X_ALERT:
    case TCPSIM_TLS_X_HANDSHAKE_OTHER:
    case TCPSIM_TLS_X_TOO_LARGE:
    case TCPSIM_TLS_X_MALFORMED:
        if (cap - FAST_ROOM < strlen(S(x, 0)) + strlen(S(x, 1)) + strlen(S(x, 2)))
            return NULL;
        break;
    case TCPSIM_TLS_X_CERTIFICATE_EMPTY:
    case TCPSIM_TLS_X_SKE_DHE:
    case TCPSIM_TLS_X_SKE_OTHER:
    case TCPSIM_TLS_X_CERT_REQUEST:
    case TCPSIM_TLS_X_SERVER_HELLO_DONE:
    case TCPSIM_TLS_X_CKE_RSA:
    case TCPSIM_TLS_X_CKE_DHE:
    case TCPSIM_TLS_X_CKE_OTHER:
    case TCPSIM_TLS_X_CCS:
    case TCPSIM_TLS_X_CCS_COMPAT:
    case TCPSIM_TLS_X_FINISHED_ENC:
    case TCPSIM_TLS_X_ENCRYPTED_HS:
    case TCPSIM_TLS_X_TLS13_FLIGHT_S:
    case TCPSIM_TLS_X_TLS13_FLIGHT_C:
    case TCPSIM_TLS_X_NEW_SESSION_TICKET:
    case TCPSIM_TLS_X_ALERT_ENC:
    case TCPSIM_TLS_X_APP_DATA:
    case TCPSIM_TLS_X_HEARTBEAT:
        break; /* numbers only */
    }
    switch (x->id) {
    case TCPSIM_TLS_X_NONE:
        return o;
    case TCPSIM_TLS_X_CLIENT_HELLO:
        o = LIT(o, "offers ");
        o = put_ll(o, x->n[0]);
        o = x->n[0] == 1 ? LIT(o, " cipher suite, ") : LIT(o, " cipher suites, ");
        if (x->n[1]) {
            o = put_s(o, S(x, 0));
            o = LIT(o, " via supported_versions");
        } else {
            o = LIT(o, "up to ");
            o = put_s(o, S(x, 0));
        }
        if (*S(x, 1)) {
            o = LIT(o, ", SNI ");
            o = put_s(o, S(x, 1));
        }
        if (*S(x, 2)) {
            o = LIT(o, ", ALPN ");
            o = put_s(o, S(x, 2));
        }
        return o;
    case TCPSIM_TLS_X_CLIENT_HELLO_V2:
        o = LIT(o, "SSLv2-format hello offering ");
        o = put_ll(o, x->n[0]);
        o = LIT(o, " cipher specs, up to ");
        return put_s(o, S(x, 0));
    case TCPSIM_TLS_X_SERVER_HELLO:
        o = LIT(o, "chooses ");
        o = put_s(o, S(x, 0));
        o = LIT(o, ", ");
        o = put_s(o, S(x, 1));
        return x->n[1] ? LIT(o, ", resuming an earlier session") : o;
    case TCPSIM_TLS_X_HELLO_RETRY:
        if (*S(x, 0)) {
            o = LIT(o, "HelloRetryRequest: asks the client to retry with a ");
            o = put_s(o, S(x, 0));
            o = LIT(o, " key share (");
        } else {
            o = LIT(o, "HelloRetryRequest: asks the client to send its ClientHello again (");
        }
        o = put_s(o, S(x, 1));
        return LIT(o, ")");
    case TCPSIM_TLS_X_CERTIFICATE:
        o = put_ll(o, x->n[0]);
        o = x->n[0] == 1 ? LIT(o, " certificate: ") : LIT(o, " certificates: ");
        o = put_s(o, S(x, 0));
        o = LIT(o, " issued by ");
        o = put_s(o, S(x, 1));
        if (*S(x, 2)) {
            o = LIT(o, ", ");
            o = put_s(o, S(x, 2));
        }
        return o;
    case TCPSIM_TLS_X_CERTIFICATE_EMPTY:
        return LIT(o, "no certificate (the client has none to offer)");
    case TCPSIM_TLS_X_SKE_ECDHE:
        o = LIT(o, "ECDHE key exchange on ");
        o = put_s(o, S(x, 0));
        o = LIT(o, " (");
        o = put_ll(o, x->n[0]);
        return LIT(o, "-byte public key), signed by the server");
    case TCPSIM_TLS_X_SKE_DHE:
        o = LIT(o, "DHE key exchange with a ");
        o = put_ll(o, x->n[0]);
        return LIT(o, "-bit prime, signed by the server");
    case TCPSIM_TLS_X_SKE_OTHER:
        o = LIT(o, "server key exchange parameters (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_CERT_REQUEST:
        return LIT(o, "asks the client for a certificate");
    case TCPSIM_TLS_X_SERVER_HELLO_DONE:
        return LIT(o, "server hello complete; the client's turn");
    case TCPSIM_TLS_X_CKE_RSA:
        o = LIT(o, "pre-master secret encrypted with the server's public key (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_CKE_ECDHE:
        o = LIT(o, "ECDHE public key on ");
        o = put_s(o, S(x, 0));
        o = LIT(o, " (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_CKE_DHE:
        o = LIT(o, "DHE public value (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_CKE_OTHER:
        o = LIT(o, "client key exchange (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_CCS:
        return LIT(o, "switching to the negotiated keys");
    case TCPSIM_TLS_X_CCS_COMPAT:
        return LIT(o, "dummy ChangeCipherSpec for middlebox compatibility (TLS 1.3 ignores it)");
    case TCPSIM_TLS_X_FINISHED_ENC:
        return LIT(o, "encrypted handshake verification");
    case TCPSIM_TLS_X_ENCRYPTED_HS:
        return LIT(o, "encrypted handshake message");
    case TCPSIM_TLS_X_TLS13_FLIGHT_S:
        if (x->n[1] <= 1 && x->n[2] == TCPSIM_TLS_FLIGHT_EE) {
            o = LIT(o, "start of the encrypted handshake flight: probably EncryptedExtensions, ");
            o = put_ll(o, x->n[0]);
        } else if (x->n[1] <= 1 && x->n[2] == TCPSIM_TLS_FLIGHT_EE_MORE) {
            o = LIT(o, "start of the encrypted handshake flight: probably EncryptedExtensions and the messages "
                       "after it, ");
            o = put_ll(o, x->n[0]);
        } else if (x->n[1] <= 1) {
            o = LIT(o, "first record of the encrypted handshake flight, ");
            o = put_ll(o, x->n[0]);
        } else if (x->n[2] == TCPSIM_TLS_FLIGHT_FINISHED) {
            o = LIT(o, "encrypted handshake record ");
            o = put_ll(o, x->n[1]);
            o = LIT(o, " of the flight: probably the server's Finished, ");
            o = put_ll(o, x->n[0]);
        } else {
            o = LIT(o, "encrypted handshake record ");
            o = put_ll(o, x->n[1]);
            o = LIT(o, " of the flight, ");
            o = put_ll(o, x->n[0]);
        }
        return LIT(o, " bytes");
    case TCPSIM_TLS_X_TLS13_FLIGHT_C:
        o = LIT(o, "the client's encrypted Finished, ");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes");
    case TCPSIM_TLS_X_NEW_SESSION_TICKET:
        o = LIT(o, "session ticket for later resumption (");
        o = put_ll(o, x->n[1]);
        o = LIT(o, " bytes, lifetime hint ");
        o = put_ll(o, x->n[0]);
        return LIT(o, " s)");
    case TCPSIM_TLS_X_ALERT:
        o = put_s(o, S(x, 0));
        o = LIT(o, " alert: ");
        return put_s(o, S(x, 1));
    case TCPSIM_TLS_X_ALERT_ENC:
        o = LIT(o, "encrypted alert (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes; usually close_notify)");
    case TCPSIM_TLS_X_APP_DATA:
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes of encrypted application data");
    case TCPSIM_TLS_X_HEARTBEAT:
        o = LIT(o, "heartbeat message (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_HANDSHAKE_OTHER:
        o = put_s(o, S(x, 0));
        o = LIT(o, " (");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes)");
    case TCPSIM_TLS_X_TOO_LARGE:
        o = put_s(o, S(x, 0));
        o = LIT(o, " of ");
        o = put_ll(o, x->n[0]);
        return LIT(o, " bytes, too large to decode");
    case TCPSIM_TLS_X_MALFORMED:
        o = LIT(o, "malformed: ");
        return put_s(o, S(x, 0));
    }
    return NULL;
}

/* (for tests/replay/test_output.c, which holds the straight sentences to it) */
const char *tcpsim__tls_explain_en_sb(const struct tcpsim_tls_explain *x, char *buf, size_t cap);

const char *tcpsim_tls_explain_en(const struct tcpsim_tls_explain *x, char *buf, size_t cap)
{
    char *e = explain_fast(x, buf, cap);
    if (e) {
        *e = '\0';
        return buf;
    }
    return tcpsim__tls_explain_en_sb(x, buf, cap);
}

/* Every sentence through the builder (a piece that does not fit is dropped
 * whole): the reference, and the way when the room is not surely there. */
const char *tcpsim__tls_explain_en_sb(const struct tcpsim_tls_explain *x, char *buf, size_t cap)
{
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, buf, cap);
    switch (x->id) {
    case TCPSIM_TLS_X_NONE:
        break;
    case TCPSIM_TLS_X_CLIENT_HELLO:
        tcpsim__sb_fmt(&b, "offers %lld cipher suite%s, ", x->n[0], x->n[0] == 1 ? "" : "s");
        if (x->n[1])
            tcpsim__sb_fmt(&b, "%s via supported_versions", S(x, 0));
        else
            tcpsim__sb_fmt(&b, "up to %s", S(x, 0));
        if (*S(x, 1))
            tcpsim__sb_fmt(&b, ", SNI %s", S(x, 1));
        if (*S(x, 2))
            tcpsim__sb_fmt(&b, ", ALPN %s", S(x, 2));
        break;
    case TCPSIM_TLS_X_CLIENT_HELLO_V2:
        tcpsim__sb_fmt(&b, "SSLv2-format hello offering %lld cipher specs, up to %s", x->n[0], S(x, 0));
        break;
    case TCPSIM_TLS_X_SERVER_HELLO:
        tcpsim__sb_fmt(&b, "chooses %s, %s%s", S(x, 0), S(x, 1), x->n[1] ? ", resuming an earlier session" : "");
        break;
    case TCPSIM_TLS_X_HELLO_RETRY:
        if (*S(x, 0))
            tcpsim__sb_fmt(&b, "HelloRetryRequest: asks the client to retry with a %s key share (%s)", S(x, 0),
                           S(x, 1));
        else
            tcpsim__sb_fmt(&b, "HelloRetryRequest: asks the client to send its ClientHello again (%s)", S(x, 1));
        break;
    case TCPSIM_TLS_X_CERTIFICATE:
        tcpsim__sb_fmt(&b, "%lld certificate%s: %s issued by %s", x->n[0], x->n[0] == 1 ? "" : "s", S(x, 0), S(x, 1));
        if (*S(x, 2))
            tcpsim__sb_fmt(&b, ", %s", S(x, 2));
        break;
    case TCPSIM_TLS_X_CERTIFICATE_EMPTY:
        tcpsim__sb_puts(&b, "no certificate (the client has none to offer)");
        break;
    case TCPSIM_TLS_X_SKE_ECDHE:
        tcpsim__sb_fmt(&b, "ECDHE key exchange on %s (%lld-byte public key), signed by the server", S(x, 0), x->n[0]);
        break;
    case TCPSIM_TLS_X_SKE_DHE:
        tcpsim__sb_fmt(&b, "DHE key exchange with a %lld-bit prime, signed by the server", x->n[0]);
        break;
    case TCPSIM_TLS_X_SKE_OTHER:
        tcpsim__sb_fmt(&b, "server key exchange parameters (%lld bytes)", x->n[0]);
        break;
    case TCPSIM_TLS_X_CERT_REQUEST:
        tcpsim__sb_puts(&b, "asks the client for a certificate");
        break;
    case TCPSIM_TLS_X_SERVER_HELLO_DONE:
        tcpsim__sb_puts(&b, "server hello complete; the client's turn");
        break;
    case TCPSIM_TLS_X_CKE_RSA:
        tcpsim__sb_fmt(&b, "pre-master secret encrypted with the server's public key (%lld bytes)", x->n[0]);
        break;
    case TCPSIM_TLS_X_CKE_ECDHE:
        tcpsim__sb_fmt(&b, "ECDHE public key on %s (%lld bytes)", S(x, 0), x->n[0]);
        break;
    case TCPSIM_TLS_X_CKE_DHE:
        tcpsim__sb_fmt(&b, "DHE public value (%lld bytes)", x->n[0]);
        break;
    case TCPSIM_TLS_X_CKE_OTHER:
        tcpsim__sb_fmt(&b, "client key exchange (%lld bytes)", x->n[0]);
        break;
    case TCPSIM_TLS_X_CCS:
        tcpsim__sb_puts(&b, "switching to the negotiated keys");
        break;
    case TCPSIM_TLS_X_CCS_COMPAT:
        tcpsim__sb_puts(&b, "dummy ChangeCipherSpec for middlebox compatibility (TLS 1.3 ignores it)");
        break;
    case TCPSIM_TLS_X_FINISHED_ENC:
        tcpsim__sb_puts(&b, "encrypted handshake verification");
        break;
    case TCPSIM_TLS_X_ENCRYPTED_HS:
        tcpsim__sb_puts(&b, "encrypted handshake message");
        break;
    case TCPSIM_TLS_X_TLS13_FLIGHT_S:
        /* RFC 8446 §2: EncryptedExtensions, [CertificateRequest], Certificate,
         * CertificateVerify, Finished; each record's content is hidden, so
         * name it by position and only guess (n2) what it holds */
        if (x->n[1] <= 1 && x->n[2] == TCPSIM_TLS_FLIGHT_EE)
            tcpsim__sb_fmt(&b, "start of the encrypted handshake flight: probably EncryptedExtensions, %lld bytes",
                           x->n[0]);
        else if (x->n[1] <= 1 && x->n[2] == TCPSIM_TLS_FLIGHT_EE_MORE)
            tcpsim__sb_fmt(&b,
                           "start of the encrypted handshake flight: probably EncryptedExtensions and the "
                           "messages after it, %lld bytes",
                           x->n[0]);
        else if (x->n[1] <= 1)
            tcpsim__sb_fmt(&b, "first record of the encrypted handshake flight, %lld bytes", x->n[0]);
        else if (x->n[2] == TCPSIM_TLS_FLIGHT_FINISHED)
            tcpsim__sb_fmt(&b,
                           "encrypted handshake record %lld of the flight: probably the server's Finished, "
                           "%lld bytes",
                           x->n[1], x->n[0]);
        else
            tcpsim__sb_fmt(&b, "encrypted handshake record %lld of the flight, %lld bytes", x->n[1], x->n[0]);
        break;
    case TCPSIM_TLS_X_TLS13_FLIGHT_C:
        tcpsim__sb_fmt(&b, "the client's encrypted Finished, %lld bytes", x->n[0]);
        break;
    case TCPSIM_TLS_X_NEW_SESSION_TICKET:
        tcpsim__sb_fmt(&b, "session ticket for later resumption (%lld bytes, lifetime hint %lld s)", x->n[1], x->n[0]);
        break;
    case TCPSIM_TLS_X_ALERT:
        tcpsim__sb_fmt(&b, "%s alert: %s", S(x, 0), S(x, 1));
        break;
    case TCPSIM_TLS_X_ALERT_ENC:
        tcpsim__sb_fmt(&b, "encrypted alert (%lld bytes; usually close_notify)", x->n[0]);
        break;
    case TCPSIM_TLS_X_APP_DATA:
        tcpsim__sb_fmt(&b, "%lld bytes of encrypted application data", x->n[0]);
        break;
    case TCPSIM_TLS_X_HEARTBEAT:
        tcpsim__sb_fmt(&b, "heartbeat message (%lld bytes)", x->n[0]);
        break;
    case TCPSIM_TLS_X_HANDSHAKE_OTHER:
        tcpsim__sb_fmt(&b, "%s (%lld bytes)", S(x, 0), x->n[0]);
        break;
    case TCPSIM_TLS_X_TOO_LARGE:
        tcpsim__sb_fmt(&b, "%s of %lld bytes, too large to decode", S(x, 0), x->n[0]);
        break;
    case TCPSIM_TLS_X_MALFORMED:
        tcpsim__sb_fmt(&b, "malformed: %s", S(x, 0));
        break;
    }
    return buf;
}

void tcpsim__explain_render(struct tcpsim_tls_item *it, char *buf, size_t cap)
{
    (void)tcpsim_tls_explain_en(&it->why, buf, cap);
}
