/*
 * suppress — suppressions of `policyctl check`: inline markers and a suppressions file.
 *
 * As with policy exemptions, a suppression names who accepted the risk (owner) and until
 * when (expires, YYYY-MM-DD, valid through that day in UTC). An expired suppression stops
 * suppressing and is itself a finding (PCTL006); an inline marker without owner or expiry
 * suppresses nothing and is a finding (PCTL007); a suppressions file entry without them is
 * a usage error (exit 2), as a bad config is.
 *
 * Inline marker (ARM: resource metadata or tags; Terraform: a tag), key "policyctl-suppress":
 *   "PCTL002[,PCTL003] owner=team-web expires=2027-03-31 reason=legacy client, see TICKET-1"
 * Suppressions file (JSON):
 *   { "suppressions": [ { "rule": "PCTL002", "file": "infra/web-*.json", "resource": "legacy-*",
 *       "owner": "team-web", "expires": "2027-03-31", "reason": "..." } ] }
 * "file" and "resource" are fnmatch patterns (default "*") against the path as checked and
 * the resource name (ARM) or address (Terraform); "rule" is an id, a rule name or "*".
 */
#ifndef IAC_SUPPRESS_H
#define IAC_SUPPRESS_H

#include "iac/finding.h"
#include "lib/strbuf.h"

struct suppress_entry {
	char *rule;     /* id, name or "*" (owned) */
	char *file;     /* fnmatch pattern (owned) */
	char *resource; /* fnmatch pattern (owned) */
	char *owner, *expires, *reason; /* owned */
	char *where;    /* FILE:LINE of the entry (owned) */
	struct json_position pos;
};

struct suppress_set {
	char *path;                    /* the suppressions file (owned), NULL when none */
	struct suppress_entry *entries; /* owned */
	size_t count, alloc;
};

#define SUPPRESS_SET_INIT { NULL, NULL, 0, 0 }

enum suppress_result {
	SUPPRESS_OK = 0,
	SUPPRESS_UNREADABLE, /* err: cannot read 'FILE': ... */
	SUPPRESS_INVALID,    /* err: FILE:LINE:COLUMN: what was expected */
};

/* Loads the suppressions file at path into set (SUPPRESS_SET_INIT). */
enum suppress_result suppress_set_load(struct suppress_set *set, const char *path,
				       struct strbuf *err);
void suppress_set_release(struct suppress_set *set);

/* Is date "YYYY-MM-DD" (a real calendar day)? */
int suppress_valid_date(const char *date);

/*
 * Applies the inline markers of site to the findings of report from index `first` on
 * (those the rules just produced for it); adds PCTL006/PCTL007 findings for expired or
 * invalid markers. today is "YYYY-MM-DD".
 */
void suppress_apply_markers(const struct iac_site *site, const char *file, const char *today,
			    struct iac_report *report, size_t first);

/*
 * Applies the file's entries to every unsuppressed finding of report, and adds a PCTL006
 * finding for each expired entry.
 */
void suppress_apply_file(const struct suppress_set *set, const char *today,
			 struct iac_report *report);

#endif
