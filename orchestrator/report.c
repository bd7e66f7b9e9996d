/*
 * report — the run's outcome from the ledger (see report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "orchestrator/pairing.h"
#include "orchestrator/report.h"
#include "orchestrator/tracker.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

int report_parse_format(const char *text, enum report_format *format)
{
	if (!strcmp(text, "table"))
		*format = REPORT_TABLE;
	else if (!strcmp(text, "json"))
		*format = REPORT_JSON;
	else if (!strcmp(text, "markdown"))
		*format = REPORT_MARKDOWN;
	else
		return -1;
	return 0;
}

void report_format_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The subscription id in a resource id (new string), or NULL when it names none. */
static char *subscription_of(const char *id)
{
	const char *p, *end;
	if (!id || strncasecmp(id, "/subscriptions/", 15))
		return NULL;
	p = id + 15;
	end = strchr(p, '/');
	return end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
}

/* The per-subscription row of subs (created on first use; borrowed). */
static json_t *sub_row(json_t *subs, const char *sub)
{
	json_t *row = json_object_get(subs, sub);
	if (!row) {
		row = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i}", "subscription", sub, "tasks", 0,
				"deployments_succeeded", 0, "deployments_failed", 0,
				"noncompliant_remaining", 0, "failures", 0);
		json_object_set_new(subs, sub, row);
	}
	return row;
}

static void row_add(json_t *row, const char *key, json_int_t n)
{
	json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row, key)) + n));
}

static long geti(const json_t *obj, const char *key);
static const char *gets_(const json_t *obj, const char *key);
static void add_cell(struct strbuf *sb, const char *s, int markdown);

/*
 * A fix run's apps per tier (fixed = patched, whether Resource Graph showed it yet or not), and
 * every app skipped or failed with its reason. Nothing is added for a run without fixes.
 */
static int add_fix(struct ledger *l, int64_t run_id, json_t *report)
{
	static const char *const tiers[] = { "exposed+production", "exposed", "production", "rest" };
	struct ledger_fix *fixes = NULL;
	size_t nr = 0, i, t;
	json_t *rows, *apps;
	if (ledger_fix_list(l, run_id, &fixes, &nr))
		return -1;
	if (!nr)
		return 0;
	rows = json_array();
	apps = json_array();
	for (t = 0; t < ARRAY_SIZE(tiers); t++)
		json_array_append_new(rows, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "tier",
						      tiers[t], "fixed", 0, "verified", 0, "lagging", 0,
						      "failed", 0, "skipped", 0, "pending", 0));
	for (i = 0; i < nr; i++) {
		const char *st = fixes[i].state, *key;
		json_t *row = NULL, *n;
		for (t = 0; t < ARRAY_SIZE(tiers); t++)
			if (!strcmp(fixes[i].tier, tiers[t]))
				row = json_array_get(rows, t);
		if (!row)
			continue;
		key = !strcmp(st, "fixed") || !strcmp(st, "verified") || !strcmp(st, "lagging") ? "fixed"
		      : !strcmp(st, "failed") ? "failed" : !strcmp(st, "skipped") ? "skipped" : "pending";
		n = json_object_get(row, key);
		json_integer_set(n, json_integer_value(n) + 1);
		if (!strcmp(st, "verified") || !strcmp(st, "lagging")) {
			n = json_object_get(row, st);
			json_integer_set(n, json_integer_value(n) + 1);
		}
		if (!strcmp(st, "failed") || !strcmp(st, "skipped") || !strcmp(st, "lagging"))
			json_array_append_new(apps, json_pack("{s:s, s:s, s:s, s:s}", "id",
							      fixes[i].resource_id, "tier", fixes[i].tier,
							      "state", st, "reason", fixes[i].reason));
	}
	json_object_set_new(report, "fix", json_pack("{s:o, s:o}", "tiers", rows, "apps", apps));
	ledger_fixes_free(fixes, nr);
	return 0;
}

