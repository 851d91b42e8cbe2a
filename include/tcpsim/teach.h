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
#include "tcpsim/timeline.h"

/* ---- message catalogues ----
 * Text lives in src/teach/catalog/<lang>.txt, embedded at build time.
 * Format, one entry per key:
 *     # comment
 *     key = text on one line
 *     other.key =
 *       continuation lines are indented by two spaces,
 *       joined with newlines; a lone "." stands for an empty line.
 * Texts may hold {1} .. {9}, replaced by tcpsim_catalog_format's arguments. */
enum tcpsim_lang {
    TCPSIM_LANG_EN = 0,
    TCPSIM_LANG_KO = 1,
};
#define TCPSIM_LANG_COUNT 2

/* "en" / "ko" */
const char *tcpsim_lang_code(enum tcpsim_lang lang);
bool tcpsim_lang_parse(const char *code, enum tcpsim_lang *lang);

struct tcpsim_catalog;

/* Parse a catalogue from text. `name` (e.g. "ko.txt") appears in errors:
 * "ko.txt:12: expected 'key = text'". ERR_PARSE on bad input, ERR_NOMEM. */
enum tcpsim_err tcpsim_catalog_parse(const char *text, size_t len, const char *name, struct tcpsim_catalog **out,
                                     char *errbuf, size_t errcap) TCPSIM_WUR;
void tcpsim_catalog_free(struct tcpsim_catalog *cat);

/* The built-in catalogue of a language (parsed once, then shared; NULL only
 * if the embedded text is broken, which the test suite rules out). */
const struct tcpsim_catalog *tcpsim_catalog_builtin(enum tcpsim_lang lang);

/* Text of a key, or NULL when the catalogue lacks it. */
const char *tcpsim_catalog_get(const struct tcpsim_catalog *cat, const char *key);
size_t tcpsim_catalog_count(const struct tcpsim_catalog *cat);
/* Keys in sorted order, i < count. */
const char *tcpsim_catalog_key_at(const struct tcpsim_catalog *cat, size_t i);

/* Look `key` up in `lang`, falling back to English, then to the key itself,
 * and substitute {1}..{9} with args. Always NUL-terminates; returns the
 * length the full text would have had (like snprintf). */
size_t tcpsim_msg(enum tcpsim_lang lang, const char *key, const char *const *args, size_t nargs, char *buf, size_t cap);
/* Plain lookup with the same fallbacks (no substitution); never NULL. */
const char *tcpsim_msg_raw(enum tcpsim_lang lang, const char *key);

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
