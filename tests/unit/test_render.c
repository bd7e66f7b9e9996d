/*
 * Unit tests for generator/render: the resources, ids and bodies render_policy_set gives the
 * orchestrator, for the config variants that change them; hostile strings (a newline
 * included, which INI cannot carry) round-trip; output is deterministic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "generator/render.h"
#include "orchestrator/desired.h"
#include "lib/jsonutil.h"
#include "lib/xalloc.h"

#define MG_SCOPE "/providers/Microsoft.Management/managementGroups/mg-1"
#define WEBSITE_CONTRIBUTOR \
	"/providers/Microsoft.Authorization/roleDefinitions/de139f84-1756-47ae-9be6-808fbbe84772"

static void set_string(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static void config_for_mg(struct config *cfg)
{
	config_init_defaults(cfg);
	set_string(&cfg->scope_management_group, "mg-1");
	set_string(&cfg->scope_definitions_at, "management-group");
}

static void render_ok(const struct config *cfg, struct deploy_set *set)
{
	struct strbuf err = STRBUF_INIT;
	if (render_policy_set(cfg, set, &err) != RENDER_OK)
		fail_msg("render failed: %s", err.buf);
	strbuf_release(&err);
}

static const json_t *props(const struct deploy_resource *r)
{
	return json_object_get(r->body, "properties");
}

static void test_management_group_set(void **state)
{
	static const char *const names[] = {
		"appservice-client-cert-webapp", "appservice-client-cert-webapp-slot",
		"appservice-client-cert-functionapp", "appservice-client-cert-functionapp-slot",
		"appservice-client-cert-deny", "appservice-client-cert", "appsvc-client-cert",
	};
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	size_t i;
	(void)state;
	config_for_mg(&cfg);
	render_ok(&cfg, &set);

	assert_int_equal(set.nr, 7);
	for (i = 0; i < set.nr; i++) {
		struct strbuf id = STRBUF_INIT;
		enum deploy_kind kind = i < 5 ? DEPLOY_POLICY_DEFINITION :
					i == 5 ? DEPLOY_POLICY_SET_DEFINITION : DEPLOY_POLICY_ASSIGNMENT;
		assert_int_equal(set.resources[i].kind, kind);
		assert_string_equal(set.resources[i].name, names[i]);
		assert_string_equal(set.resources[i].scope, MG_SCOPE);
		strbuf_addf(&id, MG_SCOPE "/providers/Microsoft.Authorization/%s/%s",
			    render_kind_collection(kind), names[i]);
		assert_string_equal(set.resources[i].id, id.buf);
		assert_string_equal(set.resources[i].api_version, "2025-03-01");
		strbuf_release(&id);
	}
	assert_int_equal(set.role_definition_ids.nr, 1);
	assert_string_equal(set.role_definition_ids.items[0], WEBSITE_CONTRIBUTOR);
	assert_int_equal(set.reference_ids.nr, 4);
	assert_string_equal(set.reference_ids.items[0], "webapp-client-cert-dine");
	assert_string_equal(set.reference_ids.items[3], "functionapp-slot-client-cert-dine");

	/* initiative: 5 own members at this scope + 4 built-ins, both groups on each */
	{
		const json_t *members = json_object_get(props(&set.resources[5]), "policyDefinitions");
		const json_t *member;
		assert_int_equal(json_array_size(members), 9);
		json_array_foreach(members, i, member) {
			const char *id = jsonutil_path_string(member, "policyDefinitionId");
			if (i < 5)
				assert_string_equal(id, set.resources[i].id);
			assert_int_equal(json_array_size(json_object_get(member, "groupNames")), 2);
		}
		assert_string_equal(jsonutil_path_string(json_array_get(members, 5), "policyDefinitionId"),
			"/providers/Microsoft.Authorization/policyDefinitions/19dd1db6-f442-49cf-a838-b0786b4401ef");
		assert_string_equal(jsonutil_path_string(json_array_get(members, 8), "policyDefinitionId"),
			"/providers/Microsoft.Authorization/policyDefinitions/153ab4ca-2d58-4b5d-9134-6d8c6bdd321c");
		assert_non_null(jsonutil_path(props(&set.resources[5]), "parameters.builtinAuditEffect"));
	}
	/* assignment */
	{
		const json_t *body = set.resources[6].body;
		assert_string_equal(jsonutil_path_string(body, "identity.type"), "SystemAssigned");
		assert_string_equal(jsonutil_path_string(body, "location"), "westeurope");
		assert_string_equal(jsonutil_path_string(body, "properties.policyDefinitionId"), set.resources[5].id);
		assert_string_equal(jsonutil_path_string(body, "properties.parameters.effect.value"), "DeployIfNotExists");
		assert_string_equal(jsonutil_path_string(body, "properties.parameters.denyEffect.value"), "Deny");
		assert_string_equal(jsonutil_path_string(body, "properties.enforcementMode"), "Default");
	}
	deploy_set_release(&set);
	config_release(&cfg);
}

