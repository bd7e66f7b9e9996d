/*
 * ops_resources — ARM containers and App Service sites (see ops_resources.h).
 *
 * A site is stored compactly: kind, location, tags and only the properties someone set. GET
 * shows them over App Service's defaults (state, host names, siteConfig, ...) so responses have
 * the shape of the real service while a world of 50,000 sites stays small in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/authz.h"
#include "armsim/ops_resources.h"
#include "armsim/simclock.h"
#include "armsim/web_rules.h"
#include "armsim/world.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"


/* ---- management groups ------------------------------------------------------------------ */

static json_t *mg_ref(const struct world *w, const char *name)
{
	const struct world_mg *mg = world_mg_get(w, name);
	struct strbuf id = STRBUF_INIT;
	json_t *j;
	strbuf_addf(&id, WORLD_MG_PREFIX "%s", name);
	j = json_pack("{s:s, s:s, s:s}", "id", id.buf, "name", name, "displayName",
		      mg ? mg->display_name : name);
	strbuf_release(&id);
	return j;
}

static json_t *mg_children(const struct world *w, const char *name, int recurse)
{
	json_t *children = json_array();
	size_t i;
	for (i = 1; i < w->nr_mgs; i++) {
		const struct world_mg *c = w->mgs[i];
		json_t *child;
		if (strcasecmp(c->parent, name))
			continue;
		child = mg_ref(w, c->name);
		json_object_set_new(child, "type", json_string("Microsoft.Management/managementGroups"));
		if (recurse)
			json_object_set_new(child, "children", mg_children(w, c->name, 1));
		json_array_append_new(children, child);
	}
	for (i = 0; i < w->nr_subs; i++) {
		const struct world_subscription *s = w->subs[i];
		struct strbuf id = STRBUF_INIT;
		if (strcasecmp(s->mg, name))
			continue;
		strbuf_addf(&id, "/subscriptions/%s", s->id);
		json_array_append_new(children, json_pack("{s:s, s:s, s:s, s:s}", "type",
							  "/subscriptions", "id", id.buf, "name",
							  s->id, "displayName", s->display_name));
		strbuf_release(&id);
	}
	return children;
}

static json_t *mg_body(const struct world *w, const struct world_mg *mg, int expand, int recurse)
{
	struct strbuf id = STRBUF_INIT;
	char now[40];
	json_t *props, *body;
	armsim_now_iso(now);
	strbuf_addf(&id, WORLD_MG_PREFIX "%s", mg->name);
	props = json_pack("{s:s, s:s, s:{s:i, s:s, s:s, s:o}}", "tenantId", w->tenant_id,
			  "displayName", mg->display_name, "details", "version", 1, "updatedTime",
			  now, "updatedBy", "armsim", "parent",
			  mg->parent ? mg_ref(w, mg->parent) : json_null());
	if (expand)
		json_object_set_new(props, "children", mg_children(w, mg->name, recurse));
	body = json_pack("{s:s, s:s, s:s, s:o}", "id", id.buf, "type",
			 "Microsoft.Management/managementGroups", "name", mg->name, "properties", props);
	strbuf_release(&id);
	return body;
}

void ops_mg_list(struct armsim_request *req, struct armsim_response *resp)
{
	struct armsim_page page;
	json_t *items;
	size_t i, total = 0;
	if (armsim_page_window(req, resp, &page))
		return;
	items = json_array();
	for (i = 0; i < req->world->nr_mgs; i++) {
		struct strbuf id = STRBUF_INIT;
		strbuf_addf(&id, WORLD_MG_PREFIX "%s", req->world->mgs[i]->name);
		if (authz_allowed(req->world, req->caller->object_id, id.buf,
				  "Microsoft.Management/managementGroups/read") &&
		    armsim_page_has(&page, total++))
			json_array_append_new(items, json_pack(
				"{s:s, s:s, s:s, s:{s:s, s:s}}", "id", id.buf, "type",
				"Microsoft.Management/managementGroups", "name",
				req->world->mgs[i]->name, "properties", "tenantId",
				req->world->tenant_id, "displayName", req->world->mgs[i]->display_name));
		strbuf_release(&id);
	}
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
}

static const struct world_mg *find_mg(struct armsim_request *req, struct armsim_response *resp)
{
	const char *name = armsim_request_param(req, "groupId");
	const struct world_mg *mg = world_mg_get(req->world, name);
	if (!mg)
		armsim_response_error(resp, 404, "NotFound",
				      "'%s' not found. The management group was not found or you do not have access to it.",
				      name);
	return mg;
}

void ops_mg_get(struct armsim_request *req, struct armsim_response *resp)
{
	const struct world_mg *mg = find_mg(req, resp);
	const char *expand = armsim_request_query(req, "$expand");
	const char *recurse = armsim_request_query(req, "$recurse");
	int want_children = expand && strstr(expand, "children");
	if (!mg)
		return;
	if (recurse && !strcasecmp(recurse, "true") && !want_children) {
		armsim_response_error(resp, 400, "BadRequest",
				      "$recurse=true requires $expand=children.");
		return;
	}
	armsim_response_json(resp, 200, mg_body(req->world, mg, want_children,
						 recurse && !strcasecmp(recurse, "true")));
}

