/*
 * output — writes a rendered policy set to a folder in one of three formats.
 *
 *   rest          one file per resource, each exactly the body ARM's PUT takes, under
 *                 SCOPE/COLLECTION/NAME.json (SCOPE is managementGroups/{mg} or
 *                 subscriptions/{id}), plus manifest.json listing file, method, id and
 *                 api-version in creation order.
 *   arm-template  one deployment template per scope (azuredeploy.json for a management
 *                 group, azuredeploy-{subscription}.json for each subscription) creating
 *                 the definitions, the initiative and the assignment.
 *   epac          Enterprise Policy as Code's layout: policyDefinitions/,
 *                 policySetDefinitions/, policyAssignments/.
 *   terraform     main.tf, variables.tf, outputs.tf for the azurerm provider (terraform.h).
 *   alz           an Azure Landing Zones library (alz.h); management-group configs only.
 *
 * Every file is 2-space indented JSON ending in a newline; the same set gives the same bytes.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include "generator/render.h"
#include "lib/config.h"
#include "lib/strbuf.h"

enum render_format {
	RENDER_FORMAT_REST,
	RENDER_FORMAT_ARM_TEMPLATE,
	RENDER_FORMAT_EPAC,
	RENDER_FORMAT_TERRAFORM,
	RENDER_FORMAT_ALZ,
};

#define RENDER_FORMAT_NAMES "rest|arm-template|epac|terraform|alz"

/* Parses a name of RENDER_FORMAT_NAMES. Returns 0, or -1 when name is none of them. */
int render_format_parse(const char *name, enum render_format *format);

enum output_result {
	OUTPUT_OK = 0,
	OUTPUT_ERR_IO, /* a folder or file could not be written: err names it and says why */
	OUTPUT_ERR_UNSUPPORTED, /* the format cannot express this set (alz of subscriptions): err says why */
};

/*
 * Writes set (borrowed) to the folder dir (created with its parents when missing; existing
 * files of the same names are replaced atomically, others are left alone). On failure
 * returns OUTPUT_ERR_IO or OUTPUT_ERR_UNSUPPORTED (nothing written) with one line in err.
 */
enum output_result render_write(const struct deploy_set *set, enum render_format format,
				const char *dir, struct strbuf *err);
/* As render_write, with the settings of cfg (borrowed; NULL for the defaults) that a format
   takes: [render] terraform_remediations and [remediation] for the terraform format. */
enum output_result render_write_config(const struct deploy_set *set, enum render_format format,
				       const struct config *cfg, const char *dir, struct strbuf *err);

/*
 * The arm-template form of a policy resource body: every string that starts with '[' and ends
 * with ']' gets a second '[' so that ARM keeps the policy's own expressions (and a display
 * name such as "[prod]") literal instead of evaluating them at deployment; other strings are
 * literal already and stay as they are. Returns a new reference.
 */
json_t *output_escape_template_expressions(const json_t *json);

#endif
