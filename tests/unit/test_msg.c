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

/* A short secret is caught where it stands alone, not inside longer words. */
static void test_short_secrets_are_redacted_as_words(void **state)
{
	char *out;
	(void)state;
	msg_add_secret("q9z");
	msg_redact_into("secret=q9z&x q9z. xq9z q9zz", &out);
	assert_string_equal(out, "secret=[REDACTED]&x [REDACTED]. xq9z q9zz");
	free(out);
}

/* URL-encoded (either hex case, + for space) and JSON-escaped forms are caught too. */
static void test_encoded_forms_are_redacted(void **state)
{
	char *out;
	(void)state;
	msg_add_secret("p@ss w/rd\"+1");
	msg_redact_into("client_secret=p%40ss%20w%2Frd%22%2B1&grant_type=x", &out);
	assert_string_equal(out, "client_secret=[REDACTED]&grant_type=x");
	free(out);
	msg_redact_into("client_secret=p%40ss%20w%2frd%22%2b1&", &out);
	assert_string_equal(out, "client_secret=[REDACTED]&");
	free(out);
	msg_redact_into("client_secret=p%40ss+w%2Frd%22%2B1&", &out);
	assert_string_equal(out, "client_secret=[REDACTED]&");
	free(out);
	msg_redact_into("{\"secret\":\"p@ss w/rd\\\"+1\"}", &out);
	assert_string_equal(out, "{\"secret\":\"[REDACTED]\"}");
	free(out);
	msg_redact_into("{\"secret\":\"p@ss w\\/rd\\\"+1\"}", &out);
	assert_string_equal(out, "{\"secret\":\"[REDACTED]\"}");
	free(out);
}

/* A secret the replacement itself contains must not loop forever. */
static void test_secret_inside_the_marker(void **state)
{
	char *out;
	(void)state;
	msg_add_secret("REDACTED");
	msg_redact_into("a REDACTED b", &out);
	assert_string_equal(out, "a [REDACTED] b");
	free(out);
}

/* Control characters in a message are escaped; the line itself still ends in a newline. */
static void test_control_characters_are_escaped(void **state)
{
	char buf[256];
	FILE *log = tmpfile();
	size_t n;
	(void)state;
	assert_non_null(log);
	msg_set_log(log);
	msg_error("server said '%s'", "bad\033[2J\rgone\x07\xc2\x9b");
	msg_set_log(NULL);
	rewind(log);
	n = fread(buf, 1, sizeof(buf) - 1, log);
	buf[n] = '\0';
	fclose(log);
	assert_string_equal(buf, "test_msg: error: server said 'bad\\x1b[2J\\x0dgone\\x07\\u009b'\n");
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
		cmocka_unit_test(test_short_secrets_are_redacted_as_words),
		cmocka_unit_test(test_encoded_forms_are_redacted),
		cmocka_unit_test(test_control_characters_are_escaped),
		cmocka_unit_test(test_escape_control_characters),
		cmocka_unit_test(test_print_redacts_into_a_stream),
		cmocka_unit_test(test_secret_inside_the_marker), /* last: it registers "REDACTED" */
	};
	msg_set_program("test_msg");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