static void add_descendants(const struct world *w, const char *name, json_t *out)
{
	size_t i;
	struct strbuf parent = STRBUF_INIT;
	strbuf_addf(&parent, WORLD_MG_PREFIX "%s", name);
	for (i = 1; i < w->nr_mgs; i++) {
		const struct world_mg *c = w->mgs[i];
		struct strbuf id = STRBUF_INIT;
		if (strcasecmp(c->parent, name))
			continue;
		strbuf_addf(&id, WORLD_MG_PREFIX "%s", c->name);
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:{s:s, s:{s:s}}}", "id", id.buf,
						     "type", "Microsoft.Management/managementGroups",
						     "name", c->name, "properties", "displayName",
						     c->display_name, "parent", "id", parent.buf));
		strbuf_release(&id);
		add_descendants(w, c->name, out);
	}
	for (i = 0; i < w->nr_subs; i++) {
		const struct world_subscription *s = w->subs[i];
		struct strbuf id = STRBUF_INIT;
		if (strcasecmp(s->mg, name))
			continue;
		strbuf_addf(&id, "/subscriptions/%s", s->id);
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:{s:s, s:{s:s}}}", "id", id.buf,
						     "type",
						     "Microsoft.Management/managementGroups/subscriptions",
						     "name", s->id, "properties", "displayName",
						     s->display_name, "parent", "id", parent.buf));
		strbuf_release(&id);
	}
	strbuf_release(&parent);
}

void ops_mg_descendants(struct armsim_request *req, struct armsim_response *resp)
{
	const struct world_mg *mg = find_mg(req, resp);
	json_t *items;
	if (!mg)
		return;
	items = json_array();
	add_descendants(req->world, mg->name, items);
	armsim_respond_page(req, resp, items, "nextLink");
	/* the service sends an explicit null on the last page */
	if (resp->status == 200 && !json_object_get(resp->body, "nextLink"))
		json_object_set_new(resp->body, "nextLink", json_null());
}

/* ---- subscriptions ------------------------------------------------------------------------ */

static json_t *sub_body(const struct world *w, const struct world_subscription *s)
{
	struct strbuf id = STRBUF_INIT;
	json_t *j;
	strbuf_addf(&id, "/subscriptions/%s", s->id);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:{s:s, s:s, s:s}}", "id", id.buf,
		      "authorizationSource", "RoleBased", "subscriptionId", s->id, "tenantId",
		      w->tenant_id, "displayName", s->display_name, "state", s->state,
		      "managedByTenants", "subscriptionPolicies", "locationPlacementId",
		      "Public_2014-09-01", "quotaId", "PayAsYouGo_2014-09-01", "spendingLimit", "Off");
	strbuf_release(&id);
	return j;
}

void ops_sub_list(struct armsim_request *req, struct armsim_response *resp)
{
	struct armsim_page page;
	json_t *items;
	size_t i, total = 0;
	if (armsim_page_window(req, resp, &page))
		return;
	items = json_array();
	for (i = 0; i < req->world->nr_subs; i++) {
		struct strbuf id = STRBUF_INIT;
		strbuf_addf(&id, "/subscriptions/%s", req->world->subs[i]->id);
		if (authz_allowed(req->world, req->caller->object_id, id.buf,
				  "Microsoft.Resources/subscriptions/read") &&
		    armsim_page_has(&page, total++))
			json_array_append_new(items, sub_body(req->world, req->world->subs[i]));
		strbuf_release(&id);
	}
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
}

void ops_sub_get(struct armsim_request *req, struct armsim_response *resp)
{
	const char *id = armsim_request_param(req, "subscriptionId");
	const struct world_subscription *s = world_subscription_get(req->world, id);
	if (!s) {
		armsim_response_error(resp, 404, "SubscriptionNotFound",
				      "The subscription '%s' could not be found.", id);
		return;
	}
	armsim_response_json(resp, 200, sub_body(req->world, s));
}

void ops_operation_result(struct armsim_request *req, struct armsim_response *resp)
{
	/* deletes finish at once in armsim: the operation is always done */
	(void)req;
	armsim_response_json(resp, 200, NULL);
}

/* ---- resource groups ----------------------------------------------------------------------- */

static int check_sub(struct armsim_request *req, struct armsim_response *resp, struct strbuf *scope)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	if (!world_subscription_get(req->world, sub)) {
		armsim_response_error(resp, 404, "SubscriptionNotFound",
				      "The subscription '%s' could not be found.", sub);
		return -1;
	}
	strbuf_addf(scope, "/subscriptions/%s", world_subscription_get(req->world, sub)->id);
	return 0;
}

void ops_rg_list(struct armsim_request *req, struct armsim_response *resp)
{
	struct strbuf scope = STRBUF_INIT;
	const struct world_list *l;
	struct armsim_page page;
	json_t *items;
	size_t i;
	if (check_sub(req, resp, &scope) || armsim_page_window(req, resp, &page))
		goto out;
	l = world_resource_list(req->world, scope.buf, WT_RESOURCE_GROUP);
	items = json_array();
	for (i = 0; i < l->nr; i++)
		if (armsim_page_has(&page, i))
			json_array_append(items, l->items[i]->body);
	armsim_respond_window(req, resp, &page, items, l->nr, "nextLink");
out:
	strbuf_release(&scope);
}

static struct world_resource *find_rg(struct armsim_request *req, struct armsim_response *resp)
{
	struct strbuf scope = STRBUF_INIT;
	struct world_resource *rg = NULL;
	if (check_sub(req, resp, &scope))
		goto out;
	strbuf_addf(&scope, "/resourceGroups/%s", armsim_request_param(req, "resourceGroupName"));
	rg = world_resource_get(req->world, scope.buf);
	if (!rg)
		armsim_response_error(resp, 404, "ResourceGroupNotFound",
				      "Resource group '%s' could not be found.",
				      armsim_request_param(req, "resourceGroupName"));
out:
	strbuf_release(&scope);
	return rg;
}

