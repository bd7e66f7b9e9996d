/*
 * Unit tests for armsim/kql: the Kusto subset Resource Graph serves, as tables of queries over a
 * small fixed inventory with the rows each must answer; the queries docs/inventory.md shows
 * (every ```kql block there must be one of this file's queries and give its answer); and the
 * refusals: operators outside the subset name themselves, malformed queries name the token.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/kql.h"
#include "lib/strbuf.h"
#include "orchestrator/inventory.h"

#define S "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/"

static const char fixture[] =
	"[{\"id\":\"" S "sites/a\",\"name\":\"a\",\"type\":\"microsoft.web/sites\",\"kind\":\"app\","
	"\"location\":\"westeurope\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000001\","
	"\"resourceGroup\":\"rg\",\"tags\":{\"env\":\"prod\"},\"zones\":[\"1\",\"2\"],"
	"\"properties\":{\"clientCertEnabled\":true,\"clientCertMode\":\"Required\","
	"\"publicNetworkAccess\":\"Enabled\",\"privateEndpointConnections\":[],"
	"\"siteConfig\":{\"http20Enabled\":false,\"minTlsVersion\":\"1.2\"}}},"
	"{\"id\":\"" S "sites/b\",\"name\":\"b\",\"type\":\"microsoft.web/sites\",\"kind\":\"app\","
	"\"location\":\"eastus\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000001\","
	"\"resourceGroup\":\"rg\",\"tags\":{\"env\":\"test\"},\"zones\":null,"
	"\"properties\":{\"clientCertEnabled\":false,\"clientCertMode\":\"Optional\","
	"\"publicNetworkAccess\":\"Enabled\",\"privateEndpointConnections\":[{\"id\":\"pe1\"}],"
	"\"siteConfig\":{\"http20Enabled\":false,\"minTlsVersion\":\"1.2\","
	"\"ipSecurityRestrictionsDefaultAction\":\"Deny\"}}},"
	"{\"id\":\"" S "sites/b/slots/staging\",\"name\":\"b/staging\",\"type\":\"microsoft.web/sites/slots\","
	"\"kind\":\"app\",\"location\":\"eastus\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000001\","
	"\"resourceGroup\":\"rg\",\"tags\":{},\"zones\":null,"
	"\"properties\":{\"clientCertEnabled\":true,\"clientCertMode\":\"Optional\","
	"\"publicNetworkAccess\":\"Disabled\",\"siteConfig\":{\"http20Enabled\":false}}},"
	"{\"id\":\"" S "sites/c\",\"name\":\"c\",\"type\":\"microsoft.web/sites\",\"kind\":\"functionapp\","
	"\"location\":\"westeurope\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000002\","
	"\"resourceGroup\":\"rg\",\"tags\":{\"Environment\":\"Production\"},\"zones\":null,"
	"\"properties\":{\"clientCertExclusionPaths\":\"/health\",\"publicNetworkAccess\":\"Enabled\","
	"\"hostingEnvironmentProfile\":{\"id\":\"" S "hostingEnvironments/ase1\"},"
	"\"siteConfig\":{\"http20Enabled\":true,\"minTlsVersion\":\"1.3\"}}},"
	"{\"id\":\"" S "sites/d\",\"name\":\"d\",\"type\":\"microsoft.web/sites\","
	"\"kind\":\"functionapp,workflowapp\",\"location\":\"westeurope\","
	"\"subscriptionId\":\"00000000-0000-0000-0000-000000000002\",\"resourceGroup\":\"rg\","
	"\"tags\":{},\"zones\":null,\"properties\":{\"clientCertEnabled\":false}},"
	"{\"id\":\"" S "hostingEnvironments/ase1\",\"name\":\"ase1\","
	"\"type\":\"microsoft.web/hostingenvironments\",\"kind\":\"ASEV3\",\"location\":\"westeurope\","
	"\"subscriptionId\":\"00000000-0000-0000-0000-000000000002\",\"resourceGroup\":\"rg\","
	"\"tags\":{},\"zones\":null,\"properties\":{\"internalLoadBalancingMode\":\"Web, Publishing\"}}]";

static const char *const schema[] = { "id", "name", "type", "kind", "location", "subscriptionId",
				      "resourceGroup", "tags", "zones", "properties" };

struct row_case {
	const char *query;
	const char *rows;     /* the expected rows, JSON */
	const char *columns;  /* the expected columns, JSON; NULL: not checked */
};

