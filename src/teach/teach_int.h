/* teach_int.h - internals of the teach module: the lesson driver (two real
 * RFC 9293 endpoints on a scripted link) and the text view's extra calls.
 * Read first: include/tcpsim/teach.h, include/tcpsim/tcp.h. */
#ifndef TCPSIM_TEACH_INT_H
#define TCPSIM_TEACH_INT_H

#include "tcpsim/teach.h"
#include "tcpsim/tcp.h"

/* ---- driver ---- */
enum tcpsim__op {
    TCPSIM__OP_OPEN_ACTIVE,
    TCPSIM__OP_OPEN_PASSIVE,
    TCPSIM__OP_SEND, /* len bytes, carrying the TLS items tls[0..ntls) */
    TCPSIM__OP_CLOSE,
    TCPSIM__OP_SHUTDOWN, /* half-close: FIN, keep reading */
    TCPSIM__OP_ABORT,
};

/* When an action may run (besides `at`): */
enum tcpsim__cond {
    TCPSIM__WHEN_TIME,        /* at `at` */
    TCPSIM__WHEN_ESTABLISHED, /* the side is synchronized */
    TCPSIM__WHEN_RCVD,        /* the side has received at least `n` bytes in order */
    TCPSIM__WHEN_PEER_FIN,    /* the side has received the peer's FIN */
};

#define TCPSIM__MAX_TLS 5
struct tcpsim__tls_item {
    const char *record;      /* "handshake", "change_cipher_spec", "application_data" */
    const char *handshake;   /* "ClientHello", ... or NULL */
    const char *explain_key; /* catalogue key of the one-line explanation */
    size_t len;              /* bytes of this item on the stream */
};

struct tcpsim__action {
    enum tcpsim_side side;
    enum tcpsim__op op;
    enum tcpsim__cond when;
    tcpsim_time_t at;                             /* earliest time (TIME: exact) */
    size_t n;                                     /* WHEN_RCVD threshold */
    struct tcpsim__tls_item tls[TCPSIM__MAX_TLS]; /* SEND: the bytes are the sum of the lengths */
    size_t ntls;
    size_t len; /* SEND without TLS items: plain bytes */
};

struct tcpsim__scenario {
    const struct tcpsim__action *act;
    size_t nact;
    uint64_t drop;       /* bit k: the (k+1)-th segment put on the link is lost */
    tcpsim_time_t delay; /* one-way delay (default 10 ms when 0) */
    tcpsim_time_t msl;   /* 0 = endpoint default */
    bool tiny_msl;       /* TIME_WAIT of 2 microseconds ("no TIME_WAIT") */
    bool simultaneous;   /* both sides start CLOSED (simultaneous open) */
};

/* Run a scenario to its end (nothing left to do, or 600 s of virtual time,
 * or 400 segments), emitting timeline events to `sink`. Failed user calls
 * and connection errors become NOTE events worded in `lang`. */
enum tcpsim_err tcpsim__drive(const struct tcpsim__scenario *sc, unsigned conn, enum tcpsim_lang lang,
                              const struct tcpsim_tl_sink *sink);

/* ---- text view extras (lessons talk through the stepper) ---- */
/* Print free text (intro, part headings, summaries), wrapped as is. */
void tcpsim__stepper_say(struct tcpsim_stepper *st, const char *text);
/* Lesson commentary: after the n-th segment of the lesson, the text of
 * "<lesson>.s<n>" is shown when the catalogue has it. NULL turns it off. */
void tcpsim__stepper_lesson(struct tcpsim_stepper *st, const char *lesson_id);
/* A UDP datagram on the ladder (the tcp-vs-udp lesson's model). */
void tcpsim__stepper_datagram(struct tcpsim_stepper *st, enum tcpsim_side from, const char *label, bool lost,
                              const char *narration);
/* The "client ... server" heading over the ladder columns. */
void tcpsim__stepper_header(struct tcpsim_stepper *st);
/* Reset the ladder for a new part (keeps the segment count). */
void tcpsim__stepper_flush(struct tcpsim_stepper *st);

#endif
