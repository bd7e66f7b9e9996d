/*
 * ops_resources — management groups, subscriptions, resource groups, App Service sites and slots.
 *
 * Every write to a site or slot goes through web_site_write, whatever asked for it (a client's
 * PUT or PATCH, or a remediation deployment), so policy Deny evaluation (the world's
 * policy.write_check) and resource locks apply to all of them in one place.
 */
#ifndef ARMSIM_OPS_RESOURCES_H
#define ARMSIM_OPS_RESOURCES_H
#include <jansson.h>

#include "armsim/routes.h"

struct world;
struct world_resource;

route_fn ops_mg_list, ops_mg_get, ops_mg_descendants;
route_fn ops_sub_list, ops_sub_get, ops_operation_result;
route_fn ops_rg_list, ops_rg_get, ops_rg_head, ops_rg_put, ops_rg_delete;
route_fn ops_site_list, ops_site_get, ops_site_put, ops_site_patch, ops_site_delete;
route_fn ops_site_config_get, ops_site_config_put, ops_site_config_patch, ops_site_appsettings_list;
route_fn ops_site_publishxml;

enum web_write_mode {
	/*
	 * Both merge into the stored site as App Service does: properties (and kind, tags,
	 * identity, extendedLocation) the body does not name, or names as null, are kept;
	 * siteConfig is merged key by key. PUT creates (location required) and is refused for
	 * an Arc app when it restates kind without extendedLocation; PATCH needs the site.
	 */
	WEB_PUT,
	WEB_PATCH,
};

/*
 * Writes a site (type WT_SITE, id ".../sites/NAME") or slot (WT_SLOT, ".../sites/NAME/slots/S")
 * from an ARM request body (borrowed) with PUT or PATCH semantics. The caller holds the world
 * write lock. On success resp gets 200 with the site as GET returns it and the function returns
 * the stored resource; on failure (400 bad body, 404 missing container/site for PATCH, 409
 * ScopeLocked, or the write check's answer) resp carries the error and it returns NULL.
 */
struct world_resource *web_site_write(struct world *w, const char *id, const char *type,
				      const json_t *request, enum web_write_mode mode,
				      struct armsim_response *resp);
/* The site or slot as ARM's GET shows it (new reference): stored properties over defaults. */
json_t *web_site_view(const struct world_resource *site);
#endif
