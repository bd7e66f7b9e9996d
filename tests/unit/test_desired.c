/*
 * Unit tests for orchestrator/desired: the per-part digest of the rendered desired state
 * names exactly what changed (not_scopes alone, the assignment alone after a rename,
 * remediation settings), does not depend on key order, and round-trips through its text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/desired.h"
#include "lib/jsonutil.h"

#define MG "/providers/Microsoft.Management/managementGroups/mg-1"
#define AUTH "/providers/Microsoft.Authorization"

static json_t *parse(const char *text)
{
	struct strbuf err = STRBUF_INIT;
	json_t *j = jsonutil_parse(text, strlen(text), "test", &err);
	assert_non_null(j);
	strbuf_release(&err);
	return j;
}

/* A small set: one definition, the initiative, one assignment named name. */
static void make_set(struct deploy_set *set, const char *name, const char *assignment_body)
{
	char id[256];
	deploy_set_add(set, DEPLOY_POLICY_DEFINITION, MG, "def", MG AUTH "/policyDefinitions/def", "v",
		       parse("{\"properties\": {\"mode\": \"All\", \"displayName\": \"d\"}}"));
	deploy_set_add(set, DEPLOY_POLICY_SET_DEFINITION, MG, "ini", MG AUTH "/policySetDefinitions/ini",
		       "v", parse("{\"properties\": {\"displayName\": \"i\"}}"));
	snprintf(id, sizeof(id), MG AUTH "/policyAssignments/%s", name);
	deploy_set_add(set, DEPLOY_POLICY_ASSIGNMENT, MG, name, id, "v", parse(assignment_body));
	string_list_append(&set->reference_ids, "webApps");
}

#define ASSIGNMENT(not_scopes, effect) \
	"{\"properties\": {\"displayName\": \"a\", \"notScopes\": " not_scopes ", " \
	"\"parameters\": {\"effect\": {\"value\": \"" effect "\"}}}}"

/* The names of the parts that differ between two sets (and configs). */
static void diff_of(const char *name_a, const char *body_a, const struct config *cfg_a,
		    const char *name_b, const char *body_b, const struct config *cfg_b,
		    const char *want)
{
	struct deploy_set a = DEPLOY_SET_INIT, b = DEPLOY_SET_INIT;
	struct desired_digest da, db;
	struct strbuf names = STRBUF_INIT;
	make_set(&a, name_a, body_a);
	make_set(&b, name_b, body_b);
	desired_digest_compute(&a, cfg_a, &da);
	desired_digest_compute(&b, cfg_b, &db);
	desired_digest_diff(&da, &db, &names);
	assert_string_equal(names.buf, want);
	strbuf_release(&names);
	deploy_set_release(&a);
	deploy_set_release(&b);
}

static void test_parts_that_changed(void **state)
{
	struct config cfg, other;
	(void)state;
	config_init_defaults(&cfg);
	config_init_defaults(&other);
	diff_of("a1", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg,
		"a1", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg, "");
	diff_of("a1", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg,
		"a1", ASSIGNMENT("[\"/subscriptions/s2\"]", "DeployIfNotExists"), &cfg, "not_scopes");
	diff_of("a1", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg,
		"renamed", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg, "assignment");
	diff_of("a1", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg,
		"a1", ASSIGNMENT("[]", "Disabled"), &cfg, "parameters");
	other.remediation_resource_count = 7;
	diff_of("a1", ASSIGNMENT("[]", "DeployIfNotExists"), &cfg,
		"a1", ASSIGNMENT("[]", "DeployIfNotExists"), &other, "remediation");
	/* key order is not content */
	diff_of("a1", "{\"properties\": {\"displayName\": \"a\", \"notScopes\": []}}", &cfg,
		"a1", "{\"properties\": {\"notScopes\": [], \"displayName\": \"a\"}}", &cfg, "");
	config_release(&cfg);
	config_release(&other);
}

static void test_text_round_trip(void **state)
{
	struct deploy_set set = DEPLOY_SET_INIT;
	struct desired_digest d, back;
	struct strbuf text = STRBUF_INIT, names = STRBUF_INIT;
	struct config cfg;
	(void)state;
	config_init_defaults(&cfg);
	make_set(&set, "a1", ASSIGNMENT("[]", "DeployIfNotExists"));
	desired_digest_compute(&set, &cfg, &d);
	desired_digest_format(&d, &text);
	assert_non_null(strstr(text.buf, "not_scopes="));
	assert_int_equal(desired_digest_parse(text.buf, &back), 0);
	assert_int_equal(desired_digest_diff(&d, &back, &names), 0);
	/* malformed or truncated records are refused, never read as "the same" */
	assert_int_equal(desired_digest_parse("", &back), -1);
	text.buf[text.len - 1] = 'x';
	assert_int_equal(desired_digest_parse(text.buf, &back), -1);
	strbuf_setlen(&text, text.len - 10);
	assert_int_equal(desired_digest_parse(text.buf, &back), -1);
	strbuf_release(&text);
	strbuf_release(&names);
	deploy_set_release(&set);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_that_changed),
		cmocka_unit_test(test_text_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