void ops_rg_get(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *rg = find_rg(req, resp);
	if (rg)
		armsim_response_json(resp, 200, json_incref(rg->body));
}

/* ResourceGroups_CheckExistence: 204 when the group exists, 404 when not; no body either way. */
void ops_rg_head(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *rg = find_rg(req, resp);
	if (rg || resp->status == 404)
		armsim_response_json(resp, rg ? 204 : 404, NULL);
}

void ops_rg_put(struct armsim_request *req, struct armsim_response *resp)
{
	struct strbuf scope = STRBUF_INIT, id = STRBUF_INIT;
	const char *name = armsim_request_param(req, "resourceGroupName");
	const char *location = json_string_value(json_object_get(req->body, "location"));
	json_t *tags = json_object_get(req->body, "tags");
	struct world_resource *existing, *r;
	int created;
	if (check_sub(req, resp, &scope))
		goto out;
	if (!json_is_object(req->body)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized.");
		goto out;
	}
	if (!location || !*location) {
		armsim_response_error(resp, 400, "LocationRequired",
				      "The location property is required for this definition.");
		goto out;
	}
	if (strlen(name) > 90 || strpbrk(name, "<>%&:\\?/*+ ")) {
		armsim_response_error(resp, 400, "InvalidResourceGroupName",
				      "The resource group name '%s' is invalid.", name);
		goto out;
	}
	strbuf_addf(&id, "%s/resourceGroups/%s", scope.buf, name);
	existing = world_resource_get(req->world, id.buf);
	if (existing && strcasecmp(location,
				   json_string_value(json_object_get(existing->body, "location")))) {
		armsim_response_error(resp, 409, "InvalidResourceGroupLocation",
				      "Invalid resource group location '%s'. The Resource group already exists in location '%s'.",
				      location, json_string_value(json_object_get(existing->body, "location")));
		goto out;
	}
	r = world_resource_put(req->world, existing ? existing->id : id.buf, WT_RESOURCE_GROUP,
			       scope.buf,
			       json_pack("{s:s, s:s, s:s, s:s, s:O, s:{s:s}}", "id",
					 existing ? existing->id : id.buf, "name",
					 existing ? strrchr(existing->id, '/') + 1 : name, "type",
					 WT_RESOURCE_GROUP, "location", location, "tags",
					 json_is_object(tags) ? tags : json_object(), "properties",
					 "provisioningState", "Succeeded"),
			       &created);
	if (!json_is_object(tags))
		json_decref(json_object_get(r->body, "tags"));
	armsim_response_json(resp, created ? 201 : 200, json_incref(r->body));
out:
	strbuf_release(&scope);
	strbuf_release(&id);
}

void ops_rg_delete(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *rg;
	struct strbuf loc = STRBUF_INIT;
	const struct world_list *sites;
	size_t i;
	rg = find_rg(req, resp);
	if (!rg)
		return;
	sites = world_resource_list(req->world, rg->id, WT_SITE);
	for (i = 0; i < sites->nr; i++)
		if (sites->items[i]->locked) {
			armsim_response_error(resp, 409, "ScopeLocked",
					      "The scope '%s' cannot perform delete operation because following scope(s) are locked: '%s'. Please remove the lock and try again.",
					      rg->id, sites->items[i]->id);
			return;
		}
	strbuf_addf(&loc, "%s/subscriptions/%s/operationresults/armsim-delete?api-version=%s",
		    req->base_url, armsim_request_param(req, "subscriptionId"), req->api_version);
	world_resource_delete(req->world, rg->id);
	armsim_response_json(resp, 202, NULL);
	armsim_response_header(resp, "Location", loc.buf);
	armsim_response_header(resp, "Retry-After", "0");
	strbuf_release(&loc);
}

/* ---- sites and slots ---------------------------------------------------------------------- */

