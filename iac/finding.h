/*
 * finding — what the IaC readers produce and the rules, suppressions and writers consume.
 *
 * A reader (arm_template, tf_plan) turns one file into sites: every App Service app or slot
 * it declares, with the few values the rules look at, each known, absent or unknown (with
 * why). The rules (rules.h) turn sites into findings; readers add findings of their own for
 * what they cannot read (a linked template, a copy count that does not resolve).
 */
#ifndef IAC_FINDING_H
#define IAC_FINDING_H

#include <stddef.h>

#include <jansson.h>

#include "iac/jsonpos.h"
#include "lib/strbuf.h"

enum iac_value_state {
	IAC_ABSENT = 0, /* not in the source: the platform default applies */
	IAC_KNOWN,      /* json holds the value */
	IAC_UNKNOWN,    /* only known at deployment (or apply): why says what and where */
};

struct iac_value {
	enum iac_value_state state;
	json_t *json; /* IAC_KNOWN: the value (owned reference) */
	char *why;    /* IAC_UNKNOWN: what could not be resolved (owned) */
};

/* The four kinds of site the generator's policies cover (templates/targets.json). */
enum iac_site_kind {
	IAC_WEBAPP,
	IAC_WEBAPP_SLOT,
	IAC_FUNCTIONAPP,
	IAC_FUNCTIONAPP_SLOT,
};

enum iac_source {
	IAC_SOURCE_ARM,       /* ARM template (or Bicep compiled to one) */
	IAC_SOURCE_TERRAFORM, /* terraform show -json */
};

/* The attribute names of one source, for messages that say what to set. */
struct iac_attr_names {
	const char *enabled, *mode, *exclusion_paths, *http2, *min_tls;
	const char *enable_fix; /* how to turn certificates on, e.g. "set it to true" */
};

struct iac_site {
	enum iac_source source;
	enum iac_site_kind kind;
	char *type;        /* as declared: "Microsoft.Web/sites", "azurerm_linux_web_app" (owned) */
	char *name;        /* resolved name, the name expression, or the Terraform address (owned) */
	char *logical_id;  /* stable across edits that move lines: fingerprints use it (owned) */
	struct json_position pos; /* of the resource object in the file */
	const struct iac_attr_names *attrs; /* static */
	struct iac_value enabled, mode, exclusion_paths, http2, min_tls;
	char *condition_note; /* the resource has a condition that did not resolve (owned) */
	char **markers;       /* inline suppression markers (owned strings) */
	size_t marker_count, marker_alloc;
};

/* The sites a reader found (each owned by the list). */
struct iac_site_list {
	struct iac_site **items;
	size_t count, alloc;
};

#define IAC_SITE_LIST_INIT { NULL, 0, 0 }

/* Rule ids: the order of the table in rules.c. */
enum iac_rule {
	IAC_RULE_CERT_DISABLED,
	IAC_RULE_MODE_NOT_REQUIRED,
	IAC_RULE_EXCLUSIONS_INEFFECTIVE,
	IAC_RULE_UNKNOWN,
	IAC_RULE_LINKED_TEMPLATE,
	IAC_RULE_SUPPRESSION_EXPIRED,
	IAC_RULE_SUPPRESSION_INVALID,
	IAC_RULE_COUNT,
};

enum iac_level {
	IAC_LEVEL_ERROR,
	IAC_LEVEL_WARNING,
	IAC_LEVEL_NOTE, /* reported, but does not make the check fail */
};

enum iac_suppression_kind {
	IAC_SUPPRESSED_INLINE, /* a marker on the resource */
	IAC_SUPPRESSED_FILE,   /* an entry of the --suppressions file */
};

struct iac_suppression {
	enum iac_suppression_kind kind;
	char *owner;   /* owned */
	char *expires; /* YYYY-MM-DD (owned) */
	char *reason;  /* owned, may be empty */
	char *where;   /* FILE:LINE of the entry, or the resource's file for a marker (owned) */
};

struct iac_finding {
	enum iac_rule rule;
	char *file;                 /* path as given on the command line, joined (owned) */
	struct json_position pos;
	char *subject;              /* "Microsoft.Web/sites 'app1'" (owned) */
	char *resource_name;        /* what a suppression's "resource" pattern matches (owned) */
	char *message;              /* what is wrong and how to fix it (owned) */
	char *logical_id;           /* with rule and file, the fingerprint's input (owned) */
	struct iac_suppression *suppression; /* NULL, or what suppressed it (owned) */
};

struct iac_report {
	struct iac_finding *findings; /* owned array */
	size_t count, alloc;
	size_t files_checked;         /* templates and plans read */
	size_t sites_checked;         /* sites and slots the rules looked at */
	size_t sites_skipped;         /* out of scope by kind (workflowapp, azurecontainerapps) */
};

#define IAC_REPORT_INIT { NULL, 0, 0, 0, 0, 0 }

/* Sets v to a known value (json stolen), to unknown (why copied), or absent. */
void iac_value_set_known(struct iac_value *v, json_t *json);
void iac_value_set_unknown(struct iac_value *v, const char *why);
void iac_value_release(struct iac_value *v);

/* A new site (owned by the caller; iac_site_free frees it and its fields). */
struct iac_site *iac_site_new(enum iac_source source, enum iac_site_kind kind, const char *type,
			      const char *name, const char *logical_id, struct json_position pos);
void iac_site_add_marker(struct iac_site *site, const char *marker);
void iac_site_free(struct iac_site *site);
/* Appends site (stolen) to list. */
void iac_site_list_add(struct iac_site_list *list, struct iac_site *site);
void iac_site_list_release(struct iac_site_list *list);

/*
 * Appends a finding (strings copied, fmt builds the message). Returns the finding, borrowed
 * from report (valid until the next add).
 */
struct iac_finding *iac_report_add(struct iac_report *report, enum iac_rule rule,
				   const char *file, struct json_position pos,
				   const char *subject, const char *resource_name,
				   const char *logical_id, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
/* Sorts findings by file, line, column, rule (stable output for the writers). */
void iac_report_sort(struct iac_report *report);
/* Findings that make the check fail: unsuppressed, level error or warning. */
size_t iac_report_failing(const struct iac_report *report);
void iac_report_release(struct iac_report *report);

void iac_suppression_free(struct iac_suppression *s);

#endif
