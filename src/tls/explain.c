/* explain.c - the one place where TLS items become English sentences.
 * Read first: RFC 8446 §2 (protocol overview), RFC 5246 §7.3 (handshake
 * overview). Each sentence is keyed by a stable id (enum
 * tcpsim_tls_explain_id) with numeric/string parameters, so another
 * catalogue (e.g. Korean) can render the same ids. */
#include "tls/tls_internal.h"

static const char *S(const struct tcpsim_tls_explain *x, int i)
{
    return x->s[i] ? x->s[i] : "";
}

const char *tcpsim_tls_explain_en(const struct tcpsim_tls_explain *x, char *buf, size_t cap)
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
