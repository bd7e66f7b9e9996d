/*
 * arm_template — the ARM template reader of `policyctl check`.
 *
 * Finds every Microsoft.Web/sites and Microsoft.Web/sites/slots resource of a template, at
 * any depth: top-level, declared as a child inside a site (`"type": "slots"`), in nested
 * Microsoft.Resources/deployments with inline templates (expressionEvaluationOptions scope
 * inner or outer), and instances of `copy` loops. Names, kinds and the client-certificate
 * properties are resolved with armexpr from parameters (--parameters values, then defaults)
 * and variables; `condition`s that resolve to false drop the resource; a
 * Microsoft.Web/sites[/slots]/config resource named `web` contributes http20Enabled and
 * minTlsVersion to its site. Bicep compiles to the same JSON (`bicep build`).
 */
#ifndef IAC_ARM_TEMPLATE_H
#define IAC_ARM_TEMPLATE_H

#include <jansson.h>

#include "iac/finding.h"
#include "iac/jsonpos.h"

/* Does root (borrowed) look like an ARM deployment template? */
int arm_template_detect(const json_t *root);
/* Does root look like an ARM deployment parameter file? */
int arm_parameters_detect(const json_t *root);

/*
 * Reads the template in doc (borrowed; file names it in findings). parameter_file is the
 * parsed --parameters file (borrowed, may be NULL): its "parameters" values win over the
 * template's defaults. Sites are appended to sites (in scope only: out-of-scope kinds are
 * counted in report->sites_skipped); findings about what cannot be read (linked templates,
 * unknown copy counts) go to report.
 */
void arm_template_read(const struct json_doc *doc, const char *file, const json_t *parameter_file,
		       struct iac_site_list *sites, struct iac_report *report);

#endif
