/*
 * progress — what `track` shows while remediation tasks run.
 *
 * On a terminal: a block redrawn in place (at most every 250 ms) with, per scope and in
 * total, the tasks done, deployments succeeded / failed / remaining, the elapsed time and an
 * estimate of the time left. In a pipe or a CI log, where redrawing would make noise: one line
 * per task state change, and nothing else. The caller passes `now` (ms, monotonic), so tests
 * run it on a fake clock into a memory stream.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "orchestrator/tracker.h"

struct progress {
	FILE *out;         /* borrowed; NULL shows nothing */
	int live;          /* redraw in place (a terminal) instead of one line per change */
	int64_t start_ms;  /* when tracking began */
	int64_t drawn_ms;  /* last redraw, for the rate limit */
	int lines;         /* lines of the last block, to move back over them */
	size_t max_scopes; /* scope rows shown live; the rest are summed in one row */
};

struct progress_totals {
	size_t tasks, tasks_done, tasks_failed, tasks_queued;
	long deployments, succeeded, failed, remaining;
};

/* live: pass isatty(fileno(out)) unless the user forced a mode. */
void progress_init(struct progress *p, FILE *out, int live, int64_t now);
/* Changes where and how progress shows (out borrowed, NULL: nothing) from now on. */
void progress_set_output(struct progress *p, FILE *out, int live);
/*
 * Prints text (one line, its newline added) to out (borrowed; NULL prints nothing) through
 * msg, redacted; a live block is then redrawn below the line instead of over it.
 */
void progress_print_line(struct progress *p, FILE *out, const char *text);
/* Sums the tracker's tasks. */
void progress_totals(const struct tracker *tr, struct progress_totals *totals);
/*
 * A task changed (tracker_answer returned 1, or a create failed): in line mode prints one
 * line for it; in live mode redraws when due.
 */
void progress_task_changed(struct progress *p, const struct tracker *tr, size_t task, int64_t now);
/* Live mode: redraw if 250 ms passed (always when force). Line mode: nothing. */
void progress_tick(struct progress *p, const struct tracker *tr, int64_t now, int force);
/* Final redraw (live) and a closing summary line (both modes). */
void progress_finish(struct progress *p, const struct tracker *tr, int64_t now);
/* Formats ms as "1h02m", "3m05s" or "12s" into buf. */
void progress_format_duration(int64_t ms, char *buf, size_t size);
/*
 * Estimated ms left: remaining deployments at the rate seen so far; -1 when nothing has
 * finished yet (no rate to go on).
 */
int64_t progress_eta_ms(const struct progress_totals *totals, int64_t elapsed_ms);

#endif