/* App Service's read-only and default properties, shown under what a site has set. */
static const char site_defaults_text[] =
	"{\"state\":\"Running\",\"hostNames\":[],\"repositorySiteName\":\"\",\"usageState\":\"Normal\","
	"\"enabled\":true,\"enabledHostNames\":[],\"availabilityState\":\"Normal\","
	"\"hostNameSslStates\":[],\"serverFarmId\":\"\",\"reserved\":false,\"isXenon\":false,"
	"\"hyperV\":false,\"lastModifiedTimeUtc\":\"\",\"vnetRouteAllEnabled\":false,"
	"\"vnetImagePullEnabled\":false,\"vnetContentShareEnabled\":false,"
	"\"siteConfig\":{\"numberOfWorkers\":1,\"defaultDocuments\":[\"Default.htm\",\"index.html\"],"
	"\"netFrameworkVersion\":\"v4.0\",\"phpVersion\":\"\",\"pythonVersion\":\"\",\"nodeVersion\":\"\","
	"\"powerShellVersion\":\"\",\"linuxFxVersion\":\"\",\"requestTracingEnabled\":false,"
	"\"remoteDebuggingEnabled\":false,\"httpLoggingEnabled\":false,"
	"\"acrUseManagedIdentityCreds\":false,\"logsDirectorySizeLimit\":35,"
	"\"detailedErrorLoggingEnabled\":false,\"use32BitWorkerProcess\":true,"
	"\"webSocketsEnabled\":false,\"alwaysOn\":false,\"appCommandLine\":\"\","
	"\"managedPipelineMode\":\"Integrated\",\"virtualApplications\":[{\"virtualPath\":\"/\","
	"\"physicalPath\":\"site\\\\wwwroot\",\"preloadEnabled\":false}],"
	"\"loadBalancing\":\"LeastRequests\",\"autoHealEnabled\":false,\"vnetName\":\"\","
	"\"vnetRouteAllEnabled\":false,\"vnetPrivatePortsCount\":0,\"http20Enabled\":false,"
	"\"minTlsVersion\":\"1.2\",\"scmMinTlsVersion\":\"1.2\",\"ftpsState\":\"AllAllowed\","
	"\"functionAppScaleLimit\":0,\"functionsRuntimeScaleMonitoringEnabled\":false,"
	"\"minimumElasticInstanceCount\":0,\"azureStorageAccounts\":{}},"
	"\"scmSiteAlsoStopped\":false,\"clientAffinityEnabled\":true,\"clientCertEnabled\":false,"
	"\"clientCertMode\":\"Required\",\"hostNamesDisabled\":false,"
	"\"customDomainVerificationId\":\"0000000000000000000000000000000000000000000000000000000000000000\","
	"\"outboundIpAddresses\":\"127.0.0.1\",\"possibleOutboundIpAddresses\":\"127.0.0.1\","
	"\"containerSize\":0,\"dailyMemoryTimeQuota\":0,\"resourceGroup\":\"\","
	"\"defaultHostName\":\"\",\"httpsOnly\":false,\"redundancyMode\":\"None\","
	"\"storageAccountRequired\":false,\"keyVaultReferenceIdentity\":\"SystemAssigned\","
	"\"publicNetworkAccess\":\"Enabled\",\"workloadProfileName\":\"\","
	"\"resourceConfig\":{\"cpu\":1.0,\"memory\":\"2.0Gi\"},"
	/* the rest of what a GET of a real site carries (az webapp show), unset or defaulted */
	"\"clientCertExclusionPaths\":null,\"sku\":\"Standard\",\"dnsConfiguration\":{},"
	"\"vnetBackupRestoreEnabled\":false,\"functionAppConfig\":null,\"daprConfig\":null,"
	"\"trafficManagerHostNames\":null,\"targetSwapSlot\":null,"
	"\"hostingEnvironmentProfile\":null,\"ipMode\":\"IPv4\","
	"\"endToEndEncryptionEnabled\":false,\"suspendedTill\":null,\"maxNumberOfWorkers\":null,"
	"\"cloningInfo\":null,\"isDefaultContainer\":null,\"slotSwapStatus\":null,"
	"\"inProgressOperationId\":null,\"autoGeneratedDomainNameLabelScope\":null,"
	"\"virtualNetworkSubnetId\":null,\"managedEnvironmentId\":null,"
	"\"outboundVnetRouting\":null,\"sshEnabled\":null,\"elasticWebAppScaleLimit\":null,"
	"\"privateEndpointConnections\":[],\"hostNamePrivateStates\":[],\"csrs\":[],"
	"\"sslCertificates\":null,\"inboundIpAddress\":\"127.0.0.1\","
	"\"runtimeAvailabilityState\":\"Normal\",\"contentAvailabilityState\":\"Normal\","
	"\"siteDisabledReason\":0,\"storageRecoveryDefaultState\":\"Running\","
	"\"computeMode\":null,\"siteMode\":null,\"owner\":null,\"adminEnabled\":true,"
	"\"afdEnabled\":false,\"azureStorageAccounts\":{},\"geoDistributions\":null,"
	"\"functionExecutionUnitsCache\":null,\"buildVersion\":null,\"migrationState\":null,"
	"\"privateLinkIdentifiers\":null,\"domainVerificationIdentifiers\":null,"
	"\"homeStamp\":\"armsim-stamp-000\",\"webSpace\":\"\","
	"\"deploymentId\":\"\",\"ftpUsername\":\"\",\"ftpsHostName\":\"\",\"name\":\"\","
	"\"selfLink\":\"\",\"siteProperties\":{\"metadata\":null,\"properties\":[],"
	"\"appSettings\":null},\"eligibleLogCategories\":\"AppServiceAppLogs,AppServiceAuditLogs,"
	"AppServiceConsoleLogs,AppServiceHTTPLogs,AppServiceIPSecAuditLogs,AppServicePlatformLogs\","
	"\"inFlightFeatures\":[],\"cers\":null,\"hostingEnvironmentId\":null,"
	"\"defaultHostNameScope\":\"Global\",\"clientAffinityProxyEnabled\":false,"
	"\"clientAffinityPartitioningEnabled\":false}";

static json_t *site_defaults;
static pthread_once_t site_defaults_once = PTHREAD_ONCE_INIT;

static void load_site_defaults(void)
{
	site_defaults = json_loads(site_defaults_text, 0, NULL);
}

/* The resource group name in a site id (/subscriptions/S/resourceGroups/RG/...). */
static void id_resource_group(const char *id, struct strbuf *out)
{
	const char *p = strcase_find(id, "/resourceGroups/");
	if (p) {
		p += strlen("/resourceGroups/");
		strbuf_add(out, p, strcspn(p, "/"));
	}
}

