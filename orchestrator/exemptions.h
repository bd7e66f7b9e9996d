/*
 * exemptions — exemptions as code, without I/O on the network: the file ([exemptions] file,
 * docs/exemptions.md, docs/exemptions.schema.json) read and checked, the Azure exemptions
 * it asks for, how a live exemption differs from its entry (and whether a PATCH can fix it),
 * and the status of any exemption (active, expiring, expired, no expiry, no owner).
 *
 * Every problem of the file is reported as `FILE:ENTRY: what, what was expected` (ENTRY is
 * the entry's name, or #N, counted from 1, when it has none), all of them at once; the
 * caller exits 2. The network half (listing, plan, apply) is orchestrator/exempt_sync.c.
 */
#ifndef EXEMPTIONS_H
#define EXEMPTIONS_H

#include <jansson.h>
#include <stdint.h>

#include "lib/config.h"
#include "lib/deploy_set.h"
#include "lib/strbuf.h"
#include "lib/string_list.h"

/* metadata.managedBy of the exemptions policyctl writes: the marker of its own. */
#define EXEMPTIONS_MARKER "policyctl"

/* One Azure exemption the file asks for (an entry of N resources asks for N). */
struct exemption_want {
	char *entry;          /* the entry's name in the file (owned) */
	char *name;           /* the Azure exemption's name (owned) */
	char *scope;          /* owned */
	char *id;             /* scope + /providers/Microsoft.Authorization/policyExemptions/name (owned) */
	char *assignment_id;  /* the assignment it exempts from (owned) */
	int64_t expires_ms;   /* Unix ms */
	json_t *body;         /* the PUT body (owned) */
};

struct exemption_file {
	char *path;                      /* owned */
	struct exemption_want *wants;    /* owned */
	size_t nr;
};

enum exemptions_result {
	EXEMPTIONS_OK = 0,
	EXEMPTIONS_ERR_IO,      /* the file cannot be read */
	EXEMPTIONS_ERR_INVALID, /* the file or an entry is wrong (every problem in err) */
};

/* What the file is checked against (all borrowed). */
struct exemptions_context {
	const struct config *cfg;
	const struct deploy_set *set;   /* the rendered set: the initiative's reference ids and
					 * the assignments' scopes and ids */
	int64_t now_ms;                 /* Unix ms: expiries are judged against it */
	int allow_expired;              /* plan: an expired entry is a warning, not an error */
};

/*
 * Reads and checks cfg->exemptions_file into *out (released first by the caller's
 * responsibility: pass it zeroed). Each problem is a line `FILE:ENTRY: ...` in err.
 * Expired entries, when ctx->allow_expired, are lines in warnings instead. Scopes under a
 * management group cannot be checked offline (see exemptions_check_scopes). Returns
 * EXEMPTIONS_OK; otherwise out is left empty.
 */
enum exemptions_result exemptions_load(const struct exemptions_context *ctx,
				       struct exemption_file *out, struct strbuf *err,
				       struct strbuf *warnings);

/*
 * Checks that each wanted exemption of a management-group assignment lies under one of
 * subscriptions (borrowed; the group's descendants) or is the group itself. Returns 0, or -1
 * with a `FILE:ENTRY: ...` line per exemption outside in err.
 */
int exemptions_check_scopes(const struct exemption_file *file, const struct deploy_set *set,
			    const struct string_list *subscriptions, struct strbuf *err);

void exemption_file_release(struct exemption_file *file);

/* 1 when live (an exemption as ARM shows it, borrowed) carries policyctl's marker. */
int exemptions_is_managed(const json_t *live);

enum exemption_change {
	EXEMPTION_SAME,   /* nothing to write */
	EXEMPTION_PATCH,  /* only resourceSelectors or assignmentScopeValidation differ */
	EXEMPTION_PUT,    /* another field differs: Azure lets no PATCH change it */
};

/* How live differs from want's body; the differing fields (comma separated) in fields. */
enum exemption_change exemptions_compare(const struct exemption_want *want, const json_t *live,
					 struct strbuf *fields);

/* The PATCH body for a change: properties.resourceSelectors/assignmentScopeValidation (new). */
json_t *exemptions_patch_body(const struct exemption_want *want);

enum exemption_status {
	EXEMPTION_ACTIVE,
	EXEMPTION_EXPIRING,   /* expires within the window given */
	EXEMPTION_EXPIRED,
	EXEMPTION_NO_EXPIRY,
	EXEMPTION_NO_OWNER,
};

/* "active", "expiring", "expired", "no expiry", "no owner" (static). */
const char *exemption_status_name(enum exemption_status status);
/* 1 for the statuses CI should fail on: expired, no expiry, no owner. */
int exemption_status_fails(enum exemption_status status);

/*
 * The status of live (borrowed) at now_ms with the expiring window within_ms: an expiry in the
 * past is expired (whatever else), then no expiry, then no owner (metadata.owner empty or
 * absent), then expiring, else active.
 */
enum exemption_status exemptions_status(const json_t *live, int64_t now_ms, int64_t within_ms);

enum exemptions_format {
	EXEMPTIONS_TABLE,
	EXEMPTIONS_JSON,
	EXEMPTIONS_MARKDOWN,
	EXEMPTIONS_CSV,
};

/* "table", "json", "markdown", "csv" into *format: 0, or -1 for anything else. */
int exemptions_parse_format(const char *name, enum exemptions_format *format);

/*
 * Appends list (borrowed: orch_exemptions_list's array) to out as format: a table (text from
 * the network escaped), JSON, a Markdown table (| and newlines escaped) or CSV (RFC 4180
 * quoting; a cell starting with = + - @ gets a leading ' so spreadsheets do not run it).
 * Resources are listed under their exemption (table), joined by "<br>" (markdown) or by
 * spaces (csv).
 */
void exemptions_render(const json_t *list, enum exemptions_format format, struct strbuf *out);

/*
 * Parses an ISO 8601 UTC date-time ("2027-03-31T12:00:00Z", fractions and "+00:00" allowed)
 * or a date ("2027-03-31": the end of that day, 23:59:59Z) into Unix ms. 0, or -1.
 */
int exemptions_parse_time(const char *text, int64_t *ms);
/* Writes ms as "2027-03-31T23:59:59Z". */
void exemptions_format_time(int64_t ms, struct strbuf *out);

#endif