/* contain's second opinion (verify_graph.c): apps and open apps per Resource Graph. */
static int add_inventory(struct ledger *l, int64_t run_id, json_t *report)
{
	char *apps = NULL, *open = NULL;
	enum ledger_result a = ledger_note_get(l, run_id, "inventory_apps", &apps);
	enum ledger_result o = ledger_note_get(l, run_id, "inventory_open", &open);
	/* a run that never verified (or a fix run) has neither note */
	if ((a && a != LEDGER_ERR_NOT_FOUND) || (o && o != LEDGER_ERR_NOT_FOUND)) {
		free(apps);
		free(open);
		return -1;
	}
	if (apps && open)
		json_object_set_new(report, "inventory", json_pack("{s:I, s:I}",
			"apps", (json_int_t)strtoll(apps, NULL, 10),
			"open", (json_int_t)strtoll(open, NULL, 10)));
	free(apps);
	free(open);
	return 0;
}

/* The fix section of the table and markdown renderings. */
static void render_fix(const json_t *r, int md, struct strbuf *sb)
{
	const json_t *fix = json_object_get(r, "fix"), *row;
	size_t i;
	if (!fix)
		return;
	strbuf_addstr(sb, md ? "\n## Fix\n\n| tier | fixed | shown by Resource Graph | failed | skipped |\n"
			       "|---|---:|---:|---:|---:|\n"
			     : "\nfix                    fixed  verified    failed   skipped\n");
	json_array_foreach(json_object_get(fix, "tiers"), i, row)
		strbuf_addf(sb, md ? "| %s | %ld | %ld | %ld | %ld |\n" : "%-20s %7ld %9ld %9ld %9ld\n",
			    json_string_value(json_object_get(row, "tier")), geti(row, "fixed"),
			    geti(row, "verified"), geti(row, "failed"), geti(row, "skipped"));
	json_array_foreach(json_object_get(fix, "apps"), i, row) {
		strbuf_addf(sb, md ? "\n- %s %s: " : "  %s %s: ", gets_(row, "state"), gets_(row, "id"));
		add_cell(sb, gets_(row, "reason"), md);
		strbuf_addch(sb, '\n');
	}
}

/* A note of the run (NULL when absent); -1 when the ledger cannot be read. */
static int note_get(struct ledger *l, int64_t run_id, const char *key, char **value)
{
	enum ledger_result lr = ledger_note_get(l, run_id, key, value);
	return lr == LEDGER_OK || lr == LEDGER_ERR_NOT_FOUND ? 0 : -1;
}

