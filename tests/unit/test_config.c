/*
 * Unit tests for lib/config: defaults, parsing of every value type, cross-key rules and the
 * exact error lines (table-driven), durations, and the key reference.
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

#include "lib/config.h"

/* Writes text to a fresh temporary file; returns its path (static buffer). */
static const char *write_ini(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;
	snprintf(path, sizeof(path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_defaults_come_from_config_def(void **state)
{
	struct config cfg;
	(void)state;
	config_init_defaults(&cfg);
	assert_string_equal(cfg.cloud_name, "AzureCloud");
	assert_string_equal(cfg.assignment_effect, "DeployIfNotExists");
	assert_string_equal(cfg.assignment_deny_effect, "Deny");
	assert_true(cfg.initiative_require_mode);
	assert_true(cfg.initiative_include_builtin_audits);
	assert_int_equal(cfg.remediation_parallel_deployments, 10);
	assert_int_equal(cfg.remediation_poll_interval, 30000);
	assert_int_equal(cfg.remediation_timeout, 4L * 3600 * 1000);
	assert_true(cfg.remediation_failure_threshold == 1.0);
	assert_null(cfg.scope_management_group);
	assert_int_equal(cfg.scope_subscriptions.nr, 0);
	config_release(&cfg);
}

struct valid_case {
	const char *name;
	const char *ini;
	void (*check)(const struct config *cfg);
};

static void check_mg(const struct config *cfg)
{
	assert_string_equal(cfg->scope_management_group, "mg-1");
	assert_string_equal(cfg->scope_definitions_at, "management-group");
	assert_int_equal(cfg->line[CONFIG_ID_scope_management_group], 2);
	assert_int_equal(cfg->line[CONFIG_ID_assignment_effect], 0);
}

static void check_subscriptions(const struct config *cfg)
{
	assert_int_equal(cfg->scope_subscriptions.nr, 3);
	assert_string_equal(cfg->scope_subscriptions.items[0], "00000000-0000-0000-0000-000000000001");
	assert_string_equal(cfg->scope_subscriptions.items[2], "00000000-0000-0000-0000-000000000003");
	assert_string_equal(cfg->scope_definitions_at, "subscription");
}

static void check_types(const struct config *cfg)
{
	assert_false(cfg->initiative_require_mode);
	assert_int_equal(cfg->remediation_parallel_deployments, 30);
	assert_true(cfg->remediation_failure_threshold > 0.249 && cfg->remediation_failure_threshold < 0.251);
	assert_int_equal(cfg->remediation_poll_interval, 500);
	assert_int_equal(cfg->remediation_timeout, 90L * 60 * 1000);
	assert_string_equal(cfg->initiative_version, "1.2.3-preview.1");
	assert_string_equal(cfg->assignment_effect, "AuditIfNotExists");
	assert_int_equal(cfg->assignment_not_scopes.nr, 2);
	assert_string_equal(cfg->assignment_not_scopes.items[1], "/subscriptions/x/resourceGroups/b");
}

static void check_relative_path(const struct config *cfg)
{
	/* relative paths are relative to the config file's folder, not the working directory */
	assert_string_equal(cfg->run_ledger, "/tmp/state.ledger");
	assert_string_equal(cfg->cloud_arm_endpoint, "http://127.0.0.1:8443");
}

static void check_folded_text(const struct config *cfg)
{
	assert_string_equal(cfg->assignment_non_compliance_message,
			    "Client certificates are required: see the platform wiki");
}

static void check_hostile_string(const struct config *cfg)
{
	assert_string_equal(cfg->initiative_display_name, "a \"quoted\" \\ name 🔐");
}

static void check_long_lines(const struct config *cfg)
{
	size_t i;
	/* longer than inih's line buffer: kept whole, inline comment cut, trimmed */
	assert_int_equal(strlen(cfg->assignment_non_compliance_message), 400);
	for (i = 0; i < 400; i++)
		assert_int_equal(cfg->assignment_non_compliance_message[i], 'm');
	assert_int_equal(cfg->assignment_not_scopes.nr, 2);
	assert_int_equal(strlen(cfg->assignment_not_scopes.items[1]), 15 + 300);
	assert_string_equal(cfg->assignment_location, "westus");
}

#define M40 "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
#define M400 M40 M40 M40 M40 M40 M40 M40 M40 M40 M40
#define X100 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct valid_case valid_cases[] = {
	{ "lines longer than inih's buffer",
	  "[scope]\nmanagement_group = m\n[assignment]\nnon_compliance_message =  " M400 "  ; a comment\n"
	  "not_scopes = /subscriptions/a,\n  /subscriptions/" X100 X100 X100 "\nlocation = westus\n",
	  check_long_lines },
	{ "management group", "[scope]\nmanagement_group = mg-1\n", check_mg },
	{ "subscriptions over continuation lines",
	  "[scope]\nsubscriptions = 00000000-0000-0000-0000-000000000001,\n"
	  "  00000000-0000-0000-0000-000000000002,\n  00000000-0000-0000-0000-000000000003\n",
	  check_subscriptions },
	{ "every value type",
	  "[scope]\nmanagement_group = m\n[initiative]\nrequire_mode = false\nversion = 1.2.3-preview.1\n"
	  "[assignment]\neffect = AuditIfNotExists\nnot_scopes = /subscriptions/x/resourceGroups/a, "
	  "/subscriptions/x/resourceGroups/b\n[remediation]\nparallel_deployments = 30\n"
	  "failure_threshold = 0.25\npoll_interval = 500ms\ntimeout = 1h30m\n",
	  check_types },
	{ "relative path and loopback http",
	  "[cloud]\nname = custom\narm_endpoint = http://127.0.0.1:8443\n[scope]\nmanagement_group = m\n"
	  "[run]\nledger = state.ledger\n",
	  check_relative_path },
	{ "text folded onto indented lines", "[scope]\nmanagement_group = m\n[assignment]\n"
	  "non_compliance_message = Client certificates are required:\n  see the platform wiki\n",
	  check_folded_text },
	{ "hostile display name", "[scope]\nmanagement_group = m\n[initiative]\n"
	  "display_name = a \"quoted\" \\ name 🔐\n", check_hostile_string },
};

static void test_valid_configs(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		struct config cfg;
		struct strbuf err = STRBUF_INIT;
		const char *path = write_ini(valid_cases[i].ini);
		if (config_load(&cfg, path, &err) != CONFIG_OK)
			fail_msg("case '%s': %s", valid_cases[i].name, err.buf);
		valid_cases[i].check(&cfg);
		config_release(&cfg);
		strbuf_release(&err);
		unlink(path);
	}
}

struct invalid_case {
	const char *ini;
	const char *error; /* after "PATH" */
};

static const struct invalid_case invalid_cases[] = {
	{ "[scope]\nmanagement_group = m\n[assignment]\neffect = Modify\n",
	  ":4: key 'effect': expected one of DeployIfNotExists|AuditIfNotExists|Disabled" },
	{ "[scope]\nmanagement_group = m\n[initiative]\ninclude_builtin_audits = 1\n",
	  ":4: key 'include_builtin_audits': expected one of true|false" },
	{ "[scope]\nmanagement_group = m\n[remediation]\nresource_count = 0\n",
	  ":4: key 'resource_count': expected an integer in 1..50000" },
	{ "[scope]\nmanagement_group = m\n[remediation]\nresource_count = 12abc\n",
	  ":4: key 'resource_count': expected an integer in 1..50000" },
	{ "[scope]\nmanagement_group = m\n[remediation]\nfailure_threshold = nan\n",
	  ":4: key 'failure_threshold': expected a number in 0.0..1.0" },
	{ "[scope]\nmanagement_group = m\n[remediation]\ntimeout = 4 hours\n",
	  ":4: key 'timeout': expected a duration such as 500ms, 30s, 5m or 4h" },
	{ "[scope]\nmanagement_group = m\n[run]\nconcurrency = 99999999999999999999\n",
	  ":4: key 'concurrency': expected an integer in 1..1024" },
	{ "[scope]\nsubscriptions = 00000000-0000-0000-0000-00000000000g\n",
	  ":2: key 'subscriptions': expected comma-separated GUIDs, got '00000000-0000-0000-0000-00000000000g'" },
	{ "[cloud]\narm_endpoint = ftp://x\n[scope]\nmanagement_group = m\n",
	  ":2: key 'arm_endpoint': expected an https:// URL (http:// only to a loopback address)" },
	{ "[cloud]\narm_endpoint = http://127.example.com\n[scope]\nmanagement_group = m\n",
	  ":2: key 'arm_endpoint': expected an https:// URL (http:// only to a loopback address)" },
	{ "[scope]\nmanagement_group = m\n[scope]\nmanagement_group = n\n",
	  ":4: key 'management_group' in [scope] is set twice (first on line 2)" },
	{ "[auth]\npassword = x\n", ":2: key 'password': secrets are not config values; name a file "
	  "(client_secret_file) or use AZURE_CLIENT_SECRET" },
	{ "[scope]\n", ": section [scope]: expected key 'management_group' or 'subscriptions'" },
	{ "", ": section [scope]: expected key 'management_group' or 'subscriptions'" },
	{ "[scope\nmanagement_group = m\n", ":1: expected '[section]', 'key = value' or a comment" },
	{ "[scope]\nmanagement_group = m\n[" X100 X100 "]\n", ":3: line longer than 198 characters" },
	{ "[scope]\nmanagement_group = m\n[assignment]\neffect = Disabled\n  Deny\n",
	  ":5: key 'effect': only lists and text continue on indented lines" },
	{ "[scope]\nmanagement_group = m\n[assignment]\nnot_scopes = resourceGroups/x\n",
	  ":4: key 'not_scopes': expected resource ids starting with /subscriptions/ or "
	  "/providers/Microsoft.Management/managementGroups/, got 'resourceGroups/x'" },
};

static void test_invalid_configs(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		struct config cfg;
		struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;
		const char *path = write_ini(invalid_cases[i].ini);
		strbuf_addf(&want, "%s%s", path, invalid_cases[i].error);
		if (config_load(&cfg, path, &err) != CONFIG_ERR_INVALID)
			fail_msg("accepted: %s", invalid_cases[i].ini);
		assert_string_equal(err.buf, want.buf);
		config_release(&cfg);
		strbuf_release(&err);
		strbuf_release(&want);
		unlink(path);
	}
}

