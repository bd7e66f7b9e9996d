/*
 * states_shape — the OData query options of policyStates queryResults that reshape a result:
 * $apply (groupby and aggregate($count as …)), $orderby and $select, over the records as
 * ops_policy_states builds them (JSON objects with camelCase keys; options name the columns
 * in any case, "PolicyAssignmentId" reads "policyAssignmentId").
 *
 * Supported, as the policyStates API defines them:
 *   $apply   = groupby((Col[, Col…]))
 *            | groupby((Col[, Col…]), aggregate($count as Name))
 *            | aggregate($count as Name)
 *   $orderby = Col [asc|desc][, …]      (desc is the default, as the API documents)
 *   $select  = Col[, Col…]
 * Anything else (filter() or compute() inside $apply, other aggregations, unknown columns) is
 * refused with 400, never answered in a shape the API does not have.
 */
#ifndef ARMSIM_STATES_SHAPE_H
#define ARMSIM_STATES_SHAPE_H

#include <jansson.h>

#include "lib/strbuf.h"

enum states_shape_result {
	STATES_SHAPE_OK = 0,
	STATES_SHAPE_BAD_APPLY,    /* 400 InvalidApplyInQueryString */
	STATES_SHAPE_BAD_ORDERBY,  /* 400 InvalidOrderByInQueryString */
	STATES_SHAPE_BAD_SELECT,   /* 400 InvalidSelectInQueryString */
};

/*
 * Applies $apply, then $orderby, then $select (each may be NULL) to *items (an array of
 * record objects). On success *items may be replaced by a new array (the old reference is
 * released). On failure *items is unchanged and err says what was not understood.
 */
enum states_shape_result states_shape(json_t **items, const char *apply, const char *orderby,
				      const char *select, struct strbuf *err);

/* The error code of a result ("InvalidApplyInQueryString", …); NULL for STATES_SHAPE_OK. */
const char *states_shape_code(enum states_shape_result r);

#endif
