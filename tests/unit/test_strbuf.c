/*
 * Unit tests for lib/strbuf: growth (and its overflow guard), formatting, the network cap,
 * trimming, URL encoding, setlen and detach.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
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

/* Runs strbuf_grow(sb of length len, extra) in a child; returns its wait status. */
static int grow_in_child(size_t len, size_t extra)
{
	int status = 0;
	pid_t pid;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, "abc");
		/* pretend to hold len bytes: only the size arithmetic is under test */
		sb.len = len;
		if (!freopen("/dev/null", "w", stderr))
			_exit(2);
		strbuf_grow(&sb, extra);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_grow_overflow_aborts(void **state)
{
	int status;
	(void)state;
	/* len + extra + 1 wraps to 0 and to 2: both would under-allocate without the guard */
	status = grow_in_child(3, SIZE_MAX - 3);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = grow_in_child(3, SIZE_MAX - 1);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = grow_in_child(0, SIZE_MAX);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_grow_keeps_content_and_room(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *before;
	(void)state;
	strbuf_addstr(&sb, "abc");
	strbuf_grow(&sb, 1000);
	assert_true(sb.alloc >= sb.len + 1000 + 1);
	assert_int_equal(sb.len, 3);
	assert_string_equal(sb.buf, "abc");
	before = sb.buf;
	strbuf_add(&sb, "0123456789", 10); /* within the room: no reallocation */
	assert_ptr_equal(sb.buf, before);
	strbuf_add(&sb, NULL, 0);
	assert_string_equal(sb.buf, "abc0123456789");
	strbuf_release(&sb);
}

static void test_setlen_only_shrinks(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	strbuf_setlen(&sb, 5); /* never grown: stays the shared empty string */
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.alloc, 0);
	strbuf_addstr(&sb, "hello");
	strbuf_setlen(&sb, 99);
	assert_string_equal(sb.buf, "hello");
	strbuf_setlen(&sb, 2);
	assert_string_equal(sb.buf, "he");
	assert_int_equal(sb.len, 2);
	strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	assert_true(sb.alloc > 0);
	strbuf_release(&sb);
	strbuf_release(&sb); /* twice is safe */
	assert_int_equal(sb.alloc, 0);
}

static void test_detach_empty_is_owned(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	(void)state;
	s = strbuf_detach(&sb, NULL);
	assert_ptr_not_equal(s, strbuf_slopbuf);
	assert_string_equal(s, "");
	free(s); /* owned by the caller */
}

static void test_read_file_cap_and_missing(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char path[] = "/tmp/test_strbuf.XXXXXX";
	int fd;
	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(strbuf_read_file(&sb, path, 10), 0);
	assert_string_equal(sb.buf, "0123456789");
	strbuf_reset(&sb);
	errno = 0;
	assert_int_equal(strbuf_read_file(&sb, path, 9), -1);
	assert_int_equal(errno, EFBIG);
	unlink(path);
	errno = 0;
	assert_int_equal(strbuf_read_file(&sb, path, 100), -1);
	assert_int_equal(errno, ENOENT);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty_string),
		cmocka_unit_test(test_add_and_format_grow),
		cmocka_unit_test(test_capped_refuses_past_cap),
		cmocka_unit_test(test_trim_and_detach),
		cmocka_unit_test(test_urlencode),
		cmocka_unit_test(test_grow_overflow_aborts),
		cmocka_unit_test(test_grow_keeps_content_and_room),
		cmocka_unit_test(test_setlen_only_shrinks),
		cmocka_unit_test(test_detach_empty_is_owned),
		cmocka_unit_test(test_read_file_cap_and_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
