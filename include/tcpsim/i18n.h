/* tcpsim/i18n.h - the words people read, in their language: the message
 * catalogues (English, Korean) and the helpers every view uses to say a
 * reason, a note or a TLS explanation in the reader's language. Protocol
 * terms (SYN, ACK, ESTABLISHED, ClientHello, RFC sections) stay in English.
 * Read first: include/tcpsim/tcp_why.h (reasons, English source),
 * include/tcpsim/timeline.h (notes with message ids), src/tls/explain.c
 * (TLS explanation ids, English source).
 *
 * The catalogue text lives in src/teach/catalog/<lang>.txt and is embedded in
 * the report module at build time (cmake/embed.cmake); the report views, the
 * simulator's notes and the lessons all read this one catalogue. */
#ifndef TCPSIM_I18N_H
#define TCPSIM_I18N_H

#include <stdbool.h>
#include <stddef.h>

#include "tcpsim/error.h"
#include "tcpsim/timeline.h"

/* ---- message catalogues ----
 * Format, one entry per key:
 *     # comment
 *     key = text on one line
 *     other.key =
 *       continuation lines are indented by two spaces,
 *       joined with newlines; a lone "." stands for an empty line.
 * Texts may hold {1} .. {9}, replaced by tcpsim_msg's arguments. */
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
 * and substitute {1}..{9} with args. An argument written "@other.key" is
 * itself looked up (so "@err.ERR_REFUSED" is said in `lang` too). Always
 * NUL-terminates; returns the length the full text would have had. */
size_t tcpsim_msg(enum tcpsim_lang lang, const char *key, const char *const *args, size_t nargs, char *buf, size_t cap);
/* Plain lookup with the same fallbacks (no substitution); never NULL. */
const char *tcpsim_msg_raw(enum tcpsim_lang lang, const char *key);

/* ---- what the views say ---- */
/* The language of a view option string ("en", "ko"; NULL or unknown: en). */
enum tcpsim_lang tcpsim_lang_of(const char *code);
/* "client" / "클라이언트" */
const char *tcpsim_i18n_side(enum tcpsim_lang lang, enum tcpsim_side side);
/* The endpoint's reason (tcp_why.h's English in en; catalogue key why.<ID>). */
const char *tcpsim_i18n_why(enum tcpsim_lang lang, enum tcpsim_tcp_why why);
/* An error as the application is told it (catalogue key err.<NAME>). */
const char *tcpsim_i18n_err(enum tcpsim_lang lang, enum tcpsim_err err);
/* The text of a note (without its `why`): its message id and arguments in
 * `lang` when it has one, else its `text` as given. Returns buf ("" when the
 * note has neither). */
const char *tcpsim_i18n_note(enum tcpsim_lang lang, const struct tcpsim_tl_note *n, char *buf, size_t cap);
/* A TLS item's one-line explanation: the TLS layer's English in en, else the
 * catalogue's tlsx.<ID> rendering of its explanation id and parameters.
 * NULL when the item has no explanation. */
const char *tcpsim_i18n_tls(enum tcpsim_lang lang, const struct tcpsim_tl_tls *t, char *buf, size_t cap);
/* Catalogue key of a TLS explanation id (enum tcpsim_tls_explain_id), the
 * base of its variants; NULL for TCPSIM_TLS_X_NONE or an unknown id. */
const char *tcpsim_i18n_tls_key(int explain_id);

#endif
