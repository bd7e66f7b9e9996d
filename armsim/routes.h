/*
 * routes — the one table that maps requests to handlers.
 *
 * A row is: method, path pattern, api-version family, the RBAC action the caller needs at the
 * request's path, flags, an operation name (for stats) and the handler. The policy engine's
 * operations (policyStates, remediations) are rows here like every other.
 *
 * Patterns are '/'-separated segments compared case-insensitively, as ARM compares ids:
 *   literal      matches itself
 *   {name}       matches one segment, captured as parameter "name"
 *   {name*}      matches zero or more whole segments (a scope), captured with leading '/'
 *                ("" when empty) — e.g. "{scope*}/providers/Microsoft.Authorization/policyDefinitions/{name}"
 * The first row whose pattern and method match wins; a path that matches some row but not its
 * method gets 405 with ARM's error body, a path matching none 404 InvalidResourceType... see
 * routes.c.
 */
#ifndef ARMSIM_ROUTES_H
#define ARMSIM_ROUTES_H
#include "armsim/http.h"

/* The api-versions each resource provider accepts (lists in routes.c). */
enum api_family {
	API_NONE = 0,         /* no api-version required (Entra ID, introspection) */
	API_POLICY,           /* policy definitions, set definitions, assignments */
	API_EXEMPTION,
	API_ROLE_DEFINITION,
	API_ROLE_ASSIGNMENT,
	API_SUBSCRIPTION,
	API_MANAGEMENT_GROUP,
	API_RESOURCE_GROUP,
	API_POLICY_STATES,
	API_REMEDIATION,
	API_WEB,
	API_MSI,              /* the App Service managed-identity endpoint */
	API_RESOURCE_GRAPH,   /* Microsoft.ResourceGraph/resources */
	API__COUNT
};

enum route_flags {
	ROUTE_OPEN = 1 << 0,       /* no bearer token needed (token endpoints, introspection) */
	ROUTE_WRITE = 1 << 1,      /* takes the world's write lock */
	ROUTE_NO_THROTTLE = 1 << 2,/* not counted against the token buckets */
	ROUTE_NO_FAULTS = 1 << 3,  /* never gets an injected fault */
	ROUTE_LOOPBACK = 1 << 4,   /* only from 127.0.0.1 / ::1 */
};

/* Fills resp; the dispatcher has authenticated, authorised, throttled and locked already. */
typedef void route_fn(struct armsim_request *req, struct armsim_response *resp);

/* RBAC action classes for throttling: which bucket a request draws from. */
enum route_class { CLASS_READ, CLASS_WRITE, CLASS_DELETE };

struct route {
	const char *method;
	const char *pattern;
	enum api_family api;
	const char *action;      /* e.g. "Microsoft.Web/sites/write"; NULL = any authenticated */
	unsigned flags;          /* enum route_flags */
	const char *name;        /* operation name, e.g. "Sites_Get" */
	route_fn *handler;
};

enum route_match_result {
	ROUTE_MATCHED = 0,
	ROUTE_NO_PATH,           /* no pattern matches the path */
	ROUTE_WRONG_METHOD,      /* a pattern matches, not with this method */
};

/*
 * Finds the route for method + path and captures its parameters into req (param_* fields,
 * values owned by req until armsim_request_params_release). *route is borrowed from the table.
 */
enum route_match_result route_find(const char *method, const char *path,
				   struct armsim_request *req, const struct route **route);
/* Frees the captured path parameters (http.c). */
void armsim_request_params_release(struct armsim_request *req);

/* Whether version is accepted by the family; the list is comma-joined into supported. */
int route_api_version_ok(enum api_family api, const char *version, const char **supported);
/* The throttling class of a request method. */
enum route_class route_class_of(const char *method);

/* The whole table (for docs and tests). */
const struct route *route_table(size_t *nr);
#endif
