/* tcpsim/tcp_why.h - the reasons an endpoint gives for what it does.
 * One X-macro: identifier, the rule (RFC and section, written as in the replay
 * JSON contract: "RFC 9293 3.10.7.3") and a one-line English reason. Other
 * languages translate by identifier in message catalogues; the English text
 * here is the source. Add entries freely; never reuse an identifier. */
#ifndef TCPSIM_TCP_WHY_H
#define TCPSIM_TCP_WHY_H

#define TCPSIM_TCP_WHYS(X)                                                                                    \
    X(NONE, "", "")                                                                                           \
    X(OPEN_ACTIVE, "RFC 9293 3.10.1", "active OPEN: SYN sent")                                                \
    X(OPEN_PASSIVE, "RFC 9293 3.10.1", "passive OPEN: waiting for a SYN")                                     \
    X(SYN_IN_LISTEN, "RFC 9293 3.10.7.2", "SYN received while listening: SYN-ACK sent")                       \
    X(SYNACK_ACKS_SYN, "RFC 9293 3.10.7.3", "SYN-ACK acknowledges our SYN")                                  \
    X(SIMULTANEOUS_OPEN, "RFC 9293 3.10.7.3", "SYN without ACK while in SYN_SENT: simultaneous open")         \
    X(ACK_OF_SYNACK, "RFC 9293 3.10.7.4", "ACK acknowledges our SYN-ACK")                                    \
    X(CLOSE_SENDS_FIN, "RFC 9293 3.10.4", "CLOSE: FIN sent after queued data")                               \
    X(FIN_RECEIVED, "RFC 9293 3.10.7.4", "peer's FIN received: peer has no more data")                       \
    X(FIN_ACKED, "RFC 9293 3.10.7.4", "our FIN is acknowledged")                                              \
    X(TIME_WAIT_EXPIRED, "RFC 9293 3.10.8", "2*MSL elapsed in TIME_WAIT")                                     \
    X(RST_RECEIVED, "RFC 9293 3.10.7.4", "valid RST received: connection reset")                              \
    X(RST_REFUSED, "RFC 9293 3.10.7.3", "RST acknowledging our SYN: connection refused")                     \
    X(ABORT, "RFC 9293 3.10.5", "ABORT: RST sent, connection dropped")                                       \
    X(USER_TIMEOUT, "RFC 9293 3.10.8", "retransmission limit reached: connection timed out")                 \
    X(CHALLENGE_ACK, "RFC 5961 3.2", "in-window RST or SYN with inexact sequence: challenge ACK")            \
    X(NOT_ACCEPTABLE, "RFC 9293 3.10.7.4", "segment not acceptable: ACK sent, segment dropped")              \
    X(RTO_FIRED, "RFC 6298 5", "retransmission timer expired: oldest segment retransmitted, RTO doubled")

enum tcpsim_tcp_why {
#define TCPSIM_WHY_ENUM_(id, rule, text) TCPSIM_WHY_##id,
    TCPSIM_TCP_WHYS(TCPSIM_WHY_ENUM_)
#undef TCPSIM_WHY_ENUM_
};

/* "RFC 9293 3.10.7.3" (empty for NONE). */
const char *tcpsim_tcp_why_rule(enum tcpsim_tcp_why why);
/* One-line English reason. */
const char *tcpsim_tcp_why_text(enum tcpsim_tcp_why why);
/* The identifier without prefix ("SYNACK_ACKS_SYN"), the key for catalogues. */
const char *tcpsim_tcp_why_id(enum tcpsim_tcp_why why);

#endif
