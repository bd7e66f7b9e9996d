/*
 * Unit tests for armsim/states_shape ($apply, $orderby, $select of policyStates queryResults).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/states_shape.h"
#include "lib/strbuf.h"

/* Five records as queryResults builds them (the columns that matter here). */
static json_t *records(void)
{
	return json_pack("[{s:n, s:s, s:s, s:b}, {s:n, s:s, s:s, s:b}, {s:n, s:s, s:s, s:b},"
			 " {s:n, s:s, s:s, s:b}, {s:n, s:s, s:s, s:b}]",
			 "@odata.id", "resourceId", "/s/b", "complianceState", "NonCompliant", "isCompliant", 0,
			 "@odata.id", "resourceId", "/s/a", "complianceState", "Compliant", "isCompliant", 1,
			 "@odata.id", "resourceId", "/s/c", "complianceState", "NonCompliant", "isCompliant", 0,
			 "@odata.id", "resourceId", "/s/a", "complianceState", "NonCompliant", "isCompliant", 0,
			 "@odata.id", "resourceId", "/s/d", "complianceState", "Exempt", "isCompliant", 1);
}

static const char *str_at(json_t *items, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(items, i), key));
}

static void test_groupby_counts(void **state)
{
	struct strbuf err = STRBUF_INIT;
	json_t *items = records();
	(void)state;
	assert_int_equal(states_shape(&items, "groupby((ComplianceState), aggregate($count as N))",
				      NULL, NULL, &err), STATES_SHAPE_OK);
	/* groups in first-seen order, each with its column and count, nothing else */
	assert_int_equal(json_array_size(items), 3);
	assert_string_equal(str_at(items, 0, "complianceState"), "NonCompliant");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "N")), 3);
	assert_string_equal(str_at(items, 1, "complianceState"), "Compliant");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "N")), 1);
	assert_int_equal(json_object_size(json_array_get(items, 0)), 3); /* @odata.id, column, N */
	assert_null(json_object_get(json_array_get(items, 0), "resourceId"));
	json_decref(items);

	/* groupby without aggregate: distinct values; over two columns */
	items = records();
	assert_int_equal(states_shape(&items, "groupby((ResourceId, IsCompliant))", NULL, NULL, &err),
			 STATES_SHAPE_OK);
	assert_int_equal(json_array_size(items), 5); /* /s/a twice, with different IsCompliant */
	json_decref(items);
	items = records();
	assert_int_equal(states_shape(&items, "groupby((ResourceId))", "ResourceId asc", NULL, &err),
			 STATES_SHAPE_OK);
	assert_int_equal(json_array_size(items), 4);
	assert_string_equal(str_at(items, 0, "resourceId"), "/s/a");
	assert_string_equal(str_at(items, 3, "resourceId"), "/s/d");
	json_decref(items);

	/* aggregate alone: one row, also over nothing */
	items = json_array();
	assert_int_equal(states_shape(&items, "aggregate($count as Total)", NULL, NULL, &err),
			 STATES_SHAPE_OK);
	assert_int_equal(json_array_size(items), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "Total")), 0);
	json_decref(items);
	strbuf_release(&err);
}

static void test_orderby_and_select(void **state)
{
	struct strbuf err = STRBUF_INIT;
	json_t *items = records(), *row;
	(void)state;
	/* desc is the default; ties keep their order (stable): /s/a NonCompliant after Compliant */
	assert_int_equal(states_shape(&items, NULL, "ResourceId", NULL, &err), STATES_SHAPE_OK);
	assert_string_equal(str_at(items, 0, "resourceId"), "/s/d");
	assert_string_equal(str_at(items, 3, "resourceId"), "/s/a");
	assert_string_equal(str_at(items, 3, "complianceState"), "Compliant");
	assert_string_equal(str_at(items, 4, "complianceState"), "NonCompliant");
	json_decref(items);
	/* two keys, the second ascending; then only the selected columns */
	items = records();
	assert_int_equal(states_shape(&items, NULL, "complianceState desc, resourceId asc",
				      "ResourceId", &err), STATES_SHAPE_OK);
	assert_string_equal(str_at(items, 0, "resourceId"), "/s/a"); /* NonCompliant a, b, c */
	assert_string_equal(str_at(items, 2, "resourceId"), "/s/c");
	row = json_array_get(items, 0);
	assert_int_equal(json_object_size(row), 2); /* @odata.id and resourceId */
	assert_null(json_object_get(row, "complianceState"));
	json_decref(items);
	strbuf_release(&err);
}

static void test_refusals_leave_the_result(void **state)
{
	static const struct {
		const char *apply, *orderby, *select;
		enum states_shape_result want;
	} bad[] = {
		{ "filter(ComplianceState eq 'NonCompliant')", NULL, NULL, STATES_SHAPE_BAD_APPLY },
		{ "aggregate($count as N)/groupby((ResourceId))", NULL, NULL, STATES_SHAPE_BAD_APPLY },
		{ "groupby((ResourceId), aggregate(ResourceId with sum as S))", NULL, NULL,
		  STATES_SHAPE_BAD_APPLY },
		{ "groupby((NoSuchColumn))", NULL, NULL, STATES_SHAPE_BAD_APPLY },
		{ "groupby((ResourceId)", NULL, NULL, STATES_SHAPE_BAD_APPLY },
		{ NULL, "ResourceId sideways", NULL, STATES_SHAPE_BAD_ORDERBY },
		{ NULL, "", NULL, STATES_SHAPE_BAD_ORDERBY },
		{ "groupby((ResourceId))", "ComplianceState", NULL, STATES_SHAPE_BAD_ORDERBY },
		{ NULL, NULL, "ResourceId,", STATES_SHAPE_BAD_SELECT },
		{ NULL, NULL, "Nope", STATES_SHAPE_BAD_SELECT },
		{ "groupby((ResourceId))", NULL, "ResourceId", STATES_SHAPE_BAD_SELECT },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		json_t *items = records(), *before = items;
		assert_int_equal(states_shape(&items, bad[i].apply, bad[i].orderby, bad[i].select, &err),
				 bad[i].want);
		assert_ptr_equal(items, before);
		assert_int_equal(json_array_size(items), 5);
		assert_true(err.len > 0);
		assert_non_null(states_shape_code(bad[i].want));
		json_decref(items);
		strbuf_release(&err);
	}
	assert_string_equal(states_shape_code(STATES_SHAPE_BAD_APPLY), "InvalidApplyInQueryString");
	assert_null(states_shape_code(STATES_SHAPE_OK));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groupby_counts),
		cmocka_unit_test(test_orderby_and_select),
		cmocka_unit_test(test_refusals_leave_the_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
