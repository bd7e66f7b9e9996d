/*
 * Unit tests for lib/jsonutil: files are written atomically through a fresh temporary file,
 * which a symlink planted at its name cannot redirect.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/jsonutil.h"
#include "lib/strbuf.h"

#include "tests/unit/ledger_fixture.h"

static void test_write_does_not_follow_a_planted_symlink(void **state)
{
	char file[160], tmp[200], victim[160];
	struct strbuf text = STRBUF_INIT;
	json_t *json = json_pack("{s:s}", "name", "x");
	struct stat st;
	FILE *f;
	(void)state;
	snprintf(file, sizeof(file), "%s/out.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);

	assert_int_equal(jsonutil_write_file(file, json), 0);
	assert_int_equal(strbuf_read_file(&text, victim, 1024), 0);
	assert_string_equal(text.buf, "precious\n");
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	strbuf_reset(&text);
	assert_int_equal(strbuf_read_file(&text, file, 1024), 0);
	assert_non_null(strstr(text.buf, "\"name\": \"x\""));
	assert_int_equal(lstat(tmp, &st), -1);
	strbuf_release(&text);
	json_decref(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_does_not_follow_a_planted_symlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
