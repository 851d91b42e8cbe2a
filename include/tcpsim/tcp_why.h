/* tcpsim/tcp_why.h - the reasons an endpoint gives for what it does.
 * One X-macro: identifier, the rule (RFC and section, written as in the replay
 * JSON contract: "RFC 9293 3.10.7.3") and a one-line English reason. Other
 * languages translate by identifier in message catalogues; the English text
 * here is the source. Add entries freely; never reuse an identifier. */
#ifndef TCPSIM_TCP_WHY_H
#define TCPSIM_TCP_WHY_H

#define TCPSIM_TCP_WHYS(X)                                                                                             \
    X(NONE, "", "")                                                                                                    \
    X(OPEN_ACTIVE, "RFC 9293 3.10.1", "active OPEN: SYN sent")                                                         \
    X(OPEN_PASSIVE, "RFC 9293 3.10.1", "passive OPEN: waiting for a SYN")                                              \
    X(SYN_IN_LISTEN, "RFC 9293 3.10.7.2", "SYN received while listening: SYN-ACK sent")                                \
    X(SYNACK_ACKS_SYN, "RFC 9293 3.10.7.3", "SYN-ACK acknowledges our SYN")                                            \
    X(SIMULTANEOUS_OPEN, "RFC 9293 3.10.7.3", "SYN without ACK while in SYN_SENT: simultaneous open")                  \
    X(ACK_OF_SYNACK, "RFC 9293 3.10.7.4", "ACK acknowledges our SYN-ACK")                                              \
    X(CLOSE_SENDS_FIN, "RFC 9293 3.10.4", "CLOSE: FIN sent after queued data")                                         \
    X(FIN_RECEIVED, "RFC 9293 3.10.7.4", "peer's FIN received: peer has no more data")                                 \
    X(FIN_ACKED, "RFC 9293 3.10.7.4", "our FIN is acknowledged")                                                       \
    X(TIME_WAIT_EXPIRED, "RFC 9293 3.10.8", "2*MSL elapsed in TIME_WAIT")                                              \
    X(RST_RECEIVED, "RFC 9293 3.10.7.4", "valid RST received: connection reset")                                       \
    X(RST_REFUSED, "RFC 9293 3.10.7.3", "RST acknowledging our SYN: connection refused")                               \
    X(ABORT, "RFC 9293 3.10.5", "ABORT: RST sent, connection dropped")                                                 \
    X(USER_TIMEOUT, "RFC 9293 3.10.8", "retransmission limit reached: connection timed out")                           \
    X(CHALLENGE_ACK, "RFC 5961 3.2", "in-window RST or SYN with inexact sequence: challenge ACK")                      \
    X(NOT_ACCEPTABLE, "RFC 9293 3.10.7.4", "segment not acceptable: ACK sent, segment dropped")                        \
    X(RTO_FIRED, "RFC 6298 5", "retransmission timer expired: oldest segment retransmitted, RTO doubled")              \
    X(SEND_DATA, "RFC 9293 3.10.2", "SEND: data sent as the window allows")                                            \
    X(DATA_RECEIVED, "RFC 9293 3.10.7.4", "in-order data received and acknowledged")                                   \
    X(OUT_OF_ORDER, "RFC 9293 3.10.7.4", "data beyond RCV.NXT queued out of order: duplicate ACK sent")                \
    X(OOO_QUEUE_FULL, "RFC 9293 3.10.7.4", "out-of-order queue full: segment dropped")                                 \
    X(FIN_OUT_OF_ORDER, "RFC 9293 3.10.7.4", "FIN beyond missing data: held until the gap is filled")                  \
    X(RST_CLOSED, "RFC 9293 3.10.7.1", "segment for a closed connection: RST sent")                                    \
    X(RST_TO_CLOSED_IGNORED, "RFC 9293 3.10.7.1", "RST for a closed connection: ignored")                              \
    X(LISTEN_RST_IGNORED, "RFC 9293 3.10.7.2", "RST while listening: ignored")                                         \
    X(LISTEN_ACK_RST, "RFC 9293 3.10.7.2", "ACK while listening: RST sent")                                            \
    X(LISTEN_NO_SYN, "RFC 9293 3.10.7.2", "segment without SYN while listening: dropped")                              \
    X(SYN_DATA_IGNORED, "RFC 9293 3.10.7.2", "data on a SYN not accepted: the peer will send it again")                \
    X(SYN_SENT_BAD_ACK, "RFC 9293 3.10.7.3", "ACK does not acknowledge our SYN: RST sent, segment dropped")            \
    X(SYN_SENT_RST_IGNORED, "RFC 9293 3.10.7.3", "RST without an acceptable ACK in SYN_SENT: ignored")                 \
    X(SYN_SENT_NO_SYN, "RFC 9293 3.10.7.3", "neither SYN nor RST in SYN_SENT: dropped")                                \
    X(SYN_RCVD_BAD_ACK, "RFC 9293 3.10.7.4", "ACK does not acknowledge our SYN-ACK: RST sent")                         \
    X(DUP_SYN_SYNACK, "RFC 9293 3.10.7.4", "duplicate SYN in SYN_RECEIVED: SYN-ACK sent again")                        \
    X(SYN_RCVD_SYN_LISTEN, "RFC 9293 3.10.7.4", "new SYN in SYN_RECEIVED (passive): back to LISTEN")                   \
    X(SYN_RESET, "RFC 9293 3.10.7.4", "SYN in window without RFC 5961: connection reset")                              \
    X(RST_OUT_OF_WINDOW, "RFC 5961 3.2", "RST outside the receive window: dropped")                                    \
    X(RST_CLOSES, "RFC 9293 3.10.7.4", "RST in a closing state: connection deleted")                                   \
    X(NO_ACK_DROPPED, "RFC 9293 3.10.7.4", "segment without ACK in a synchronized state: dropped")                     \
    X(ACK_UNSENT, "RFC 9293 3.10.7.4", "ACK of data not yet sent: ACK sent, segment dropped")                          \
    X(ACK_TOO_OLD, "RFC 5961 5.2", "ACK older than SND.UNA - MAX.SND.WND: ACK sent, segment dropped")                  \
    X(DUP_ACK, "RFC 5681 2", "duplicate ACK")                                                                          \
    X(URG_IGNORED, "RFC 9293 3.10.7.4", "urgent pointer noted but not acted on")                                       \
    X(TEXT_AFTER_FIN, "RFC 9293 3.10.7.4", "data after the peer's FIN: ignored")                                       \
    X(DATA_AFTER_CLOSE, "RFC 2525 2.17", "data arrived after close(): RST sent, connection dropped")                   \
    X(SIMULTANEOUS_CLOSE, "RFC 9293 3.10.7.4", "FIN received before our FIN was acknowledged")                         \
    X(FIN_AND_ACK, "RFC 9293 3.10.7.4", "FIN received and our FIN acknowledged")                                       \
    X(TIME_WAIT_RESTART, "RFC 9293 3.10.7.4", "FIN again in TIME_WAIT: ACK sent, 2*MSL restarted")                     \
    X(TIME_WAIT_REOPEN, "RFC 6191 2", "new SYN above RCV.NXT in TIME_WAIT: connection reopened")                       \
    X(PERSIST_PROBE, "RFC 9293 3.8.6.1", "zero window: window probe sent")                                             \
    X(KEEPALIVE_PROBE, "RFC 1122 4.2.3.6", "connection idle: keep-alive probe sent")                                   \
    X(KEEPALIVE_TIMEOUT, "RFC 1122 4.2.3.6", "keep-alive probes unanswered: connection dropped")                       \
    X(CLOSE_LISTEN, "RFC 9293 3.10.4", "CLOSE while listening: nothing to send")                                       \
    X(CLOSE_SYN_SENT, "RFC 9293 3.10.4", "CLOSE in SYN_SENT: connection deleted, nothing sent")                        \
    X(CLOSE_UNREAD_RST, "RFC 2525 2.17", "CLOSE with unread data: RST sent instead of FIN")                            \
    X(WINDOW_UPDATE, "RFC 9293 3.8.6.2.2", "receive window opened: window update sent")                                \
    X(MSS_CLAMPED, "RFC 9293 3.7.1", "peer MSS out of range: clamped")                                                 \
    X(WSCALE_CLAMPED, "RFC 7323 2.3", "peer window scale above 14: 14 used")                                           \
    X(FIN_WAIT_2_TIMEOUT, "RFC 9293 3.10.8", "orphaned FIN_WAIT_2 timed out (Linux tcp_fin_timeout)")                  \
    X(SYNACK_RESYNC, "RFC 9293 3.10.7.4", "SYN-ACK of a simultaneous open acknowledges our SYN-ACK")                   \
    X(OBSERVE_RTX, "RFC 9293 3.10.7.4", "captured segment repeats sequence space already sent")                        \
    X(OBSERVE_CATCHUP, "RFC 9293 3.10.7.4", "capture skips sequence space: variables brought up to date")              \
    X(OBSERVE_ODD, "RFC 9293 3.3.2", "captured segment does not fit this state: state left as is")                     \
    X(FAST_RETRANSMIT, "RFC 5681 3.2", "third duplicate ACK: missing segment sent again, fast recovery")               \
    X(PARTIAL_ACK, "RFC 6582 3.2", "partial ACK in fast recovery: next missing segment sent again")                    \
    X(PAWS_DROPPED, "RFC 7323 5.3", "timestamp older than TS.Recent (PAWS): ACK sent, segment dropped")                \
    X(TIME_WAIT_SEGMENT_ACKED, "RFC 9293 3.10.7.4", "segment in TIME_WAIT: ACK sent, 2*MSL restarted")

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
