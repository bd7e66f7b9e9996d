/*
 * Unit tests for orchestrator/pairing: which (scope, member) pairs get a remediation task.
 * A summarize answer as Azure (and armsim) shapes it, ids lower-cased, gives each member's
 * non-compliant count; ExistingNonCompliant pairs with none are skipped; ReEvaluateCompliance
 * pairs and pairs whose count is unknown always get their task.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/pairing.h"

#define ASSIGNMENT "/subscriptions/0000/providers/Microsoft.Authorization/policyAssignments/cc-a"

static void refs_init(struct string_list *refs)
{
	memset(refs, 0, sizeof(*refs));
	string_list_append(refs, "ClientCert-AppService");
	string_list_append(refs, "ClientCert-AppServiceSlot");
	string_list_append(refs, "ClientCert-FunctionApp");
	string_list_append(refs, "ClientCert-FunctionAppSlot");
}

/* A summary: the assignment (lower-cased, as Azure answers) with members and counts, and
 * another assignment whose counts must not be taken. */
static json_t *summary(void)
{
	return json_pack(
		"{s:[{s:[{s:s, s:[{s:s, s:{s:i}}, {s:s, s:{s:i}}, {s:s, s:{s:i}}]},"
		"        {s:s, s:[{s:s, s:{s:i}}]}]}]}",
		"value", "policyAssignments",
		"policyAssignmentId", "/subscriptions/0000/providers/microsoft.authorization/policyassignments/cc-a",
		"policyDefinitions",
		"policyDefinitionReferenceId", "clientcert-appservice", "results", "nonCompliantResources", 3,
		"policyDefinitionReferenceId", "clientcert-functionapp", "results", "nonCompliantResources", 0,
		"policyDefinitionReferenceId", "clientcert-deny", "results", "nonCompliantResources", 7,
		"policyAssignmentId", "/subscriptions/0000/providers/microsoft.authorization/policyassignments/other",
		"policyDefinitions",
		"policyDefinitionReferenceId", "clientcert-appserviceslot", "results", "nonCompliantResources", 9);
}

static void test_counts_per_member(void **state)
{
	struct string_list refs;
	long counts[4];
	json_t *body = summary();
	(void)state;
	refs_init(&refs);
	assert_int_equal(pairing_read_summary(body, ASSIGNMENT, &refs, counts), 0);
	assert_int_equal(counts[0], 3); /* case-insensitive ids */
	assert_int_equal(counts[1], 0); /* only the other assignment has it */
	assert_int_equal(counts[2], 0); /* listed with 0 */
	assert_int_equal(counts[3], 0); /* not listed: no non-compliant record */
	json_decref(body);
	string_list_clear(&refs);
}

static void test_not_a_summary_is_unknown(void **state)
{
	struct string_list refs;
	long counts[4];
	json_t *body = json_pack("{s:s}", "error", "x");
	json_t *broken = json_pack("{s:[{s:i}]}", "value", "policyAssignments", 1);
	size_t i;
	(void)state;
	refs_init(&refs);
	assert_int_equal(pairing_read_summary(body, ASSIGNMENT, &refs, counts), -1);
	for (i = 0; i < 4; i++)
		assert_int_equal(counts[i], PAIRING_UNKNOWN);
	assert_int_equal(pairing_read_summary(broken, ASSIGNMENT, &refs, counts), -1);
	for (i = 0; i < 4; i++)
		assert_int_equal(counts[i], PAIRING_UNKNOWN);
	assert_int_equal(pairing_read_summary(NULL, ASSIGNMENT, &refs, counts), -1);
	json_decref(body);
	json_decref(broken);
	string_list_clear(&refs);
}

static void test_decide(void **state)
{
	(void)state;
	/* nothing to fix: skipped only where the task would take the states as they are */
	assert_int_equal(pairing_decide("ExistingNonCompliant", 0), PAIRING_SKIP_NOTHING_TO_FIX);
	assert_int_equal(pairing_decide("existingnoncompliant", 0), PAIRING_SKIP_NOTHING_TO_FIX);
	assert_int_equal(pairing_decide("ExistingNonCompliant", 2), PAIRING_TASK);
	assert_int_equal(pairing_decide("ExistingNonCompliant", PAIRING_UNKNOWN), PAIRING_TASK);
	/* a re-evaluating task finds its own work: always created */
	assert_int_equal(pairing_decide("ReEvaluateCompliance", 0), PAIRING_TASK);
	assert_int_equal(pairing_decide("ReEvaluateCompliance", PAIRING_UNKNOWN), PAIRING_TASK);
	assert_true(pairing_needs_summary("ExistingNonCompliant"));
	assert_false(pairing_needs_summary("ReEvaluateCompliance"));
	assert_false(pairing_needs_summary(NULL));
	assert_non_null(strstr(pairing_decision_reason(PAIRING_SKIP_NOTHING_TO_FIX), "non-compliant"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_per_member),
		cmocka_unit_test(test_not_a_summary_is_unknown),
		cmocka_unit_test(test_decide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
