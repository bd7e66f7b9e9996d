/*
 * Unit tests for generator/terraform: HCL string literals (quotes, backslashes, control
 * characters, the template openers "${" and "%{" doubled, a lone '$' or '%' kept), and the
 * shape of a configuration for a management group and for a list of subscriptions (provider
 * alias per subscription, labels with the subscription's number, remediations only on demand).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "generator/render.h"
#include "generator/terraform.h"
#include "lib/config.h"
#include "lib/strbuf.h"

static void test_string_literals(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "say \"hi\" \\ there", "\"say \\\"hi\\\" \\\\ there\"" },
		{ "${display_name} and %{if x}", "\"$${display_name} and %%{if x}\"" },
		{ "cost $5, 100% sure, $$ {}", "\"cost $5, 100% sure, $$ {}\"" },
		{ "a\nb\tc\rd\x01", "\"a\\nb\\tc\\rd\\u0001\"" },
		{ "[parameters('effect')]", "\"[parameters('effect')]\"" },
		{ "ünïcødé 🔐", "\"ünïcødé 🔐\"" },
		{ "ends with $", "\"ends with $\"" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		terraform_add_string(&sb, cases[i].in, strlen(cases[i].in));
		assert_string_equal(sb.buf, cases[i].out);
		strbuf_release(&sb);
	}
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void render(const char *ini, struct terraform_files *files)
{
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	char file[] = "/tmp/policyctl-terraform-XXXXXX";
	int fd = mkstemp(file);
	FILE *f;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(ini, f);
	fclose(f);
	assert_int_equal(config_load(&cfg, file, &err), CONFIG_OK);
	unlink(file);
	struct terraform_options opts = TERRAFORM_OPTIONS_INIT;
	assert_int_equal(render_policy_set(&cfg, &set, &err), RENDER_OK);
	terraform_options_from_config(&cfg, &opts);
	terraform_render(&set, &opts, files);
	deploy_set_release(&set);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_management_group(void **state)
{
	struct terraform_files files = TERRAFORM_FILES_INIT;
	(void)state;
	render("[scope]\nmanagement_group = mg-x\n", &files);
	assert_int_equal(count(files.main_tf.buf, "resource \"azurerm_policy_definition\""), 5);
	assert_int_equal(count(files.main_tf.buf, "resource \"azurerm_policy_set_definition\""), 1);
	assert_int_equal(count(files.main_tf.buf, "resource \"azurerm_management_group_policy_assignment\""), 1);
	assert_int_equal(count(files.main_tf.buf, "resource \"azurerm_role_assignment\""), 1);
	assert_int_equal(count(files.main_tf.buf, "principal_type = \"ServicePrincipal\""), 1);
	assert_int_equal(count(files.main_tf.buf, "_policy_remediation\""), 0);
	assert_int_equal(count(files.main_tf.buf, "management_group_id = var.management_group_id"), 7);
	assert_non_null(strstr(files.variables_tf.buf,
			       "default = \"/providers/Microsoft.Management/managementGroups/mg-x\""));
	assert_non_null(strstr(files.outputs_tf.buf, "output \"principal_id\""));
	assert_non_null(strstr(files.main_tf.buf, "policy_definition_id = azurerm_policy_definition."
				"appservice-client-cert-webapp.id"));
	terraform_files_release(&files);
}

static void test_subscriptions_with_remediations(void **state)
{
	struct terraform_files files = TERRAFORM_FILES_INIT;
	(void)state;
	render("[scope]\nsubscriptions = 00000000-0000-0000-0000-00000000000a, "
	       "00000000-0000-0000-0000-00000000000b\n[render]\nterraform_remediations = true\n", &files);
	assert_int_equal(count(files.main_tf.buf, "alias = \"s"), 2);
	assert_int_equal(count(files.main_tf.buf, "provider = azurerm.s2\n"), 5 + 1 + 1 + 1 + 4);
	assert_int_equal(count(files.main_tf.buf, "resource \"azurerm_subscription_policy_assignment\""), 2);
	assert_int_equal(count(files.main_tf.buf, "resource \"azurerm_subscription_policy_remediation\""), 8);
	assert_non_null(strstr(files.main_tf.buf, "\"appsvc-client-cert_s2\""));
	assert_non_null(strstr(files.main_tf.buf,
			       "subscription_id = \"/subscriptions/${var.subscription_id_2}\""));
	assert_non_null(strstr(files.variables_tf.buf, "default = \"00000000-0000-0000-0000-00000000000b\""));
	assert_non_null(strstr(files.outputs_tf.buf, "output \"assignment_id_2\""));
	terraform_files_release(&files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_literals),
		cmocka_unit_test(test_management_group),
		cmocka_unit_test(test_subscriptions_with_remediations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
