/*
 * ops_roles — role definitions (built-in, read-only) and role assignments at any scope.
 *
 * A role assignment for a principal that has not replicated yet (a policy assignment's new
 * identity, for the world's replication delay) gets 400 PrincipalNotFound, as in the recorded
 * traffic; so does an unknown principal, forever. With principalType set and the
 * principalTypeSkipsReplication knob on (default), a known principal is accepted at once, as
 * Microsoft documents. A second assignment of the same role to the same principal at the same
 * scope is 409 RoleAssignmentExists.
 */
#ifndef ARMSIM_OPS_ROLES_H
#define ARMSIM_OPS_ROLES_H
#include "armsim/routes.h"

route_fn ops_role_definition_list, ops_role_definition_get;
route_fn ops_role_assignment_list, ops_role_assignment_get, ops_role_assignment_put;
route_fn ops_role_assignment_delete;
#endif
