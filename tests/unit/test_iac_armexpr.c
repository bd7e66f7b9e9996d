/*
 * Unit tests for iac/armexpr: a table of expressions with their values, or "unknown" with
 * the reason, over one template's parameters, variables and copy loops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iac/armexpr.h"

static const char template_text[] =
	"{\"parameters\": {"
	"  \"env\": {\"type\": \"string\", \"defaultValue\": \"dev\"},"
	"  \"count\": {\"type\": \"int\", \"defaultValue\": 3},"
	"  \"names\": {\"type\": \"array\", \"defaultValue\": [\"a\", \"b\"]},"
	"  \"obj\": {\"type\": \"object\", \"defaultValue\": {\"Mode\": \"Required\", \"loc\": \"[resourceGroup().location]\"}},"
	"  \"noDefault\": {\"type\": \"string\"},"
	"  \"chained\": {\"type\": \"string\", \"defaultValue\": \"[concat(parameters('env'), '-x')]\"}"
	"}, \"variables\": {"
	"  \"name\": \"[toUpper(parameters('env'))]\","
	"  \"self\": \"[variables('self')]\","
	"  \"nested\": {\"inner\": {\"flag\": \"[equals(parameters('env'), 'dev')]\"}}"
	"}}";

struct row {
	const char *expression;
	const char *expected; /* compact JSON, or "?" + a substring of the unknown reason */
};

static const struct row rows[] = {
	{ "[parameters('env')]", "\"dev\"" },
	{ "[PARAMETERS('ENV')]", "\"dev\"" },
	{ "[parameters('given')]", "\"from-file\"" },
	{ "[parameters('chained')]", "\"dev-x\"" },
	{ "[parameters('noDefault')]", "?has no default and no value" },
	{ "[parameters('missing')]", "?is not declared" },
	{ "[variables('name')]", "\"DEV\"" },
	{ "[variables('self')]", "?refers to itself" },
	{ "[variables('nested').inner.flag]", "true" },
	{ "[parameters('obj').mode]", "\"Required\"" },
	{ "[parameters('obj')['Mode']]", "\"Required\"" },
	{ "[parameters('obj').loc]", "?resourceGroup() is known only at deployment" },
	{ "[parameters('obj').absent]", "?has no property 'absent'" },
	{ "[parameters('names')[1]]", "\"b\"" },
	{ "[parameters('names')[5]]", "?out of range" },
	{ "[concat('a', 'b', 1, true())]", "\"ab1True\"" },
	{ "[concat(parameters('names'), createArray('c'))]", "[\"a\",\"b\",\"c\"]" },
	{ "[format('{0}-{1}-{{x}}', 'p', 7)]", "\"p-7-{x}\"" },
	{ "[if(equals(parameters('env'), 'prod'), 'Required', 'Optional')]", "\"Optional\"" },
	{ "[if(true(), 'yes', reference('x').y)]", "\"yes\"" },
	{ "[if(reference('x').on, 'a', 'b')]", "?reference() is known only at deployment" },
	{ "[and(false(), reference('x').on)]", "false" },
	{ "[or(true(), reference('x').on)]", "true" },
	{ "[and(true(), reference('x').on)]", "?reference()" },
	{ "[not(equals(1, 2))]", "true" },
	{ "[toLower('ABC')]", "\"abc\"" },
	{ "[length(parameters('names'))]", "2" },
	{ "[empty('')]", "true" },
	{ "[contains('functionapp,linux', 'functionapp')]", "true" },
	{ "[startsWith('abc', 'AB')]", "true" },
	{ "[replace('a-b-c', '-', '/')]", "\"a/b/c\"" },
	{ "[substring('abcdef', 2, 3)]", "\"cde\"" },
	{ "[substring('abc', 2, 5)]", "?out of range" },
	{ "[add(parameters('count'), 2)]", "5" },
	{ "[div(1, 0)]", "?divides by zero" },
	{ "[mul(9223372036854775807, 2)]", "?overflows" },
	{ "[greater(copyIndex(), 0)]", "true" },
	{ "[copyIndex('outer', 10)]", "11" },
	{ "[copyIndex('nope')]", "?outside that copy loop" },
	{ "[coalesce(null(), 'x')]", "\"x\"" },
	{ "[union(createObject('a', 1), createObject('a', 2, 'b', 3))]", "{\"a\":2,\"b\":3}" },
	{ "[json('{\"k\": [1]}').k[0]]", "1" },
	{ "[string(parameters('names'))]", "\"[\\\"a\\\",\\\"b\\\"]\"" },
	{ "[int('42')]", "42" },
	{ "[bool('TRUE')]", "true" },
	{ "[split('a,b', ',')[1]]", "\"b\"" },
	{ "[join(createArray('a', 'b'), '+')]", "\"a+b\"" },
	{ "[uniqueString(resourceGroup().id)]", "?uniqueString() is known only at deployment" },
	{ "[ns.myFunc('a')]", "?user-defined function ns.myFunc()" },
	{ "[frobnicate()]", "?not a function policyctl check evaluates" },
	{ "[concat('a', ]", "?cannot parse the expression" },
	{ "[concat('unterminated)]", "?cannot parse the expression" },
	{ "[parameters('env') trailing]", "?unexpected text" },
	{ "[[literal]", "\"[literal]\"" },
	{ "plain", "\"plain\"" },
	{ "[concat('it''s')]", "\"it's\"" },
	{ "[((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))]", "?cannot parse" },
};

static void test_table(void **state)
{
	json_error_t jerr;
	json_t *tmpl = json_loads(template_text, 0, &jerr);
	struct armexpr_scope scope;
	size_t i;
	(void)state;
	assert_non_null(tmpl);
	armexpr_scope_init(&scope, tmpl);
	armexpr_scope_give(&scope, "Given", json_string("from-file"));
	scope.loops[0].name = "outer";
	scope.loops[0].index = 1;
	scope.loops[1].name = "inner";
	scope.loops[1].index = 4;
	scope.loop_count = 2;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *expr = json_string(rows[i].expression);
		json_t *v = armexpr_resolve(&scope, expr);
		const char *why = armexpr_unknown_why(v);
		if (rows[i].expected[0] == '?') {
			if (!why || !strstr(why, rows[i].expected + 1))
				fail_msg("%s: expected unknown '%s', got %s", rows[i].expression,
					 rows[i].expected + 1, why ? why : json_dumps(v, JSON_ENCODE_ANY));
		} else {
			char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			if (why || strcmp(got, rows[i].expected))
				fail_msg("%s: expected %s, got %s", rows[i].expression, rows[i].expected,
					 why ? why : got);
			free(got);
		}
		json_decref(v);
		json_decref(expr);
	}
	armexpr_scope_release(&scope);
	json_decref(tmpl);
}

static void test_deep_resolution_keeps_known_siblings(void **state)
{
	json_t *tmpl = json_loads(template_text, 0, NULL);
	json_t *value = json_pack("{s:s, s:s, s:[s]}", "a", "[parameters('env')]", "b",
				  "[reference('x')]", "c", "[[kept]");
	struct armexpr_scope scope;
	json_t *out;
	(void)state;
	armexpr_scope_init(&scope, tmpl);
	out = armexpr_resolve_deep(&scope, value);
	assert_string_equal(json_string_value(json_object_get(out, "a")), "dev");
	assert_non_null(armexpr_unknown_why(json_object_get(out, "b")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "c"), 0)), "[kept]");
	assert_null(armexpr_unknown_why(out));
	json_decref(out);
	json_decref(value);
	armexpr_scope_release(&scope);
	json_decref(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_deep_resolution_keeps_known_siblings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
