/*
 * Unit tests for armsim/template: the expression language (table of expressions and their
 * values or errors) and deployment interpretation: a read-merge-write template of the kind
 * the generator renders, nested deployments in both evaluation scopes, the built-in DINE
 * templates, and the refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/template.h"
#include "lib/strbuf.h"

#define SUB "00000000-0000-0000-0000-000000000001"
#define SITE_ID "/subscriptions/" SUB "/resourceGroups/rg1/providers/Microsoft.Web/sites/app1"

static json_t *the_site;
static int references_made;

static enum template_result fake_reference(void *data, const char *id, const char *api_version,
					   int full, json_t **out, struct strbuf *err)
{
	(void)data;
	(void)api_version;
	references_made++;
	if (strcasecmp(id, SITE_ID)) {
		strbuf_addf(err, "resource '%s' not found", id);
		return TEMPLATE_NOT_FOUND;
	}
	*out = json_incref(full ? the_site : json_object_get(the_site, "properties"));
	return TEMPLATE_OK;
}

static const struct template_host host = { NULL, NULL, fake_reference, NULL };

static int setup(void **state)
{
	(void)state;
	the_site = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:b, s:s, s:s, s:b, s:{s:b}}}",
			     "id", SITE_ID, "name", "app1", "type", "Microsoft.Web/sites",
			     "kind", "app", "location", "westeurope", "tags", "owner", "team-a",
			     "properties", "clientCertEnabled", 0, "clientCertMode", "Optional",
			     "serverFarmId", "/subscriptions/" SUB "/plan", "httpsOnly", 1,
			     "siteConfig", "http20Enabled", 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(the_site);
	return 0;
}

static void test_expressions(void **state)
{
	static const struct {
		const char *expr;
		const char *want;   /* compact JSON of the result, or "!message" for an error */
	} cases[] = {
		{ "[concat(parameters('name'), '/web')]", "\"app1/web\"" },
		{ "[toLower('ABC')]", "\"abc\"" },
		{ "[toUpper(parameters('name'))]", "\"APP1\"" },
		{ "[equals('Required', 'required')]", "true" },
		{ "[if(equals(1, 2), reference('nope'), 'else')]", "\"else\"" },
		{ "[union(createObject('a', 1, 'b', createObject('c', 2)), createObject('b', createObject('d', 3)))]",
		  "{\"a\":1,\"b\":{\"c\":2,\"d\":3}}" },
		{ "[union(createArray(1, 2), createArray(2, 3))]", "[1,2,3]" },
		{ "[resourceId('Microsoft.Web/sites', parameters('name'))]", "\"" SITE_ID "\"" },
		{ "[resourceId('rg2', 'Microsoft.Web/sites/config', 'app1', 'web')]",
		  "\"/subscriptions/" SUB "/resourceGroups/rg2/providers/Microsoft.Web/sites/app1/config/web\"" },
		{ "[reference(resourceId('Microsoft.Web/sites', 'app1'), '2022-03-01', 'Full').properties.httpsOnly]", "true" },
		{ "[reference(resourceId('Microsoft.Web/sites', 'app1'), '2022-03-01').clientCertMode]", "\"Optional\"" },
		{ "[reference(resourceId('Microsoft.Web/sites', 'app1'), '2022-03-01', 'Full')['kind']]", "\"app\"" },
		{ "[variables('v2')]", "\"app1-x\"" },
		{ "[greaterOrEquals('2024-11-01', '2019-08-01')]", "true" },
		{ "[requestContext().apiVersion]", "\"2024-11-01\"" },
		{ "[split('a/b/c', '/')[1]]", "\"b\"" },
		{ "[last(split(parameters('name'), '/'))]", "\"app1\"" },
		{ "[concat('it''s', ' ', string(true()))]", "\"it's True\"" },
		{ "[empty('')]", "true" },
		{ "[not(contains(createArray('a'), 'A'))]", "false" },
		{ "[nosuch(1)]", "!unsupported template function 'nosuch'" },
		{ "[concat('a'", "!is not an expression" },
		{ "[concat('a',)]", "!unexpected character" },
		{ "[toLower()]", "!toLower() takes 1 to 1 arguments, got 0" },
		{ "[parameters('missing')]", "!no parameter 'missing'" },
		{ "[reference(resourceId('Microsoft.Web/sites', 'gone'))]", "!not found" },
		{ "[resourceId('Microsoft.Web/sites/config', 'app1')]", "!needs 2 name(s), got 1" },
		{ "[field('name')]", "!field() is only available in a policy rule" },
		/* found by fuzz target armsim_template: these parsed into a tree with no value */
		{ "['\xe0\xa4\xd8\xd8']", "!string literal is not valid UTF-8" },
		{ "[string(-inf)]", "!bad number" },
		{ "[string(1e999)]", "!bad number" },
		{ "[string(-nan)]", "!bad number" },
	};
	json_t *params = json_pack("{s:s}", "name", "app1");
	json_t *vars = json_pack("{s:s, s:s}", "v1", "[parameters('name')]",
				 "v2", "[concat(variables('v1'), '-x')]");
	struct template_scope scope = { params, vars, &host, SUB, "rg1", "westeurope", "2024-11-01", 0 };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct template_expr *e = NULL;
		struct strbuf err = STRBUF_INIT;
		json_t *out = NULL;
		enum template_result res = template_expr_parse(cases[i].expr, &e, &err);
		if (!res)
			res = template_expr_eval(e, &scope, &out, &err);
		if (cases[i].want[0] == '!') {
			if (!res || !strstr(err.buf, cases[i].want + 1))
				fail_msg("%s: want error '%s', got '%s'", cases[i].expr,
					 cases[i].want + 1, res ? err.buf : "success");
		} else {
			char *got;
			if (res)
				fail_msg("%s: %s", cases[i].expr, err.buf);
			got = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
			if (strcmp(got, cases[i].want))
				fail_msg("%s: got %s, want %s", cases[i].expr, got, cases[i].want);
			free(got);
		}
		json_decref(out);
		template_expr_free(e);
		strbuf_release(&err);
	}
	json_decref(params);
	json_decref(vars);
}

