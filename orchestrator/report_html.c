/*
 * report_html — the HTML report (see report_html.h).
 *
 * The page is a list of sections drawn in order from `sections[]`. A section writer gets the
 * report JSON and the progress points and appends its <section>; it writes nothing when it
 * has nothing to show. "inventory" shows contain's second opinion (Resource Graph's count of
 * open apps) and a fix run's apps per tier; exemptions expiring soon are a section to add
 * between it and "failures" once the ledger records them.
 *
 * Numbers come from the report's totals:
 *   found at start    deployments the remediation tasks counted (the resources they found
 *                     non-compliant when the run began)
 *   compliant now     of those, the ones remediated (deployments succeeded)
 *   non-compliant now after verification: what the fresh scan still found; before it:
 *                     found - succeeded
 *   at risk now       the non-compliant now (until the inventory tells exposed sites apart)
 *   exempt            resources the recorded exemptions cover (a dash when none recorded)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/report.h"
#include "orchestrator/report_html.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* progress chart geometry (SVG user units) */
#define CHART_W 720
#define CHART_H 260
#define CHART_LEFT 56
#define CHART_RIGHT 16
#define CHART_TOP 16
#define CHART_BOTTOM 36
/* scope bars */
#define BAR_LABEL_W 290
#define BAR_AREA_W 250
#define BAR_ROW_H 24
#define BAR_W (BAR_LABEL_W + BAR_AREA_W + 340)

struct page {
	const json_t *report;
	const struct ledger_progress_point *points;
	size_t nr;
	struct strbuf *sb;
};

void report_html_escape(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			strbuf_addstr(sb, "&amp;");
			break;
		case '<':
			strbuf_addstr(sb, "&lt;");
			break;
		case '>':
			strbuf_addstr(sb, "&gt;");
			break;
		case '"':
			strbuf_addstr(sb, "&quot;");
			break;
		case '\'':
			strbuf_addstr(sb, "&#39;");
			break;
		default:
			strbuf_addch(sb, c < 0x20 || c == 0x7f ? ' ' : c);
		}
	}
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

/* ---- headline ---- */

static void card(struct strbuf *sb, const char *id, const char *label, const char *value,
		 const char *delta, const char *tone)
{
	strbuf_addf(sb, "<div class=\"card %s\"><div class=\"label\">%s</div>"
		    "<div class=\"value\" id=\"v-%s\">%s</div><div class=\"delta\">%s</div></div>\n",
		    tone, label, id, value, delta);
}

static void write_headline(const struct page *pg)
{
	const json_t *tot = json_object_get(pg->report, "totals");
	long found = geti(tot, "deployments"), ok = geti(tot, "deployments_succeeded");
	int verified = json_is_true(json_object_get(tot, "verified"));
	long now = verified ? geti(tot, "noncompliant_remaining") : found - ok;
	char value[32], delta[160];
	struct strbuf *sb = pg->sb;

	if (now < 0)
		now = 0;
	strbuf_addstr(sb, "<section id=\"headline\">\n<h2>Where it stands</h2>\n<div class=\"cards\">\n");
	snprintf(value, sizeof(value), "%ld", now);
	snprintf(delta, sizeof(delta), "was %ld when the run started (%s%ld)", found,
		 now - found > 0 ? "+" : now - found < 0 ? "&minus;" : "&plusmn;",
		 labs(now - found));
	card(sb, "noncompliant", "Non-compliant now", value, delta, now ? "bad" : "good");
	snprintf(value, sizeof(value), "%ld", ok);
	snprintf(delta, sizeof(delta), "+%ld since the run started, of %ld found non-compliant",
		 ok, found);
	card(sb, "compliant", "Compliant now", value, delta, "good");
	if (json_array_size(json_object_get(pg->report, "exemptions"))) {
		snprintf(value, sizeof(value), "%ld", geti(tot, "exempt_resources"));
		snprintf(delta, sizeof(delta), "under %zu exemption%s, not counted as non-compliant",
			 json_array_size(json_object_get(pg->report, "exemptions")),
			 json_array_size(json_object_get(pg->report, "exemptions")) == 1 ? "" : "s");
		card(sb, "exempt", "Exempt", value, delta, "neutral");
	} else {
		card(sb, "exempt", "Exempt", "&mdash;", "no exemption recorded", "neutral");
	}
	snprintf(value, sizeof(value), "%ld", now);
	snprintf(delta, sizeof(delta), "sites that still let clients in without a certificate");
	card(sb, "atrisk", "At risk now", value, delta, now ? "bad" : "good");
	strbuf_addf(sb, "</div>\n<p class=\"note\">%s Tasks: %ld (%ld succeeded, %ld failed, %ld "
		    "active). Deployments failed: %ld.</p>\n</section>\n",
		    verified ? "Verified by a fresh compliance scan after remediation." :
			       "Not verified yet: non-compliant now is found minus remediated.",
		    geti(tot, "tasks"), geti(tot, "tasks_succeeded"), geti(tot, "tasks_failed"),
		    geti(tot, "tasks_active"), geti(tot, "deployments_failed"));
}

