/*
 * worldgen — world generation (see worldgen.h).
 *
 * The text is written directly rather than built as a jansson tree and dumped: a world of
 * 50,000 sites then costs one pass of string appends, and loading it is the only parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armsim/rng.h"
#include "armsim/worldgen.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void worldgen_spec_default(struct worldgen_spec *s)
{
	s->mgs = 3;
	s->subs = 20;
	s->rgs = 2;
	s->sites = 20;
	s->noncompliant = 0.6;
	s->slots = 0.1;
	s->functions = 0.3;
	s->locked = 0.02;
	s->http2 = 0.05;
	s->unregistered = 0;
	s->flex = 0;
	s->exposed = 1;
	s->prod = -1;
	s->seed = 1;
}

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long n;
	if (!*v || *v == '-')
		return -1;
	n = strtoull(v, &end, 10);
	if (*end || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_fraction(const char *v, double *out)
{
	char *end;
	double d;
	if (!*v)
		return -1;
	d = strtod(v, &end);
	if (*end || !(d >= 0 && d <= 1))
		return -1;
	*out = d;
	return 0;
}

int worldgen_spec_parse(struct worldgen_spec *s, const char *text, struct strbuf *err)
{
	struct strbuf copy = STRBUF_INIT;
	char *p, *next;
	int ret = -1;
	strbuf_addstr(&copy, text);
	for (p = copy.buf; p && *p; p = next) {
		char *eq;
		unsigned long long n;
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		eq = strchr(p, '=');
		if (!eq) {
			strbuf_addf(err, "world spec item '%s': expected key=value", p);
			goto out;
		}
		*eq++ = '\0';
#define UINT_KEY(name, field, max) \
		if (!strcmp(p, name)) { \
			if (parse_uint(eq, max, &n)) { \
				strbuf_addf(err, "world spec key '%s': expected an integer from 0 to %llu, got '%s'", p, (unsigned long long)(max), eq); \
				goto out; \
			} \
			s->field = (unsigned)n; \
			continue; \
		}
#define FRACTION_KEY(name, field) \
		if (!strcmp(p, name)) { \
			if (parse_fraction(eq, &s->field)) { \
				strbuf_addf(err, "world spec key '%s': expected a number from 0 to 1, got '%s'", p, eq); \
				goto out; \
			} \
			continue; \
		}
		UINT_KEY("mgs", mgs, 1000)
		UINT_KEY("subs", subs, 100000)
		UINT_KEY("rgs", rgs, 1000)
		UINT_KEY("sites", sites, 100000)
		FRACTION_KEY("noncompliant", noncompliant)
		FRACTION_KEY("slots", slots)
		FRACTION_KEY("functions", functions)
		FRACTION_KEY("locked", locked)
		FRACTION_KEY("http2", http2)
		FRACTION_KEY("unregistered", unregistered)
		FRACTION_KEY("flex", flex)
		FRACTION_KEY("exposed", exposed)
		FRACTION_KEY("prod", prod)
#undef UINT_KEY
#undef FRACTION_KEY
		if (!strcmp(p, "seed")) {
			if (parse_uint(eq, ~0ULL, &n)) {
				strbuf_addf(err, "world spec key 'seed': expected an integer, got '%s'", eq);
				goto out;
			}
			s->seed = n;
			continue;
		}
		strbuf_addf(err, "world spec key '%s' is unknown; known keys: mgs, subs, rgs, sites, "
			    "noncompliant, slots, functions, locked, http2, unregistered, flex, exposed, prod, seed", p);
		goto out;
	}
	if (s->subs && !s->rgs && s->sites) {
		strbuf_addstr(err, "world spec: sites need rgs >= 1");
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&copy);
	return ret;
}

static const char *const locations[] = { "westeurope", "northeurope", "eastus", "westus2" };

/*
 * The properties of a site or slot: compliant or one of the ways of not being compliant, and
 * (exposed < 1) public or private one of four ways; ase is the subscription's internal ASE.
 */
