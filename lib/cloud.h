/*
 * cloud — where Resource Manager and Entra ID live for the configured cloud.
 *
 * AzureCloud, AzureUSGovernment and AzureChinaCloud carry their published ARM endpoints,
 * token audiences and authority hosts; `custom` (armsim, Azure Stack) takes them from
 * [cloud] arm_endpoint and authority_host. AZURE_AUTHORITY_HOST overrides the authority of any
 * cloud unless [cloud] authority_host is set; AZURE_TENANT_ID fills a missing tenant_id.
 */
#ifndef CLOUD_H
#define CLOUD_H

#include "lib/config.h"
#include "lib/strbuf.h"

struct cloud {
	char *name;           /* "AzureCloud", ..., "custom" (owned) */
	char *arm_endpoint;   /* e.g. "https://management.azure.com", no trailing slash (owned) */
	char *arm_resource;   /* token audience, e.g. "https://management.azure.com/" (owned) */
	char *authority_host; /* e.g. "https://login.microsoftonline.com", no trailing slash;
			       * an ADFS authority ends in "/adfs" (owned) */
	char *tenant_id;      /* NULL when neither config nor environment gives one (owned) */
	char *ca_file;        /* extra trust, borrowed from config semantics but copied (owned) */
};

/*
 * Fills cloud from cfg (borrowed) and the environment. Returns 0, or -1 with err set
 * ("[cloud] name = custom needs arm_endpoint", an http:// endpoint that is not loopback).
 * cloud is always left releasable.
 */
int cloud_init(struct cloud *cloud, const struct config *cfg, struct strbuf *err);
void cloud_release(struct cloud *cloud);

/* Appends the OAuth2 token endpoint URL for tenant (v2.0, or /adfs/oauth2/token for ADFS). */
void cloud_token_url(const struct cloud *cloud, const char *tenant, struct strbuf *out);

#endif