json_t *report_build(struct ledger *l, int64_t run_id, struct strbuf *err)
{
	struct ledger_run run = { 0 };
	struct ledger_task *tasks = NULL;
	struct ledger_failure *failures = NULL;
	struct ledger_write_stats ws;
	size_t nr_tasks = 0, nr_failures = 0, i;
	json_t *report = NULL, *subs = NULL, *subs_list, *task_list, *failure_list, *key_val;
	char started[32], finished[32];
	const char *key;
	long t_ok = 0, t_failed = 0, t_active = 0, d_total = 0, d_ok = 0, d_failed = 0;
	long noncompliant = 0, exempt = 0;
	char *note = NULL, *skipped_note = NULL;
	json_t *exemptions = NULL;
	struct ledger_sub_counts *sub_counts = NULL;
	size_t nr_sub_counts = 0;

	if (ledger_run_get(l, run_id, &run) || ledger_task_list(l, run_id, &tasks, &nr_tasks) ||
	    ledger_failure_list(l, run_id, &failures, &nr_failures) ||
	    ledger_write_stats(l, run_id, &ws)) {
		strbuf_addf(err, "cannot read run %lld from the ledger: %s", (long long)run_id,
			    ledger_errmsg(l));
		goto out;
	}
	if (note_get(l, run_id, "subscriptions", &note) ||
	    ledger_sub_counts_list(l, run_id, &sub_counts, &nr_sub_counts)) {
		strbuf_addf(err, "cannot read run %lld from the ledger: %s", (long long)run_id,
			    ledger_errmsg(l));
		goto out;
	}
	subs = json_object();
	/* every subscription in scope has a row, also those with nothing to report */
	if (note) {
		char *p = note, *comma;
		for (;;) {
			comma = strchr(p, ',');
			if (comma)
				*comma = '\0';
			if (*p)
				sub_row(subs, p);
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	free(note);
	note = NULL;
	for (i = 0; i < nr_sub_counts; i++) {
		json_t *row = sub_row(subs, sub_counts[i].subscription);
		row_add(row, "deployments_succeeded", sub_counts[i].succeeded);
		row_add(row, "deployments_failed", sub_counts[i].failed);
	}
	task_list = json_array();
	for (i = 0; i < nr_tasks; i++) {
		struct ledger_task *t = &tasks[i];
		char *sub = subscription_of(t->scope);
		if (tracker_state_is_success(t->state))
			t_ok++;
		else if (tracker_state_is_terminal(t->state))
			t_failed++;
		else
			t_active++;
		d_total += t->total;
		d_ok += t->succeeded;
		d_failed += t->failed;
		if (sub) {
			json_t *row = sub_row(subs, sub);
			row_add(row, "tasks", 1);
			row_add(row, "deployments_succeeded", t->succeeded);
			row_add(row, "deployments_failed", t->failed);
		}
		json_array_append_new(task_list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "name", t->name,
						"scope", t->scope, "policyDefinitionReferenceId", t->reference_id,
						"resourceDiscoveryMode", t->discovery, "state", t->state,
						"totalDeployments", (json_int_t)t->total,
						"successfulDeployments", (json_int_t)t->succeeded,
						"failedDeployments", (json_int_t)t->failed));
		free(sub);
	}
	failure_list = json_array();
	for (i = 0; i < nr_failures; i++) {
		struct ledger_failure *f = &failures[i];
		char *sub = subscription_of(f->subject);
		if (sub) {
			json_t *row = sub_row(subs, sub);
			row_add(row, "failures", 1);
			if (f->kind == LEDGER_FAILURE_VERIFY)
				row_add(row, "noncompliant_remaining", 1);
		}
		if (f->kind == LEDGER_FAILURE_VERIFY)
			noncompliant++;
		json_array_append_new(failure_list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", ledger_failure_kind_name(f->kind),
						"resource", f->subject, "code", f->code, "message", f->message,
						"requestId", f->request_id, "correlationId", f->correlation_id));
		free(sub);
	}
	subs_list = json_array();
	json_object_foreach(subs, key, key_val)
		json_array_append(subs_list, key_val);
	report_format_time(run.started_ms, started, sizeof(started));
	report_format_time(run.finished_ms, finished, sizeof(finished));
	free(note);
	note = NULL;
	if (note_get(l, run_id, "exemptions", &note)) {
		strbuf_addf(err, "cannot read run %lld from the ledger: %s", (long long)run_id,
			    ledger_errmsg(l));
		json_decref(task_list);
		json_decref(failure_list);
		json_decref(subs_list);
		goto out;
	}
	exemptions = note ? json_loads(note, 0, NULL) : NULL;
	if (!json_is_array(exemptions)) {
		json_decref(exemptions);
		exemptions = json_array(); /* none recorded (or an unreadable note: shown as none) */
	}
	json_array_foreach(exemptions, i, key_val)
		exempt += (long)json_array_size(json_object_get(key_val, "resources"));
	free(note);
	note = NULL;
	if (note_get(l, run_id, "verified", &note) ||
	    note_get(l, run_id, "pairs_skipped", &skipped_note)) {
		strbuf_addf(err, "cannot read run %lld from the ledger: %s", (long long)run_id,
			    ledger_errmsg(l));
		json_decref(task_list);
		json_decref(failure_list);
		json_decref(subs_list);
		json_decref(exemptions);
		goto out;
	}
	report = json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I},"
			   " s:{s:I, s:I, s:I, s:I},"
			   " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:s?},"
			   " s:o, s:o, s:o, s:o}",
			   "run", "id", (json_int_t)run.id, "uid", run.uid, "command", run.command,
			   "scope", run.scope, "state", ledger_run_state_name(run.state), "phase", ledger_phase_name(run.phase),
			   "started", started, "finished", finished,
			   "elapsed_seconds", (json_int_t)(((run.finished_ms ? run.finished_ms
							       : run.updated_ms) - run.started_ms) / 1000),
			   "writes", "sent", (json_int_t)ws.intents, "succeeded", (json_int_t)ws.succeeded,
			   "failed", (json_int_t)ws.failed, "unanswered", (json_int_t)ws.pending,
			   "totals", "tasks", (json_int_t)nr_tasks, "tasks_succeeded", (json_int_t)t_ok,
			   "tasks_failed", (json_int_t)t_failed, "tasks_active", (json_int_t)t_active,
			   "deployments", (json_int_t)d_total, "deployments_succeeded", (json_int_t)d_ok,
			   "deployments_failed", (json_int_t)d_failed,
			   "noncompliant_remaining", (json_int_t)noncompliant,
			   "verified", (int)(note && !strcmp(note, "yes")),
			   "exempt_resources", (json_int_t)exempt,
			   "pairs_skipped", (json_int_t)(skipped_note ? strtoll(skipped_note, NULL, 10) : 0),
			   "pairs_skipped_reason", skipped_note && strcmp(skipped_note, "0")
			   ? pairing_decision_reason(PAIRING_SKIP_NOTHING_TO_FIX) : NULL,
			   "subscriptions", subs_list, "tasks", task_list, "failures", failure_list,
			   "exemptions", exemptions);
	if (!report)
		strbuf_addstr(err, "cannot build the report");
	else if (add_fix(l, run_id, report) || add_inventory(l, run_id, report)) {
		json_decref(report);
		report = NULL;
		strbuf_addf(err, "cannot read the ledger's fixes: %s", ledger_errmsg(l));
	}
