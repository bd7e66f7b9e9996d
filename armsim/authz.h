/*
 * authz — who may do what where: Azure RBAC over the world's role assignments.
 *
 * A principal may perform an action at a scope when one of its role assignments is at that
 * scope or above it (resource group, subscription, any management group up to the tenant root,
 * or "/") and the assigned built-in role allows the action. Reading tenant-level
 * Microsoft.Authorization resources (built-in policy definitions) needs no role, as in Azure.
 */
#ifndef ARMSIM_AUTHZ_H
#define ARMSIM_AUTHZ_H

struct world;

/* Whether principal object_id may perform action (e.g. "Microsoft.Web/sites/write") at scope. */
int authz_allowed(const struct world *w, const char *object_id, const char *scope,
		  const char *action);
/*
 * Whether a token audience is one ARM accepts: https://management.azure.com/ (or
 * management.core.windows.net), or armsim's own base URL, each with or without trailing slash.
 */
int authz_audience_ok(const char *aud, const char *base_url);
/* The same test for a requested resource or scope ("<resource>/.default" accepted too). */
int authz_resource_ok(const char *resource, const char *base_url);
#endif
