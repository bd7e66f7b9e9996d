/*
 * report — a run's outcome, from the ledger alone (no network): for `report` and `status`.
 *
 * The report is built once as JSON (the --format json output and the single source of
 * truth) and the table and markdown renderings are drawn from that JSON, so the three never
 * disagree. Per subscription and in total: tasks, deployments succeeded and failed, resources
 * still non-compliant after verification, and every failure with its ARM error code and the
 * request ids to look up in the activity log.
 */
#ifndef REPORT_H
#define REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "orchestrator/ledger.h"

enum report_format {
	REPORT_TABLE,
	REPORT_JSON,
	REPORT_MARKDOWN,
};

/* Parses "table", "json", "markdown"; 0 or -1. */
int report_parse_format(const char *text, enum report_format *format);

/*
 * Builds the report of run_id. Returns a new reference, or NULL with err set when the
 * ledger cannot be read.
 */
json_t *report_build(struct ledger *l, int64_t run_id, struct strbuf *err);
/* Renders a report built by report_build (borrowed) into sb. */
void report_render(const json_t *report, enum report_format format, struct strbuf *sb);

/*
 * The short status of run_id for `status`: phase, state, task states, scans and pending
 * writes. Appended to sb as text, or as JSON when json is set.
 */
int report_status(struct ledger *l, int64_t run_id, int json, struct strbuf *sb, struct strbuf *err);

/* The outcome as an exit code class: 0 all succeeded/compliant, 1 something failed. */
int report_failed(const json_t *report);

/* Formats ms since the epoch as "2026-11-29T16:05:00Z" into buf. */
void report_format_time(int64_t ms, char *buf, size_t size);

#endif
