/* report_int.h - helpers shared by the views in src/report/ (not installed).
 * Read first: include/tcpsim/report.h. */
#ifndef TCPSIM_REPORT_INT_H
#define TCPSIM_REPORT_INT_H

#include <stdio.h>

#include "tcpsim/i18n.h"
#include "tcpsim/report.h"

/* The views keep their own tables of state names and RFC rules (expanded from
 * the public X-macros) so that they depend on headers only. */
const char *tcpsim__report_why_rule(enum tcpsim_tcp_why w);
const char *tcpsim__report_why_text(enum tcpsim_tcp_why w);
/* "client" / "server" */
const char *tcpsim__report_side(enum tcpsim_side s);
/* Write s as the inside of a JSON string (quotes not included). */
void tcpsim__json_str(FILE *f, const char *s);
/* Copy opts or the defaults. */
void tcpsim__report_opts(struct tcpsim_view_opts *dst, const struct tcpsim_view_opts *src);
/* The sequence/ack numbers a view shows for a segment, honouring --absolute:
 * *show_ack is false when the ACK flag is off. */
void tcpsim__report_numbers(const struct tcpsim_tl_segment *s, bool absolute, uint32_t *seq, uint32_t *ack,
                            bool *show_ack);

/* TCP options in packetdrill notation, in wire order ("<mss 1460,sackOK,TS val
 * 1 ecr 0,nop,wscale 7>"); the canonical (Linux) order when the segment has no
 * recorded layout. "" when there are none. Returns buf. */
const char *tcpsim__report_tcp_opts(const struct tcpsim_tcp_opts *o, char *buf, size_t cap);

/* ---- words in the view's language (i18n.h) ---- */
/* The language of opts->lang. */
enum tcpsim_lang tcpsim__report_lang(const struct tcpsim_view_opts *o);
/* An endpoint label ("client 10.0.0.1:40000") with its leading side word said
 * in `lang`; `fallback` when label is NULL. Returns buf. */
const char *tcpsim__report_label(enum tcpsim_lang lang, const char *label, enum tcpsim_side side, char *buf,
                                 size_t cap);
/* Cells on a terminal (Hangul and other wide characters take two). */
size_t tcpsim__report_width(const char *s);

#endif