static void test_dine_definitions(void **state)
{
	static const struct { const char *type, *name_field, *kind_op; } want[] = {
		{ "Microsoft.Web/sites", "[field('name')]", "notContains" },
		{ "Microsoft.Web/sites/slots", "[field('fullName')]", "notContains" },
		{ "Microsoft.Web/sites", "[field('name')]", "contains" },
		{ "Microsoft.Web/sites/slots", "[field('fullName')]", "contains" },
	};
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	size_t i;
	(void)state;
	config_for_mg(&cfg);
	render_ok(&cfg, &set);
	for (i = 0; i < 4; i++) {
		const json_t *p = props(&set.resources[i]);
		const json_t *details = jsonutil_path(p, "policyRule.then.details");
		const json_t *cond = json_object_get(details, "existenceCondition");
		const json_t *settings = jsonutil_path(details, "deployment.properties.parameters.clientCertSettings.value");
		const json_t *resource = json_array_get(jsonutil_path(details, "deployment.properties.template.resources"), 0);
		const json_t *kind = json_array_get(jsonutil_path(p, "policyRule.if.allOf"), 1);
		struct strbuf alias = STRBUF_INIT;

		assert_string_equal(jsonutil_path_string(p, "mode"), "Indexed");
		assert_string_equal(jsonutil_path_string(p, "policyRule.then.effect"), "[parameters('effect')]");
		assert_int_equal(json_array_size(jsonutil_path(p, "parameters.effect.allowedValues")), 3);
		assert_string_equal(jsonutil_path_string(details, "type"), want[i].type);
		assert_string_equal(jsonutil_path_string(details, "name"), want[i].name_field);
		assert_string_equal(json_string_value(json_object_get(kind, want[i].kind_op)), "functionapp");
		assert_string_equal(json_string_value(json_array_get(json_object_get(details, "roleDefinitionIds"), 0)),
				    WEBSITE_CONTRIBUTOR);
		/* enabled AND mode Required */
		strbuf_addf(&alias, "%s/clientCertMode", want[i].type);
		assert_int_equal(json_array_size(json_object_get(cond, "allOf")), 2);
		assert_string_equal(jsonutil_path_string(json_array_get(json_object_get(cond, "allOf"), 1), "field"), alias.buf);
		assert_string_equal(jsonutil_path_string(json_array_get(json_object_get(cond, "allOf"), 1), "equals"), "Required");
		/* the deployment sets exactly these two and merges them over the existing site */
		assert_int_equal(json_object_size(settings), 2);
		assert_true(json_is_true(json_object_get(settings, "clientCertEnabled")));
		assert_string_equal(jsonutil_path_string(settings, "clientCertMode"), "Required");
		assert_string_equal(jsonutil_path_string(resource, "type"), want[i].type);
		/*
		 * the deployment sends only what it changes (name, location, the two settings):
		 * App Service keeps what a PUT does not name, and echoing a read site is unsafe
		 */
		assert_string_equal(jsonutil_path_string(resource, "properties"),
				    "[parameters('clientCertSettings')]");
		assert_string_equal(jsonutil_path_string(resource, "location"), "[parameters('location')]");
		assert_string_equal(jsonutil_path_string(details, "deployment.properties.parameters.location.value"),
				    "[field('location')]");
		assert_int_equal(json_object_size(resource), 5);
		{
			struct strbuf whole = STRBUF_INIT;
			jsonutil_add_compact(&whole, details);
			assert_null(strstr(whole.buf, "reference("));
			strbuf_release(&whole);
		}
		strbuf_release(&alias);
	}
	deploy_set_release(&set);
	config_release(&cfg);
}

