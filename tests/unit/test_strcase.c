/*
 * Unit tests for lib/strcase, lib/digest and http_code_is_throttling: the helpers that
 * replaced the copies in the orchestrator, the HTTP engine and armsim.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/digest.h"
#include "lib/http.h"
#include "lib/strcase.h"

static void test_find_ignores_case(void **state)
{
	const char *hay = "/subscriptions/S1/resourceGroups/RG";
	(void)state;
	assert_ptr_equal(strcase_find(hay, "/RESOURCEGROUPS/"), hay + 17);
	assert_ptr_equal(strcase_find(hay, "/subscriptions/s1"), hay);
	assert_ptr_equal(strcase_find(hay, "rg"), hay + 33);
	assert_null(strcase_find(hay, "/providers/"));
	/* a needle longer than what is left never reads past the end */
	assert_null(strcase_find("ab", "abc"));
	assert_int_equal(strcase_contains("InvalidUpdateRemediation", "invalidupdate"), 1);
	assert_int_equal(strcase_contains("Invalid", "Remediation"), 0);
}

static void test_empty_needle_is_found_at_the_start(void **state)
{
	const char *hay = "abc", *empty = "";
	(void)state;
	/* the one answer every former copy now gives: like strstr, "" occurs at the start */
	assert_ptr_equal(strcase_find(hay, ""), hay);
	assert_ptr_equal(strcase_find(empty, ""), empty);
	assert_int_equal(strcase_contains("", ""), 1);
	assert_null(strcase_find("", "a"));
}

static void test_sha256_hex(void **state)
{
	char hex[DIGEST_SHA256_HEX_SIZE];
	unsigned char md[DIGEST_SHA256_SIZE];
	(void)state;
	/* FIPS 180-2 test vectors */
	digest_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_sha256("abc", 3, md);
	assert_int_equal(md[0], 0xba);
	assert_int_equal(md[31], 0xad);
}

static void test_throttling_codes(void **state)
{
	static const char *const slow_down[] = {
		"SubscriptionRequestsThrottled", "TooManyRequests", "RateLimitExceeded",
		"QuotaExceeded", "ResourceRequestsThrottled", "tenantLimitReached",
	};
	static const char *const real_errors[] = {
		"RequestDisallowedByPolicy", "InvalidUpdateRemediation", "AuthorizationFailed",
		"PrincipalNotFound", "",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(slow_down) / sizeof(*slow_down); i++)
		assert_true(http_code_is_throttling(slow_down[i]));
	for (i = 0; i < sizeof(real_errors) / sizeof(*real_errors); i++)
		assert_false(http_code_is_throttling(real_errors[i]));
	assert_false(http_code_is_throttling(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_ignores_case),
		cmocka_unit_test(test_empty_needle_is_found_at_the_start),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_throttling_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