/* ---- progress over time ---- */

/* "m:ss" or "h:mm:ss" of a duration in ms. */
static void add_duration(struct strbuf *sb, int64_t ms)
{
	int64_t s = ms / 1000;
	if (s >= 3600)
		strbuf_addf(sb, "%" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60), (int)(s % 60));
	else
		strbuf_addf(sb, "%d:%02d", (int)(s / 60), (int)(s % 60));
}

/* Index of the i-th of n samples of nr points (n <= nr): evenly spaced, first and last kept. */
static size_t sample(size_t i, size_t n, size_t nr)
{
	return n <= 1 ? nr - 1 : (size_t)((double)i * (double)(nr - 1) / (double)(n - 1) + 0.5);
}

static long series_value(const struct ledger_progress_point *p, int series)
{
	long remaining = p->total - p->succeeded - p->failed;
	return series == 0 ? p->succeeded : series == 1 ? p->failed : remaining < 0 ? 0 : remaining;
}

static void write_progress(const struct page *pg)
{
	static const char *const names[] = { "succeeded", "failed", "remaining" };
	struct strbuf *sb = pg->sb;
	size_t n = pg->nr < REPORT_HTML_MAX_POINTS ? pg->nr : REPORT_HTML_MAX_POINTS, i;
	int64_t t0, t1;
	long ymax = 1;
	double plot_w = CHART_W - CHART_LEFT - CHART_RIGHT, plot_h = CHART_H - CHART_TOP - CHART_BOTTOM;
	int s;

	strbuf_addstr(sb, "<section id=\"progress\">\n<h2>Remediation progress</h2>\n");
	if (!pg->nr) {
		strbuf_addstr(sb, "<p class=\"note\">No progress recorded: no remediation task "
			      "has reported yet.</p>\n</section>\n");
		return;
	}
	t0 = pg->points[0].at_ms;
	t1 = pg->points[pg->nr - 1].at_ms;
	for (i = 0; i < pg->nr; i++)
		for (s = 0; s < 3; s++)
			if (series_value(&pg->points[i], s) > ymax)
				ymax = series_value(&pg->points[i], s);
	strbuf_addf(sb, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
		    "role=\"img\" aria-label=\"deployments succeeded, failed and remaining over time\">\n",
		    CHART_W, CHART_H, CHART_W, CHART_H);
	/* axes and grid: 0, half, max */
	for (s = 0; s <= 2; s++) {
		double y = CHART_TOP + plot_h - plot_h * s / 2.0;
		strbuf_addf(sb, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			    "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%ld</text>\n",
			    CHART_LEFT, y, CHART_W - CHART_RIGHT, y, CHART_LEFT - 6, y + 4,
			    ymax * s / 2);
	}
	strbuf_addf(sb, "<text class=\"tick\" x=\"%d\" y=\"%d\">0:00</text>"
		    "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		    CHART_LEFT, CHART_H - 14, CHART_W - CHART_RIGHT, CHART_H - 14);
	add_duration(sb, t1 - t0);
	strbuf_addf(sb, "</text><text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
		    "time since the first task reported</text>\n",
		    CHART_LEFT + plot_w / 2, CHART_H - 2);
	for (s = 0; s < 3; s++) {
		struct strbuf dots = STRBUF_INIT;
		strbuf_addf(sb, "<g class=\"series %s\" data-series=\"%s\"><polyline points=\"",
			    names[s], names[s]);
		for (i = 0; i < n; i++) {
			const struct ledger_progress_point *p = &pg->points[sample(i, n, pg->nr)];
			double x = CHART_LEFT + (t1 > t0 ? plot_w * (double)(p->at_ms - t0) / (double)(t1 - t0)
						       : plot_w / 2);
			double y = CHART_TOP + plot_h - plot_h * (double)series_value(p, s) / (double)ymax;
			strbuf_addf(sb, "%s%.1f,%.1f", i ? " " : "", x, y);
			strbuf_addf(&dots, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\">"
				    "<title>%s %ld at +", x, y, names[s], series_value(p, s));
			add_duration(&dots, p->at_ms - t0);
			strbuf_addstr(&dots, "</title></circle>");
		}
		strbuf_addf(sb, "\"/>%s</g>\n", dots.buf);
		strbuf_release(&dots);
	}
	strbuf_addstr(sb, "</svg>\n<p class=\"legend\"><span class=\"key succeeded\"></span>deployments "
		      "succeeded <span class=\"key failed\"></span>failed <span class=\"key remaining\">"
		      "</span>remaining (counted by the tasks, not yet finished)</p>\n");
	strbuf_addf(sb, "<p class=\"note\">%zu points recorded as tasks were polled%s; last: "
		    "%ld succeeded, %ld failed, %ld remaining of %ld.</p>\n</section>\n", pg->nr,
		    pg->nr > n ? ", evenly sampled" : "", pg->points[pg->nr - 1].succeeded,
		    pg->points[pg->nr - 1].failed, series_value(&pg->points[pg->nr - 1], 2),
		    pg->points[pg->nr - 1].total);
}

/* ---- per scope ---- */

static long badness(const json_t *row)
{
	return geti(row, "noncompliant_remaining") + geti(row, "deployments_failed") +
	       geti(row, "failures");
}

static int worst_first(const void *a, const void *b)
{
	const json_t *ra = *(const json_t *const *)a, *rb = *(const json_t *const *)b;
	long da = badness(ra), db = badness(rb);
	if (da != db)
		return da > db ? -1 : 1;
	return strcmp(gets_(ra, "subscription"), gets_(rb, "subscription"));
}

static void write_scopes(const struct page *pg)
{
	const json_t *subs = json_object_get(pg->report, "subscriptions"), *row;
	const char *scope = gets_(json_object_get(pg->report, "run"), "scope");
	size_t nr = json_array_size(subs), i;
	const json_t **rows;
	struct strbuf *sb = pg->sb;
	long max = 1;

	strbuf_addstr(sb, "<section id=\"scopes\">\n<h2>Per subscription, worst first</h2>\n");
	if (!strncmp(scope, "mg:", 3)) {
		strbuf_addstr(sb, "<p class=\"note\">Management group <code>");
		report_html_escape(sb, scope + 3);
		strbuf_addstr(sb, "</code></p>\n");
	}
	if (!nr) {
		strbuf_addstr(sb, "<p class=\"note\">No subscription recorded.</p>\n</section>\n");
		return;
	}
	rows = xcalloc(nr, sizeof(*rows));
	json_array_foreach(subs, i, row) {
		long sum = geti(row, "deployments_succeeded") + geti(row, "deployments_failed") +
			   geti(row, "noncompliant_remaining");
		rows[i] = row;
		if (sum > max)
			max = sum;
	}
	qsort(rows, nr, sizeof(*rows), worst_first);
	strbuf_addf(sb, "<svg class=\"bars\" viewBox=\"0 0 %d %zu\" width=\"%d\" height=\"%zu\" "
		    "role=\"img\" aria-label=\"remediated, failed and non-compliant per subscription\">\n",
		    BAR_W, nr * BAR_ROW_H + 8, BAR_W, nr * BAR_ROW_H + 8);
	for (i = 0; i < nr; i++) {
		static const struct { const char *key, *cls; } segs[] = {
			{ "noncompliant_remaining", "noncompliant" },
			{ "deployments_failed", "failed" },
			{ "deployments_succeeded", "succeeded" },
		};
		double x = BAR_LABEL_W, y = 4 + (double)i * BAR_ROW_H;
		size_t k;
		strbuf_addstr(sb, "<g class=\"bar\" data-scope=\"");
		report_html_escape(sb, gets_(rows[i], "subscription"));
		strbuf_addf(sb, "\"><text class=\"name\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			    BAR_LABEL_W - 8, y + 15);
		report_html_escape(sb, gets_(rows[i], "subscription"));
		strbuf_addstr(sb, "</text>");
		for (k = 0; k < ARRAY_SIZE(segs); k++) {
			long v = geti(rows[i], segs[k].key);
			double w = BAR_AREA_W * (double)v / (double)max;
			if (v <= 0)
				continue;
			strbuf_addf(sb, "<rect class=\"seg %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				    "height=\"%d\"/>", segs[k].cls, x, y + 3, w, BAR_ROW_H - 8);
			x += w;
		}
		strbuf_addf(sb, "<text class=\"counts\" x=\"%d\" y=\"%.1f\">%ld non-compliant, %ld "
			    "failed, %ld remediated</text></g>\n", BAR_LABEL_W + BAR_AREA_W + 8,
			    y + 15, geti(rows[i], "noncompliant_remaining"),
			    geti(rows[i], "deployments_failed"), geti(rows[i], "deployments_succeeded"));
	}
	strbuf_addstr(sb, "</svg>\n<p class=\"legend\"><span class=\"key noncompliant\"></span>still "
		      "non-compliant <span class=\"key failed\"></span>deployments failed "
		      "<span class=\"key succeeded\"></span>remediated</p>\n</section>\n");
	free(rows);
}

/* ---- failures by code ---- */

static void write_failures(const struct page *pg)
{
	const json_t *failures = json_object_get(pg->report, "failures"), *f;
	json_t *groups = json_object(), *list;
	const char *code, **codes = NULL;
	size_t nr_codes = 0, i, j;
	struct strbuf *sb = pg->sb;

	strbuf_addf(sb, "<section id=\"failures\">\n<h2>Failures (%zu)</h2>\n",
		    json_array_size(failures));
	if (!json_array_size(failures)) {
		strbuf_addstr(sb, "<p class=\"note\">No failures.</p>\n</section>\n");
		json_decref(groups);
		return;
	}
	json_array_foreach(failures, i, f) {
		const char *c = *gets_(f, "code") ? gets_(f, "code") : "error";
		list = json_object_get(groups, c);
		if (!list) {
			list = json_array();
			json_object_set_new(groups, c, list);
		}
		json_array_append(list, (json_t *)f);
	}
	codes = xcalloc(json_object_size(groups), sizeof(*codes));
	json_object_foreach(groups, code, list)
		codes[nr_codes++] = code;
	/* most frequent code first, then by name: insertion sort, the list is short */
	for (i = 1; i < nr_codes; i++) {
		const char *key = codes[i];
		size_t n = json_array_size(json_object_get(groups, key));
		for (j = i; j > 0; j--) {
			size_t m = json_array_size(json_object_get(groups, codes[j - 1]));
			if (m > n || (m == n && strcmp(codes[j - 1], key) < 0))
				break;
			codes[j] = codes[j - 1];
		}
		codes[j] = key;
	}
	for (i = 0; i < nr_codes; i++) {
		list = json_object_get(groups, codes[i]);
		strbuf_addstr(sb, "<h3 class=\"code\"><code>");
		report_html_escape(sb, codes[i]);
		strbuf_addf(sb, "</code> <span class=\"count\">%zu</span></h3>\n<table class=\"failures\">"
			    "<thead><tr><th>kind</th><th>resource</th><th>message</th><th>request id</th>"
			    "<th>correlation id</th></tr></thead>\n<tbody>\n", json_array_size(list));
		json_array_foreach(list, j, f) {
			static const char *const cols[] = { "kind", "resource", "message", "requestId",
							    "correlationId" };
			size_t c;
			strbuf_addstr(sb, "<tr>");
			for (c = 0; c < ARRAY_SIZE(cols); c++) {
				strbuf_addstr(sb, c == 0 ? "<td class=\"kind\">" :
						  c == 1 || c >= 3 ? "<td class=\"id\">" : "<td>");
				report_html_escape(sb, *gets_(f, cols[c]) ? gets_(f, cols[c]) : "-");
				strbuf_addstr(sb, "</td>");
			}
			strbuf_addstr(sb, "</tr>\n");
		}
		strbuf_addstr(sb, "</tbody></table>\n");
	}
	strbuf_addstr(sb, "</section>\n");
	free(codes);
	json_decref(groups);
}

/* ---- the control's own check and the asset-level fix ---- */

static void write_inventory(const struct page *pg)
{
	const json_t *inv = json_object_get(pg->report, "inventory");
	const json_t *fix = json_object_get(pg->report, "fix"), *row;
	struct strbuf *sb = pg->sb;
	size_t i;
	if (!inv && !fix)
		return;
	strbuf_addstr(sb, "<section id=\"inventory\">\n<h2>Resource Graph and fix</h2>\n");
	if (inv)
		strbuf_addf(sb, "<p>The control's own check (Resource Graph): <strong>%ld</strong> of "
			    "%ld apps open.</p>\n", geti(inv, "open"), geti(inv, "apps"));
	if (fix) {
		strbuf_addstr(sb, "<table class=\"fix\"><thead><tr><th>tier</th><th>fixed</th>"
			      "<th>shown by Resource Graph</th><th>failed</th><th>skipped</th></tr>"
			      "</thead>\n<tbody>\n");
		json_array_foreach(json_object_get(fix, "tiers"), i, row) {
			strbuf_addstr(sb, "<tr><td>");
			report_html_escape(sb, gets_(row, "tier"));
			strbuf_addf(sb, "</td><td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td></tr>\n",
				    geti(row, "fixed"), geti(row, "verified"), geti(row, "failed"),
				    geti(row, "skipped"));
		}
		strbuf_addstr(sb, "</tbody></table>\n");
		if (json_array_size(json_object_get(fix, "apps"))) {
			strbuf_addstr(sb, "<table class=\"failures\"><thead><tr><th>state</th><th>app</th>"
				      "<th>reason</th></tr></thead>\n<tbody>\n");
			json_array_foreach(json_object_get(fix, "apps"), i, row) {
				strbuf_addstr(sb, "<tr><td class=\"kind\">");
				report_html_escape(sb, gets_(row, "state"));
				strbuf_addstr(sb, "</td><td class=\"id\">");
				report_html_escape(sb, gets_(row, "id"));
				strbuf_addstr(sb, "</td><td>");
				report_html_escape(sb, gets_(row, "reason"));
				strbuf_addstr(sb, "</td></tr>\n");
			}
			strbuf_addstr(sb, "</tbody></table>\n");
		}
	}
	strbuf_addstr(sb, "</section>\n");
}

/*
 * The page's sections in order. Expiring exemptions go between "inventory" and "failures"
 * once their issue records them in the ledger (see the file comment).
 */
static const struct {
	const char *name;
	void (*write)(const struct page *pg);
} sections[] = {
	{ "headline", write_headline },
	{ "progress", write_progress },
	{ "scopes", write_scopes },
	{ "inventory", write_inventory },
	{ "failures", write_failures },
};

static const char style[] =
	"<style>\n"
	"@page{size:A4;margin:14mm}\n"
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;"
	"max-width:900px;margin:24px auto;padding:0 16px;background:#fff}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;"
	"border-bottom:1px solid #d8dee4;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}\n"
	"code,.id{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-size:12px}\n"
	".run{color:#57606a;margin:0}.note,.legend{color:#57606a;font-size:12.5px}\n"
	".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}\n"
	".card{border:1px solid #d8dee4;border-radius:8px;padding:10px 12px;border-top-width:4px}\n"
	".card.bad{border-top-color:#cf222e}.card.good{border-top-color:#1a7f37}"
	".card.neutral{border-top-color:#8c959f}\n"
	".label{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}\n"
	".value{font-size:30px;font-weight:650;margin:2px 0}.delta{font-size:12px;color:#57606a}\n"
	"svg{max-width:100%;height:auto;font-size:11px}svg text{fill:#57606a}"
	"svg text.name,svg text.counts{fill:#1b1f24;font-family:ui-monospace,Menlo,Consolas,monospace}\n"
	".grid{stroke:#eaeef2}.series polyline{fill:none;stroke-width:2}\n"
	".series.succeeded polyline{stroke:#1a7f37}.series.succeeded .pt{fill:#1a7f37}\n"
	".series.failed polyline{stroke:#cf222e}.series.failed .pt{fill:#cf222e}\n"
	".series.remaining polyline{stroke:#8c959f;stroke-dasharray:4 3}"
	".series.remaining .pt{fill:#8c959f}\n"
	".seg.succeeded{fill:#1a7f37}.seg.failed{fill:#cf222e}.seg.noncompliant{fill:#bf8700}\n"
	".key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px}"
	".key.succeeded{background:#1a7f37}.key.failed{background:#cf222e}"
	".key.remaining{background:#8c959f}.key.noncompliant{background:#bf8700}\n"
	"table{border-collapse:collapse;width:100%;font-size:12.5px}"
	"th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eaeef2;vertical-align:top;"
	"overflow-wrap:anywhere}th{color:#57606a;font-weight:600}\n"
	"td.kind{white-space:nowrap}td.id{font-size:11px;min-width:8em}\n"
	".count{background:#eaeef2;border-radius:10px;padding:0 7px;font-weight:600}\n"
	"footer{margin-top:32px;color:#8c959f;font-size:12px}\n"
	"@media print{body{margin:0;max-width:none}section{break-inside:avoid}"
	".cards{grid-template-columns:repeat(4,1fr)}}\n"
	"@media (max-width:640px){.cards{grid-template-columns:repeat(2,1fr)}}\n"
	"</style>\n";

void report_html_render(const json_t *report, const struct ledger_progress_point *points,
			size_t nr, struct strbuf *sb)
{
	const json_t *run = json_object_get(report, "run");
	struct page pg = { report, points, nr, sb };
	size_t i;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"generator\" content=\"policyctl report --format html\">\n<title>");
	strbuf_addstr(sb, "Client certificates on App Service: run ");
	report_html_escape(sb, gets_(run, "uid"));
	strbuf_addstr(sb, "</title>\n");
	strbuf_addstr(sb, style);
	strbuf_addstr(sb, "</head>\n<body>\n<header>\n<h1>App Service apps must require client "
		      "certificates</h1>\n<p class=\"run\">run <code>");
	report_html_escape(sb, gets_(run, "uid"));
	strbuf_addstr(sb, "</code> &middot; ");
	report_html_escape(sb, gets_(run, "command"));
	strbuf_addstr(sb, " &middot; scope <code>");
	report_html_escape(sb, gets_(run, "scope"));
	strbuf_addstr(sb, "</code> &middot; <strong id=\"run-state\">");
	report_html_escape(sb, gets_(run, "state"));
	strbuf_addstr(sb, "</strong> (phase ");
	report_html_escape(sb, gets_(run, "phase"));
	strbuf_addstr(sb, ") &middot; started ");
	report_html_escape(sb, gets_(run, "started"));
	strbuf_addstr(sb, ", finished ");
	report_html_escape(sb, gets_(run, "finished"));
	strbuf_addf(sb, ", %lds</p>\n</header>\n", geti(run, "elapsed_seconds"));
	for (i = 0; i < ARRAY_SIZE(sections); i++)
		sections[i].write(&pg);
	strbuf_addstr(sb, "<footer>Generated by policyctl " POLICYCTL_VERSION " from its ledger; "
		      "no network was used to draw this page.</footer>\n</body>\n</html>\n");
}

int report_html_build(struct ledger *l, int64_t run_id, const json_t *report, struct strbuf *sb,
		      struct strbuf *err)
{
	struct ledger_progress_point *points = NULL;
	size_t nr = 0;

	if (ledger_progress_list(l, run_id, &points, &nr)) {
		strbuf_addf(err, "cannot read the progress of run %" PRId64 " from the ledger: %s",
			    run_id, ledger_errmsg(l));
		return -1;
	}
	report_html_render(report, points, nr, sb);
	free(points);
	return 0;
}
