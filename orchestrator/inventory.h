/*
 * inventory — the control's own check: every App Service app in scope, read through Azure
 * Resource Graph, with its client-certificate settings and a classification for the order of
 * fixing (docs/inventory.md).
 *
 * One query lists the sites and slots the generator's policies target (web apps, function apps
 * and their slots; not Logic Apps Standard or Container Apps-hosted functions), paged by
 * $skipToken within Resource Graph's quota; one more finds internal (ILB) App Service
 * Environments. Each row is classified from ARM data alone by the [inventory] rules:
 *   exposed     publicNetworkAccess is not Disabled, it is not private-endpoint-only (no
 *               publicNetworkAccess and a private endpoint), its access restrictions do not
 *               default to Deny, it does not run on an internal ASE;
 *   production  a production tag (key and value lists) on the app or, for the site itself
 *               (not its slots unless slots_are_production), a production subscription (tags
 *               or name patterns);
 *   at risk     exclusion paths together with HTTP/2 or minimum TLS 1.3;
 *   exempt      a policy exemption of the assignment covers it;
 *   excluded    it lies under one of [assignment] not_scopes: the control leaves it out.
 * Non-compliant: clientCertEnabled is not true, or clientCertMode is not Required.
 */
#ifndef ORCHESTRATOR_INVENTORY_H
#define ORCHESTRATOR_INVENTORY_H
#include <jansson.h>
#include <stdio.h>

#include "lib/config.h"
#include "lib/strbuf.h"

struct arm_client;

/* The rows the control's policies target (see the file comment). */
#define INVENTORY_QUERY_TARGETS \
	"resources\n" \
	"| where type in~ ('microsoft.web/sites', 'microsoft.web/sites/slots')\n" \
	"| where not(kind contains 'functionapp' and (kind contains 'workflowapp' or kind contains 'azurecontainerapps'))\n"

/* Every targeted app with what classification reads, in a stable order. */
#define INVENTORY_QUERY_SITES \
	INVENTORY_QUERY_TARGETS \
	"| project id, name, type, kind, location, subscriptionId, resourceGroup, tags,\n" \
	"    clientCertEnabled = tobool(properties.clientCertEnabled),\n" \
	"    clientCertMode = tostring(properties.clientCertMode),\n" \
	"    exclusionPaths = tostring(properties.clientCertExclusionPaths),\n" \
	"    publicNetworkAccess = tostring(properties.publicNetworkAccess),\n" \
	"    privateEndpoints = array_length(properties.privateEndpointConnections),\n" \
	"    ipDefaultAction = tostring(properties.siteConfig.ipSecurityRestrictionsDefaultAction),\n" \
	"    aseId = tostring(properties.hostingEnvironmentProfile.id),\n" \
	"    http20Enabled = tobool(properties.siteConfig.http20Enabled),\n" \
	"    minTlsVersion = tostring(properties.siteConfig.minTlsVersion)\n" \
	"| order by id asc\n"

/* The control's check as its own definition of done: expected to return nothing. */
#define INVENTORY_QUERY_CHECK \
	INVENTORY_QUERY_TARGETS \
	"| where coalesce(tobool(properties.clientCertEnabled), false) != true or tostring(properties.clientCertMode) != 'Required'\n" \
	"| project id\n" \
	"| order by id asc\n"

/* App Service Environments whose apps are reachable only inside their virtual network. */
#define INVENTORY_QUERY_INTERNAL_ASE \
	"resources\n" \
	"| where type =~ 'microsoft.web/hostingenvironments'\n" \
	"| where tostring(properties.internalLoadBalancingMode) !in~ ('', 'None')\n" \
	"| project id\n"

enum inventory_result {
	INVENTORY_OK = 0,
	INVENTORY_ERR_ARM,      /* a Resource Graph or ARM call failed: err says which and why */
	INVENTORY_ERR_INVALID,  /* a response not in the shape Resource Graph documents */
};

/* The fix order: exposed and production first. */
enum inventory_tier {
	TIER_EXPOSED_PRODUCTION = 0,
	TIER_EXPOSED,
	TIER_PRODUCTION,
	TIER_REST,
	TIER__COUNT
};
/* "exposed+production", "exposed", "production", "rest" (static strings). */
const char *inventory_tier_name(enum inventory_tier tier);
/* Parses those names; -1 when unknown. */
int inventory_tier_parse(const char *name);

struct inventory_item {
	char *id, *name, *type, *kind, *location, *subscription, *resource_group; /* owned */
	char *cert_mode;        /* "" when unset (owned) */
	char *exclusion_paths;  /* "" when none (owned) */
	int cert_enabled;       /* 1, 0, or -1 when unset */
	int slot;               /* a deployment slot */
	int exposed, production, at_risk, exempt;
	int excluded;           /* under one of [assignment] not_scopes: out of the control */
	int compliant;          /* enabled and mode Required */
	enum inventory_tier tier;
	char *why;              /* the classification's reasons, one phrase (owned) */
};

struct inventory {
	struct inventory_item *items;
	size_t nr, alloc;
	unsigned queries;       /* Resource Graph requests sent (pages included) */
	unsigned throttled;     /* times the quota made us wait */
};
/* Frees what an item owns (inventory_release does it for every item). */
void inventory_item_release(struct inventory_item *item);
void inventory_release(struct inventory *inv);
/* Items non-compliant, not exempt, not excluded: what the control still has to close. */
size_t inventory_open_count(const struct inventory *inv);

/* The [inventory] rules (borrowed from the config). */
struct inventory_rules {
	const struct string_list *tag_keys, *tag_values, *subscription_patterns;
	int slots_are_production, restrictions_private, internal_ase_private, at_risk_http2,
	    at_risk_tls13;
};
void inventory_rules_from_config(struct inventory_rules *rules, const struct config *cfg);

/*
 * Classifies one row of INVENTORY_QUERY_SITES (borrowed) into *item (filled; release with the
 * inventory). internal_ases: object of ASE ids (lower case) → true (borrowed, may be NULL);
 * production_subs: object of subscription ids (lower case) that are production (may be NULL).
 * Returns 0, or -1 when the row has no id.
 */
int inventory_classify(const json_t *row, const struct inventory_rules *rules,
		       const json_t *internal_ases, const json_t *production_subs,
		       struct inventory_item *item);

/*
 * Runs the inventory for the config's scope (management group, else subscriptions) through
 * client (borrowed). only: NULL, or ids (array of strings, borrowed) to limit the query to
 * (fix's re-scan). Appends to *out. Returns INVENTORY_OK, or an error with err one line.
 */
enum inventory_result inventory_run(struct arm_client *client, const struct config *cfg,
				    const json_t *only, struct inventory *out, struct strbuf *err);

enum inventory_format { INVENTORY_TABLE, INVENTORY_JSON, INVENTORY_CSV, INVENTORY_MARKDOWN };
/* Writes the inventory in a format; the table on a terminal aligns columns. */
void inventory_write(const struct inventory *inv, enum inventory_format format, FILE *out);
#endif
