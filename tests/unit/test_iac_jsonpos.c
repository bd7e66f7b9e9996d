/*
 * Unit tests for iac/jsonpos: positions of objects and arrays next to jansson's tree,
 * comments blanked without moving positions, escaped keys, code-point columns, errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iac/jsonpos.h"

static void expect_pos(const struct json_doc *doc, const json_t *v, unsigned line, unsigned column)
{
	struct json_position pos;
	assert_non_null(v);
	assert_int_equal(json_doc_position(doc, v, &pos), 0);
	assert_int_equal(pos.line, line);
	assert_int_equal(pos.column, column);
}

static void test_objects_and_arrays(void **state)
{
	static const char text[] =
		"{\n"
		"  \"a\": { \"x\": 1 },\n"
		"  \"list\": [\n"
		"    {\"b\": [1, 2]},\n"
		"      { }\n"
		"  ]\n"
		"}\n";
	struct json_doc doc = JSON_DOC_INIT;
	struct strbuf err = STRBUF_INIT;
	json_t *list;
	(void)state;
	assert_int_equal(json_doc_parse(&doc, text, strlen(text), "t.json", &err), JSON_DOC_OK);
	expect_pos(&doc, doc.root, 1, 1);
	expect_pos(&doc, json_object_get(doc.root, "a"), 2, 8);
	list = json_object_get(doc.root, "list");
	expect_pos(&doc, list, 3, 11);
	expect_pos(&doc, json_array_get(list, 0), 4, 5);
	expect_pos(&doc, json_object_get(json_array_get(list, 0), "b"), 4, 11);
	expect_pos(&doc, json_array_get(list, 1), 5, 7);
	json_doc_release(&doc);
	strbuf_release(&err);
}

static void test_comments_escapes_and_code_points(void **state)
{
	static const char text[] =
		"// leading comment with { and \"\n"
		"{ /* block\n"
		"   comment */ \"k\\u00e9y\": {\"v\": 1},\n"
		"  \"s\": \"// not a comment\", \"\xc3\xa9\xc3\xa9\": [ ]\n"
		"}";
	struct json_doc doc = JSON_DOC_INIT;
	struct strbuf err = STRBUF_INIT;
	(void)state;
	assert_int_equal(json_doc_parse(&doc, text, strlen(text), "c.json", &err), JSON_DOC_OK);
	expect_pos(&doc, doc.root, 2, 1);
	/* key with a \u escape is found; the object starts at column 27 */
	expect_pos(&doc, json_object_get(doc.root, "k\xc3\xa9y"), 3, 27);
	assert_string_equal(json_string_value(json_object_get(doc.root, "s")), "// not a comment");
	/* two two-byte characters before count as two columns, not four */
	expect_pos(&doc, json_object_get(doc.root, "\xc3\xa9\xc3\xa9"), 4, 34);
	json_doc_release(&doc);
	strbuf_release(&err);
}

static void test_errors_and_foreign_values(void **state)
{
	static const char bad[] = "{\n  \"a\": [1,\n}";
	static const char dup[] = "{\"a\": 1, \"a\": 2}";
	struct json_doc doc = JSON_DOC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct json_position pos;
	json_t *other;
	(void)state;
	assert_int_equal(json_doc_parse(&doc, bad, strlen(bad), "bad.json", &err), JSON_DOC_SYNTAX);
	assert_non_null(strstr(err.buf, "bad.json:3:"));
	assert_null(doc.root);
	strbuf_reset(&err);
	assert_int_equal(json_doc_parse(&doc, dup, strlen(dup), "dup.json", &err), JSON_DOC_SYNTAX);
	assert_non_null(strstr(err.buf, "duplicate"));
	strbuf_reset(&err);
	assert_int_equal(json_doc_parse(&doc, "[{}]", 4, "x", &err), JSON_DOC_OK);
	other = json_object();
	assert_int_equal(json_doc_position(&doc, other, &pos), -1);
	assert_int_equal(pos.line, 0);
	json_decref(other);
	json_doc_release(&doc);
	strbuf_release(&err);
}

static void test_many_values_and_one_long_line(void **state)
{
	/* 20,000 objects on one line: the table grows and columns stay exact (linear scan) */
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	struct json_doc doc = JSON_DOC_INIT;
	size_t i;
	(void)state;
	strbuf_addch(&text, '[');
	for (i = 0; i < 20000; i++)
		strbuf_addstr(&text, i ? ",{}" : "{}");
	strbuf_addch(&text, ']');
	assert_int_equal(json_doc_parse(&doc, text.buf, text.len, "long", &err), JSON_DOC_OK);
	expect_pos(&doc, json_array_get(doc.root, 0), 1, 2);
	expect_pos(&doc, json_array_get(doc.root, 19999), 1, 2 + 3 * 19999);
	json_doc_release(&doc);
	strbuf_release(&text);
	strbuf_release(&err);
}

static void test_byte_order_mark(void **state)
{
	static const char text[] = "\xEF\xBB\xBF{\"a\": {}}";
	struct json_doc doc = JSON_DOC_INIT;
	struct strbuf err = STRBUF_INIT;
	(void)state;
	assert_int_equal(json_doc_parse(&doc, text, strlen(text), "bom.json", &err), JSON_DOC_OK);
	expect_pos(&doc, doc.root, 1, 1);
	expect_pos(&doc, json_object_get(doc.root, "a"), 1, 7);
	json_doc_release(&doc);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects_and_arrays),
		cmocka_unit_test(test_comments_escapes_and_code_points),
		cmocka_unit_test(test_errors_and_foreign_values),
		cmocka_unit_test(test_many_values_and_one_long_line),
		cmocka_unit_test(test_byte_order_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