static void test_enabled_only_without_builtins(void **state)
{
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	const json_t *details, *settings, *deny_if;
	struct strbuf text = STRBUF_INIT;
	(void)state;
	config_for_mg(&cfg);
	cfg.initiative_require_mode = 0;
	cfg.initiative_include_builtin_audits = 0;
	render_ok(&cfg, &set);
	details = jsonutil_path(props(&set.resources[0]), "policyRule.then.details");
	assert_string_equal(jsonutil_path_string(details, "existenceCondition.field"),
			    "Microsoft.Web/sites/clientCertEnabled");
	settings = jsonutil_path(details, "deployment.properties.parameters.clientCertSettings.value");
	assert_int_equal(json_object_size(settings), 1);
	deny_if = jsonutil_path(props(&set.resources[4]), "policyRule.if");
	jsonutil_add_compact(&text, deny_if);
	assert_null(strstr(text.buf, "clientCertMode"));
	assert_non_null(strstr(text.buf, "Microsoft.Web/sites/slots/clientCertEnabled"));
	assert_int_equal(json_array_size(json_object_get(props(&set.resources[5]), "policyDefinitions")), 5);
	assert_null(jsonutil_path(props(&set.resources[5]), "parameters.builtinAuditEffect"));
	strbuf_release(&text);
	deploy_set_release(&set);
	config_release(&cfg);
}

static void test_subscriptions_and_user_identity(void **state)
{
	static const char *const subs[] = {
		"00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b",
	};
	static const char identity[] = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/r/"
		"providers/Microsoft.ManagedIdentity/userAssignedIdentities/u";
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	struct strbuf user = STRBUF_INIT;
	size_t i, s;
	(void)state;
	config_init_defaults(&cfg);
	for (i = 0; i < 2; i++)
		string_list_append(&cfg.scope_subscriptions, subs[i]);
	strbuf_addf(&user, "user:%s", identity);
	set_string(&cfg.assignment_identity, user.buf);
	render_ok(&cfg, &set);
	assert_int_equal(set.nr, 14);
	assert_int_equal(set.reference_ids.nr, 4); /* the same ids at each scope */
	for (s = 0; s < 2; s++) {
		struct strbuf scope = STRBUF_INIT;
		const struct deploy_resource *set_def = &set.resources[s * 7 + 5];
		const struct deploy_resource *assignment = &set.resources[s * 7 + 6];
		render_scope_of_subscription(&scope, subs[s]);
		for (i = 0; i < 7; i++)
			assert_string_equal(set.resources[s * 7 + i].scope, scope.buf);
		assert_string_equal(jsonutil_path_string(json_array_get(json_object_get(props(set_def),
			"policyDefinitions"), 0), "policyDefinitionId"), set.resources[s * 7].id);
		assert_string_equal(jsonutil_path_string(assignment->body, "properties.policyDefinitionId"), set_def->id);
		assert_string_equal(jsonutil_path_string(assignment->body, "identity.type"), "UserAssigned");
		assert_non_null(json_object_get(jsonutil_path(assignment->body, "identity.userAssignedIdentities"), identity));
		strbuf_release(&scope);
	}
	strbuf_release(&user);
	deploy_set_release(&set);
	config_release(&cfg);
}

/* remediate's rendering: the ids of every scope, no bodies, the same refs as a full render */
static void test_refs_only(void **state)
{
	static const char *const subs[] = {
		"00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b",
		"00000000-0000-0000-0000-00000000000c",
	};
	struct config cfg;
	struct deploy_set full = DEPLOY_SET_INIT, refs = DEPLOY_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t i;
	(void)state;
	config_init_defaults(&cfg);
	for (i = 0; i < 3; i++)
		string_list_append(&cfg.scope_subscriptions, subs[i]);
	render_ok(&cfg, &full);
	assert_int_equal(render_policy_refs(&cfg, &refs, &err), RENDER_OK);
	assert_int_equal(refs.nr, 0);
	assert_int_equal(full.assignment_ids.nr, 3);
	assert_int_equal(refs.assignment_ids.nr, 3);
	assert_int_equal(refs.assignment_scopes.nr, 3);
	for (i = 0; i < 3; i++) {
		/* the ids apply PUTs are the ids remediate names its tasks after */
		assert_string_equal(refs.assignment_ids.items[i], full.assignment_ids.items[i]);
		assert_string_equal(refs.assignment_ids.items[i], full.resources[i * 7 + 6].id);
		assert_string_equal(refs.assignment_scopes.items[i], full.resources[i * 7 + 6].scope);
	}
	assert_int_equal(refs.reference_ids.nr, full.reference_ids.nr);
	for (i = 0; i < full.reference_ids.nr; i++)
		assert_string_equal(refs.reference_ids.items[i], full.reference_ids.items[i]);
	assert_int_equal(refs.role_definition_ids.nr, full.role_definition_ids.nr);
	assert_int_equal(cfg.scope_subscriptions.nr, 3); /* the config is left as it was */
	deploy_set_release(&full);
	deploy_set_release(&refs);
	config_release(&cfg);
	/* a management group: one scope */
	config_for_mg(&cfg);
	assert_int_equal(render_policy_refs(&cfg, &refs, &err), RENDER_OK);
	assert_int_equal(refs.assignment_ids.nr, 1);
	assert_non_null(strstr(refs.assignment_ids.items[0],
			       "/providers/Microsoft.Management/managementGroups/"));
	deploy_set_release(&refs);
	config_release(&cfg);
	strbuf_release(&err);
}

