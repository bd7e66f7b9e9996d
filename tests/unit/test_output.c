/*
 * Unit tests for generator/output: format names and the arm-template escaping of "[...]"
 * strings (only those: ARM reads nothing else as an expression).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "generator/output.h"
#include "lib/jsonutil.h"

static void test_escape(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "\"[parameters('effect')]\"", "\"[[parameters('effect')]\"" },
		{ "\"[x] literal\"", "\"[x] literal\"" },
		{ "\"plain\"", "\"plain\"" },
		{ "\"[]\"", "\"[[]\"" },
		{ "\"[\"", "\"[\"" },
		{ "{\"a\":[\"[f()]\",1,true,{\"b\":\"[g()]\"}],\"[k]\":\"v\"}",
		  "{\"a\":[\"[[f()]\",1,true,{\"b\":\"[[g()]\"}],\"[k]\":\"v\"}" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *in = json_loads(cases[i].in, JSON_DECODE_ANY, NULL);
		json_t *out = output_escape_template_expressions(in);
		char *got = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
		assert_string_equal(got, cases[i].out);
		free(got);
		json_decref(in);
		json_decref(out);
	}
}

static void test_format_names(void **state)
{
	enum render_format f;
	(void)state;
	assert_int_equal(render_format_parse("rest", &f), 0);
	assert_int_equal(f, RENDER_FORMAT_REST);
	assert_int_equal(render_format_parse("arm-template", &f), 0);
	assert_int_equal(f, RENDER_FORMAT_ARM_TEMPLATE);
	assert_int_equal(render_format_parse("epac", &f), 0);
	assert_int_equal(f, RENDER_FORMAT_EPAC);
	assert_int_equal(render_format_parse("REST", &f), -1);
	assert_int_equal(render_format_parse("", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