json_t *web_site_view(const struct world_resource *r)
{
	json_t *view = json_object(), *props, *stored = json_object_get(r->body, "properties");
	json_t *config, *stored_config = json_object_get(stored, "siteConfig");
	const char *name = json_string_value(json_object_get(r->body, "name"));
	struct strbuf host = STRBUF_INIT, scm = STRBUF_INIT, rg = STRBUF_INIT, plain = STRBUF_INIT;
	char when[40];
	const char *key;
	json_t *value;
	pthread_once(&site_defaults_once, load_site_defaults);
	/*
	 * Defaults are shared, not copied (a view is read, never changed below its top level,
	 * like the stored values it already shares): only siteConfig, which the stored one is
	 * merged into, gets its own object. Resource Graph builds 50,000 of these per query.
	 */
	props = json_copy(site_defaults);
	json_object_set_new(props, "siteConfig", json_copy(json_object_get(site_defaults, "siteConfig")));
	json_object_foreach(r->body, key, value)
		if (strcmp(key, "properties") && strcmp(key, "appSettings")) /* settings: list only */
			json_object_set(view, key, value);
	/* host names: "site.azurewebsites.net", slots "site-slot.azurewebsites.net" */
	strbuf_addstr(&plain, name ? name : "");
	{
		char *slash = strchr(plain.buf, '/');
		if (slash)
			*slash = '-';
	}
	strbuf_addf(&host, "%s.azurewebsites.net", plain.buf);
	strbuf_addf(&scm, "%s.scm.azurewebsites.net", plain.buf);
	id_resource_group(r->id, &rg);
	simclock_format_iso(r->changed_ms, when);
	json_object_set_new(props, "hostNames", json_pack("[s]", host.buf));
	json_object_set_new(props, "enabledHostNames", json_pack("[s,s]", host.buf, scm.buf));
	json_object_set_new(props, "hostNameSslStates", json_pack(
		"[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "name", host.buf, "sslState", "Disabled", "hostType",
		"Standard", "name", scm.buf, "sslState", "Disabled", "hostType", "Repository"));
	json_object_set_new(props, "repositorySiteName", json_string(plain.buf));
	json_object_set_new(props, "defaultHostName", json_string(host.buf));
	json_object_set_new(props, "resourceGroup", json_string(rg.buf));
	json_object_set_new(props, "lastModifiedTimeUtc", json_string(when));
	json_object_set_new(props, "deploymentId", json_string(plain.buf));
	json_object_set_new(props, "name", json_string(plain.buf));
	strbuf_reset(&scm);
	strbuf_addf(&scm, "https://127.0.0.1%s", r->id);
	json_object_set_new(props, "selfLink", json_string(scm.buf));
	strbuf_reset(&scm);
	strbuf_addf(&scm, "%s\\$%s", plain.buf, plain.buf);
	json_object_set_new(props, "ftpUsername", json_string(scm.buf));
	strbuf_reset(&scm);
	strbuf_addstr(&scm, "ftps://127.0.0.1/site/wwwroot");
	json_object_set_new(props, "ftpsHostName", json_string(scm.buf));
	strbuf_reset(&scm);
	strbuf_addf(&scm, "%s-%s", rg.buf, json_string_value(json_object_get(r->body, "location")) ?
		    json_string_value(json_object_get(r->body, "location")) : "");
	json_object_set_new(props, "webSpace", json_string(scm.buf));
	if (!strncasecmp(r->id, "/subscriptions/", 15) && rg.len) {
		/* every site has a plan; one the world does not name is its resource group's */
		struct strbuf farm = STRBUF_INIT;
		const char *sub = r->id + 15;
		strbuf_addf(&farm, "/subscriptions/%.*s/resourceGroups/%s/providers/Microsoft.Web/serverfarms/%s-plan",
			    (int)strcspn(sub, "/"), sub, rg.buf, rg.buf);
		json_object_set_new(props, "serverFarmId", json_string(farm.buf));
		strbuf_release(&farm);
	}
	config = json_object_get(props, "siteConfig");
	json_object_foreach(stored, key, value)
		if (strcmp(key, "siteConfig"))
			json_object_set(props, key, value);
	if (json_is_object(stored_config))
		json_object_update(config, stored_config);
	json_object_set_new(view, "properties", props);
	strbuf_release(&host);
	strbuf_release(&scm);
	strbuf_release(&rg);
	strbuf_release(&plain);
	return view;
}


/* The id of the site or slot a request names, and its type and container. */
static void request_site_id(struct armsim_request *req, struct strbuf *id, struct strbuf *container,
			    const char **type)
{
	const char *slot = armsim_request_param(req, "slot");
	strbuf_addf(container, "/subscriptions/%s/resourceGroups/%s",
		    armsim_request_param(req, "subscriptionId"),
		    armsim_request_param(req, "resourceGroupName"));
	strbuf_addf(id, "%s/providers/Microsoft.Web/sites/%s", container->buf,
		    armsim_request_param(req, "name"));
	*type = WT_SITE;
	if (slot) {
		strbuf_reset(container);
		strbuf_addstr(container, id->buf);
		strbuf_addf(id, "/slots/%s", slot);
		*type = WT_SLOT;
	}
}

/* The site's container: a slot's site, a site's resource group. */
static int site_container(const char *id, const char *type, struct strbuf *out)
{
	const char *cut = !strcasecmp(type, WT_SLOT) ? strcase_find(id, "/slots/")
						      : strcase_find(id, "/providers/Microsoft.Web/sites/");
	if (!cut)
		return -1;
	strbuf_add(out, id, (size_t)(cut - id));
	return 0;
}

static int is_bool_or_absent(const json_t *props, const char *key)
{
	json_t *v = json_object_get(props, key);
	return !v || json_is_boolean(v);
}

