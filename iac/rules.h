/*
 * rules — the checks of `policyctl check`, one table row each: id, name, level, help.
 *
 * The rules say in IaC what the generator's Deny and DeployIfNotExists policies say at ARM
 * (docs/generator.md): every App Service app and slot, but Logic Apps Standard
 * (workflowapp) and Container Apps-hosted functions (azurecontainerapps), must have
 * clientCertEnabled = true and clientCertMode = Required.
 */
#ifndef IAC_RULES_H
#define IAC_RULES_H

#include "iac/finding.h"

struct iac_rule_info {
	const char *id;          /* "PCTL001": stable, what suppressions and SARIF name */
	const char *name;        /* "client-cert-disabled" */
	enum iac_level level;
	const char *summary;     /* one line */
	const char *help;        /* what is wrong and the fix */
	const char *security_severity; /* GitHub code scanning's 0.0-10.0, as text */
};

/* The row of rule (static, never NULL for a valid rule). */
const struct iac_rule_info *iac_rule_info(enum iac_rule rule);
/* The rule with id (case-insensitive), or -1. */
int iac_rule_by_id(const char *id);
const char *iac_level_name(enum iac_level level); /* "error", "warning", "note" */

/* Is kind (a site's `kind`, may be NULL) out of scope as the generator's policies skip it? */
int iac_kind_out_of_scope(const char *kind);
/* Does kind contain "functionapp" (a function app rather than a web app)? */
int iac_kind_is_function(const char *kind);

/* Runs every site rule on site and appends its findings to report (file is the site's). */
void iac_rules_check_site(const struct iac_site *site, const char *file,
			  struct iac_report *report);

#endif