/* The inventory's own queries (orchestrator/inventory.c), quoted in docs/inventory.md. */
#define CHECK_ROWS "[{\"id\":\"" S "sites/b\"},{\"id\":\"" S "sites/b/slots/staging\"},{\"id\":\"" S "sites/c\"}]"

static const struct row_case row_cases[] = {
	/* the tables and the simplest operators */
	{ "resources | count", "[{\"Count\":6}]", "[\"Count\"]" },
	{ "Resources | count", "[{\"Count\":6}]", NULL },
	{ "count", "[{\"Count\":6}]", NULL },
	{ "securityresources | count", "[{\"Count\":0}]", NULL },
	{ "resources | take 2 | project name", "[{\"name\":\"a\"},{\"name\":\"b\"}]", "[\"name\"]" },
	{ "resources | limit 1 | project name", "[{\"name\":\"a\"}]", NULL },
	{ "where name == 'a' | project name", "[{\"name\":\"a\"}]", NULL },
	/* == is case-sensitive, =~ folds case; !~ and != their negations */
	{ "resources | where name == 'A' | count", "[{\"Count\":0}]", NULL },
	{ "resources | where name =~ 'A' | project name", "[{\"name\":\"a\"}]", NULL },
	{ "resources | where type =~ 'Microsoft.Web/Sites' | count", "[{\"Count\":4}]", NULL },
	{ "resources | where type !~ 'MICROSOFT.WEB/SITES' | count", "[{\"Count\":2}]", NULL },
	{ "resources | where kind != 'app' | project name",
	  "[{\"name\":\"c\"},{\"name\":\"d\"},{\"name\":\"ase1\"}]", NULL },
	/* in / in~ / !in */
	{ "resources | where name in ('a', 'c', 'Z') | project name", "[{\"name\":\"a\"},{\"name\":\"c\"}]", NULL },
	{ "resources | where name in~ ('A', 'C') | project name", "[{\"name\":\"a\"},{\"name\":\"c\"}]", NULL },
	{ "resources | where name !in ('a', 'b', 'b/staging') | project name",
	  "[{\"name\":\"c\"},{\"name\":\"d\"},{\"name\":\"ase1\"}]", NULL },
	{ "resources | where name !in~ ('A', 'B', 'B/STAGING', 'C', 'D') | project name", "[{\"name\":\"ase1\"}]", NULL },
	/* contains folds case, has matches whole terms, startswith folds case */
	{ "resources | where kind contains 'WORKFLOW' | project name", "[{\"name\":\"d\"}]", NULL },
	{ "resources | where kind !contains 'functionapp' | count", "[{\"Count\":4}]", NULL },
	{ "resources | where kind has 'workflowapp' | project name", "[{\"name\":\"d\"}]", NULL },
	{ "resources | where kind has 'workflow' | count", "[{\"Count\":0}]", NULL },
	{ "resources | where name startswith 'B' | project name",
	  "[{\"name\":\"b\"},{\"name\":\"b/staging\"}]", NULL },
	{ "resources | where name !startswith 'b' and name !has 'ase1' | project name",
	  "[{\"name\":\"a\"},{\"name\":\"c\"},{\"name\":\"d\"}]", NULL },
	/* dynamic property access; a comparison with null drops the row */
	{ "resources | where properties.siteConfig.http20Enabled == true | project name", "[{\"name\":\"c\"}]", NULL },
	{ "resources | where properties.clientCertEnabled != true | project name",
	  "[{\"name\":\"b\"},{\"name\":\"d\"}]", NULL },
	{ "resources | where tags['env'] == 'prod' | project name", "[{\"name\":\"a\"}]", NULL },
	{ "resources | where tags.Environment =~ 'production' | project name", "[{\"name\":\"c\"}]", NULL },
	{ "resources | where properties['siteConfig']['minTlsVersion'] == '1.3' | project name",
	  "[{\"name\":\"c\"}]", NULL },
	{ "resources | where zones[1] == '2' | project name", "[{\"name\":\"a\"}]", NULL },
	/* and / or / not() with Kusto's null logic */
	{ "resources | where not(properties.clientCertEnabled == true) | project name",
	  "[{\"name\":\"b\"},{\"name\":\"d\"}]", NULL },
	{ "resources | where isnull(properties.clientCertEnabled) or properties.clientCertEnabled == false | project name",
	  "[{\"name\":\"b\"},{\"name\":\"c\"},{\"name\":\"d\"},{\"name\":\"ase1\"}]", NULL },
	{ "resources | where location == 'eastus' and (kind == 'app' or kind == 'x') | count", "[{\"Count\":2}]", NULL },
	/* functions */
	{ "resources | where name == 'c' | project e = tobool(properties.clientCertEnabled), "
	  "m = tostring(properties.clientCertMode), l = tolower(kind), u = toupper(location), "
	  "n = toint('42'), f = toint(3.9), s = strcat(name, '-', 1, true), "
	  "i = iff(kind == 'functionapp', 'f', 'w'), c = coalesce(properties.clientCertMode, '', 'none'), "
	  "e1 = isempty(properties.clientCertMode), e2 = isnotempty(name), n1 = isnotnull(properties), "
	  "a = array_length(zones), p = array_length(properties.siteConfig), t = tostring(tags)",
	  "[{\"e\":null,\"m\":\"\",\"l\":\"functionapp\",\"u\":\"WESTEUROPE\",\"n\":42,\"f\":3,"
	  "\"s\":\"c-1true\",\"i\":\"f\",\"c\":\"none\",\"e1\":true,\"e2\":true,\"n1\":true,\"a\":null,\"p\":null,"
	  "\"t\":\"{\\\"Environment\\\":\\\"Production\\\"}\"}]",
	  "[\"e\",\"m\",\"l\",\"u\",\"n\",\"f\",\"s\",\"i\",\"c\",\"e1\",\"e2\",\"n1\",\"a\",\"p\",\"t\"]" },
	{ "resources | where name == 'a' | project tobool('TRUE'), toint(true), array_length(zones), tostring(123)",
	  "[{\"Column1\":true,\"Column2\":1,\"zones\":2,\"Column4\":\"123\"}]", NULL },
	/* extend, project-away, automatic names */
	{ "resources | where name == 'a' | extend pna = properties.publicNetworkAccess, properties.siteConfig.minTlsVersion "
	  "| project-away properties, tags, zones, type, subscriptionId, resourceGroup, location, kind",
	  "[{\"id\":\"" S "sites/a\",\"name\":\"a\",\"pna\":\"Enabled\",\"properties_siteConfig_minTlsVersion\":\"1.2\"}]",
	  "[\"id\",\"name\",\"pna\",\"properties_siteConfig_minTlsVersion\"]" },
	{ "resources | where name == 'a' | extend name = strcat(name, '!') | project name", "[{\"name\":\"a!\"}]", NULL },
	/* order by: descending unless asc; stable; nulls first ascending */
	{ "resources | order by name | project name",
	  "[{\"name\":\"d\"},{\"name\":\"c\"},{\"name\":\"b/staging\"},{\"name\":\"b\"},{\"name\":\"ase1\"},{\"name\":\"a\"}]", NULL },
	{ "resources | sort by location asc, name desc | project name",
	  "[{\"name\":\"b/staging\"},{\"name\":\"b\"},{\"name\":\"d\"},{\"name\":\"c\"},{\"name\":\"ase1\"},{\"name\":\"a\"}]", NULL },
	{ "resources | extend e = properties.clientCertEnabled | order by e asc | project name",
	  "[{\"name\":\"c\"},{\"name\":\"ase1\"},{\"name\":\"b\"},{\"name\":\"d\"},{\"name\":\"a\"},{\"name\":\"b/staging\"}]", NULL },
	{ "resources | extend e = properties.clientCertEnabled | order by e desc nulls first | project name",
	  "[{\"name\":\"c\"},{\"name\":\"ase1\"},{\"name\":\"a\"},{\"name\":\"b/staging\"},{\"name\":\"b\"},{\"name\":\"d\"}]", NULL },
	/* summarize count() by, count, distinct */
	{ "resources | summarize count() by location",
	  "[{\"location\":\"westeurope\",\"count_\":4},{\"location\":\"eastus\",\"count_\":2}]",
	  "[\"location\",\"count_\"]" },
	{ "resources | summarize n = count() by t = type, subscriptionId | where n > 1 | project t, n",
	  "[{\"t\":\"microsoft.web/sites\",\"n\":2},{\"t\":\"microsoft.web/sites\",\"n\":2}]", NULL },
	{ "resources | where name == 'none' | summarize count()", "[{\"count_\":0}]", NULL },
	{ "resources | distinct kind", "[{\"kind\":\"app\"},{\"kind\":\"functionapp\"},"
	  "{\"kind\":\"functionapp,workflowapp\"},{\"kind\":\"ASEV3\"}]", "[\"kind\"]" },
	{ "resources | distinct location, resourceGroup | count", "[{\"Count\":2}]", NULL },
	/* mv-expand of an array; an empty array drops the row, a scalar keeps it */
	{ "resources | where name in ('a', 'b') | mv-expand pe = properties.privateEndpointConnections | project name, pe",
	  "[{\"name\":\"b\",\"pe\":{\"id\":\"pe1\"}}]", NULL },
	{ "resources | where name == 'a' | mv-expand zones | project zones", "[{\"zones\":\"1\"},{\"zones\":\"2\"}]", NULL },
	{ "resources | where name == 'b' | mv-expand zones | project name", "[{\"name\":\"b\"}]", NULL },
	/* comments, newlines, double quotes */
	{ "resources // every resource\n| where name == \"a\" // this one\n| project name", "[{\"name\":\"a\"}]", NULL },
	{ "resources | where name == 'it\\'s' | count", "[{\"Count\":0}]", NULL },
	/* the inventory's queries, quoted in docs/inventory.md */
	{ INVENTORY_QUERY_TARGETS "| count", "[{\"Count\":4}]", NULL },
	{ INVENTORY_QUERY_SITES,
	  "["
	  "{\"id\":\"" S "sites/a\",\"name\":\"a\",\"type\":\"microsoft.web/sites\",\"kind\":\"app\",\"location\":\"westeurope\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000001\",\"resourceGroup\":\"rg\",\"tags\":{\"env\":\"prod\"},\"clientCertEnabled\":true,\"clientCertMode\":\"Required\",\"exclusionPaths\":\"\",\"publicNetworkAccess\":\"Enabled\",\"privateEndpoints\":0,\"ipDefaultAction\":\"\",\"aseId\":\"\",\"http20Enabled\":false,\"minTlsVersion\":\"1.2\"}"
	  ","
	  "{\"id\":\"" S "sites/b\",\"name\":\"b\",\"type\":\"microsoft.web/sites\",\"kind\":\"app\",\"location\":\"eastus\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000001\",\"resourceGroup\":\"rg\",\"tags\":{\"env\":\"test\"},\"clientCertEnabled\":false,\"clientCertMode\":\"Optional\",\"exclusionPaths\":\"\",\"publicNetworkAccess\":\"Enabled\",\"privateEndpoints\":1,\"ipDefaultAction\":\"Deny\",\"aseId\":\"\",\"http20Enabled\":false,\"minTlsVersion\":\"1.2\"}"
	  ","
	  "{\"id\":\"" S "sites/b/slots/staging\",\"name\":\"b/staging\",\"type\":\"microsoft.web/sites/slots\",\"kind\":\"app\",\"location\":\"eastus\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000001\",\"resourceGroup\":\"rg\",\"tags\":{},\"clientCertEnabled\":true,\"clientCertMode\":\"Optional\",\"exclusionPaths\":\"\",\"publicNetworkAccess\":\"Disabled\",\"privateEndpoints\":null,\"ipDefaultAction\":\"\",\"aseId\":\"\",\"http20Enabled\":false,\"minTlsVersion\":\"\"}"
	  ","
	  "{\"id\":\"" S "sites/c\",\"name\":\"c\",\"type\":\"microsoft.web/sites\",\"kind\":\"functionapp\",\"location\":\"westeurope\",\"subscriptionId\":\"00000000-0000-0000-0000-000000000002\",\"resourceGroup\":\"rg\",\"tags\":{\"Environment\":\"Production\"},\"clientCertEnabled\":null,\"clientCertMode\":\"\",\"exclusionPaths\":\"/health\",\"publicNetworkAccess\":\"Enabled\",\"privateEndpoints\":null,\"ipDefaultAction\":\"\",\"aseId\":\"" S "hostingEnvironments/ase1\",\"http20Enabled\":true,\"minTlsVersion\":\"1.3\"}"
	  "]",
	  "[\"id\",\"name\",\"type\",\"kind\",\"location\",\"subscriptionId\",\"resourceGroup\",\"tags\",\"clientCertEnabled\",\"clientCertMode\",\"exclusionPaths\",\"publicNetworkAccess\",\"privateEndpoints\",\"ipDefaultAction\",\"aseId\",\"http20Enabled\",\"minTlsVersion\"]" },
	{ INVENTORY_QUERY_CHECK, CHECK_ROWS, "[\"id\"]" },
	{ INVENTORY_QUERY_INTERNAL_ASE, "[{\"id\":\"" S "hostingEnvironments/ase1\"}]", "[\"id\"]" },
	{ INVENTORY_QUERY_SITES "| project name, clientCertEnabled, clientCertMode, exclusionPaths, privateEndpoints, "
	  "ipDefaultAction, aseId, http20Enabled, minTlsVersion",
	  "[{\"name\":\"a\",\"clientCertEnabled\":true,\"clientCertMode\":\"Required\",\"exclusionPaths\":\"\","
	  "\"privateEndpoints\":0,\"ipDefaultAction\":\"\",\"aseId\":\"\",\"http20Enabled\":false,\"minTlsVersion\":\"1.2\"},"
	  "{\"name\":\"b\",\"clientCertEnabled\":false,\"clientCertMode\":\"Optional\",\"exclusionPaths\":\"\","
	  "\"privateEndpoints\":1,\"ipDefaultAction\":\"Deny\",\"aseId\":\"\",\"http20Enabled\":false,\"minTlsVersion\":\"1.2\"},"
	  "{\"name\":\"b/staging\",\"clientCertEnabled\":true,\"clientCertMode\":\"Optional\",\"exclusionPaths\":\"\","
	  "\"privateEndpoints\":null,\"ipDefaultAction\":\"\",\"aseId\":\"\",\"http20Enabled\":false,\"minTlsVersion\":\"\"},"
	  "{\"name\":\"c\",\"clientCertEnabled\":null,\"clientCertMode\":\"\",\"exclusionPaths\":\"/health\","
	  "\"privateEndpoints\":null,\"ipDefaultAction\":\"\",\"aseId\":\"" S "hostingEnvironments/ase1\","
	  "\"http20Enabled\":true,\"minTlsVersion\":\"1.3\"}]", NULL },
};

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad JSON in the test table (%s): %s", e.text, text);
	return v;
}