/* Validates the properties of a site write the way App Service does for the fields we model. */
static int check_site_properties(const json_t *props, struct armsim_response *resp)
{
	const char *mode = json_string_value(json_object_get(props, "clientCertMode"));
	json_t *cfg = json_object_get(props, "siteConfig");
	if (!is_bool_or_absent(props, "clientCertEnabled") || !is_bool_or_absent(props, "httpsOnly")) {
		armsim_response_error(resp, 400, "BadRequest",
				      "The parameter properties has an invalid value: expected a boolean.");
		return -1;
	}
	if (json_object_get(props, "clientCertMode") &&
	    (!mode || (strcasecmp(mode, "Required") && strcasecmp(mode, "Optional") &&
		       strcasecmp(mode, "OptionalInteractiveUser")))) {
		armsim_response_error(resp, 400, "BadRequest",
				      "The parameter clientCertMode has an invalid value. Allowed values: Required, Optional, OptionalInteractiveUser.");
		return -1;
	}
	if (cfg && (!json_is_object(cfg) || !is_bool_or_absent(cfg, "http20Enabled"))) {
		armsim_response_error(resp, 400, "BadRequest",
				      "The parameter siteConfig has an invalid value.");
		return -1;
	}
	return 0;
}

/* Sets the keys of src (nulls mean "not given") into dst; siteConfig is merged a level down. */
static void merge_properties(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)src, key, value) {
		json_t *have = json_object_get(dst, key);
		if (json_is_null(value))
			continue;
		if (!strcmp(key, "siteConfig") && json_is_object(value) && json_is_object(have))
			merge_properties(have, value);
		else
			json_object_set_new(dst, key, json_deep_copy(value));
	}
}

/* A write's top-level keys and properties over a stored body (stored values are ours). */
static void site_merge(json_t *body, const json_t *request)
{
	static const char *const top[] = { "kind", "location", "tags", "identity",
					   "extendedLocation" };
	json_t *props = json_object_get(body, "properties");
	size_t i;
	for (i = 0; i < sizeof(top) / sizeof(*top); i++) {
		json_t *v = json_object_get(request, top[i]);
		if (v && !json_is_null(v) && (!json_is_string(v) || *json_string_value(v)))
			json_object_set_new(body, top[i], json_deep_copy(v));
	}
	if (!json_is_object(props)) {
		props = json_object();
		json_object_set_new(body, "properties", props);
	}
	if (json_is_object(json_object_get(request, "properties")))
		merge_properties(props, json_object_get(request, "properties"));
}

/* A PUT's payload in the stored shape: the merged body's identity, the request's content. */
static json_t *site_payload(const json_t *merged, const json_t *request)
{
	json_t *payload = json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(merged, "id"),
				    "name", json_object_get(merged, "name"), "type",
				    json_object_get(merged, "type"), "kind",
				    json_object_get(merged, "kind"), "location",
				    json_object_get(merged, "location"));
	json_t *props = json_object_get(request, "properties"), *tags = json_object_get(request, "tags");
	json_object_set_new(payload, "properties",
			    json_is_object(props) ? json_deep_copy(props) : json_object());
	if (json_is_object(tags))
		json_object_set_new(payload, "tags", json_deep_copy(tags));
	return payload;
}

struct world_resource *web_site_write(struct world *w, const char *id, const char *type,
				      const json_t *request, enum web_write_mode mode,
				      struct armsim_response *resp)
{
	struct world_resource *existing = world_resource_get(w, id), *r = NULL;
	struct strbuf container = STRBUF_INIT, full_name = STRBUF_INIT;
	json_t *props = json_object_get(request, "properties"), *body = NULL;
	const char *location = json_string_value(json_object_get(request, "location"));
	const char *kind = json_string_value(json_object_get(request, "kind"));
	json_t *tags = json_object_get(request, "tags");
	const char *name_part;

	if (!json_is_object(request) || (props && !json_is_object(props)) ||
	    (tags && !json_is_object(tags))) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized.");
		goto out;
	}
	if (site_container(id, type, &container) || !world_resource_get(w, container.buf)) {
		if (!strcasecmp(type, WT_SLOT))
			armsim_response_error(resp, 404, "ResourceNotFound",
					      "The Resource 'Microsoft.Web/sites/%s' under resource group was not found.",
					      container.len ? strrchr(container.buf, '/') + 1 : "");
		else
			armsim_response_error(resp, 404, "ResourceGroupNotFound",
					      "Resource group could not be found for '%s'.", id);
		goto out;
	}
	if (mode == WEB_PATCH && !existing) {
		armsim_response_error(resp, 404, "ResourceNotFound",
				      "The Resource '%s/%s' was not found.", type, strrchr(id, '/') + 1);
		goto out;
	}
	if (mode == WEB_PUT && !existing && (!location || !*location)) {
		armsim_response_error(resp, 400, "LocationRequired",
				      "The location property is required for this definition.");
		goto out;
	}
	if (props && check_site_properties(props, resp))
		goto out;
	if (existing && existing->locked) {
		armsim_response_error(resp, 409, "ScopeLocked",
				      "The scope '%s' cannot perform write operation because following scope(s) are locked: '%s'. Please remove the lock and try again.",
				      existing->id, existing->id);
		goto out;
	}
	if (!strcasecmp(type, WT_SLOT))
		strbuf_addf(&full_name, "%s/%s", strrchr(container.buf, '/') + 1, strrchr(id, '/') + 1);
	else
		strbuf_addstr(&full_name, strrchr(id, '/') + 1);
	name_part = existing ? json_string_value(json_object_get(existing->body, "name")) : full_name.buf;
	if (web_rules_check(existing ? existing->body : NULL, request, mode == WEB_PUT, resp))
		goto out;
	if (existing) {
		/* PUT and PATCH alike: App Service keeps every property the body does not name */
		body = json_deep_copy(existing->body);
	} else {
		body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name",
				 name_part ? name_part : "", "type", type, "kind", kind ? kind : "app",
				 "location", location ? location : "");
		json_object_set_new(body, "properties", json_object());
	}
	site_merge(body, request);
	if (w->policy.write_check) {
		/*
		 * Azure Policy judges a PUT by its payload and a PATCH by the resource it leaves:
		 * a PUT that leaves out a property a Deny requires is refused even though App
		 * Service would have kept the stored value.
		 */
		json_t *judged = mode == WEB_PATCH ? json_incref(body) : site_payload(body, request);
		int refused = w->policy.write_check(w, existing ? existing->id : id,
						    existing ? existing->body : NULL, judged, resp,
						    w->policy.write_check_arg);
		json_decref(judged);
		if (refused)
			goto out;
	}
	r = world_resource_put(w, existing ? existing->id : id, type, container.buf, body, NULL);
	body = NULL;
	armsim_response_json(resp, 200, web_site_view(r));
