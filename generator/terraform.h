/*
 * terraform — a rendered policy set as a Terraform configuration for the azurerm provider.
 *
 * The same resources as the rest format, as azurerm resources: azurerm_policy_definition and
 * azurerm_policy_set_definition (at the management group, or at each subscription through a
 * provider alias), the assignment (azurerm_management_group_policy_assignment or
 * azurerm_subscription_policy_assignment) with its managed identity, one
 * azurerm_role_assignment per role the DeployIfNotExists members need, and, when the set asks
 * for them, one remediation resource per DeployIfNotExists member and scope. Policy bodies
 * (rules, parameters, metadata) are written as `jsonencode(...)` of the rendered JSON, so
 * the Terraform and the REST render cannot say different things; scopes and the identity's
 * location are variables whose defaults come from the config; outputs give the assignment
 * ids and principal ids.
 *
 * Every string is written as an HCL literal: quotes, backslashes and control characters
 * escaped, and the template sequences "${" and "%{" doubled, so a display name such as
 * "${display_name}" stays literal text.
 */
#ifndef TERRAFORM_H
#define TERRAFORM_H

#include "generator/render.h"
#include "lib/config.h"
#include "lib/strbuf.h"

/* What the remediation resources take; written only when remediations is set. */
struct terraform_options {
	int remediations;               /* [render] terraform_remediations */
	long parallel_deployments;      /* [remediation] parallel_deployments */
	long resource_count;            /* [remediation] resource_count */
	double failure_threshold;       /* [remediation] failure_threshold */
	const char *resource_discovery; /* subscription remediations' mode (static string) */
};

#define TERRAFORM_OPTIONS_INIT { 0, 10, 500, 1.0, "ReEvaluateCompliance" }

/* Fills opts from cfg (borrowed): [render] and [remediation]; "auto" discovery is
   ReEvaluateCompliance at a subscription, as the orchestrator does. */
void terraform_options_from_config(const struct config *cfg, struct terraform_options *opts);

/* The files of one configuration; each buffer is one file's text. Release with the function below. */
struct terraform_files {
	struct strbuf main_tf;      /* terraform + provider blocks, the resources */
	struct strbuf variables_tf; /* scope and location variables */
	struct strbuf outputs_tf;   /* assignment ids and principal ids */
};

#define TERRAFORM_FILES_INIT { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT }

/* Writes set and opts (borrowed) as Terraform into files (appended). Cannot fail. */
void terraform_render(const struct deploy_set *set, const struct terraform_options *opts,
		      struct terraform_files *files);
void terraform_files_release(struct terraform_files *files);

/*
 * Appends s as an HCL quoted string literal (with the quotes): '"', '\' and control
 * characters escaped, "${" written "$${" and "%{" written "%%{". Exposed for the unit tests.
 */
void terraform_add_string(struct strbuf *sb, const char *s, size_t len);

#endif
