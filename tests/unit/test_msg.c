/*
 * Unit tests for lib/msg: secrets are redacted from every message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/msg.h"

static void test_registered_secret_is_redacted(void **state)
{
	char *out;
	(void)state;
	msg_add_secret("s3cr3t-value");
	msg_redact_into("token s3cr3t-value and s3cr3t-value again", &out);
	assert_string_equal(out, "token [REDACTED] and [REDACTED] again");
	free(out);
}

static void test_short_strings_are_not_secrets(void **state)
{
	char *out;
	(void)state;
	msg_add_secret("abc");
	msg_redact_into("abc abc", &out);
	assert_string_equal(out, "abc abc");
	free(out);
}

static void test_escape_control_characters(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	/* an ANSI sequence and a fake second line from a server's error message */
	msg_escape_into(&sb, "bad\033[2Jthing\nfake: ok\r\x7f done");
	assert_string_equal(sb.buf, "bad\\x1b[2Jthing\\x0afake: ok\\x0d\\x7f done");
	msg_escape_into(&sb, NULL);
	assert_string_equal(sb.buf, "bad\\x1b[2Jthing\\x0afake: ok\\x0d\\x7f done");
	strbuf_reset(&sb);
	msg_escape_into(&sb, "/subscriptions/a/ü");
	assert_string_equal(sb.buf, "/subscriptions/a/ü"); /* UTF-8 passes */
	strbuf_release(&sb);
}

static void test_print_redacts_into_a_stream(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	(void)state;
	msg_add_secret("another-secret");
	msg_print(out, "  update %s with another-secret\n", "/x");
	fclose(out);
	assert_string_equal(buf, "  update /x with [REDACTED]\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_secret_is_redacted),
		cmocka_unit_test(test_short_strings_are_not_secrets),
		cmocka_unit_test(test_escape_control_characters),
		cmocka_unit_test(test_print_redacts_into_a_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
