/*
 * report_html — the run's report as one self-contained HTML page: inline CSS and SVG, no
 * script, no external fetch, so it opens from a mail attachment or a CI artifact and prints.
 *
 * Drawn from the JSON of report_build (the one source of truth the other formats use) and
 * the ledger's progress points. Sections, in order (each a row of the section table in
 * report_html.c, so sections that need data the ledger does not hold yet are added there):
 *   headline   non-compliant now, compliant now, exempt, at risk now, with the change since
 *              the run started
 *   progress   deployments succeeded, failed and remaining against time (SVG line chart)
 *   scopes     a bar per subscription, worst first, with its counts (SVG)
 *   failures   every failure with code, message, resource, request and correlation ids,
 *              grouped by code
 * Every string that came from Azure, the ledger or the config is HTML-escaped.
 *
 * Markup the browser test (t7010) reads: the headline figures are the text of
 * #v-noncompliant, #v-compliant, #v-exempt, #v-atrisk; the chart draws one
 * <circle class="pt"> per point and series (at most REPORT_HTML_MAX_POINTS points, evenly
 * sampled, first and last kept); the scope chart one <g class="bar"> per subscription.
 */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include <jansson.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "orchestrator/ledger.h"

/* The chart samples at most this many of the ledger's points per series. */
#define REPORT_HTML_MAX_POINTS 120

/*
 * Appends the page to sb. report: from report_build (borrowed); points: the run's progress
 * points, oldest first (borrowed; nr may be 0). Cannot fail.
 */
void report_html_render(const json_t *report, const struct ledger_progress_point *points,
			size_t nr, struct strbuf *sb);

/*
 * Reads run_id's progress points from l and renders as above. Returns 0, or -1 with err set
 * when the ledger cannot be read.
 */
int report_html_build(struct ledger *l, int64_t run_id, const json_t *report, struct strbuf *sb,
		      struct strbuf *err);

/* Appends s with &, <, >, " and ' as character references and control characters as spaces. */
void report_html_escape(struct strbuf *sb, const char *s);

#endif
