/*
 * alias — the App Service alias table and the path walker that reads aliases from JSON.
 *
 * The table lists suffixes once; the prefix of an alias name decides which resource type it
 * reads (site, slot, their web config, their publishing-credential policies). The entries
 * are the aliases the App Service built-ins and our generated definitions use, plus the
 * neighbouring site properties armsim's world models. Azure marks clientCertEnabled as not
 * modifiable (no Modify operation may change it), which is why remediation needs
 * DeployIfNotExists.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/alias.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct alias_suffix {
	const char *suffix;  /* after the type prefix */
	const char *path;    /* inside the resource */
	int modifiable;
};

static const struct alias_suffix site_aliases[] = {
	{ "clientCertEnabled", "properties.clientCertEnabled", 0 },
	{ "clientCertMode", "properties.clientCertMode", 0 },
	{ "clientCertExclusionPaths", "properties.clientCertExclusionPaths", 0 },
	{ "httpsOnly", "properties.httpsOnly", 1 },
	{ "publicNetworkAccess", "properties.publicNetworkAccess", 1 },
	{ "hostingEnvironmentProfile.id", "properties.hostingEnvironmentProfile.id", 0 },
	{ "serverFarmId", "properties.serverFarmId", 0 },
	{ "enabled", "properties.enabled", 0 },
	{ "state", "properties.state", 0 },
	{ "defaultHostName", "properties.defaultHostName", 0 },
	{ "virtualNetworkSubnetId", "properties.virtualNetworkSubnetId", 0 },
	{ "vnetRouteAllEnabled", "properties.vnetRouteAllEnabled", 1 },
	{ "keyVaultReferenceIdentity", "properties.keyVaultReferenceIdentity", 0 },
	{ "redundancyMode", "properties.redundancyMode", 0 },
	{ "siteConfig", "properties.siteConfig", 0 },
	{ "siteConfig.http20Enabled", "properties.siteConfig.http20Enabled", 1 },
	{ "siteConfig.minTlsVersion", "properties.siteConfig.minTlsVersion", 1 },
	{ "siteConfig.ftpsState", "properties.siteConfig.ftpsState", 1 },
	{ "siteConfig.remoteDebuggingEnabled", "properties.siteConfig.remoteDebuggingEnabled", 1 },
	{ "siteConfig.alwaysOn", "properties.siteConfig.alwaysOn", 1 },
	{ "siteConfig.publicNetworkAccess", "properties.siteConfig.publicNetworkAccess", 1 },
	{ "siteConfig.ipSecurityRestrictions[*]", "properties.siteConfig.ipSecurityRestrictions[*]", 0 },
	{ "siteConfig.ipSecurityRestrictions[*].action", "properties.siteConfig.ipSecurityRestrictions[*].action", 0 },
	{ "siteConfig.ipSecurityRestrictions[*].ipAddress", "properties.siteConfig.ipSecurityRestrictions[*].ipAddress", 0 },
};

/* The web config resource: its properties are the site's siteConfig. */
static const struct alias_suffix config_aliases[] = {
	{ "http20Enabled", "properties.http20Enabled", 1 },
	{ "minTlsVersion", "properties.minTlsVersion", 1 },
	{ "ftpsState", "properties.ftpsState", 1 },
	{ "remoteDebuggingEnabled", "properties.remoteDebuggingEnabled", 1 },
	{ "alwaysOn", "properties.alwaysOn", 1 },
	{ "publicNetworkAccess", "properties.publicNetworkAccess", 1 },
	{ "netFrameworkVersion", "properties.netFrameworkVersion", 1 },
	{ "linuxFxVersion", "properties.linuxFxVersion", 1 },
	{ "scmMinTlsVersion", "properties.scmMinTlsVersion", 1 },
	{ "ipSecurityRestrictions[*]", "properties.ipSecurityRestrictions[*]", 0 },
	{ "ipSecurityRestrictions[*].action", "properties.ipSecurityRestrictions[*].action", 0 },
	{ "ipSecurityRestrictions[*].ipAddress", "properties.ipSecurityRestrictions[*].ipAddress", 0 },
};

static const struct alias_suffix credentials_aliases[] = {
	{ "allow", "properties.allow", 1 },
};

struct alias_family {
	const char *prefix;                   /* with the trailing '/' */
	const char *type;
	const struct alias_suffix *suffixes;
	size_t nr;
	int web_prefix;                       /* config aliases also answer to "web.<suffix>" */
};

/* Longer prefixes first, so "sites/slots/config/" wins over "sites/slots/" and "sites/". */
static const struct alias_family families[] = {
	{ "Microsoft.Web/sites/slots/config/", "Microsoft.Web/sites/slots/config",
	  config_aliases, ARRAY_SIZE(config_aliases), 1 },
	{ "Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies/",
	  "Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies",
	  credentials_aliases, ARRAY_SIZE(credentials_aliases), 0 },
	{ "Microsoft.Web/sites/slots/", "Microsoft.Web/sites/slots",
	  site_aliases, ARRAY_SIZE(site_aliases), 0 },
	{ "Microsoft.Web/sites/config/", "Microsoft.Web/sites/config",
	  config_aliases, ARRAY_SIZE(config_aliases), 1 },
	{ "Microsoft.Web/sites/basicPublishingCredentialsPolicies/",
	  "Microsoft.Web/sites/basicPublishingCredentialsPolicies",
	  credentials_aliases, ARRAY_SIZE(credentials_aliases), 0 },
	{ "Microsoft.Web/sites/", "Microsoft.Web/sites",
	  site_aliases, ARRAY_SIZE(site_aliases), 0 },
};

