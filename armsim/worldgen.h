/*
 * worldgen — generated worlds for tests, benchmarks and the demo.
 *
 * A spec is "key=value,..." with any subset of:
 *   mgs=3           management groups under the tenant root group (subscriptions spread over them)
 *   subs=20         subscriptions
 *   rgs=2           resource groups per subscription
 *   sites=20        sites per subscription (spread over its resource groups)
 *   noncompliant=0.6 fraction of sites (and slots) without clientCertEnabled + Required
 *   slots=0.1       fraction of sites with one deployment slot ("staging")
 *   functions=0.3   fraction of sites of kind functionapp
 *   locked=0.02     fraction of sites with a ReadOnly lock
 *   http2=0.05      fraction of sites with siteConfig.http20Enabled
 *   unregistered=0  fraction of subscriptions where Microsoft.PolicyInsights is NotRegistered
 *                   (evenly spread: floor(subs × F) of them; ops_providers.h)
 *   flex=0          fraction of function apps on Flex Consumption (properties.sku
 *                   "FlexConsumption", kind functionapp,linux, no slots)
 *   exposed=1       fraction of sites and slots reachable from the internet; the others are
 *                   private one of four ways: publicNetworkAccess Disabled, private endpoint
 *                   only, access restrictions defaulting to Deny, an internal ASE (one per
 *                   subscription, in rg-1, generated when exposed < 1)
 *   prod=0.5        fraction of sites tagged env=prod (the others env=test); when not given,
 *                   every second site of a resource group is prod
 *   seed=1          the same seed gives the same world, byte for byte
 * Every generated world has the demo principal (WORLDGEN_DEMO_*), Owner at the tenant root
 * group, and the App Service managed-identity endpoint answering for it.
 */
#ifndef ARMSIM_WORLDGEN_H
#define ARMSIM_WORLDGEN_H
#include <jansson.h>

#include "lib/strbuf.h"

#define WORLDGEN_TENANT_ID "72f988bf-0000-4000-8000-00000000a125"
#define WORLDGEN_DEMO_CLIENT_ID "d3d0c11e-0000-4000-8000-0000000000d1"
#define WORLDGEN_DEMO_OBJECT_ID "d3d0c11e-0000-4000-8000-0000000000d2"
#define WORLDGEN_DEMO_SECRET "armsim-demo-secret-do-not-use-in-azure"
#define WORLDGEN_IDENTITY_HEADER "armsim-identity-header"

struct worldgen_spec {
	unsigned mgs, subs, rgs, sites;
	double noncompliant, slots, functions, locked, http2, unregistered, flex;
	double exposed;   /* 1: every app public (and no random draw: older worlds unchanged) */
	double prod;      /* < 0: alternate env=prod/test as before */
	unsigned long long seed;
};

/* Fills spec with the documented defaults. */
void worldgen_spec_default(struct worldgen_spec *spec);
/* Parses "k=v,..." over the defaults. Returns 0, or -1 with err naming the bad key or value. */
int worldgen_spec_parse(struct worldgen_spec *spec, const char *text, struct strbuf *err);
/* Appends the world file for spec to out (JSON text, deterministic). */
void worldgen_write(const struct worldgen_spec *spec, struct strbuf *out);
#endif