static void test_hostile_strings_round_trip(void **state)
{
	static const char hostile[] = "line one\nline \"two\" \\ \t\xf0\x9f\x94\x90 \xe8\xaf\x81 ${display_name} [x]";
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	json_t *parsed;
	size_t i;
	(void)state;
	config_for_mg(&cfg);
	set_string(&cfg.initiative_display_name, hostile);
	set_string(&cfg.assignment_display_name, hostile);
	set_string(&cfg.assignment_non_compliance_message, hostile);
	set_string(&cfg.initiative_category, hostile);
	render_ok(&cfg, &set);
	for (i = 0; i < set.nr; i++) {
		strbuf_reset(&text);
		jsonutil_add_pretty(&text, set.resources[i].body);
		parsed = jsonutil_parse(text.buf, text.len, "rendered", &err);
		assert_non_null(parsed);
		if (i < 6)
			assert_string_equal(jsonutil_path_string(parsed, "properties.metadata.category"), hostile);
		if (i == 5)
			assert_string_equal(jsonutil_path_string(parsed, "properties.displayName"), hostile);
		if (i == 6) {
			assert_string_equal(jsonutil_path_string(parsed, "properties.displayName"), hostile);
			assert_string_equal(jsonutil_path_string(json_array_get(jsonutil_path(parsed,
				"properties.nonComplianceMessages"), 0), "message"), hostile);
		}
		json_decref(parsed);
	}
	strbuf_release(&text);
	strbuf_release(&err);
	deploy_set_release(&set);
	config_release(&cfg);
}

static void test_deterministic(void **state)
{
	struct config cfg;
	struct deploy_set a = DEPLOY_SET_INIT, b = DEPLOY_SET_INIT;
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
	size_t i;
	(void)state;
	config_for_mg(&cfg);
	render_ok(&cfg, &a);
	render_ok(&cfg, &b);
	assert_int_equal(a.nr, b.nr);
	for (i = 0; i < a.nr; i++) {
		jsonutil_add_pretty(&ta, a.resources[i].body);
		jsonutil_add_pretty(&tb, b.resources[i].body);
	}
	assert_string_equal(ta.buf, tb.buf);
	strbuf_release(&ta);
	strbuf_release(&tb);
	deploy_set_release(&a);
	deploy_set_release(&b);
	config_release(&cfg);
}

static void test_name_too_long(void **state)
{
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	char name[113];
	(void)state;
	config_for_mg(&cfg);
	memset(name, 'n', 112);
	name[112] = '\0';
	set_string(&cfg.initiative_name, name);
	assert_int_equal(render_policy_set(&cfg, &set, &err), RENDER_ERR_CONFIG);
	assert_string_equal(err.buf, "key 'name': expected at most 111 characters for an initiative "
			    "(definition names add up to 17), got 112");
	assert_int_equal(set.nr, 0);
	strbuf_release(&err);
	config_release(&cfg);
}

