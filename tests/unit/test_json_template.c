/*
 * Unit tests for generator/json_template: typed placeholders, no text pasting, errors for unknown
 * placeholders, unused parameters and partial "${" strings, and the embedded templates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "generator/json_template.h"
#include "lib/jsonutil.h"

struct render_case {
	const char *name;
	const char *tmpl;     /* template JSON */
	const char *params;   /* JSON object: parameter name → value */
	const char *expected; /* compact output, or NULL when an error is expected */
	const char *error;    /* expected error, when expected is NULL */
};

static const struct render_case cases[] = {
	{ "string", "{\"a\":\"${x}\"}", "{\"x\":\"hi\"}", "{\"a\":\"hi\"}", NULL },
	{ "typed values keep their type",
	  "[\"${s}\",\"${n}\",\"${b}\",\"${o}\",\"${a}\",\"${z}\"]",
	  "{\"s\":\"t\",\"n\":42,\"b\":true,\"o\":{\"k\":[1]},\"a\":[],\"z\":null}",
	  "[\"t\",42,true,{\"k\":[1]},[],null]", NULL },
	{ "hostile string is escaped, not pasted", "{\"a\":\"${x}\"}",
	  "{\"x\":\"q\\\" b\\\\ n\\n u\\u00fc e\\ud83d\\udd10 ${y}\"}",
	  "{\"a\":\"q\\\" b\\\\ n\\n u\xc3\xbc e\xf0\x9f\x94\x90 ${y}\"}", NULL },
	{ "one parameter, many uses", "{\"a\":\"${x}\",\"b\":[\"${x}\"]}", "{\"x\":1}",
	  "{\"a\":1,\"b\":[1]}", NULL },
	{ "other strings and numbers untouched", "{\"a\":\"$x\",\"b\":\"{x}\",\"c\":2.5}", "{}",
	  "{\"a\":\"$x\",\"b\":\"{x}\",\"c\":2.5}", NULL },
	{ "unknown placeholder", "{\"a\":{\"b\":[\"${nope}\"]}}", "{}", NULL,
	  "template 't.json': unknown placeholder '${nope}' at /a/b/0" },
	{ "unused parameter", "{\"a\":1}", "{\"spare\":1}", NULL,
	  "template 't.json': parameter 'spare' is not used" },
	{ "placeholder inside text", "{\"a\":\"Hello ${name}\"}", "{\"name\":\"x\"}", NULL,
	  "template 't.json': placeholder must be a whole string value at /a" },
	{ "placeholder in a key", "{\"${k}\":1}", "{\"k\":\"x\"}", NULL,
	  "template 't.json': placeholder in key '${k}' at /: placeholders are values only" },
	{ "bad placeholder name", "{\"a\":\"${Bad-Name}\"}", "{}", NULL,
	  "template 't.json': placeholder must be a whole string value at /a" },
};

static void test_render_cases(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
		struct strbuf err = STRBUF_INIT, got = STRBUF_INIT;
		json_t *tmpl = jsonutil_parse(cases[i].tmpl, strlen(cases[i].tmpl), "tmpl", &err);
		json_t *values = jsonutil_parse(cases[i].params, strlen(cases[i].params), "params", &err);
		json_t *out, *value;
		const char *key;

		assert_non_null(tmpl);
		assert_non_null(values);
		json_object_foreach(values, key, value)
			json_template_params_set_new(&params, key, json_incref(value));
		out = json_template_render(tmpl, "t.json", &params, &err);
		if (cases[i].expected) {
			if (!out)
				fail_msg("case '%s': %s", cases[i].name, err.buf);
			jsonutil_add_compact(&got, out);
			if (strcmp(got.buf, cases[i].expected))
				fail_msg("case '%s': got %s", cases[i].name, got.buf);
		} else {
			if (out)
				fail_msg("case '%s' rendered", cases[i].name);
			assert_string_equal(err.buf, cases[i].error);
		}
		json_decref(out);
		json_decref(tmpl);
		json_decref(values);
		json_template_params_release(&params);
		strbuf_release(&err);
		strbuf_release(&got);
	}
}

static void test_output_is_a_copy(void **state)
{
	struct json_template_params params = JSON_TEMPLATE_PARAMS_INIT;
	struct strbuf err = STRBUF_INIT, before = STRBUF_INIT, after = STRBUF_INIT;
	json_t *tmpl = json_pack("{s:[s]}", "a", "${x}"), *out;
	(void)state;
	jsonutil_add_compact(&before, tmpl);
	json_template_params_set_new(&params, "x", json_pack("{s:i}", "k", 1));
	out = json_template_render(tmpl, "t.json", &params, &err);
	assert_non_null(out);
	/* the output is a copy: changing it changes neither the template nor the parameter */
	assert_int_equal(json_object_set_new(json_array_get(json_object_get(out, "a"), 0), "k",
					     json_integer(2)), 0);
	jsonutil_add_compact(&after, tmpl);
	assert_string_equal(before.buf, after.buf);
	assert_int_equal(json_integer_value(json_object_get(params.items[0].value, "k")), 1);
	json_decref(out);
	json_decref(tmpl);
	json_template_params_release(&params);
	strbuf_release(&err);
	strbuf_release(&before);
	strbuf_release(&after);
}

static void test_every_embedded_template_is_valid_json(void **state)
{
	const struct json_template_file *f;
	size_t n = 0;
	(void)state;
	for (f = json_template_files; f->name; f++) {
		struct strbuf err = STRBUF_INIT;
		json_t *json = json_template_load(f->name, &err);
		if (!json)
			fail_msg("%s", err.buf);
		json_decref(json);
		strbuf_release(&err);
		n++;
	}
	assert_true(n >= 8);
}

static void test_missing_template(void **state)
{
	struct strbuf err = STRBUF_INIT;
	(void)state;
	assert_null(json_template_load("nope.json", &err));
	assert_string_equal(err.buf, "template 'nope.json': no such template");
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_cases),
		cmocka_unit_test(test_output_is_a_copy),
		cmocka_unit_test(test_every_embedded_template_is_valid_json),
		cmocka_unit_test(test_missing_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
