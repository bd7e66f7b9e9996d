/*
 * web_rules — App Service's refusals of a site write (see web_rules.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "armsim/http.h"
#include "armsim/web_rules.h"
#include "lib/strbuf.h"
#include "lib/banned.h"

/* siteConfig keys a Flex Consumption site refuses (the ones recorded in App Service's errors) */
static const char *const flex_refused[] = {
	"functionAppScaleLimit", "ftpsState", "use32BitWorkerProcess", "preWarmedInstanceCount",
	"netFrameworkVersion", "functionsRuntimeScaleMonitoringEnabled",
};

/* siteConfig keys that live on the site now: siteConfig may only echo the site's value */
static const char *const site_level[] = { "publicNetworkAccess", "vnetRouteAllEnabled" };

void web_rules_error(struct armsim_response *resp, int status, const char *code,
		     const char *extended_code, const char *message)
{
	json_t *details = json_pack("[{s:s}, {s:s}]", "Message", message, "Code", code);
	if (extended_code)
		json_array_append_new(details, json_pack(
			"{s:{s:s, s:s, s:[s], s:s, s:s}}", "ErrorEntity", "ExtendedCode",
			extended_code, "MessageTemplate", "There was a conflict. {0}", "Parameters",
			message + strlen("There was a conflict. "), "Code", code, "Message", message));
	armsim_response_json(resp, (unsigned)status, json_pack(
		"{s:s, s:s, s:n, s:o, s:n}", "Code", code, "Message", message, "Target", "Details",
		details, "Innererror"));
}

int web_rules_is_flex(const json_t *site_body)
{
	const char *sku = json_string_value(json_object_get(json_object_get(site_body, "properties"),
							     "sku"));
	return sku && !strcasecmp(sku, "FlexConsumption");
}

/* "Site.SiteConfig.FtpsState" for "ftpsState" */
static void add_pascal(struct strbuf *sb, const char *prefix, const char *key)
{
	strbuf_addstr(sb, prefix);
	strbuf_addch(sb, (char)toupper((unsigned char)key[0]));
	strbuf_addstr(sb, key + 1);
}

static int check_flex(const json_t *config, struct armsim_response *resp)
{
	struct strbuf names = STRBUF_INIT, msg = STRBUF_INIT;
	size_t i, n = 0;
	/* App Service refuses the key even when its value is null (AzureFunctionApp@2 reports) */
	for (i = 0; i < sizeof(flex_refused) / sizeof(*flex_refused); i++)
		if (json_object_get(config, flex_refused[i])) {
			if (n++)
				strbuf_addstr(&names, ", ");
			add_pascal(&names, "Site.SiteConfig.", flex_refused[i]);
		}
	if (n == 1)
		strbuf_addf(&msg, "The following site configuration property (%s) for Flex Consumption "
			    "sites is invalid. Please remove or rename it before retrying.", names.buf);
	else if (n)
		strbuf_addf(&msg, "The following list of %zu site configuration properties (%s) for "
			    "Flex Consumption sites is invalid. Please remove or rename them before "
			    "retrying.", n, names.buf);
	if (n)
		web_rules_error(resp, 400, "BadRequest", NULL, msg.buf);
	strbuf_release(&names);
	strbuf_release(&msg);
	return n ? -1 : 0;
}

/* The value the site-level property will have after the write. */
static const json_t *site_value(const json_t *existing, const json_t *props, const char *key)
{
	const json_t *v = json_object_get(props, key);
	if (v && !json_is_null(v))
		return v;
	return json_object_get(json_object_get(existing, "properties"), key);
}

static int check_site_level(const json_t *existing, const json_t *props, const json_t *config,
			    struct armsim_response *resp)
{
	size_t i;
	for (i = 0; i < sizeof(site_level) / sizeof(*site_level); i++) {
		const json_t *given = json_object_get(config, site_level[i]);
		const json_t *site = site_value(existing, props, site_level[i]);
		struct strbuf msg = STRBUF_INIT, pascal = STRBUF_INIT;
		if (!given || json_is_null(given))
			continue;
		/* unset on the site counts as App Service's default: Enabled / false */
		if (site ? json_equal((json_t *)given, (json_t *)site)
			 : (json_is_false(given) ||
			    (json_is_string(given) && !strcasecmp(json_string_value(given), "Enabled"))))
			continue;
		add_pascal(&pascal, "", site_level[i]);
		strbuf_addf(&msg, "There was a conflict. SiteConfig.%s cannot be modified. Please "
			    "modify the Site.%s property.", pascal.buf, pascal.buf);
		web_rules_error(resp, 400, "BadRequest", "01020", msg.buf);
		strbuf_release(&msg);
		strbuf_release(&pascal);
		return -1;
	}
	return 0;
}

static int check_extended_location(const json_t *existing, const json_t *request, int put,
				   struct armsim_response *resp)
{
	const json_t *given = json_object_get(request, "extendedLocation");
	const json_t *stored = json_object_get(existing, "extendedLocation");
	if (given && !json_is_null(given) &&
	    (!json_is_object(given) || !json_is_string(json_object_get(given, "type")) ||
	     !json_is_string(json_object_get(given, "name")))) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized: "
				      "'Required property 'type' or 'name' not found in JSON. Path "
				      "'extendedLocation'.'.");
		return -1;
	}
	if (stored && given && json_is_object(given) &&
	    strcasecmp(json_string_value(json_object_get(given, "name")),
		       json_string_value(json_object_get(stored, "name")) ?
		       json_string_value(json_object_get(stored, "name")) : "")) {
		web_rules_error(resp, 400, "BadRequest", NULL,
				"The extendedLocation of an existing site cannot be changed.");
		return -1;
	}
	/* a whole-resource PUT (it restates kind) of an Arc app must carry its custom location */
	if (stored && put && (!given || json_is_null(given)) && json_object_get(request, "kind")) {
		web_rules_error(resp, 400, "BadRequest", NULL,
				"The site is hosted on a custom location: extendedLocation is "
				"required in the request.");
		return -1;
	}
	return 0;
}

static int check_state(const json_t *props, struct armsim_response *resp)
{
	const json_t *state = json_object_get(props, "state");
	if (!state || json_is_null(state))
		return 0;
	if (json_is_string(state) && (!strcasecmp(json_string_value(state), "Running") ||
				      !strcasecmp(json_string_value(state), "Stopped")))
		return 0;
	web_rules_error(resp, 400, "BadRequest", NULL,
			"The parameter State has an invalid value. Allowed values: Running, Stopped.");
	return -1;
}

int web_rules_check(const json_t *existing, const json_t *request, int put,
		    struct armsim_response *resp)
{
	const json_t *props = json_object_get(request, "properties");
	const json_t *config = json_object_get(props, "siteConfig");
	int flex = existing ? web_rules_is_flex(existing) : web_rules_is_flex(request);

	if (check_extended_location(existing, request, put, resp) || check_state(props, resp))
		return -1;
	if (json_is_object(config) && flex && check_flex(config, resp))
		return -1;
	if (json_is_object(config) && check_site_level(existing, props, config, resp))
		return -1;
	return 0;
}
