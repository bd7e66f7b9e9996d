/*
 * Unit tests for armsim/routes (matching, parameters, api-versions), armsim/roles and
 * armsim/token (RS256 JWTs, base64url).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/roles.h"
#include "armsim/routes.h"
#include "armsim/token.h"

static void test_route_matching(void **state)
{
	static const struct {
		const char *method, *path, *name, *param, *value;
		enum route_match_result want;
	} cases[] = {
		{ "GET", "/subscriptions", "Subscriptions_List", NULL, NULL, ROUTE_MATCHED },
		{ "GET", "/subscriptions/S1", "Subscriptions_Get", "subscriptionId", "S1", ROUTE_MATCHED },
		{ "PATCH", "/subscriptions/S/resourcegroups/R/providers/microsoft.web/sites/A", "WebApps_Update", "name", "A", ROUTE_MATCHED },
		{ "GET", "/subscriptions/S/resourceGroups/R/providers/Microsoft.Web/sites/A/slots/B", "WebApps_GetSlot", "slot", "B", ROUTE_MATCHED },
		{ "PUT", "/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyDefinitions/d",
		  "PolicyDefinitions_CreateOrUpdate", "scope", "/providers/Microsoft.Management/managementGroups/mg", ROUTE_MATCHED },
		{ "GET", "/providers/Microsoft.Authorization/policyDefinitions", "PolicyDefinitions_List", "scope", "", ROUTE_MATCHED },
		{ "PUT", "/subscriptions/S/resourceGroups/R/providers/Microsoft.Authorization/roleAssignments/G",
		  "RoleAssignments_Create", "scope", "/subscriptions/S/resourceGroups/R", ROUTE_MATCHED },
		{ "POST", "/adfs/oauth2/token", "Adfs_Token", NULL, NULL, ROUTE_MATCHED },
		{ "POST", "/T/oauth2/v2.0/token", "Token_V2", "tenant", "T", ROUTE_MATCHED },
		{ "POST", "/subscriptions/S", NULL, NULL, NULL, ROUTE_WRONG_METHOD },
		{ "GET", "/subscriptions/S/providers/Microsoft.Nope/things", NULL, NULL, NULL, ROUTE_NO_PATH },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct armsim_request req;
		const struct route *route = NULL;
		enum route_match_result got;
		memset(&req, 0, sizeof(req));
		got = route_find(cases[i].method, cases[i].path, &req, &route);
		if (got != cases[i].want)
			fail_msg("case %zu (%s): result %d, want %d", i, cases[i].path, got, cases[i].want);
		if (cases[i].name)
			assert_string_equal(route->name, cases[i].name);
		if (cases[i].param)
			assert_string_equal(armsim_request_param(&req, cases[i].param), cases[i].value);
		armsim_request_params_release(&req);
	}
}

static void test_api_versions(void **state)
{
	const char *supported;
	(void)state;
	assert_true(route_api_version_ok(API_POLICY, "2021-06-01", &supported));
	assert_true(route_api_version_ok(API_POLICY, "2025-03-01", &supported));
	assert_false(route_api_version_ok(API_POLICY, "2022-07-01-preview", &supported));
	assert_non_null(strstr(supported, "2023-04-01"));
	assert_true(route_api_version_ok(API_EXEMPTION, "2022-07-01-preview", &supported));
	/* az 2.56+ sends Microsoft.Web 2023-01-01 (issue 11); an unknown one is still refused */
	assert_true(route_api_version_ok(API_WEB, "2023-01-01", &supported));
	assert_false(route_api_version_ok(API_WEB, "2021-01-01", &supported));
	assert_non_null(strstr(supported, "2023-01-01"));
}

static void test_roles(void **state)
{
	const struct role_definition *website = role_find("/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/de139f84-1756-47ae-9be6-808fbbe84772");
	const struct role_definition *contributor = role_find("contributor");
	(void)state;
	assert_non_null(website);
	assert_true(role_allows(website, "Microsoft.Web/sites/write"));
	assert_false(role_allows(website, "Microsoft.Authorization/policyAssignments/write"));
	assert_true(role_allows(contributor, "microsoft.web/sites/write"));
	assert_false(role_allows(contributor, "Microsoft.Authorization/roleAssignments/write"));
	assert_true(role_allows(role_find("Reader"), "Microsoft.Web/sites/read"));
	assert_false(role_allows(role_find("Reader"), "Microsoft.Web/sites/write"));
	assert_null(role_find("Janitor"));
}

static void test_token_roundtrip_and_forgery(void **state)
{
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct token_signer *signer = token_signer_new(NULL, &err), *other = token_signer_new(NULL, &err);
	json_t *claims = json_pack("{s:s, s:i}", "oid", "me", "exp", 42), *got = NULL;
	char *jwt, *forged;
	(void)state;
	assert_non_null(signer);
	jwt = token_sign(signer, claims);
	assert_int_equal(token_verify_own(signer, jwt, &got), TOKEN_OK);
	assert_string_equal(json_string_value(json_object_get(got, "oid")), "me");
	json_decref(got);
	assert_int_equal(token_verify_own(other, jwt, NULL), TOKEN_BAD_SIGNATURE);
	forged = strdup(jwt);
	forged[strlen(forged) - 3] ^= 1;
	assert_int_not_equal(token_verify_own(signer, forged, NULL), TOKEN_OK);
	assert_int_equal(token_verify_own(signer, "a.b", NULL), TOKEN_MALFORMED);
	/* alg none is refused before any crypto */
	strbuf_addstr(&sb, "eyJhbGciOiJub25lIn0.");
	strbuf_addstr(&sb, strchr(jwt, '.') + 1);
	*strrchr(sb.buf, '.') = '\0';
	strbuf_setlen(&sb, strlen(sb.buf));
	strbuf_addstr(&sb, ".");
	assert_int_equal(token_verify_own(signer, sb.buf, NULL), TOKEN_MALFORMED);
	free(jwt);
	free(forged);
	json_decref(claims);
	token_signer_free(signer);
	token_signer_free(other);
	strbuf_release(&err);
	strbuf_release(&sb);
}

static void test_base64url(void **state)
{
	static const char *const inputs[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd" };
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
		token_base64url_encode(&enc, (const unsigned char *)inputs[i], strlen(inputs[i]));
		assert_null(strpbrk(enc.buf, "+/="));
		assert_int_equal(token_base64url_decode(&dec, enc.buf, enc.len), 0);
		assert_string_equal(dec.buf, inputs[i]);
		strbuf_release(&enc);
		strbuf_release(&dec);
	}
	{
		struct strbuf dec = STRBUF_INIT;
		assert_int_equal(token_base64url_decode(&dec, "a*b", 3), -1);
		strbuf_release(&dec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_matching),
		cmocka_unit_test(test_api_versions),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_token_roundtrip_and_forgery),
		cmocka_unit_test(test_base64url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
