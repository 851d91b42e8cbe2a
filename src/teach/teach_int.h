/* teach_int.h - internals of the teach module: the text view's extra calls
 * the lessons use (the connections themselves run on the simulator).
 * Read first: include/tcpsim/teach.h, include/tcpsim/tcp.h. */
#ifndef TCPSIM_TEACH_INT_H
#define TCPSIM_TEACH_INT_H

#include "tcpsim/teach.h"
#include "tcpsim/tcp.h"

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
