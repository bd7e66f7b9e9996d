/*
 * Unit tests for cli/options: the one option parser every command row uses (allowed options
 * only, values, missing values, stray arguments, a second parse in the same process) and the
 * explicit mapping of orchestrator results to exit codes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "lib/msg.h"

static const struct command run_row = {
	"track", NULL, NULL, CMD_LEDGER, OPT_TIMEOUT | OPT_DRY_RUN, "s", "usage", "help",
};
static const struct command render_row = {
	"render", NULL, NULL, 0, OPT_FORMAT | OPT_OUT, "s", "usage", "help",
};
static const struct command bare_row = { "status", NULL, NULL, 0, 0, "s", "usage", "help" };
static const struct command args_row = { "help", NULL, NULL, 0, OPT_ARGS, "s", "usage", "help" };

/* Parses a NULL-terminated argument list (copied: getopt may permute). */
static int parse(const struct command *cmd, struct cli_options *opts, ...)
{
	static char storage[8][64];
	static char *argv[9];
	va_list ap;
	const char *a;
	int argc = 0;
	va_start(ap, opts);
	while ((a = va_arg(ap, const char *)) && argc < 8) {
		strncpy(storage[argc], a, sizeof(storage[argc]) - 1);
		storage[argc][sizeof(storage[argc]) - 1] = '\0';
		argv[argc] = storage[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse_options(cmd, argc, argv, opts);
}

static void test_allowed_options_and_values(void **state)
{
	struct cli_options o;
	(void)state;
	assert_int_equal(parse(&run_row, &o, "track", "--timeout=5m", "-n", NULL), EXIT_OK);
	assert_int_equal(o.timeout_ms, 300000);
	assert_int_equal(o.dry_run, 1);
	assert_int_equal(o.argc, 0);
	assert_int_equal(parse(&run_row, &o, "track", "--timeout", "30s", NULL), EXIT_OK);
	assert_int_equal(o.timeout_ms, 30000);
	assert_int_equal(o.dry_run, 0); /* each parse starts from nothing */
	assert_int_equal(parse(&render_row, &o, "render", "-f", "epac", "--out=dir", NULL), EXIT_OK);
	assert_string_equal(o.format, "epac");
	assert_string_equal(o.out, "dir");
	assert_int_equal(parse(&bare_row, &o, "status", NULL), EXIT_OK);
}

static void test_refusals(void **state)
{
	struct cli_options o;
	(void)state;
	msg_set_verbosity(MSG_QUIET);
	/* an option another row allows is unknown here */
	assert_int_equal(parse(&run_row, &o, "track", "--wait", NULL), EXIT_USAGE);
	assert_int_equal(parse(&render_row, &o, "render", "-n", NULL), EXIT_USAGE);
	assert_int_equal(parse(&bare_row, &o, "status", "--format", "json", NULL), EXIT_USAGE);
	/* a value missing, or not a positive duration, or an empty folder */
	assert_int_equal(parse(&run_row, &o, "track", "--timeout", NULL), EXIT_USAGE);
	assert_int_equal(parse(&run_row, &o, "track", "--timeout=0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&run_row, &o, "track", "--timeout=soon", NULL), EXIT_USAGE);
	assert_int_equal(parse(&render_row, &o, "render", "-f", NULL), EXIT_USAGE);
	assert_int_equal(parse(&render_row, &o, "render", "--out=", NULL), EXIT_USAGE);
	/* stray arguments, unless the row takes them */
	assert_int_equal(parse(&bare_row, &o, "status", "extra", NULL), EXIT_USAGE);
	assert_int_equal(parse(&render_row, &o, "render", "-f", "rest", "extra", NULL), EXIT_USAGE);
	assert_int_equal(parse(&args_row, &o, "help", "render", NULL), EXIT_OK);
	assert_int_equal(o.argc, 1);
	assert_string_equal(o.argv[0], "render");
}

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(cli_exit_code(ORCH_OK), EXIT_OK);
	assert_int_equal(cli_exit_code(ORCH_FAILED), EXIT_FAILED);
	assert_int_equal(cli_exit_code(ORCH_USAGE), EXIT_USAGE);
	assert_int_equal(cli_exit_code(ORCH_TIMEOUT), EXIT_TIMEOUT);
	assert_int_equal(cli_exit_code(ORCH_INTERRUPTED), EXIT_INTERRUPTED);
	assert_int_equal(cli_exit_code(ORCH_LEDGER), EXIT_LEDGER);
	assert_int_equal(EXIT_LEDGER, 5); /* documented in README and the man page */
	/* the documented numbers, not whatever the enums happen to be */
	assert_int_equal(EXIT_OK, 0);
	assert_int_equal(EXIT_FAILED, 1);
	assert_int_equal(EXIT_USAGE, 2);
	assert_int_equal(EXIT_TIMEOUT, 3);
	assert_int_equal(EXIT_INTERRUPTED, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_options_and_values),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_exit_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
