/*
 * progress — live block on a terminal, one line per change elsewhere (see progress.h).
 *
 * Scopes are summed by sorting task indices by scope on each redraw: at most four redraws a
 * second over at most some ten thousand tasks, cheaper than keeping a map in step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/progress.h"
#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define REDRAW_MS 250

void progress_init(struct progress *p, FILE *out, int live, int64_t now)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->live = live;
	p->start_ms = now;
	p->drawn_ms = now - REDRAW_MS;
	p->max_scopes = 10;
}

void progress_format_duration(int64_t ms, char *buf, size_t size)
{
	int64_t s = ms / 1000;
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, size, "%ldh%02ldm", (long)(s / 3600), (long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, size, "%ldm%02lds", (long)(s / 60), (long)(s % 60));
	else
		snprintf(buf, size, "%lds", (long)s);
}

static long remaining_of(const struct tracked_task *t)
{
	long r;
	if (t->phase == TRACKED_DONE)
		return 0;
	r = t->total - t->succeeded - t->failed;
	return r > 0 ? r : 0;
}

static void add_task(struct progress_totals *tot, const struct tracked_task *t)
{
	tot->tasks++;
	if (t->phase == TRACKED_DONE) {
		tot->tasks_done++;
		if (!tracker_state_is_success(t->state))
			tot->tasks_failed++;
	} else if (t->phase == TRACKED_QUEUED) {
		tot->tasks_queued++;
	}
	tot->deployments += t->total;
	tot->succeeded += t->succeeded;
	tot->failed += t->failed;
	tot->remaining += remaining_of(t);
}

void progress_totals(const struct tracker *tr, struct progress_totals *totals)
{
	size_t i;
	memset(totals, 0, sizeof(*totals));
	for (i = 0; i < tr->nr; i++)
		add_task(totals, &tr->tasks[i]);
}

int64_t progress_eta_ms(const struct progress_totals *totals, int64_t elapsed_ms)
{
	long finished = totals->succeeded + totals->failed;
	if (totals->tasks && totals->tasks_done == totals->tasks)
		return 0;
	if (finished <= 0 || elapsed_ms <= 0)
		return -1;
	/* Queued tasks have no count yet; each is assumed as big as the average seen so far. */
	{
		double per_task = totals->tasks > totals->tasks_queued
				  ? (double)totals->deployments / (double)(totals->tasks - totals->tasks_queued)
				  : 0;
		double left = (double)totals->remaining + per_task * (double)totals->tasks_queued;
		return (int64_t)(left * (double)elapsed_ms / (double)finished);
	}
}

static void format_totals(struct strbuf *sb, const char *label,
			  const struct progress_totals *t)
{
	strbuf_addf(sb, "%-52s tasks %zu/%zu  deployments %ld ok, %ld failed, %ld left",
		    label, t->tasks_done, t->tasks, t->succeeded, t->failed, t->remaining);
	if (t->tasks_queued)
		strbuf_addf(sb, "  (%zu queued)", t->tasks_queued);
}

static const struct tracker *sort_tracker; /* qsort has no context argument in C11 */

static int by_scope(const void *a, const void *b)
{
	const struct tracked_task *ta = &sort_tracker->tasks[*(const size_t *)a];
	const struct tracked_task *tb = &sort_tracker->tasks[*(const size_t *)b];
	return strcmp(ta->scope, tb->scope);
}

/* A short label for a scope: the subscription id or management group name. */
static const char *scope_label(const char *scope)
{
	const char *slash = strrchr(scope, '/');
	return slash && slash[1] ? slash + 1 : scope;
}

