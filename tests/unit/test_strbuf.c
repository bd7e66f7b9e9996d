/*
 * Unit tests for lib/strbuf: growth, formatting, the network cap, trimming, URL encoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/strbuf.h"

static void test_init_is_empty_string(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	strbuf_release(&sb);
	assert_string_equal(sb.buf, "");
}

static void test_add_and_format_grow(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	int i;
	(void)state;
	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	assert_int_equal(sb.len, strlen(sb.buf));
	assert_true(strbuf_starts_with(&sb, "0,1,2,"));
	assert_non_null(strstr(sb.buf, ",999,"));
	strbuf_release(&sb);
}

static void test_capped_refuses_past_cap(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_int_equal(strbuf_add_capped(&sb, "abcd", 4, 6), 0);
	assert_int_equal(strbuf_add_capped(&sb, "efg", 3, 6), -1);
	assert_string_equal(sb.buf, "abcd");
	assert_int_equal(strbuf_add_capped(&sb, "ef", 2, 6), 0);
	assert_string_equal(sb.buf, "abcdef");
	strbuf_release(&sb);
}

static void test_trim_and_detach(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;
	(void)state;
	strbuf_addstr(&sb, "  \t hello world \n");
	strbuf_trim(&sb);
	s = strbuf_detach(&sb, &len);
	assert_string_equal(s, "hello world");
	assert_int_equal(len, 11);
	assert_string_equal(sb.buf, "");
	free(s);
}

static void test_urlencode(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "abc-_.~", "abc-_.~" },
		{ "a b", "a%20b" },
		{ "ComplianceState eq 'NonCompliant'", "ComplianceState%20eq%20%27NonCompliant%27" },
		{ "/x?y=z&", "%2Fx%3Fy%3Dz%26" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_add_urlencoded(&sb, cases[i].in);
		assert_string_equal(sb.buf, cases[i].out);
		strbuf_release(&sb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty_string),
		cmocka_unit_test(test_add_and_format_grow),
		cmocka_unit_test(test_capped_refuses_past_cap),
		cmocka_unit_test(test_trim_and_detach),
		cmocka_unit_test(test_urlencode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
