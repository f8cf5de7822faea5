/*
 * progress: one progress line on a terminal for long work (imports,
 * replays): what, percent, done/total, rate, time left.  Nothing at all
 * when stderr is not a terminal (a pipe, a file, journald), so scripts
 * and logs never see it.  One line per process; log lines clear it first
 * (log.c) and it is drawn again at the next update.
 */
#ifndef TRD_PROGRESS_H
#define TRD_PROGRESS_H

/* Start: what names the work, unit the amounts ("MB", "days"); total 0
 * when unknown (no percent or time left then). */
void trd_progress_begin(const char *what, const char *unit, double total);
/* Done so far (same unit); drawn at most 4 times a second. */
void trd_progress_set(double done);
/* Erase the line (log.c calls it before a log line). */
void trd_progress_clear(void);
void trd_progress_end(void);

#endif