static void add_site_props(struct strbuf *out, uint64_t *r, const struct worldgen_spec *s,
			   const char *ase)
{
	const char *pna = "\"Enabled\"", *ip_deny = "", *pe = "";
	struct strbuf ase_profile = STRBUF_INIT;
	int http2 = rng_unit(r) < s->http2;
	int bad = rng_unit(r) < s->noncompliant;
	const char *mode = "Required";
	int enabled = 1;
	if (bad) {
		switch (rng_next(r) % 3) {
		case 0:
			enabled = 0;
			break;
		case 1:
			mode = "Optional";
			break;
		default:
			mode = "OptionalInteractiveUser";
			break;
		}
	}
	/* drawn only when asked for: worlds from specs without exposed= stay byte for byte */
	if (s->exposed < 1 && rng_unit(r) >= s->exposed) {
		switch (rng_next(r) % (ase ? 4 : 3)) {
		case 0:
			pna = "\"Disabled\"";
			break;
		case 1: /* private endpoint only: publicNetworkAccess left unset */
			pna = "null";
			pe = ",\"privateEndpointConnections\":[{\"name\":\"pe-1\",\"properties\":"
			     "{\"privateLinkServiceConnectionState\":{\"status\":\"Approved\"}}}]";
			break;
		case 2:
			ip_deny = ",\"ipSecurityRestrictionsDefaultAction\":\"Deny\"";
			break;
		default:
			strbuf_addf(&ase_profile, ",\"hostingEnvironmentProfile\":{\"id\":\"%s\","
				    "\"name\":\"%s\",\"type\":\"Microsoft.Web/hostingEnvironments\"}",
				    ase, strrchr(ase, '/') + 1);
			break;
		}
	}
	/* the properties policies look at; GET adds App Service's defaults (serverFarmId too) */
	strbuf_addf(out, "\"properties\":{\"clientCertEnabled\":%s,\"clientCertMode\":\"%s\","
		    "\"clientCertExclusionPaths\":\"\",\"publicNetworkAccess\":%s%s%s,"
		    "\"httpsOnly\":true,\"siteConfig\":{\"http20Enabled\":%s%s}",
		    enabled ? "true" : "false", mode, pna, pe, ase_profile.buf,
		    http2 ? "true" : "false", ip_deny);
	strbuf_release(&ase_profile);
}