out:
	json_decref(body);
	strbuf_release(&container);
	strbuf_release(&full_name);
	return r;
}

void ops_site_list(struct armsim_request *req, struct armsim_response *resp)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	const char *rg_name = armsim_request_param(req, "resourceGroupName");
	const char *site = armsim_request_param(req, "name");
	struct strbuf scope = STRBUF_INIT;
	json_t *items = NULL;
	struct armsim_page page;
	size_t i, j, total = 0;
	if (!world_subscription_get(req->world, sub)) {
		armsim_response_error(resp, 404, "SubscriptionNotFound",
				      "The subscription '%s' could not be found.", sub);
		goto out;
	}
	strbuf_addf(&scope, "/subscriptions/%s", sub);
	if (rg_name) {
		strbuf_addf(&scope, "/resourceGroups/%s", rg_name);
		if (!world_resource_get(req->world, scope.buf)) {
			armsim_response_error(resp, 404, "ResourceGroupNotFound",
					      "Resource group '%s' could not be found.", rg_name);
			goto out;
		}
		if (site) {
			strbuf_addf(&scope, "/providers/Microsoft.Web/sites/%s", site);
			if (!world_resource_get(req->world, scope.buf)) {
				armsim_response_error(resp, 404, "ResourceNotFound",
						      "The Resource 'Microsoft.Web/sites/%s' under resource group '%s' was not found.",
						      site, rg_name);
				goto out;
			}
		}
	}
	/* only the page's sites get a view built: a list of 10,000 in pages of 7 stays cheap */
	if (armsim_page_window(req, resp, &page))
		goto out;
	items = json_array();
	if (rg_name) {
		const struct world_list *l = world_resource_list(req->world, scope.buf,
								 site ? WT_SLOT : WT_SITE);
		for (i = 0; i < l->nr; i++, total++)
			if (armsim_page_has(&page, total))
				json_array_append_new(items, web_site_view(l->items[i]));
	} else {
		const struct world_list *rgs = world_resource_list(req->world, scope.buf,
								   WT_RESOURCE_GROUP);
		for (i = 0; i < rgs->nr; i++) {
			const struct world_list *l = world_resource_list(req->world, rgs->items[i]->id,
									 WT_SITE);
			for (j = 0; j < l->nr; j++, total++)
				if (armsim_page_has(&page, total))
					json_array_append_new(items, web_site_view(l->items[j]));
		}
	}
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
	items = NULL;
out:
	json_decref(items);
	strbuf_release(&scope);
}

static struct world_resource *find_site(struct armsim_request *req, struct armsim_response *resp)
{
	struct strbuf id = STRBUF_INIT, container = STRBUF_INIT;
	const char *type;
	struct world_resource *r;
	request_site_id(req, &id, &container, &type);
	r = world_resource_get(req->world, id.buf);
	if (!r && armsim_scope_exists(req, resp, container.buf) == 0)
		armsim_response_error(resp, 404, "ResourceNotFound",
				      "The Resource '%s/%s' under resource group '%s' was not found.",
				      type, strrchr(id.buf, '/') + 1,
				      armsim_request_param(req, "resourceGroupName"));
	strbuf_release(&id);
	strbuf_release(&container);
	return r;
}

void ops_site_get(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_site(req, resp);
	if (r)
		armsim_response_json(resp, 200, web_site_view(r));
}

static void site_write(struct armsim_request *req, struct armsim_response *resp,
		       enum web_write_mode mode)
{
	struct strbuf id = STRBUF_INIT, container = STRBUF_INIT;
	const char *type;
	if (req->body_invalid || !req->body) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized.");
		goto out;
	}
	request_site_id(req, &id, &container, &type);
	if (!world_subscription_get(req->world, armsim_request_param(req, "subscriptionId"))) {
		armsim_response_error(resp, 404, "SubscriptionNotFound",
				      "The subscription '%s' could not be found.",
				      armsim_request_param(req, "subscriptionId"));
		goto out;
	}
	web_site_write(req->world, id.buf, type, req->body, mode, resp);
out:
	strbuf_release(&id);
	strbuf_release(&container);
}

void ops_site_put(struct armsim_request *req, struct armsim_response *resp)
{
	site_write(req, resp, WEB_PUT);
}

void ops_site_patch(struct armsim_request *req, struct armsim_response *resp)
{
	site_write(req, resp, WEB_PATCH);
}

