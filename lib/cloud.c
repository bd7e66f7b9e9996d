/*
 * cloud — endpoints of the public clouds and of custom ones such as armsim (see cloud.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cloud.h"
#include "lib/http.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct known_cloud {
	const char *name;
	const char *arm_endpoint;
	const char *arm_resource;
	const char *authority_host;
};

static const struct known_cloud known_clouds[] = {
	{ "AzureCloud", "https://management.azure.com", "https://management.azure.com/",
	  "https://login.microsoftonline.com" },
	{ "AzureUSGovernment", "https://management.usgovcloudapi.net",
	  "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us" },
	{ "AzureChinaCloud", "https://management.chinacloudapi.cn",
	  "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn" },
};

static char *without_trailing_slash(const char *s)
{
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		len--;
	return xstrndup(s, len);
}

int cloud_init(struct cloud *cloud, const struct config *cfg, struct strbuf *err)
{
	const char *name = cfg->cloud_name ? cfg->cloud_name : "AzureCloud";
	const char *env_authority = getenv("AZURE_AUTHORITY_HOST");
	const char *env_tenant = getenv("AZURE_TENANT_ID");
	size_t i;

	memset(cloud, 0, sizeof(*cloud));
	cloud->name = xstrdup(name);
	for (i = 0; i < ARRAY_SIZE(known_clouds); i++) {
		if (strcmp(known_clouds[i].name, name))
			continue;
		cloud->arm_endpoint = xstrdup(known_clouds[i].arm_endpoint);
		cloud->arm_resource = xstrdup(known_clouds[i].arm_resource);
		cloud->authority_host = xstrdup(known_clouds[i].authority_host);
	}
	if (cfg->cloud_arm_endpoint) {
		free(cloud->arm_endpoint);
		free(cloud->arm_resource);
		cloud->arm_endpoint = without_trailing_slash(cfg->cloud_arm_endpoint);
		/* armsim and Azure Stack accept their own base URL as the token audience */
		cloud->arm_resource = xmalloc(strlen(cloud->arm_endpoint) + 2);
		memcpy(cloud->arm_resource, cloud->arm_endpoint, strlen(cloud->arm_endpoint));
		memcpy(cloud->arm_resource + strlen(cloud->arm_endpoint), "/", 2);
	}
	if (!cloud->arm_endpoint) {
		strbuf_addf(err, "[cloud] name = %s needs arm_endpoint (the Resource Manager URL)", name);
		return -1;
	}
	if (cfg->cloud_authority_host || env_authority) {
		free(cloud->authority_host);
		cloud->authority_host = without_trailing_slash(cfg->cloud_authority_host ?
							       cfg->cloud_authority_host : env_authority);
	}
	if (!cloud->authority_host) /* a custom cloud without one: armsim serves both */
		cloud->authority_host = xstrdup(cloud->arm_endpoint);
	if (cfg->cloud_tenant_id)
		cloud->tenant_id = xstrdup(cfg->cloud_tenant_id);
	else if (env_tenant && *env_tenant)
		cloud->tenant_id = xstrdup(env_tenant);
	if (cfg->cloud_ca_file)
		cloud->ca_file = xstrdup(cfg->cloud_ca_file);
	if (http_check_url(cloud->arm_endpoint, err) < 0) {
		strbuf_addstr(err, " ([cloud] arm_endpoint)");
		return -1;
	}
	if (http_check_url(cloud->authority_host, err) < 0) {
		strbuf_addstr(err, cfg->cloud_authority_host ? " ([cloud] authority_host)"
				   : env_authority ? " (AZURE_AUTHORITY_HOST)" : " (authority host)");
		return -1;
	}
	return 0;
}

void cloud_release(struct cloud *cloud)
{
	free(cloud->name);
	free(cloud->arm_endpoint);
	free(cloud->arm_resource);
	free(cloud->authority_host);
	free(cloud->tenant_id);
	free(cloud->ca_file);
	memset(cloud, 0, sizeof(*cloud));
}

void cloud_token_url(const struct cloud *cloud, const char *tenant, struct strbuf *out)
{
	size_t len = strlen(cloud->authority_host);
	if (len >= 5 && !strcasecmp(cloud->authority_host + len - 5, "/adfs"))
		strbuf_addf(out, "%s/oauth2/token", cloud->authority_host);
	else
		strbuf_addf(out, "%s/%s/oauth2/v2.0/token", cloud->authority_host,
			    tenant ? tenant : "organizations");
}