/* "[" + n nested concat( + "1" + n ")" + tail + "]" */
static char *nested(size_t n, const char *tail)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	strbuf_addch(&sb, '[');
	for (i = 0; i < n; i++)
		strbuf_addstr(&sb, "concat(");
	strbuf_addch(&sb, '1');
	for (i = 0; i < n; i++)
		strbuf_addch(&sb, ')');
	strbuf_addf(&sb, "%s]", tail);
	return strbuf_detach(&sb, NULL);
}

/*
 * An expression's tree is at most 128 levels deep (calls, .member, [index] alike): fuzz
 * target armsim_template found that 20000 nested calls overflowed the evaluator's stack
 * (fuzz/corpus/armsim_template/crash-deep-nesting).
 */
static void test_nesting_is_bounded(void **state)
{
	struct strbuf err = STRBUF_INIT, chain = STRBUF_INIT;
	struct template_expr *e = NULL;
	struct template_scope scope = { NULL, NULL, NULL, SUB, "rg1", NULL, NULL, 0 };
	json_t *out = NULL;
	char *text;
	size_t i;
	(void)state;

	text = nested(127, "");
	assert_int_equal(template_expr_parse(text, &e, &err), TEMPLATE_OK);
	assert_int_equal(template_expr_eval(e, &scope, &out, &err), TEMPLATE_OK);
	assert_string_equal(json_string_value(out), "1");
	json_decref(out);
	template_expr_free(e);
	free(text);

	text = nested(20000, "");
	assert_int_equal(template_expr_parse(text, &e, &err), TEMPLATE_INVALID);
	assert_null(e);
	assert_non_null(strstr(err.buf, "nest too deep"));
	free(text);

	/* a member chain deepens the tree as much as nested calls do */
	strbuf_addstr(&chain, "[createObject('a', 1)");
	for (i = 0; i < 200; i++)
		strbuf_addstr(&chain, ".a");
	strbuf_addch(&chain, ']');
	strbuf_reset(&err);
	assert_int_equal(template_expr_parse(chain.buf, &e, &err), TEMPLATE_INVALID);
	assert_non_null(strstr(err.buf, "nest too deep"));
	/* and indexes inside calls count with them */
	text = nested(120, "[0][0][0][0][0][0][0][0][0][0]");
	strbuf_reset(&err);
	assert_int_equal(template_expr_parse(text, &e, &err), TEMPLATE_INVALID);
	assert_non_null(strstr(err.buf, "nest too deep"));
	free(text);
	strbuf_release(&chain);
	strbuf_release(&err);
}