static void draw(struct progress *p, const struct tracker *tr, int64_t now)
{
	struct strbuf sb = STRBUF_INIT;
	struct progress_totals total, scope_tot, rest;
	size_t *order = NULL, i, shown = 0, rest_scopes = 0;
	char elapsed[32], eta[32];
	int lines = 0;
	int64_t eta_ms;

	progress_totals(tr, &total);
	memset(&rest, 0, sizeof(rest));
	if (tr->nr) {
		order = xmalloc(tr->nr * sizeof(*order));
		for (i = 0; i < tr->nr; i++)
			order[i] = i;
		sort_tracker = tr;
		qsort(order, tr->nr, sizeof(*order), by_scope);
	}
	/* Move back over the previous block and clear it. */
	if (p->lines)
		strbuf_addf(&sb, "\033[%dA", p->lines);
	for (i = 0; i < tr->nr;) {
		const char *scope = tr->tasks[order[i]].scope;
		memset(&scope_tot, 0, sizeof(scope_tot));
		while (i < tr->nr && !strcmp(tr->tasks[order[i]].scope, scope))
			add_task(&scope_tot, &tr->tasks[order[i++]]);
		if (shown < p->max_scopes) {
			strbuf_addstr(&sb, "\r\033[K  ");
			format_totals(&sb, scope_label(scope), &scope_tot);
			strbuf_addch(&sb, '\n');
			lines++;
			shown++;
		} else {
			rest.tasks += scope_tot.tasks;
			rest.tasks_done += scope_tot.tasks_done;
			rest.tasks_queued += scope_tot.tasks_queued;
			rest.succeeded += scope_tot.succeeded;
			rest.failed += scope_tot.failed;
			rest.remaining += scope_tot.remaining;
			rest_scopes++;
		}
	}
	if (rest_scopes) {
		char label[64];
		snprintf(label, sizeof(label), "(%zu more scopes)", rest_scopes);
		strbuf_addstr(&sb, "\r\033[K  ");
		format_totals(&sb, label, &rest);
		strbuf_addch(&sb, '\n');
		lines++;
	}
	progress_format_duration(now - p->start_ms, elapsed, sizeof(elapsed));
	eta_ms = progress_eta_ms(&total, now - p->start_ms);
	if (eta_ms < 0)
		snprintf(eta, sizeof(eta), "--");
	else
		progress_format_duration(eta_ms, eta, sizeof(eta));
	strbuf_addstr(&sb, "\r\033[K");
	format_totals(&sb, "total", &total);
	strbuf_addf(&sb, "  elapsed %s  eta %s\n", elapsed, eta);
	lines++;
	msg_print(p->out, "%s", sb.buf);
	p->lines = lines;
	p->drawn_ms = now;
	free(order);
	strbuf_release(&sb);
}

void progress_set_output(struct progress *p, FILE *out, int live)
{
	p->out = out;
	p->live = live;
}

void progress_print_line(struct progress *p, FILE *out, const char *text)
{
	if (out)
		msg_print(out, "%s\n", text);
	p->lines = 0; /* the live block is redrawn below the line, not over it */
}

void progress_task_changed(struct progress *p, const struct tracker *tr, size_t task, int64_t now)
{
	const struct tracked_task *t = &tr->tasks[task];
	char elapsed[32];
	struct strbuf sb = STRBUF_INIT;

	if (p->live) {
		progress_tick(p, tr, now, 0);
		return;
	}
	if (!p->out)
		return;
	progress_format_duration(now - p->start_ms, elapsed, sizeof(elapsed));
	strbuf_addf(&sb, "[%s] %s %s: %s, deployments %ld ok, %ld failed, %ld left\n", elapsed,
		    scope_label(t->scope), t->name, t->state ? t->state : "queued", t->succeeded,
		    t->failed, remaining_of(t));
	msg_print(p->out, "%s", sb.buf);
	strbuf_release(&sb);
}

void progress_tick(struct progress *p, const struct tracker *tr, int64_t now, int force)
{
	if (!p->live)
		return;
	if (force || now - p->drawn_ms >= REDRAW_MS)
		draw(p, tr, now);
}

void progress_finish(struct progress *p, const struct tracker *tr, int64_t now)
{
	struct progress_totals total;
	char elapsed[32];
	if (p->live)
		draw(p, tr, now);
	progress_totals(tr, &total);
	progress_format_duration(now - p->start_ms, elapsed, sizeof(elapsed));
	if (p->out)
		msg_print(p->out, "tracked %zu tasks in %s: %zu finished (%zu not succeeded), "
			  "deployments %ld ok, %ld failed, %ld left\n", total.tasks, elapsed,
			  total.tasks_done, total.tasks_failed, total.succeeded, total.failed,
			  total.remaining);
}