static void test_missing_file_is_io_error(void **state)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	(void)state;
	assert_int_equal(config_load(&cfg, "/nonexistent/policyctl.ini", &err), CONFIG_ERR_IO);
	assert_string_equal(err.buf, "cannot read '/nonexistent/policyctl.ini': No such file or directory");
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_line_over_64k_is_refused(void **state)
{
	struct config cfg;
	struct strbuf ini = STRBUF_INIT, err = STRBUF_INIT;
	const char *path;
	size_t i;
	(void)state;
	strbuf_addstr(&ini, "[scope]\nmanagement_group = m\n[assignment]\nnon_compliance_message = ");
	for (i = 0; i < 70000; i++)
		strbuf_addch(&ini, 'x');
	strbuf_addstr(&ini, "\nlocation = westus\n");
	path = write_ini(ini.buf);
	assert_int_equal(config_load(&cfg, path, &err), CONFIG_ERR_INVALID);
	assert_non_null(strstr(err.buf, ":4: line longer than 65536 characters"));
	config_release(&cfg);
	strbuf_release(&ini);
	strbuf_release(&err);
	unlink(path);
}

static void test_durations(void **state)
{
	static const struct { const char *text; long ms; } ok[] = {
		{ "500ms", 500 }, { "30s", 30000 }, { "5m", 300000 }, { "4h", 14400000 },
		{ "1h30m", 5400000 }, { "2d", 172800000 }, { "0s", 0 },
	};
	static const char *const bad[] = { "", "30", "s", "-5s", "5 s", "5x", "1h30", "99999999999999h" };
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long ms = -1;
		assert_int_equal(config_parse_duration(ok[i].text, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long ms;
		if (config_parse_duration(bad[i], &ms) != -1)
			fail_msg("duration '%s' was accepted", bad[i]);
	}
}

static void test_describe_lists_every_key(void **state)
{
	static const char *const keys[] = {
#define CONFIG_KEY(section, key, type, def, allowed, help) #key,
#include "lib/config.def"
#undef CONFIG_KEY
	};
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	(void)state;
	config_describe(&sb);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct strbuf line = STRBUF_INIT;
		strbuf_addf(&line, "  %s ", keys[i]);
		if (!strstr(sb.buf, line.buf))
			fail_msg("'help config' lacks key '%s'", keys[i]);
		strbuf_release(&line);
	}
	assert_non_null(strstr(sb.buf, "DeployIfNotExists|AuditIfNotExists|Disabled"));
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_come_from_config_def),
		cmocka_unit_test(test_valid_configs),
		cmocka_unit_test(test_invalid_configs),
		cmocka_unit_test(test_missing_file_is_io_error),
		cmocka_unit_test(test_line_over_64k_is_refused),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_describe_lists_every_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
