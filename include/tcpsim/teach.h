/* tcpsim/teach.h - lessons for people learning TCP and TLS handshakes:
 * message catalogues (English, Korean), lesson runner, terminal step-through.
 * Read first: RFC 9293 §3.3.2 (state diagram), §3.5 (establishing a
 * connection), §3.6 (closing), RFC 8446 §2 (TLS 1.3 protocol overview). */
#ifndef TCPSIM_TEACH_H
#define TCPSIM_TEACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tcpsim/error.h"
#include "tcpsim/i18n.h"
#include "tcpsim/timeline.h"

/* Message catalogues (enum tcpsim_lang, tcpsim_msg, ...) are declared in
 * tcpsim/i18n.h: the views and the simulator read the same catalogue. */

/* ---- lessons ---- */
struct tcpsim_lesson_info {
    const char *id;        /* "handshake" */
    const char *title_key; /* catalogue key of the title */
};
size_t tcpsim_lesson_count(void);
const struct tcpsim_lesson_info *tcpsim_lesson_at(size_t i);
const struct tcpsim_lesson_info *tcpsim_lesson_find(const char *id);

struct tcpsim_teach_opts {
    enum tcpsim_lang lang;
    bool pause; /* wait for a key between steps (needs a terminal on in_fd) */
    int in_fd;  /* where key presses come from (normally 0) */
    bool color; /* ANSI highlight of the current state */
};

/* Run one lesson, writing its text to `out`; `extra` (may be NULL) also
 * receives every timeline event (e.g. the HTML view). */
enum tcpsim_err tcpsim_lesson_run(const char *id, const struct tcpsim_teach_opts *opts, FILE *out,
                                  const struct tcpsim_tl_sink *extra) TCPSIM_WUR;

/* ---- step-through view over any timeline ----
 * A sink that draws the ladder as it grows and both endpoints' state
 * machines with the current state highlighted, one segment per key press.
 * With pause on a terminal it switches in_fd to raw mode and restores it on
 * tcpsim_stepper_free, at exit and on SIGINT. 'q' stops pausing (the rest
 * runs straight through). Replay uses it as:
 *     struct tcpsim_stepper *st;
 *     tcpsim_stepper_new(&st, stdout, &opts);     // opts.pause = isatty(0)
 *     struct tcpsim_tl_sink sink = tcpsim_stepper_sink(st);
 *     ... feed events to sink ...
 *     tcpsim_stepper_free(st);                    // restores the terminal */
struct tcpsim_stepper;
enum tcpsim_err tcpsim_stepper_new(struct tcpsim_stepper **out, FILE *f,
                                   const struct tcpsim_teach_opts *opts) TCPSIM_WUR;
struct tcpsim_tl_sink tcpsim_stepper_sink(struct tcpsim_stepper *st);
void tcpsim_stepper_free(struct tcpsim_stepper *st);

#endif