static void run_case(const struct row_case *c)
{
	json_t *rows = load(fixture), *columns = json_array(), *want = load(c->rows);
	struct kql_query *q = NULL;
	struct kql_error err = KQL_ERROR_INIT;
	struct kql_table out = { NULL, NULL };
	size_t i;
	for (i = 0; i < sizeof(schema) / sizeof(*schema); i++)
		json_array_append_new(columns, json_string(schema[i]));
	if (kql_parse(c->query, &q, &err) != KQL_OK)
		fail_msg("query refused: %s (at %d:%d '%s')\n  %s", err.message.buf, err.line,
			 err.column, err.token.buf, c->query);
	kql_run(q, rows, columns, &out);
	if (!json_equal(out.rows, want)) {
		char *got = json_dumps(out.rows, JSON_COMPACT);
		fail_msg("query: %s\n  want: %s\n  got:  %s", c->query, c->rows, got);
	}
	if (c->columns) {
		json_t *want_cols = load(c->columns);
		if (!json_equal(out.columns, want_cols)) {
			char *got = json_dumps(out.columns, JSON_COMPACT);
			fail_msg("query: %s\n  want columns: %s\n  got: %s", c->query, c->columns, got);
		}
		json_decref(want_cols);
	}
	kql_table_release(&out);
	kql_query_free(q);
	kql_error_release(&err);
	json_decref(rows);
	json_decref(columns);
	json_decref(want);
}