/*
 * An alias of another resource provider (Microsoft.Storage/…, Microsoft.Sql/…): valid in Azure,
 * so a definition using it (an audit, a Modify) is accepted, but armsim keeps no such resources;
 * it reads as missing on every resource armsim has (its type matches none of them).
 */
#define FOREIGN_TYPE "(a resource type armsim does not model)"

static int foreign_alias(const char *name, struct alias *out)
{
	const char *slash = strchr(name, '/');
	size_t len = strlen(name);
	if (!slash || slash == name || !slash[1] || !strncasecmp(name, "Microsoft.Web/", 14))
		return -1;
	out->type = FOREIGN_TYPE;
	out->path = len > 3 && !strcmp(name + len - 3, "[*]") ? "unmodelled[*]" : "unmodelled";
	out->modifiable = 1; /* Azure knows which are; armsim never writes one (no such resources) */
	return 0;
}

int alias_lookup(const char *name, struct alias *out)
{
	size_t f, i;

	for (f = 0; f < ARRAY_SIZE(families); f++) {
		const struct alias_family *fam = &families[f];
		size_t plen = strlen(fam->prefix);
		const char *suffix;

		if (strncasecmp(name, fam->prefix, plen))
			continue;
		suffix = name + plen;
		if (fam->web_prefix && !strncasecmp(suffix, "web.", 4))
			suffix += 4;
		for (i = 0; i < fam->nr; i++)
			if (!strcasecmp(suffix, fam->suffixes[i].suffix)) {
				out->type = fam->type;
				out->path = fam->suffixes[i].path;
				out->modifiable = fam->suffixes[i].modifiable;
				return 0;
			}
		return -1;
	}
	return foreign_alias(name, out);
}

static json_t *object_get_nocase(const json_t *object, const char *key, size_t len)
{
	const char *k;
	json_t *v;

	if (!json_is_object(object))
		return NULL;
	json_object_foreach((json_t *)object, k, v)
		if (strlen(k) == len && !strncasecmp(k, key, len))
			return v;
	return NULL;
}

static json_t *path_get(const json_t *node, const char *path)
{
	const char *dot, *star;
	size_t len;
	json_t *child;

	if (!*path)
		return json_incref((json_t *)node);
	dot = strchr(path, '.');
	star = strstr(path, "[*]");
	if (star && (!dot || star < dot)) {
		json_t *arr, *collected, *item;
		size_t i;
		const char *rest = star + 3;

		arr = star == path ? (json_t *)node : object_get_nocase(node, path, (size_t)(star - path));
		if (!json_is_array(arr))
			return NULL;
		if (*rest == '.')
			rest++;
		collected = json_array();
		json_array_foreach(arr, i, item) {
			json_t *v = path_get(item, rest);
			if (v && json_is_array(v) && strstr(rest, "[*]"))
				json_array_extend(collected, v);
			else if (v)
				json_array_append(collected, v);
			json_decref(v);
		}
		return collected;
	}
	len = dot ? (size_t)(dot - path) : strlen(path);
	child = object_get_nocase(node, path, len);
	if (!child)
		return NULL;
	return path_get(child, dot ? dot + 1 : path + len);
}

json_t *alias_path_get(const json_t *resource, const char *path)
{
	return path_get(resource, path);
}

int alias_path_set(json_t *resource, const char *path, json_t *value)
{
	json_t *node = resource;
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		size_t len = (size_t)(dot - path);
		json_t *child = object_get_nocase(node, path, len);
		if (!child) {
			char *key = xstrndup(path, len);
			child = json_object();
			json_object_set_new(node, key, child);
			free(key);
		}
		if (!json_is_object(child))
			return -1;
		node = child;
		path = dot + 1;
	}
	if (!json_is_object(node))
		return -1;
	{
		const char *k;
		json_t *v;
		/*
		 * keep the stored spelling of the key; match by name, never by value: true,
		 * false and null are shared singletons in jansson
		 */
		json_object_foreach(node, k, v)
			if (!strcasecmp(k, path)) {
				json_object_set(node, k, value);
				return 0;
			}
	}
	json_object_set(node, path, value);
	return 0;
}

int alias_path_remove(json_t *resource, const char *path)
{
	const char *last = strrchr(path, '.');
	json_t *parent = resource;
	const char *k;
	json_t *v;

	if (last) {
		char *head = xstrndup(path, (size_t)(last - path));
		parent = path_get(resource, head);
		free(head);
		if (!parent)
			return 0;
		json_decref(parent); /* still owned by resource */
		path = last + 1;
	}
	if (!json_is_object(parent))
		return 0;
	json_object_foreach(parent, k, v)
		if (!strcasecmp(k, path)) {
			json_object_del(parent, k);
			return 0;
		}
	return 0;
}
