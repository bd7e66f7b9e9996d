/*
 * ops_providers — resource provider registration (see ops_providers.h).
 *
 * The namespaces and resource types below are the ones armsim serves; a namespace it does not
 * know is 404 InvalidResourceNamespace, as Azure answers for a misspelt one.
 */
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/authz.h"
#include "armsim/ops_providers.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct namespace_info {
	const char *name;
	const char *policy;               /* registrationPolicy */
	const char *const *types;         /* resource types, NULL-terminated */
	const char *api_versions;         /* comma-separated, newest first */
};

static const char *const authz_types[] = { "policyDefinitions", "policySetDefinitions",
	"policyAssignments", "policyExemptions", "roleAssignments", "roleDefinitions",
	"permissions", NULL };
static const char *const insights_types[] = { "policyStates", "remediations",
	"asyncOperationResults", "operations", NULL };
static const char *const web_types[] = { "sites", "sites/slots", "serverFarms", NULL };
static const char *const resources_types[] = { "resourceGroups", "subscriptions", "providers",
	"deployments", NULL };
static const char *const identity_types[] = { "userAssignedIdentities", "identities", NULL };
static const char *const graph_types[] = { "resources", NULL };
static const char *const mg_types[] = { "managementGroups", NULL };

static const struct namespace_info namespaces[] = {
	{ "Microsoft.Authorization", "RegistrationFree", authz_types, "2025-03-01,2022-04-01" },
	{ "Microsoft.Management", "RegistrationFree", mg_types, "2023-04-01,2021-04-01" },
	{ "Microsoft.ManagedIdentity", "RegistrationRequired", identity_types, "2023-01-31" },
	{ "Microsoft.PolicyInsights", "RegistrationRequired", insights_types,
	  "2024-10-01,2021-10-01,2019-10-01" },
	{ "Microsoft.ResourceGraph", "RegistrationRequired", graph_types, "2022-10-01,2021-03-01" },
	{ "Microsoft.Resources", "RegistrationFree", resources_types, "2022-09-01,2021-04-01" },
	{ "Microsoft.Web", "RegistrationRequired", web_types, "2024-11-01,2022-03-01" },
};

static const struct namespace_info *namespace_find(const char *name)
{
	size_t i;
	for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		if (!strcasecmp(namespaces[i].name, name))
			return &namespaces[i];
	return NULL;
}

static void provider_id(struct strbuf *id, const char *sub, const char *ns)
{
	strbuf_addf(id, "/subscriptions/%s/providers/%s", sub, ns);
}

const char *ops_provider_state(const struct world *w, const char *sub, const char *ns)
{
	struct strbuf id = STRBUF_INIT;
	const struct world_resource *r;
	const char *state;
	provider_id(&id, sub, ns);
	r = world_resource_get(w, id.buf);
	strbuf_release(&id);
	if (!r)
		return "Registered";
	state = json_string_value(json_object_get(r->body, "registrationState"));
	if (!state || !strcasecmp(state, "Registered"))
		return "Registered";
	if (!strcasecmp(state, "Registering"))
		return simclock_now_ms() >= r->changed_ms + w->knobs.provider_registration_ms
			? "Registered" : "Registering";
	if (!strcasecmp(state, "Unregistered"))
		return "Unregistered";
	return "NotRegistered";
}

static json_t *provider_json(const struct world *w, const char *sub,
			     const struct namespace_info *ns)
{
	struct strbuf id = STRBUF_INIT;
	json_t *types = json_array(), *body;
	size_t i;
	for (i = 0; ns->types[i]; i++) {
		json_t *versions = json_array();
		struct strbuf v = STRBUF_INIT;
		const char *p = ns->api_versions;
		while (*p) {
			size_t n = strcspn(p, ",");
			strbuf_reset(&v);
			strbuf_add(&v, p, n);
			json_array_append_new(versions, json_string(v.buf));
			p += n + (p[n] == ',');
		}
		strbuf_release(&v);
		json_array_append_new(types, json_pack("{s:s, s:[], s:o, s:s}", "resourceType",
						       ns->types[i], "locations", "apiVersions",
						       versions, "capabilities", "None"));
	}
	provider_id(&id, sub, ns->name);
	body = json_pack("{s:s, s:s, s:o, s:s, s:s}", "id", id.buf, "namespace", ns->name,
			 "resourceTypes", types, "registrationState",
			 ops_provider_state(w, sub, ns->name), "registrationPolicy", ns->policy);
	strbuf_release(&id);
	return body;
}

/* The namespace named by the route, or a 404 in resp. */
static const struct namespace_info *route_namespace(struct armsim_request *req,
						    struct armsim_response *resp)
{
	const char *name = armsim_request_param(req, "namespace");
	const struct namespace_info *ns = name ? namespace_find(name) : NULL;
	if (!ns)
		armsim_response_error(resp, 404, "InvalidResourceNamespace",
				      "The resource namespace '%s' is invalid.", name ? name : "");
	return ns;
}