static void test_rows(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(row_cases) / sizeof(*row_cases); i++)
		run_case(&row_cases[i]);
}

struct error_case {
	const char *query;
	enum kql_result want;
	const char *name;   /* KQL_UNSUPPORTED: the operator named; else the token */
	int line, column;
};

static const struct error_case error_cases[] = {
	{ "resources | join (resources) on id", KQL_UNSUPPORTED, "join", 1, 12 },
	{ "resources | union securityresources", KQL_UNSUPPORTED, "union", 1, 12 },
	{ "resources\n| where name == 'a'\n| parse id with * '/' x", KQL_UNSUPPORTED, "parse", 3, 2 },
	{ "resources | top 3 by name", KQL_UNSUPPORTED, "top", 1, 12 },
	{ "resources | project-rename n = name", KQL_UNSUPPORTED, "project-rename", 1, 12 },
	{ "resources | mv-apply z = zones on (take 1)", KQL_UNSUPPORTED, "mv-apply", 1, 12 },
	{ "resources | where name endswith 'a'", KQL_UNSUPPORTED, "endswith", 1, 23 },
	{ "resources | where name matches regex 'a'", KQL_UNSUPPORTED, "matches", 1, 23 },
	{ "resources | extend p = split(id, '/')", KQL_UNSUPPORTED, "split", 1, 23 },
	{ "resources | summarize dcount(name) by type", KQL_UNSUPPORTED, "dcount", 1, 22 },
	{ "resources | summarize make_list(name)", KQL_UNSUPPORTED, "make_list", 1, 22 },
	{ "resourcecontainers | count", KQL_UNSUPPORTED, "resourcecontainers", 1, 0 },
	{ "resources | mv-expand zones limit 1", KQL_UNSUPPORTED, "mv-expand", 1, 28 },
	{ "", KQL_PARSE_ERROR, "", 1, 0 },
	{ "resources |", KQL_PARSE_ERROR, "", 1, 11 },
	{ "resources | where", KQL_PARSE_ERROR, "", 1, 17 },
	{ "resources | frobnicate", KQL_PARSE_ERROR, "frobnicate", 1, 12 },
	{ "resources | where name == 'a", KQL_PARSE_ERROR, "'a", 1, 26 },
	{ "resources | where name ==", KQL_PARSE_ERROR, "", 1, 25 },
	{ "resources | where (name == 'a'", KQL_PARSE_ERROR, "", 1, 30 },
	{ "resources | where name in 'a'", KQL_PARSE_ERROR, "'a'", 1, 26 },
	{ "resources | take x", KQL_PARSE_ERROR, "x", 1, 17 },
	{ "resources | order name", KQL_PARSE_ERROR, "name", 1, 18 },
	{ "resources | where nosuch(name)", KQL_PARSE_ERROR, "nosuch", 1, 18 },
	{ "resources | where iff(name)", KQL_PARSE_ERROR, "", 1, 27 },
	{ "resources | project #", KQL_PARSE_ERROR, "#", 1, 20 },
	{ "resources name", KQL_PARSE_ERROR, "name", 1, 10 },
	{ "resources | count | count x", KQL_PARSE_ERROR, "x", 1, 26 },
	{ "resources | where name !x 'a'", KQL_PARSE_ERROR, "!", 1, 23 },
	{ "resources | take 99999999999999999999", KQL_PARSE_ERROR, "99999999999999999999", 1, 17 },
};

