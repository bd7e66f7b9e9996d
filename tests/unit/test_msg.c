/*
 * Unit tests for lib/msg: secrets are redacted from every message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_secret_is_redacted),
		cmocka_unit_test(test_short_strings_are_not_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
