/*
 * tf_plan — the Terraform plan reader of `policyctl check` (`terraform show -json plan.out`).
 *
 * Reads resource_changes (every resource the plan keeps or creates, in any module; deletes
 * and data sources are skipped), or planned_values / values when a file has no
 * resource_changes. Types: azurerm_linux_web_app, azurerm_windows_web_app,
 * azurerm_linux_function_app, azurerm_windows_function_app, their _slot variants, and the
 * legacy azurerm_app_service, azurerm_app_service_slot, azurerm_function_app,
 * azurerm_function_app_slot. A value marked in after_unknown is "known after apply": unknown.
 */
#ifndef IAC_TF_PLAN_H
#define IAC_TF_PLAN_H

#include <jansson.h>

#include "iac/finding.h"
#include "iac/jsonpos.h"

/* Does root (borrowed) look like Terraform's JSON plan or state output? */
int tf_plan_detect(const json_t *root);

/* Reads the plan in doc (borrowed); sites go to sites, counts to report. */
void tf_plan_read(const struct json_doc *doc, const char *file, struct iac_site_list *sites,
		  struct iac_report *report);

#endif