static void test_errors(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(*error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct kql_query *q = NULL;
		struct kql_error err = KQL_ERROR_INIT;
		enum kql_result got = kql_parse(c->query, &q, &err);
		if (got != c->want)
			fail_msg("query '%s': want result %d, got %d (%s)", c->query, c->want, got,
				 err.message.buf);
		assert_null(q);
		assert_true(err.message.len > 0);
		if (c->want == KQL_UNSUPPORTED) {
			if (strcmp(err.name.buf, c->name))
				fail_msg("query '%s': names '%s', want '%s'", c->query, err.name.buf, c->name);
			assert_non_null(strstr(err.message.buf, c->name));
		} else if (strcmp(err.token.buf, c->name)) {
			fail_msg("query '%s': token '%s', want '%s' (%s)", c->query, err.token.buf,
				 c->name, err.message.buf);
		}
		if (err.line != c->line || err.column != c->column)
			fail_msg("query '%s': at %d:%d, want %d:%d (%s)", c->query, err.line,
				 err.column, c->line, c->column, err.message.buf);
		kql_error_release(&err);
	}
}

/* Nesting is bounded: a deep query is refused, not a stack overflow. */
static void test_deep_nesting(void **state)
{
	struct strbuf q = STRBUF_INIT;
	struct kql_query *query = NULL;
	struct kql_error err = KQL_ERROR_INIT;
	int i;
	(void)state;
	strbuf_addstr(&q, "resources | where ");
	for (i = 0; i < 10000; i++)
		strbuf_addch(&q, '(');
	assert_int_equal(kql_parse(q.buf, &query, &err), KQL_PARSE_ERROR);
	assert_non_null(strstr(err.message.buf, "nested"));
	kql_error_release(&err);
	strbuf_release(&q);
}

