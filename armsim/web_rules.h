/*
 * web_rules — App Service's own refusals of a site or slot write, in App Service's words.
 *
 * ops_resources (web_site_write) merges a write into the stored site; before it stores
 * anything it asks these rules, which know the refusals recorded from real App Service:
 *  - a Flex Consumption site (properties.sku "FlexConsumption") refuses siteConfig keys that
 *    do not apply to it, even the values its own GET shows (Azure/azure-functions-host#10643);
 *  - siteConfig.publicNetworkAccess / vnetRouteAllEnabled that differ from the site-level
 *    property: "There was a conflict. SiteConfig.… cannot be modified. Please modify the
 *    Site.… property." (hashicorp/terraform-provider-azurerm#24878);
 *  - an app on Kubernetes/Arc (a stored top-level extendedLocation) refuses a whole-resource
 *    PUT (one that restates `kind`) without its extendedLocation; `type` is required in it;
 *  - `state` is Running or Stopped.
 * Errors have App Service's shape: {"Code","Message","Target","Details","Innererror"}.
 */
#ifndef ARMSIM_WEB_RULES_H
#define ARMSIM_WEB_RULES_H
#include <jansson.h>

struct armsim_response;

/*
 * Checks a write. existing: the stored site body (NULL when the write creates it); request:
 * the ARM body (a config/web write comes as {"properties": {"siteConfig": ...}}); put: PUT (1)
 * or PATCH (0). Returns 0, or -1 with resp set to App Service's 400. Both borrowed.
 */
int web_rules_check(const json_t *existing, const json_t *request, int put,
		    struct armsim_response *resp);

/* resp := status with App Service's error body {Code, Message, Target, Details, Innererror}. */
void web_rules_error(struct armsim_response *resp, int status, const char *code,
		     const char *extended_code, const char *message);

/* "FlexConsumption" in properties.sku of a stored site body. */
int web_rules_is_flex(const json_t *site_body);
#endif
