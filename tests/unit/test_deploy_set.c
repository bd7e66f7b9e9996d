/*
 * Unit tests for lib/deploy_set and lib/string_list: assignments are listed as they are added,
 * dropping the resources keeps what later phases need, release leaves an empty set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/deploy_set.h"

static void test_assignments_listed_and_kept(void **state)
{
	struct deploy_set set = DEPLOY_SET_INIT;
	json_t *body = json_object();
	(void)state;
	deploy_set_add(&set, DEPLOY_POLICY_DEFINITION, "/subscriptions/a", "d",
		       "/subscriptions/a/providers/Microsoft.Authorization/policyDefinitions/d",
		       "2025-03-01", json_object());
	deploy_set_add(&set, DEPLOY_POLICY_ASSIGNMENT, "/subscriptions/a", "x",
		       "/subscriptions/a/providers/Microsoft.Authorization/policyAssignments/x",
		       "2025-03-01", body);
	string_list_append(&set.reference_ids, "webApps");
	assert_int_equal(set.nr, 2);
	assert_ptr_equal(set.resources[1].body, body); /* stolen, not copied */
	assert_string_equal(set.resources[1].name, "x");
	assert_int_equal(set.assignment_ids.nr, 1); /* only the assignment */
	assert_string_equal(set.assignment_scopes.items[0], "/subscriptions/a");
	assert_string_equal(set.assignment_ids.items[0],
			    "/subscriptions/a/providers/Microsoft.Authorization/policyAssignments/x");
	deploy_set_drop_resources(&set);
	assert_int_equal(set.nr, 0);
	assert_null(set.resources);
	assert_int_equal(set.assignment_ids.nr, 1);
	assert_int_equal(set.reference_ids.nr, 1);
	deploy_set_release(&set);
	assert_int_equal(set.assignment_ids.nr, 0);
	assert_int_equal(set.reference_ids.nr, 0);
	assert_null(set.assignment_ids.items);
	/* released is reusable */
	deploy_set_add(&set, DEPLOY_POLICY_ASSIGNMENT, "/s", "y", "/s/y", "v", json_object());
	assert_int_equal(set.assignment_ids.nr, 1);
	deploy_set_release(&set);
}

static void test_string_list(void **state)
{
	struct string_list list = STRING_LIST_INIT;
	char item[] = "abc";
	(void)state;
	string_list_append(&list, item);
	item[0] = 'x'; /* copied */
	assert_string_equal(list.items[0], "abc");
	assert_int_equal(string_list_has(&list, "abc"), 1);
	assert_int_equal(string_list_has(&list, "ABC"), 0); /* case matters */
	assert_int_equal(string_list_has(&list, "xbc"), 0);
	string_list_clear(&list);
	assert_int_equal(list.nr, 0);
	assert_int_equal(string_list_has(&list, "abc"), 0);
	string_list_clear(&list); /* clearing an empty list is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assignments_listed_and_kept),
		cmocka_unit_test(test_string_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
