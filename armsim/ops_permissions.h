/*
 * ops_permissions — Microsoft.Authorization/permissions: what the caller may do at a scope.
 *
 * GET {scope}/providers/Microsoft.Authorization/permissions answers, for any scope armsim knows
 * (tenant root, management group, subscription, resource group, resource), one entry per role
 * assignment of the caller at that scope or above it: the assigned built-in role's actions and
 * notActions (dataActions empty: armsim has no data plane), as Azure's
 * Permissions_ListForResourceGroup does. Any signed-in caller may ask about itself.
 */
#ifndef ARMSIM_OPS_PERMISSIONS_H
#define ARMSIM_OPS_PERMISSIONS_H
#include "armsim/routes.h"

route_fn ops_permissions_list;
#endif