/*
 * mv-expand is bounded: one record gives at most 128 values (Kusto's default limit), and a
 * chain of expansions over one array stops at 10,000 rows (8 per source row, at least 10,000)
 * instead of growing as len^n (the fuzz target's out-of-memory,
 * fuzz/corpus/kql/crash-oom-chained-mv-expand).
 */
static void test_mv_expand_bounded(void **state)
{
	json_t *rows = json_array(), *columns = json_pack("[s, s]", "id", "zones"), *zones = json_array();
	struct kql_query *q = NULL;
	struct kql_error err = KQL_ERROR_INIT;
	struct kql_table out = { NULL, NULL };
	struct strbuf text = STRBUF_INIT;
	int i;
	(void)state;
	for (i = 0; i < 200; i++)
		json_array_append_new(zones, json_integer(i));
	json_array_append_new(rows, json_pack("{s:s, s:o}", "id", "/a", "zones", zones));
	assert_int_equal(kql_parse("resources | mv-expand z = zones", &q, &err), KQL_OK);
	kql_run(q, rows, columns, &out);
	assert_int_equal(json_array_size(out.rows), 128);
	kql_table_release(&out);
	kql_query_free(q);
	q = NULL;
	strbuf_addstr(&text, "resources");
	for (i = 0; i < 6; i++)
		strbuf_addf(&text, " | mv-expand z%d = zones", i);
	assert_int_equal(kql_parse(text.buf, &q, &err), KQL_OK);
	kql_run(q, rows, columns, &out);
	assert_int_equal(json_array_size(out.rows), 10000);
	kql_table_release(&out);
	kql_query_free(q);
	kql_error_release(&err);
	strbuf_release(&text);
	json_decref(rows);
	json_decref(columns);
}