void ops_provider_list(struct armsim_request *req, struct armsim_response *resp)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	json_t *items = json_array();
	size_t i;
	for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		json_array_append_new(items, provider_json(req->world, sub, &namespaces[i]));
	armsim_respond_page(req, resp, items, "nextLink");
}

void ops_provider_get(struct armsim_request *req, struct armsim_response *resp)
{
	const struct namespace_info *ns = route_namespace(req, resp);
	if (ns)
		armsim_response_json(resp, 200, provider_json(req->world,
				     armsim_request_param(req, "subscriptionId"), ns));
}

/* Stores state for the namespace (world write lock held: a ROUTE_WRITE row). */
static void set_state(struct armsim_request *req, const struct namespace_info *ns,
		      const char *state)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	struct strbuf id = STRBUF_INIT, scope = STRBUF_INIT;
	provider_id(&id, sub, ns->name);
	strbuf_addf(&scope, "/subscriptions/%s", sub);
	world_resource_put(req->world, id.buf, WT_PROVIDER, scope.buf,
			   json_pack("{s:s, s:s, s:s, s:s}", "id", id.buf, "type", WT_PROVIDER,
				     "namespace", ns->name, "registrationState", state), NULL);
	strbuf_release(&id);
	strbuf_release(&scope);
}

/* Registering needs {namespace}/register/action at the subscription. */
static int may_register(struct armsim_request *req, struct armsim_response *resp,
			const struct namespace_info *ns, const char *verb)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	struct strbuf action = STRBUF_INIT, scope = STRBUF_INIT;
	int ok;
	strbuf_addf(&action, "%s/%s/action", ns->name, verb);
	strbuf_addf(&scope, "/subscriptions/%s", sub);
	ok = authz_allowed(req->world, req->caller->object_id, scope.buf, action.buf);
	if (!ok)
		armsim_response_error(resp, 403, "AuthorizationFailed",
				      "The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
				      req->caller->object_id, req->caller->object_id, action.buf,
				      scope.buf);
	strbuf_release(&action);
	strbuf_release(&scope);
	return ok ? 0 : -1;
}

void ops_provider_register(struct armsim_request *req, struct armsim_response *resp)
{
	const struct namespace_info *ns = route_namespace(req, resp);
	const char *sub = armsim_request_param(req, "subscriptionId");
	if (!ns || may_register(req, resp, ns, "register"))
		return;
	/* registering a Registered namespace changes nothing */
	if (strcmp(ops_provider_state(req->world, sub, ns->name), "Registered"))
		set_state(req, ns, "Registering");
	armsim_response_json(resp, 200, provider_json(req->world, sub, ns));
}

void ops_provider_unregister(struct armsim_request *req, struct armsim_response *resp)
{
	const struct namespace_info *ns = route_namespace(req, resp);
	if (!ns || may_register(req, resp, ns, "unregister"))
		return;
	set_state(req, ns, "Unregistered");
	armsim_response_json(resp, 200, provider_json(req->world,
			     armsim_request_param(req, "subscriptionId"), ns));
}

int ops_providers_guard(struct armsim_request *req, struct armsim_response *resp)
{
	const char *path = req->path, *p, *last = NULL, *rest;
	char sub[64], ns[128];
	size_t n;
	json_t *err, *detail;
	struct strbuf message = STRBUF_INIT;

	if (strncasecmp(path, "/subscriptions/", 15))
		return 0;
	n = strcspn(path + 15, "/");
	if (!n || n >= sizeof(sub))
		return 0;
	memcpy(sub, path + 15, n);
	sub[n] = '\0';
	for (p = path; (p = strcase_find(p, "/providers/")); p += 11)
		last = p + 11;
	if (!last)
		return 0;
	n = strcspn(last, "/");
	if (!n || n >= sizeof(ns))
		return 0;
	memcpy(ns, last, n);
	ns[n] = '\0';
	rest = last + n;
	/* the provider itself: /subscriptions/{id}/providers/{ns}[/register|/unregister] */
	if (last == path + 15 + strlen(sub) + 11 &&
	    (!*rest || !strcasecmp(rest, "/register") || !strcasecmp(rest, "/unregister")))
		return 0;
	if (!namespace_find(ns) || !strcmp(ops_provider_state(req->world, sub, ns), "Registered"))
		return 0;
	strbuf_addf(&message, "The subscription is not registered to use namespace '%s'. See "
		    "https://aka.ms/rps-not-found for how to register subscriptions.",
		    namespace_find(ns)->name);
	err = armsim_response_error(resp, 409, "MissingSubscriptionRegistration", "%s", message.buf);
	detail = json_pack("{s:s, s:s, s:s}", "code", "MissingSubscriptionRegistration", "target",
			   namespace_find(ns)->name, "message", message.buf);
	json_object_set_new(err, "details", json_pack("[o]", detail));
	strbuf_release(&message);
	return -1;
}