void worldgen_write(const struct worldgen_spec *s, struct strbuf *out)
{
	uint64_t r = s->seed * 0x2545f4914f6cdd1dULL + 1;
	unsigned i, j, k;
	char (*unregistered)[37] = NULL; /* subscriptions left without Microsoft.PolicyInsights */
	size_t nr_unregistered = 0, alloc_unregistered = 0;
	struct strbuf ase = STRBUF_INIT, ases = STRBUF_INIT;
	strbuf_addf(out, "{\"tenantId\":\"%s\",\"seed\":%llu,\n", WORLDGEN_TENANT_ID, s->seed);
	strbuf_addf(out, "\"managedIdentity\":{\"identityHeader\":\"%s\",\"clientId\":\"%s\"},\n",
		    WORLDGEN_IDENTITY_HEADER, WORLDGEN_DEMO_CLIENT_ID);
	strbuf_addstr(out, "\"managementGroups\":[");
	for (i = 0; i < s->mgs; i++)
		strbuf_addf(out, "%s\n{\"name\":\"mg-%u\",\"displayName\":\"Landing zone %u\"}",
			    i ? "," : "", i + 1, i + 1);
	strbuf_addstr(out, "],\n\"subscriptions\":[");
	for (i = 0; i < s->subs; i++) {
		char sub[37];
		unsigned per_rg = s->rgs ? (s->sites + s->rgs - 1) / s->rgs : 0, placed = 0;
		{
			uint64_t a = rng_next(&r), b = rng_next(&r);
			rng_format_guid(a, b, sub);
		}
		char mg[48];
		if (s->mgs)
			snprintf(mg, sizeof(mg), "mg-%u", i % s->mgs + 1);
		else
			snprintf(mg, sizeof(mg), "%s", WORLDGEN_TENANT_ID);
		strbuf_addf(out, "%s\n{\"subscriptionId\":\"%s\",\"displayName\":\"sub-%u\","
			    "\"managementGroup\":\"%s\",\"resourceGroups\":[",
			    i ? "," : "", sub, i + 1, mg);
		/* private apps may sit on the subscription's internal ASE (rg-1) */
		strbuf_reset(&ase);
		if (s->exposed < 1 && s->rgs) {
			strbuf_addf(&ase, "/subscriptions/%s/resourceGroups/rg-1/providers/Microsoft.Web/hostingEnvironments/ase-%u",
				    sub, i + 1);
			strbuf_addf(&ases, "%s\n{\"id\":\"%s\",\"name\":\"ase-%u\",\"type\":"
				    "\"Microsoft.Web/hostingEnvironments\",\"kind\":\"ASEV3\",\"location\":\"%s\","
				    "\"properties\":{\"internalLoadBalancingMode\":\"Web, Publishing\"}}",
				    ases.len ? "," : "", ase.buf, i + 1, locations[i % 4]);
		}
		for (j = 0; j < s->rgs; j++) {
			const char *loc = locations[(i + j) % (sizeof(locations) / sizeof(*locations))];
			strbuf_addf(out, "%s\n {\"name\":\"rg-%u\",\"location\":\"%s\",\"sites\":[",
				    j ? "," : "", j + 1, loc);
			for (k = 0; k < per_rg && placed < s->sites; k++, placed++) {
				int func = rng_unit(&r) < s->functions;
				int locked = rng_unit(&r) < s->locked;
				int slot = rng_unit(&r) < s->slots;
				int prod = s->prod < 0 ? placed % 2 : rng_unit(&r) < s->prod;
				/* drawn only when asked for: worlds from specs without flex= stay as they were */
				int flex = func && s->flex > 0 && rng_unit(&r) < s->flex;
				strbuf_addf(out, "%s\n  {\"name\":\"%s-%u-%u\",\"kind\":\"%s\",\"location\":\"%s\","
					    "\"tags\":{\"env\":\"%s\"},\"locked\":%s,",
					    k ? "," : "", func ? "func" : "app", i + 1, placed + 1,
					    flex ? "functionapp,linux" : func ? "functionapp" : "app", loc,
					    prod ? "prod" : "test", locked ? "true" : "false");
				add_site_props(out, &r, s, ase.len ? ase.buf : NULL);
				if (flex) {
					/* Flex Consumption: the site's sku marker and its functionAppConfig */
					strbuf_addstr(out, ",\"sku\":\"FlexConsumption\",\"reserved\":true,"
						      "\"functionAppConfig\":{\"runtime\":{\"name\":\"python\","
						      "\"version\":\"3.11\"},\"scaleAndConcurrency\":"
						      "{\"maximumInstanceCount\":100,\"instanceMemoryMB\":2048}}");
					slot = 0; /* Flex Consumption has no deployment slots */
				}
				strbuf_addch(out, '}');
				if (slot) {
					strbuf_addstr(out, ",\"slots\":[{\"name\":\"staging\",\"kind\":");
					strbuf_addf(out, "\"%s\",\"locked\":false,", func ? "functionapp" : "app");
					add_site_props(out, &r, s, ase.len ? ase.buf : NULL);
					strbuf_addstr(out, "}}]");
				}
				strbuf_addch(out, '}');
			}
			strbuf_addstr(out, "]}");
		}
		strbuf_addstr(out, "]}");
		/* a separate list, so that the sites of every other spec stay byte for byte */
		if ((unsigned)((i + 1) * s->unregistered) > (unsigned)(i * s->unregistered)) {
			ALLOC_GROW(unregistered, nr_unregistered + 1, alloc_unregistered);
			memcpy(unregistered[nr_unregistered++], sub, sizeof(sub));
		}
	}
	strbuf_addstr(out, "],\n");
	strbuf_addstr(out, "\"principals\":[\n");
	strbuf_addf(out, "{\"displayName\":\"policyctl-demo\",\"objectId\":\"%s\",\"clientId\":\"%s\","
		    "\"clientSecret\":\"%s\",\"roleAssignments\":[{\"role\":\"Owner\",\"scope\":"
		    "\"/providers/Microsoft.Management/managementGroups/%s\"}]}",
		    WORLDGEN_DEMO_OBJECT_ID, WORLDGEN_DEMO_CLIENT_ID, WORLDGEN_DEMO_SECRET,
		    WORLDGEN_TENANT_ID);
	strbuf_addch(out, ']');
	/* one resources list: the internal ASEs (exposed < 1), then unregistered providers */
	if (nr_unregistered || ases.len) {
		strbuf_addstr(out, ",\n\"resources\":[");
		strbuf_addstr(out, ases.buf);
		for (i = 0; i < nr_unregistered; i++)
			strbuf_addf(out, "%s\n{\"id\":\"/subscriptions/%s/providers/Microsoft.PolicyInsights\","
				    "\"type\":\"Microsoft.Resources/providers\",\"namespace\":"
				    "\"Microsoft.PolicyInsights\",\"registrationState\":\"NotRegistered\"}",
				    i || ases.len ? "," : "", unregistered[i]);
		strbuf_addch(out, ']');
	}
	strbuf_release(&ase);
	strbuf_release(&ases);
	strbuf_addstr(out, "}\n");
	free(unregistered);
}