void ops_site_delete(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_site(req, resp);
	if (!r) {
		/* deleting what is not there is a success in App Service */
		if (resp->status == 404 && !strcmp(json_string_value(json_object_get(
				json_object_get(resp->body, "error"), "code")), "ResourceNotFound"))
			armsim_response_json(resp, 204, NULL);
		return;
	}
	if (r->locked) {
		armsim_response_error(resp, 409, "ScopeLocked",
				      "The scope '%s' cannot perform delete operation because following scope(s) are locked: '%s'. Please remove the lock and try again.",
				      r->id, r->id);
		return;
	}
	world_resource_delete(req->world, r->id);
	armsim_response_json(resp, 200, NULL);
}

/* config/web as App Service shows it: the site's siteConfig as a child resource (new ref). */
static json_t *site_config_view(const struct world_resource *r)
{
	json_t *view = web_site_view(r), *config;
	struct strbuf id = STRBUF_INIT;
	strbuf_addf(&id, "%s/config/web", r->id);
	config = json_pack("{s:s, s:s, s:s, s:O, s:O}", "id", id.buf, "name", "web", "type",
			   !strcasecmp(r->type, WT_SLOT) ? "Microsoft.Web/sites/slots/config"
							  : "Microsoft.Web/sites/config",
			   "location", json_object_get(view, "location"), "properties",
			   json_object_get(json_object_get(view, "properties"), "siteConfig"));
	json_decref(view);
	strbuf_release(&id);
	return config;
}

void ops_site_config_get(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_site(req, resp);
	if (r)
		armsim_response_json(resp, 200, site_config_view(r));
}

/*
 * PUT and PATCH of config/web: its properties are the site's siteConfig, merged key by key
 * (App Service keeps what the body does not name) through web_site_write, so locks, Deny,
 * Flex Consumption's refused keys and the site-level conflicts apply as to a site write.
 */
static void site_config_write(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r;
	json_t *props, *write;
	if (req->body_invalid || !json_is_object(req->body) ||
	    (json_object_get(req->body, "properties") &&
	     !json_is_object(json_object_get(req->body, "properties")))) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized.");
		return;
	}
	r = find_site(req, resp);
	if (!r)
		return;
	props = json_object_get(req->body, "properties");
	write = json_pack("{s:{s:O}}", "properties", "siteConfig", props ? props : json_object());
	if (!props)
		json_decref(json_object_get(json_object_get(write, "properties"), "siteConfig"));
	r = web_site_write(req->world, r->id, r->type, write, WEB_PATCH, resp);
	json_decref(write);
	if (r)
		armsim_response_json(resp, 200, site_config_view(r));
}

void ops_site_config_put(struct armsim_request *req, struct armsim_response *resp)
{
	site_config_write(req, resp);
}

void ops_site_config_patch(struct armsim_request *req, struct armsim_response *resp)
{
	site_config_write(req, resp);
}

/* POST config/appsettings/list: the site's app settings (world file "appSettings"). */
void ops_site_appsettings_list(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_site(req, resp);
	json_t *settings;
	struct strbuf id = STRBUF_INIT;
	if (!r)
		return;
	settings = json_object_get(r->body, "appSettings");
	strbuf_addf(&id, "%s/config/appsettings", r->id);
	armsim_response_json(resp, 200, json_pack(
		"{s:s, s:s, s:s, s:O, s:o}", "id", id.buf, "name", "appsettings", "type",
		!strcasecmp(r->type, WT_SLOT) ? "Microsoft.Web/sites/slots/config"
					       : "Microsoft.Web/sites/config",
		"location", json_object_get(r->body, "location"), "properties",
		json_is_object(settings) ? json_deep_copy(settings) : json_object()));
	strbuf_release(&id);
}

void ops_site_publishxml(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_site(req, resp);
	const char *name;
	struct strbuf host = STRBUF_INIT;
	char *dash;
	if (!r)
		return;
	/* a publishing profile without secrets: armsim has no deployment endpoints to log into */
	name = json_string_value(json_object_get(r->body, "name"));
	strbuf_addstr(&host, name ? name : "");
	if ((dash = strchr(host.buf, '/')))
		*dash = '-';
	strbuf_addf(&resp->text,
		    "<publishData><publishProfile profileName=\"%s - Web Deploy\" publishMethod=\"MSDeploy\" "
		    "publishUrl=\"%s.scm.azurewebsites.net:443\" msdeploySite=\"%s\" userName=\"$%s\" "
		    "userPWD=\"\" destinationAppUrl=\"https://%s.azurewebsites.net\" SQLServerDBConnectionString=\"\" "
		    "mySQLDBConnectionString=\"\" hostingProviderForumLink=\"\" controlPanelLink=\"\" webSystem=\"WebSites\">"
		    "<databases /></publishProfile><publishProfile profileName=\"%s - FTP\" publishMethod=\"FTP\" "
		    "publishUrl=\"ftps://127.0.0.1/site/wwwroot\" ftpPassiveMode=\"True\" userName=\"%s\\$%s\" "
		    "userPWD=\"\" destinationAppUrl=\"https://%s.azurewebsites.net\" SQLServerDBConnectionString=\"\" "
		    "mySQLDBConnectionString=\"\" hostingProviderForumLink=\"\" controlPanelLink=\"\" webSystem=\"WebSites\">"
		    "<databases /></publishProfile></publishData>",
		    host.buf, host.buf, host.buf, host.buf, host.buf, host.buf, host.buf, host.buf, host.buf);
	resp->status = 200;
	resp->content_type = "application/xml";
	strbuf_release(&host);
}