/*
 * Read the site in full, change only the two certificate properties, write it back: the
 * shape a template needs so that a PUT (which drops omitted properties) keeps the site whole.
 */
static const char merge_template[] =
	"{\"$schema\":\"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\","
	"\"contentVersion\":\"1.0.0.0\","
	"\"parameters\":{\"siteName\":{\"type\":\"string\"},\"location\":{\"type\":\"string\"},"
	"\"mode\":{\"type\":\"string\",\"defaultValue\":\"Required\"}},"
	"\"variables\":{\"siteId\":\"[resourceId('Microsoft.Web/sites', parameters('siteName'))]\"},"
	"\"resources\":[{\"type\":\"Microsoft.Resources/deployments\",\"apiVersion\":\"2021-04-01\","
	"\"name\":\"[concat('cc-', parameters('siteName'))]\","
	"\"properties\":{\"mode\":\"Incremental\",\"expressionEvaluationOptions\":{\"scope\":\"inner\"},"
	"\"parameters\":{\"site\":{\"value\":\"[reference(variables('siteId'), '2022-03-01', 'Full')]\"},"
	"\"mode\":{\"value\":\"[parameters('mode')]\"}},"
	"\"template\":{\"$schema\":\"x\",\"contentVersion\":\"1.0.0.0\","
	"\"parameters\":{\"site\":{\"type\":\"object\"},\"mode\":{\"type\":\"string\"}},"
	"\"resources\":[{\"type\":\"Microsoft.Web/sites\",\"apiVersion\":\"2022-03-01\","
	"\"name\":\"[parameters('site').name]\",\"location\":\"[parameters('site').location]\","
	"\"kind\":\"[parameters('site').kind]\",\"tags\":\"[parameters('site').tags]\","
	"\"properties\":\"[union(parameters('site').properties, createObject('clientCertEnabled', true(), "
	"'clientCertMode', parameters('mode')))]\"}]}}}]}";