out:
	free(note);
	free(skipped_note);
	ledger_sub_counts_free(sub_counts, nr_sub_counts);
	json_decref(subs);
	ledger_run_release(&run);
	ledger_tasks_free(tasks, nr_tasks);
	ledger_failures_free(failures, nr_failures);
	return report;
}

int report_failed(const json_t *report)
{
	const json_t *totals = json_object_get(report, "totals");
	if (json_integer_value(json_object_get(totals, "tasks_failed")) ||
	    json_integer_value(json_object_get(totals, "deployments_failed")) ||
	    json_integer_value(json_object_get(totals, "noncompliant_remaining")))
		return 1;
	if (json_integer_value(json_object_get(json_object_get(report, "writes"), "failed")))
		return 1;
	{
		const json_t *row;
		size_t i;
		json_array_foreach(json_object_get(json_object_get(report, "fix"), "tiers"), i, row)
			if (json_integer_value(json_object_get(row, "failed")) ||
			    json_integer_value(json_object_get(row, "lagging")))
				return 1;
	}
	return json_array_size(json_object_get(report, "failures")) ? 1 : 0;
}

static long geti(const json_t *obj, const char *key)
{
	return (long)json_integer_value(json_object_get(obj, key));
}

static const char *gets_(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* Bytes of the control character at s (C0, DEL, or a UTF-8 C1 control), 0 for none. */
static size_t control_len(const char *s)
{
	unsigned char c = (unsigned char)s[0], next = (unsigned char)s[1];
	if (c < 0x20 || c == 0x7f)
		return 1;
	return c == 0xc2 && next >= 0x80 && next <= 0x9f ? 2 : 0;
}

/* Markdown table cells must not break the row; server text must not drive a terminal. */
static void add_cell(struct strbuf *sb, const char *s, int markdown)
{
	for (; *s; s++) {
		size_t ctl = control_len(s);
		if (markdown && *s == '|') {
			strbuf_addstr(sb, "\\|");
		} else if (*s == '\n' || *s == '\r') {
			strbuf_addch(sb, ' ');
		} else if (ctl) {
			strbuf_add_escaped(sb, s, ctl, 0);
			s += ctl - 1;
		} else {
			strbuf_addch(sb, *s);
		}
	}
}

/*
 * The exemptions recorded with the run and the resources they exempt: apart from the
 * non-compliant ones, with owner and expiry (text from the network escaped).
 */
static void render_exempt(const json_t *r, int md, struct strbuf *sb)
{
	const json_t *list = json_object_get(r, "exemptions"), *ex, *res, *item;
	size_t i, j;

	if (!json_array_size(list))
		return;
	if (md)
		strbuf_addf(sb, "\n## Exempt resources (%ld)\n\n| exemption | status | owner | expires |"
			    " resources |\n|---|---|---|---|---|\n",
			    geti(json_object_get(r, "totals"), "exempt_resources"));
	else
		strbuf_addf(sb, "\nexempt resources: %ld (not counted as non-compliant)\n",
			    geti(json_object_get(r, "totals"), "exempt_resources"));
	json_array_foreach(list, i, ex) {
		res = json_object_get(ex, "resources");
		if (md) {
			strbuf_addstr(sb, "| ");
			add_cell(sb, gets_(ex, "name"), 1);
			strbuf_addf(sb, " | %s | ", gets_(ex, "status"));
			add_cell(sb, *gets_(ex, "owner") ? gets_(ex, "owner") : "none", 1);
			strbuf_addstr(sb, " | ");
			add_cell(sb, *gets_(ex, "expiresOn") ? gets_(ex, "expiresOn") : "never", 1);
			strbuf_addstr(sb, " | ");
			json_array_foreach(res, j, item) {
				if (j)
					strbuf_addstr(sb, "<br>");
				add_cell(sb, json_string_value(item) ? json_string_value(item) : "", 1);
			}
			strbuf_addstr(sb, " |\n");
		} else {
			strbuf_addstr(sb, "  ");
			msg_escape_into(sb, gets_(ex, "name"));
			strbuf_addf(sb, " (%s), owner ", gets_(ex, "status"));
			msg_escape_into(sb, *gets_(ex, "owner") ? gets_(ex, "owner") : "none");
			strbuf_addstr(sb, ", expires ");
			msg_escape_into(sb, *gets_(ex, "expiresOn") ? gets_(ex, "expiresOn") : "never");
			strbuf_addch(sb, '\n');
			json_array_foreach(res, j, item) {
				strbuf_addstr(sb, "    exempt ");
				msg_escape_into(sb, json_string_value(item) ? json_string_value(item) : "");
				strbuf_addch(sb, '\n');
			}
		}
	}
}

static void render_text(const json_t *r, int md, struct strbuf *sb)
{
	const json_t *run = json_object_get(r, "run"), *tot = json_object_get(r, "totals");
	const json_t *w = json_object_get(r, "writes"), *row;
	size_t i;

	if (md) {
		strbuf_addf(sb, "# policyctl run %s\n\n", gets_(run, "uid"));
		strbuf_addf(sb, "- command: `%s`, scope: `%s`\n", gets_(run, "command"), gets_(run, "scope"));
		strbuf_addf(sb, "- state: **%s** (phase %s), started %s, finished %s, %lds\n",
			    gets_(run, "state"), gets_(run, "phase"), gets_(run, "started"),
			    gets_(run, "finished"), geti(run, "elapsed_seconds"));
		strbuf_addf(sb, "- writes: %ld sent, %ld succeeded, %ld failed, %ld unanswered\n",
			    geti(w, "sent"), geti(w, "succeeded"), geti(w, "failed"), geti(w, "unanswered"));
		strbuf_addf(sb, "- tasks: %ld (%ld succeeded, %ld failed, %ld active); deployments: %ld "
			    "(%ld succeeded, %ld failed)\n", geti(tot, "tasks"), geti(tot, "tasks_succeeded"),
			    geti(tot, "tasks_failed"), geti(tot, "tasks_active"), geti(tot, "deployments"),
			    geti(tot, "deployments_succeeded"), geti(tot, "deployments_failed"));
		if (geti(tot, "pairs_skipped"))
			strbuf_addf(sb, "- (scope, member) pairs without a task: %ld (%s)\n",
				    geti(tot, "pairs_skipped"), gets_(tot, "pairs_skipped_reason"));
		strbuf_addf(sb, "- non-compliant after verification: %ld%s\n\n",
			    geti(tot, "noncompliant_remaining"),
			    json_is_true(json_object_get(tot, "verified")) ? "" : " (not verified)");
		strbuf_addstr(sb, "## Per subscription\n\n| subscription | tasks | deployments ok | "
			      "deployments failed | non-compliant | failures |\n|---|---:|---:|---:|---:|---:|\n");
	} else {
		strbuf_addf(sb, "run %s: %s %s, %s (phase %s)\n", gets_(run, "uid"), gets_(run, "command"),
			    gets_(run, "scope"), gets_(run, "state"), gets_(run, "phase"));
		strbuf_addf(sb, "started %s, finished %s, elapsed %lds\n", gets_(run, "started"),
			    gets_(run, "finished"), geti(run, "elapsed_seconds"));
		strbuf_addf(sb, "writes: %ld sent, %ld succeeded, %ld failed, %ld unanswered\n",
			    geti(w, "sent"), geti(w, "succeeded"), geti(w, "failed"), geti(w, "unanswered"));
		strbuf_addf(sb, "tasks: %ld; (scope, member) pairs without a task: %ld%s%s%s\n",
			    geti(tot, "tasks"), geti(tot, "pairs_skipped"),
			    geti(tot, "pairs_skipped") ? " (" : "", gets_(tot, "pairs_skipped_reason"),
			    geti(tot, "pairs_skipped") ? ")" : "");
		strbuf_addf(sb, "\n%-38s %6s %10s %10s %14s %9s\n", "SUBSCRIPTION", "TASKS", "DEPLOY OK",
			    "DEPLOY ERR", "NONCOMPLIANT", "FAILURES");
	}
	json_array_foreach(json_object_get(r, "subscriptions"), i, row) {
		if (md)
			strbuf_addf(sb, "| %s | %ld | %ld | %ld | %ld | %ld |\n", gets_(row, "subscription"),
				    geti(row, "tasks"), geti(row, "deployments_succeeded"),
				    geti(row, "deployments_failed"), geti(row, "noncompliant_remaining"),
				    geti(row, "failures"));
		else
			strbuf_addf(sb, "%-38s %6ld %10ld %10ld %14ld %9ld\n", gets_(row, "subscription"),
				    geti(row, "tasks"), geti(row, "deployments_succeeded"),
				    geti(row, "deployments_failed"), geti(row, "noncompliant_remaining"),
				    geti(row, "failures"));
	}
	if (md)
		strbuf_addf(sb, "| **total** | %ld | %ld | %ld | %ld | %zu |\n", geti(tot, "tasks"),
			    geti(tot, "deployments_succeeded"), geti(tot, "deployments_failed"),
			    geti(tot, "noncompliant_remaining"),
			    json_array_size(json_object_get(r, "failures")));
	else
		strbuf_addf(sb, "%-38s %6ld %10ld %10ld %14ld %9zu\n", "total", geti(tot, "tasks"),
			    geti(tot, "deployments_succeeded"), geti(tot, "deployments_failed"),
			    geti(tot, "noncompliant_remaining"),
			    json_array_size(json_object_get(r, "failures")));
	render_exempt(r, md, sb);
	if (json_object_get(r, "inventory"))
		strbuf_addf(sb, md ? "\nResource Graph (the control's check): %ld of %ld apps open\n"
				   : "\nresource graph (the control's check): %ld of %ld apps open\n",
			    geti(json_object_get(r, "inventory"), "open"),
			    geti(json_object_get(r, "inventory"), "apps"));
	render_fix(r, md, sb);
	if (!json_array_size(json_object_get(r, "failures"))) {
		strbuf_addstr(sb, md ? "\nNo failures.\n" : "\nno failures\n");
		return;
	}
	if (md)
		strbuf_addstr(sb, "\n## Failures\n\n| kind | resource | code | message | request id |"
			      " correlation id |\n|---|---|---|---|---|---|\n");
	else
		strbuf_addstr(sb, "\nfailures:\n");
	json_array_foreach(json_object_get(r, "failures"), i, row) {
		if (md) {
			static const char *const columns[] = { "kind", "resource", "code", "message",
							       "requestId", "correlationId" };
			size_t c;
			for (c = 0; c < ARRAY_SIZE(columns); c++) {
				strbuf_addstr(sb, c ? " | " : "| ");
				add_cell(sb, gets_(row, columns[c]), 1);
			}
			strbuf_addstr(sb, " |\n");
		} else {
			strbuf_addf(sb, "  %s %s\n    %s: ", gets_(row, "kind"), gets_(row, "resource"),
				    *gets_(row, "code") ? gets_(row, "code") : "error");
			add_cell(sb, gets_(row, "message"), 0);
			strbuf_addch(sb, '\n');
			if (*gets_(row, "requestId") || *gets_(row, "correlationId"))
				strbuf_addf(sb, "    request id %s, correlation id %s\n",
					    *gets_(row, "requestId") ? gets_(row, "requestId") : "-",
					    *gets_(row, "correlationId") ? gets_(row, "correlationId") : "-");
		}
	}
}

void report_render(const json_t *report, enum report_format format, struct strbuf *sb)
{
	if (format == REPORT_JSON)
		jsonutil_add_pretty(sb, report);
	else
		render_text(report, format == REPORT_MARKDOWN, sb);
}

int report_status(struct ledger *l, int64_t run_id, int json, struct strbuf *sb, struct strbuf *err)
{
	struct ledger_run run = { 0 };
	struct ledger_task *tasks = NULL;
	struct ledger_scan *scans = NULL;
	struct ledger_write_stats ws;
	size_t nr_tasks = 0, nr_scans = 0, i;
	json_t *states = json_object(), *scan_states = json_object(), *out = NULL, *val;
	const char *key;
	char started[32];
	int ret = -1;

	if (ledger_run_get(l, run_id, &run) || ledger_task_list(l, run_id, &tasks, &nr_tasks) ||
	    ledger_scan_list(l, run_id, &scans, &nr_scans) || ledger_write_stats(l, run_id, &ws)) {
		strbuf_addf(err, "cannot read run %lld from the ledger: %s", (long long)run_id,
			    ledger_errmsg(l));
		goto out;
	}
	for (i = 0; i < nr_tasks; i++)
		row_add(states, tasks[i].state, 1) /* creates the key at 0 + 1 */;
	for (i = 0; i < nr_scans; i++)
		row_add(scan_states, scans[i].state, 1);
	report_format_time(run.started_ms, started, sizeof(started));
	if (json) {
		out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:O, s:I, s:O, s:I}",
				"uid", run.uid, "command", run.command, "scope", run.scope,
				"state", ledger_run_state_name(run.state), "phase", ledger_phase_name(run.phase), "started", started,
				"tasks", (json_int_t)nr_tasks, "task_states", states,
				"scans", (json_int_t)nr_scans, "scan_states", scan_states,
				"writes_unanswered", (json_int_t)ws.pending);
		jsonutil_add_pretty(sb, out);
	} else {
		strbuf_addf(sb, "run %s (%s, scope %s), started %s\n", run.uid, run.command, run.scope,
			    started);
		strbuf_addf(sb, "state %s, phase %s%s\n", ledger_run_state_name(run.state),
			    ledger_phase_name(run.phase),
			    run.state == LEDGER_RUN_RUNNING ? " (or stopped without recording it)" : "");
		strbuf_addf(sb, "writes: %ld sent, %ld succeeded, %ld failed, %ld unanswered\n",
			    ws.intents, ws.succeeded, ws.failed, ws.pending);
		strbuf_addf(sb, "scans: %zu", nr_scans);
		json_object_foreach(scan_states, key, val)
			strbuf_addf(sb, ", %s %lld", key, (long long)json_integer_value(val));
		strbuf_addf(sb, "\ntasks: %zu", nr_tasks);
		json_object_foreach(states, key, val)
			strbuf_addf(sb, ", %s %lld", key, (long long)json_integer_value(val));
		strbuf_addch(sb, '\n');
	}
	ret = 0;
out:
	json_decref(out);
	json_decref(states);
	json_decref(scan_states);
	ledger_run_release(&run);
	ledger_tasks_free(tasks, nr_tasks);
	ledger_scans_free(scans, nr_scans);
	return ret;
}
