/* tcpsim/report.h - views of a timeline: ladder (arrow diagram), Mermaid
 * sequenceDiagram, Graphviz DOT state diagram, JSON Lines.
 * Read first: include/tcpsim/timeline.h (the events), RFC 9293 §3.3.2 (the
 * state diagram the DOT view draws), docs/replay-json.md (JSON field names).
 *
 * Every view is a tcpsim_tl_sink: create it on a FILE*, hand its sink to the
 * simulator or the replayer, free it afterwards. A view writes as events
 * arrive (the DOT view writes at TCPSIM_TL_END, the JSON view holds one
 * segment line until the transitions it caused have arrived). A view never
 * closes the FILE. Several connections in one stream (BEGIN ... END, BEGIN
 * ... END) give one diagram each. */
#ifndef TCPSIM_REPORT_H
#define TCPSIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "tcpsim/error.h"
#include "tcpsim/i18n.h"
#include "tcpsim/timeline.h"

struct tcpsim_view_opts {
    bool ascii;        /* plain ASCII only (no UTF-8 box drawing, arrows or ✕) */
    bool color;        /* ANSI colours (the CLI sets it when stdout is a TTY) */
    bool absolute;     /* raw sequence numbers instead of relative ones */
    bool notes;        /* show notes (timers, challenge ACKs, errors); default true */
    const char *lang;  /* words for people: "en" (default; NULL or unknown: "en") or "ko"
                          (tcpsim/i18n.h): reasons, notes, TLS explanations, headings
                          and side names; protocol terms stay English. The JSON view
                          is a machine contract and always English. */
    const char *title; /* optional heading line (e.g. "scenario handshake, seed 1") */
    bool brief;        /* ladder: arrows and states only; no reasons (RFC rules), notes,
                          TCP options or TLS explanations (the CLI's --brief) */
};

/* ascii=false, color=false, absolute=false, notes=true, lang="en", title=NULL. */
void tcpsim_view_opts_default(struct tcpsim_view_opts *o);

/* ---- ladder: the two-column arrow diagram learners draw by hand ----
 * Rows are in time order: the ladder keeps a connection's rows until
 * TCPSIM_TL_END (or _free) and sorts them, so an arrow sent before and
 * delivered after other events is drawn twice: "in flight" where it leaves and
 * "arrives" where it lands. At one instant, a state change that names the
 * frame of a segment its own side sent (replay) is drawn above that arrow,
 * the receiver's below it. Unless `brief`, a state change carries its reason
 * and RFC rule at the right ("client: active OPEN: SYN sent (RFC 9293
 * 3.10.1)"), after the state column, notes sit in the same column, SYN
 * segments show their options in packetdrill notation (<mss 1460,sackOK,TS
 * val 1 ecr 0,nop,wscale 7>, wrapped between options) and TLS items their
 * one-line explanation. */
struct tcpsim_ladder;
/* NULL on allocation failure. `o` may be NULL (defaults); it is copied, but
 * the strings it points to must outlive the view. */
struct tcpsim_ladder *tcpsim_ladder_new(FILE *out, const struct tcpsim_view_opts *o);
struct tcpsim_tl_sink tcpsim_ladder_sink(struct tcpsim_ladder *v);
void tcpsim_ladder_free(struct tcpsim_ladder *v);

/* ---- Mermaid sequenceDiagram (renders on GitHub inside ```mermaid) ---- */
struct tcpsim_mermaid;
struct tcpsim_mermaid *tcpsim_mermaid_new(FILE *out, const struct tcpsim_view_opts *o);
struct tcpsim_tl_sink tcpsim_mermaid_sink(struct tcpsim_mermaid *v);
void tcpsim_mermaid_free(struct tcpsim_mermaid *v);

/* ---- DOT: the RFC 9293 state diagram, this run's transitions highlighted ---- */
struct tcpsim_dot;
struct tcpsim_dot *tcpsim_dot_new(FILE *out, const struct tcpsim_view_opts *o);
struct tcpsim_tl_sink tcpsim_dot_sink(struct tcpsim_dot *v);
void tcpsim_dot_free(struct tcpsim_dot *v);

/* ---- JSON Lines (field names of docs/replay-json.md where they apply) ----
 * Lines: {"type":"begin",...}, {"type":"segment",...} (with the "events" it
 * caused), {"type":"state",...} (a transition no segment caused: user call,
 * timer), {"type":"note",...}, {"type":"conn",...} at END. */
struct tcpsim_json;
struct tcpsim_json *tcpsim_json_new(FILE *out, const struct tcpsim_view_opts *o);
struct tcpsim_tl_sink tcpsim_json_sink(struct tcpsim_json *v);
void tcpsim_json_free(struct tcpsim_json *v);

/* ---- any of the above by name ---- */
enum tcpsim_view_format {
    TCPSIM_VIEW_LADDER,
    TCPSIM_VIEW_MERMAID,
    TCPSIM_VIEW_DOT,
    TCPSIM_VIEW_JSON,
    TCPSIM_VIEW_HTML, /* tcpsim_html_* below; the page is written by tcpsim_view_free */
};
/* "ladder", "mermaid", "dot", "json", "html"; false for anything else. */
bool tcpsim_view_format_parse(const char *name, enum tcpsim_view_format *f);
const char *tcpsim_view_format_name(enum tcpsim_view_format f);

struct tcpsim_view;
struct tcpsim_view *tcpsim_view_new(enum tcpsim_view_format f, FILE *out, const struct tcpsim_view_opts *o);
struct tcpsim_tl_sink tcpsim_view_sink(struct tcpsim_view *v);
void tcpsim_view_free(struct tcpsim_view *v);

/* ---- small helpers the views share (also useful to other front ends) ---- */
/* Flags as Wireshark lists them, "SYN,ACK" ("none" for no flags). Returns buf. */
const char *tcpsim_report_flags(uint8_t flags, char *buf, size_t cap);
/* "12.345678" seconds from microseconds. Returns buf. */
const char *tcpsim_report_time(tcpsim_time_t t, char *buf, size_t cap);

/* ---- HTML: one self-contained page (inline CSS, JS and SVG; no network) ----
 * Per connection an SVG ladder (both endpoints' states, TLS messages on the
 * arrows, hover or click an arrow for its details) and the RFC 9293 §3.3.2
 * state diagram with the states and transitions this run visited highlighted.
 * Events are copied as they arrive (at most TCPSIM_HTML_MAX_ITEMS, then the
 * page says how many were left out); the page is written by
 * tcpsim_html_finish, or by tcpsim_html_free if not called. Elements carry
 * data- attributes for tests: data-seg (arrows), data-state (state labels),
 * data-node / data-edge (diagram), data-visited. */
#define TCPSIM_HTML_MAX_ITEMS 20000
struct tcpsim_html;
struct tcpsim_html *tcpsim_html_new(FILE *out, const struct tcpsim_view_opts *o);
struct tcpsim_tl_sink tcpsim_html_sink(struct tcpsim_html *v);
/* Write the page now (once); ERR_IO when the FILE reports an error. */
enum tcpsim_err tcpsim_html_finish(struct tcpsim_html *v);
void tcpsim_html_free(struct tcpsim_html *v);

#endif