static void test_deploy_merge_template(void **state)
{
	json_t *tmpl = json_loads(merge_template, 0, NULL);
	json_t *params = json_pack("{s:{s:s}, s:{s:s}}", "siteName", "value", "app1",
				   "location", "value", "westeurope");
	struct template_target target = { SUB, "rg1", "westeurope", &host };
	struct template_writes writes = { NULL, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	const json_t *props;
	(void)state;

	assert_non_null(tmpl);
	references_made = 0;
	if (template_deploy(tmpl, params, &target, &writes, &err))
		fail_msg("%s", err.buf);
	assert_int_equal(writes.nr, 1);
	assert_int_equal(references_made, 1);
	assert_string_equal(writes.items[0].resource_id, SITE_ID);
	assert_string_equal(writes.items[0].type, "Microsoft.Web/sites");
	assert_string_equal(writes.items[0].api_version, "2022-03-01");
	props = json_object_get(writes.items[0].body, "properties");
	assert_true(json_is_true(json_object_get(props, "clientCertEnabled")));
	assert_string_equal(json_string_value(json_object_get(props, "clientCertMode")), "Required");
	/* every other property carried over */
	assert_true(json_is_true(json_object_get(props, "httpsOnly")));
	assert_string_equal(json_string_value(json_object_get(props, "serverFarmId")),
			    "/subscriptions/" SUB "/plan");
	assert_string_equal(json_string_value(json_object_get(json_object_get(writes.items[0].body,
									       "tags"), "owner")), "team-a");
	assert_null(json_object_get(writes.items[0].body, "name"));
	assert_null(json_object_get(writes.items[0].body, "apiVersion"));
	/* the site itself was not touched: writes are returned, not applied */
	assert_true(json_is_false(json_object_get(json_object_get(the_site, "properties"),
						  "clientCertEnabled")));
	template_writes_release(&writes);
	json_decref(tmpl);
	json_decref(params);
	strbuf_release(&err);
}

static void test_deploy_outer_scope_and_condition(void **state)
{
	static const char text[] =
		"{\"parameters\":{\"name\":{\"type\":\"string\"},\"on\":{\"type\":\"bool\",\"defaultValue\":false}},"
		"\"resources\":[{\"type\":\"Microsoft.Resources/deployments\",\"name\":\"n\","
		"\"resourceGroup\":\"rg9\",\"properties\":{\"template\":{\"resources\":["
		"{\"type\":\"Microsoft.Web/sites/config\",\"apiVersion\":\"2021-02-01\","
		"\"name\":\"[concat(parameters('name'), '/web')]\",\"properties\":{\"minTlsVersion\":\"1.2\"}},"
		"{\"condition\":\"[parameters('on')]\",\"type\":\"Microsoft.Web/sites\",\"name\":\"skipped\"}]}}}]}";
	json_t *tmpl = json_loads(text, 0, NULL);
	json_t *params = json_pack("{s:{s:s}}", "name", "value", "app1");
	struct template_target target = { SUB, "rg1", NULL, &host };
	struct template_writes writes = { NULL, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	(void)state;

	if (template_deploy(tmpl, params, &target, &writes, &err))
		fail_msg("%s", err.buf);
	assert_int_equal(writes.nr, 1);
	assert_string_equal(writes.items[0].resource_id, "/subscriptions/" SUB
			    "/resourceGroups/rg9/providers/Microsoft.Web/sites/app1/config/web");
	template_writes_release(&writes);
	json_decref(tmpl);
	json_decref(params);
	strbuf_release(&err);
}

static void test_deploy_refusals(void **state)
{
	static const struct {
		const char *template;
		const char *message;
	} cases[] = {
		{ "{\"resources\":[{\"type\":\"Microsoft.Web/sites\",\"name\":\"a\",\"copy\":{}}]}", "uses 'copy'" },
		{ "{\"resources\":[{\"type\":\"Microsoft.Resources/deployments\",\"name\":\"a\","
		  "\"properties\":{\"templateLink\":{\"uri\":\"https://x\"}}}]}", "linked templates" },
		{ "{\"parameters\":{\"p\":{\"type\":\"string\"}},\"resources\":[]}", "no value for parameter 'p'" },
		{ "{\"resources\":[{\"type\":\"Microsoft.Web/sites\",\"name\":\"[utcNow()]\"}]}",
		  "utcNow() is only available in a policy rule" },
		{ "{\"resources\":{}}", "'resources' must be an array" },
		{ "{\"functions\":[],\"resources\":[]}", "user-defined 'functions'" },
	};
	struct template_target target = { SUB, "rg1", NULL, &host };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *tmpl = json_loads(cases[i].template, 0, NULL);
		struct template_writes writes = { NULL, 0, 0 };
		struct strbuf err = STRBUF_INIT;
		assert_non_null(tmpl);
		assert_int_equal(template_deploy(tmpl, NULL, &target, &writes, &err), TEMPLATE_INVALID);
		if (!strstr(err.buf, cases[i].message))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.buf, cases[i].message);
		template_writes_release(&writes);
		json_decref(tmpl);
		strbuf_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_nesting_is_bounded),
		cmocka_unit_test(test_deploy_merge_template),
		cmocka_unit_test(test_deploy_outer_scope_and_condition),
		cmocka_unit_test(test_deploy_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