/* [exemptions] govern adds the exemption rule and its member; off, nothing of it renders */
static void test_exemption_govern(void **state)
{
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	const struct deploy_resource *def, *ini;
	json_t *member, *all_of;
	size_t i;
	int found = 0;
	(void)state;
	config_for_mg(&cfg);
	render_ok(&cfg, &set);
	for (i = 0; i < set.nr; i++)
		assert_null(strstr(set.resources[i].id, "-exemptions"));
	deploy_set_release(&set);

	cfg.exemptions_govern = 1;
	cfg.exemptions_max_duration = 90L * 86400000L;
	render_ok(&cfg, &set);
	def = &set.resources[5];
	ini = &set.resources[6];
	assert_string_equal(def->name, "appservice-client-cert-exemptions");
	assert_string_equal(json_string_value(json_object_get(props(def), "mode")), "All");
	all_of = jsonutil_path(props(def), "policyRule.if.allOf");
	assert_string_equal(json_string_value(json_object_get(json_array_get(all_of, 1), "like")),
			    "*/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
				json_array_get(all_of, 2), "anyOf"), 1), "greater")),
			    "[addDays(utcNow(), 90)]");
	assert_int_equal(ini->kind, DEPLOY_POLICY_SET_DEFINITION);
	json_array_foreach(json_object_get(props(ini), "policyDefinitions"), i, member)
		if (!strcmp(json_string_value(json_object_get(member, "policyDefinitionReferenceId")),
			    "deny-exemptions-without-expiry")) {
			assert_string_equal(json_string_value(json_object_get(member, "policyDefinitionId")),
					    def->id);
			found = 1;
		}
	assert_true(found);
	/* not a DeployIfNotExists member: no remediation task, no role */
	assert_false(string_list_has(&set.reference_ids, "deny-exemptions-without-expiry"));
	deploy_set_release(&set);
	config_release(&cfg);
}

/* One scope at a time (what apply streams): the same resources, bodies and order as the
 * whole render's part for that scope; the source callback and deploy_set_scope agree; the
 * digest fed scope by scope equals the digest of the whole set. */
static void test_scope_by_scope(void **state)
{
	static const char *const subs[] = {
		"00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b",
		"00000000-0000-0000-0000-00000000000c",
	};
	struct config cfg;
	struct deploy_set full = DEPLOY_SET_INIT, refs = DEPLOY_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	struct desired_builder b;
	struct desired_digest whole, streamed;
	struct render_memo memo;
	size_t i, j;
	(void)state;
	config_init_defaults(&cfg);
	for (i = 0; i < 3; i++)
		string_list_append(&cfg.scope_subscriptions, subs[i]);
	render_ok(&cfg, &full);
	assert_int_equal(render_scope_count(&cfg), 3);
	assert_int_equal(render_policy_refs(&cfg, &refs, &err), RENDER_OK);
	render_memo_init(&memo, &cfg);
	refs.source.render = render_source;
	refs.source.ctx = &memo;
	desired_builder_begin(&b);
	for (i = 0; i < 3; i++) {
		struct deploy_set one = DEPLOY_SET_INIT, via = DEPLOY_SET_INIT, copy = DEPLOY_SET_INIT;
		assert_int_equal(render_policy_scope(&memo, i, &one, &err), RENDER_OK);
		assert_int_equal(deploy_set_scope(&refs, i, &via, &err), 0);
		assert_int_equal(deploy_set_scope(&full, i, &copy, &err), 0);
		assert_int_equal(one.nr, 7);
		assert_int_equal(via.nr, 7);
		assert_int_equal(copy.nr, 7);
		for (j = 0; j < 7; j++) {
			const struct deploy_resource *w = &full.resources[i * 7 + j];
			assert_string_equal(one.resources[j].id, w->id);
			assert_int_equal(one.resources[j].kind, w->kind);
			assert_true(json_equal(one.resources[j].body, w->body));
			assert_string_equal(via.resources[j].id, w->id);
			assert_ptr_equal(copy.resources[j].body, w->body); /* shared, not copied */
			/* a definition's body is rendered once and shared by every later scope */
			if (i > 0 && one.resources[j].kind == DEPLOY_POLICY_DEFINITION)
				assert_ptr_equal(one.resources[j].body,
						 json_object_get(memo.definitions, one.resources[j].name));
		}
		desired_builder_add(&b, &one);
		deploy_set_release(&one);
		deploy_set_release(&via);
		deploy_set_release(&copy);
	}
	desired_builder_end(&b, &refs, &cfg, &streamed);
	desired_digest_compute(&full, &cfg, &whole);
	for (i = 0; i < DESIRED_PART_COUNT; i++)
		assert_string_equal(streamed.hex[i], whole.hex[i]);
	assert_int_not_equal(render_policy_scope(&memo, 3, &refs, &err), RENDER_OK);
	render_memo_release(&memo);
	deploy_set_release(&full);
	deploy_set_release(&refs);
	config_release(&cfg);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_management_group_set),
		cmocka_unit_test(test_dine_definitions),
		cmocka_unit_test(test_enabled_only_without_builtins),
		cmocka_unit_test(test_subscriptions_and_user_identity),
		cmocka_unit_test(test_refs_only),
		cmocka_unit_test(test_scope_by_scope),
		cmocka_unit_test(test_hostile_strings_round_trip),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_exemption_govern),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