static void normalise(const char *in, struct strbuf *out)
{
	int space = 0;
	strbuf_reset(out);
	for (; *in; in++) {
		if (*in == ' ' || *in == '\n' || *in == '\t') {
			space = out->len > 0;
			continue;
		}
		if (space)
			strbuf_addch(out, ' ');
		space = 0;
		strbuf_addch(out, *in);
	}
}

/* Every ```kql block of docs/inventory.md is one of the tested queries (so the docs run). */
static void test_docs_queries(void **state)
{
	const char *top = getenv("TOP");
	struct strbuf path = STRBUF_INIT, doc = STRBUF_INIT, block = STRBUF_INIT, a = STRBUF_INIT,
		      b = STRBUF_INIT;
	const char *p, *end;
	int blocks = 0;
	size_t i;
	(void)state;
	strbuf_addf(&path, "%s/docs/inventory.md", top ? top : ".");
	if (strbuf_read_file(&doc, path.buf, 1 << 20))
		fail_msg("cannot read '%s' (set TOP to the tree)", path.buf);
	for (p = doc.buf; (p = strstr(p, "```kql\n")); p = end + 3) {
		int found = 0;
		p += 7;
		end = strstr(p, "```");
		assert_non_null(end);
		strbuf_reset(&block);
		strbuf_add(&block, p, (size_t)(end - p));
		normalise(block.buf, &a);
		for (i = 0; i < sizeof(row_cases) / sizeof(*row_cases) && !found; i++) {
			normalise(row_cases[i].query, &b);
			found = !strcmp(a.buf, b.buf);
		}
		if (!found)
			fail_msg("docs/inventory.md has a query no table case runs:\n%s", block.buf);
		blocks++;
	}
	assert_true(blocks >= 3);
	strbuf_release(&path);
	strbuf_release(&doc);
	strbuf_release(&block);
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_mv_expand_bounded),
		cmocka_unit_test(test_docs_queries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
