/*
 * Unit tests for armsim/world (loading, errors, resources, scopes) and armsim/worldgen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/roles.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "armsim/worldgen.h"
#include "lib/jsonutil.h"

static const char base_world[] =
	"{\"tenantId\":\"tid\",\"managementGroups\":["
	"{\"name\":\"child\",\"parent\":\"top\"},{\"name\":\"top\"}],"
	"\"subscriptions\":[{\"subscriptionId\":\"SUB-1\",\"managementGroup\":\"child\","
	"\"resourceGroups\":[{\"name\":\"rg\",\"location\":\"westeurope\",\"sites\":["
	"{\"name\":\"app\",\"kind\":\"app\",\"locked\":true,\"properties\":{\"clientCertEnabled\":true},"
	"\"extendedLocation\":{\"name\":\"/cl/1\",\"type\":\"CustomLocation\"},\"appSettings\":{\"K\":\"v\"},"
	"\"slots\":[{\"name\":\"staging\"}]}]}]}],"
	"\"principals\":[{\"objectId\":\"oid\",\"clientId\":\"cid\",\"clientSecret\":\"s3cret-value\","
	"\"roleAssignments\":[{\"role\":\"Reader\",\"scope\":\"/providers/Microsoft.Management/managementGroups/top\"}]}]}";

static struct world *load(const char *text, struct strbuf *err)
{
	json_t *doc = json_loads(text, 0, NULL);
	struct world *w = world_new();
	assert_non_null(doc);
	if (world_load_json(w, doc, err)) {
		world_free(w);
		w = NULL;
	}
	json_decref(doc);
	return w;
}

static void test_load_builds_tree_and_resources(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct world *w = load(base_world, &err);
	const char *chain[8];
	struct world_resource *site, *slot;
	(void)state;
	assert_non_null(w);
	assert_string_equal(world_mg_root(w)->name, "tid");
	assert_int_equal(world_mg_chain(w, "/subscriptions/sub-1/resourceGroups/rg", chain, 8), 3);
	assert_string_equal(chain[0], "child");
	assert_string_equal(chain[2], "tid");
	/* ids compare case-insensitively, the stored case is kept */
	site = world_resource_get(w, "/SUBSCRIPTIONS/sub-1/resourcegroups/RG/providers/microsoft.web/sites/APP");
	assert_non_null(site);
	assert_string_equal(site->id, "/subscriptions/SUB-1/resourceGroups/rg/providers/Microsoft.Web/sites/app");
	assert_true(site->locked);
	assert_string_equal(json_string_value(json_object_get(site->body, "location")), "westeurope");
	slot = world_resource_get(w, "/subscriptions/SUB-1/resourceGroups/rg/providers/Microsoft.Web/sites/app/slots/staging");
	assert_non_null(slot);
	assert_string_equal(json_string_value(json_object_get(slot->body, "name")), "app/staging");
	assert_int_equal(world_resource_list(w, site->id, WT_SLOT)->nr, 1);
	assert_int_equal(world_resource_list(w, NULL, WT_ROLE_ASSIGNMENT)->nr, 1);
	assert_non_null(world_principal_by_client_id(w, "CID"));
	world_free(w);
	strbuf_release(&err);
}

static void test_scope_contains(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct world *w = load(base_world, &err);
	static const struct {
		const char *outer, *inner;
		int want;
	} cases[] = {
		{ "/", "/subscriptions/SUB-1", 1 },
		{ "/providers/Microsoft.Management/managementGroups/top", "/subscriptions/sub-1/resourceGroups/rg", 1 },
		{ "/providers/Microsoft.Management/managementGroups/child", "/providers/Microsoft.Management/managementGroups/top", 0 },
		{ "/subscriptions/SUB-1", "/subscriptions/SUB-1/resourceGroups/rg", 1 },
		{ "/subscriptions/SUB-1/resourceGroups/rg", "/subscriptions/SUB-1/resourceGroups/rg2", 0 },
		{ "/subscriptions/SUB-1/resourceGroups/rg", "/subscriptions/SUB-1/resourceGroups/rgx", 0 },
		{ "/subscriptions/SUB-1", "/subscriptions/SUB-10", 0 },
	};
	size_t i;
	(void)state;
	assert_non_null(w);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(world_scope_contains(w, cases[i].outer, cases[i].inner), cases[i].want);
	world_free(w);
	strbuf_release(&err);
}

static void test_load_errors_name_the_entry(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[]", "expected an object" },
		{ "{}", "tenantId: missing" },
		{ "{\"tenantId\":\"t\",\"managementGroups\":[{\"name\":\"a\",\"parent\":\"nope\"}]}",
		  "managementGroups[0].parent: no such management group" },
		{ "{\"tenantId\":\"t\",\"managementGroups\":[{\"name\":\"a\",\"parent\":\"b\"},{\"name\":\"b\",\"parent\":\"a\"}]}",
		  "cycle" },
		{ "{\"tenantId\":\"t\",\"subscriptions\":[{\"subscriptionId\":\"s\",\"managementGroup\":\"x\"}]}",
		  "subscriptions[0].managementGroup: no such management group" },
		{ "{\"tenantId\":\"t\",\"subscriptions\":[{\"subscriptionId\":\"s\",\"resourceGroups\":[{\"name\":\"r\"}]}]}",
		  "subscriptions[0].resourceGroups[0].location: missing" },
		{ "{\"tenantId\":\"t\",\"subscriptions\":[{\"subscriptionId\":\"s\",\"resourceGroups\":[{\"name\":\"r\",\"location\":\"l\",\"sites\":[{\"name\":\"a\",\"locked\":1}]}]}]}",
		  "subscriptions[0].resourceGroups[0].sites[0].locked: expected true or false" },
		{ "{\"tenantId\":\"t\",\"subscriptions\":[{\"subscriptionId\":\"s\",\"resourceGroups\":[{\"name\":\"r\",\"location\":\"l\",\"sites\":[{\"name\":\"a\",\"extendedLocation\":{\"name\":\"x\"}}]}]}]}",
		  "subscriptions[0].resourceGroups[0].sites[0].extendedLocation: expected {\"name\"" },
		{ "{\"tenantId\":\"t\",\"subscriptions\":[{\"subscriptionId\":\"s\",\"resourceGroups\":[{\"name\":\"r\",\"location\":\"l\",\"sites\":[{\"name\":\"a\",\"appSettings\":[]}]}]}]}",
		  "subscriptions[0].resourceGroups[0].sites[0].appSettings: expected an object" },
		{ "{\"tenantId\":\"t\",\"principals\":[{\"objectId\":\"o\",\"clientId\":\"c\",\"roleAssignments\":[{\"role\":\"Janitor\",\"scope\":\"/\"}]}]}",
		  "principals[0].roleAssignments[0].role: no such built-in role" },
		{ "{\"tenantId\":\"t\",\"knobs\":{\"pageSize\":0}}", "knobs.pageSize: expected 1 to 100000" },
		{ "{\"tenantId\":\"t\",\"knobs\":{\"throttle\":{\"subscriptionReads\":{\"burst\":-1}}}}",
		  "knobs.throttle.burst: expected a non-negative number" },
		{ "{\"tenantId\":\"t\",\"resources\":[{\"id\":\"x\",\"type\":\"t\"}]}",
		  "resources[0].id: expected an ARM id" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		struct world *w = load(cases[i].text, &err);
		assert_null(w);
		if (!strstr(err.buf, cases[i].want))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err.buf, cases[i].want);
		strbuf_release(&err);
	}
}

static void test_put_list_delete(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct world *w = load(base_world, &err);
	const char *rg = "/subscriptions/SUB-1/resourceGroups/rg";
	int created;
	(void)state;
	world_resource_put(w, "/subscriptions/SUB-1/providers/Microsoft.Authorization/policyDefinitions/d",
			   WT_POLICY_DEFINITION, "/subscriptions/SUB-1", json_object(), &created);
	assert_true(created);
	world_resource_put(w, "/subscriptions/sub-1/providers/microsoft.authorization/policydefinitions/D",
			   WT_POLICY_DEFINITION, "/subscriptions/SUB-1", json_object(), &created);
	assert_false(created);
	assert_int_equal(world_resource_list(w, "/subscriptions/sub-1", WT_POLICY_DEFINITION)->nr, 1);
	/* deleting a resource group takes its sites and their slots */
	assert_int_equal(world_resource_delete(w, rg), WORLD_OK);
	assert_null(world_resource_get(w, "/subscriptions/SUB-1/resourceGroups/rg/providers/Microsoft.Web/sites/app"));
	assert_int_equal(world_resource_list(w, NULL, WT_SLOT)->nr, 0);
	assert_int_equal(world_resource_delete(w, rg), WORLD_NOT_FOUND);
	world_free(w);
	strbuf_release(&err);
}

static struct world_resource *put_role(struct world *w, const char *name, const char *principal)
{
	struct strbuf id = STRBUF_INIT;
	struct world_resource *r;
	strbuf_addf(&id, "/subscriptions/SUB-1/providers/Microsoft.Authorization/roleAssignments/%s",
		    name);
	r = world_resource_put(w, id.buf, WT_ROLE_ASSIGNMENT, "/subscriptions/SUB-1",
			       json_pack("{s:{s:s}}", "properties", "principalId", principal), NULL);
	strbuf_release(&id);
	return r;
}

/* Role assignments filed by principal: any case, creation order, kept through rewrites. */
static void test_role_assignments_by_principal(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct world *w = load(base_world, &err);
	struct world_resource *a, *b, *c;
	const struct world_list *l;
	(void)state;
	/* the world file's own assignment (principal oid) is filed too */
	assert_int_equal(world_role_assignments_of(w, "OID")->nr, 1);
	a = put_role(w, "a", "p1");
	b = put_role(w, "b", "p2");
	c = put_role(w, "c", "P1");
	l = world_role_assignments_of(w, "p1");
	assert_int_equal(l->nr, 2);
	assert_ptr_equal(l->items[0], a);
	assert_ptr_equal(l->items[1], c);
	/* a rewrite naming another principal moves it, in its creation place */
	put_role(w, "a", "p2");
	assert_int_equal(world_role_assignments_of(w, "p1")->nr, 1);
	l = world_role_assignments_of(w, "p2");
	assert_int_equal(l->nr, 2);
	assert_ptr_equal(l->items[0], a);
	assert_ptr_equal(l->items[1], b);
	assert_int_equal(world_resource_delete(w, b->id), WORLD_OK);
	assert_int_equal(world_role_assignments_of(w, "p2")->nr, 1);
	assert_int_equal(world_role_assignments_of(w, "nobody")->nr, 0);
	assert_int_equal(world_role_assignments_of(w, NULL)->nr, 0);
	world_free(w);
	strbuf_release(&err);
}

static void test_dump_loads_again(void **state)
{
	struct strbuf err = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	struct world *w = load(base_world, &err), *w2 = world_new();
	json_t *doc, *doc2;
	(void)state;
	doc = world_to_json(w);
	assert_int_equal(world_load_json(w2, doc, &err), WORLD_OK);
	doc2 = world_to_json(w2);
	jsonutil_add_compact(&a, doc);
	jsonutil_add_compact(&b, doc2);
	assert_string_equal(a.buf, b.buf);
	assert_non_null(strstr(a.buf, "\"locked\":true"));
	/* what a site has survives a dump, and nothing it lacks is added (no "tags": {}) */
	assert_non_null(strstr(a.buf, "\"extendedLocation\":{\"name\":\"/cl/1\",\"type\":\"CustomLocation\"}"));
	assert_non_null(strstr(a.buf, "\"appSettings\":{\"K\":\"v\"}"));
	assert_non_null(strstr(a.buf, "\"sites\":["));
	assert_null(strstr(strstr(a.buf, "\"sites\":["), "\"tags\""));
	json_decref(doc);
	json_decref(doc2);
	world_free(w);
	world_free(w2);
	strbuf_release(&err);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void test_replication_delay(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct world *w = load(base_world, &err);
	struct world_principal *p;
	(void)state;
	w->knobs.replication_delay_ms = 3600 * 1000;
	p = world_principal_create(w, "identity", 1);
	assert_false(world_principal_replicated(w, p));
	assert_true(world_principal_replicated(w, world_principal_by_object_id(w, "oid")));
	w->knobs.replication_delay_ms = 0;
	assert_true(world_principal_replicated(w, p));
	world_free(w);
	strbuf_release(&err);
}

static void test_worldgen_spec(void **state)
{
	struct worldgen_spec spec;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct world *w;
	json_t *doc;
	(void)state;
	worldgen_spec_default(&spec);
	assert_int_equal(worldgen_spec_parse(&spec, "subs=3,sites=4,rgs=2,mgs=2,slots=1,seed=9", &err), 0);
	assert_int_equal(spec.subs, 3);
	assert_int_equal(worldgen_spec_parse(&spec, "slots=1.5", &err), -1);
	assert_non_null(strstr(err.buf, "'slots'"));
	worldgen_write(&spec, &out);
	doc = json_loads(out.buf, 0, NULL);
	assert_non_null(doc);
	w = world_new();
	assert_int_equal(world_load_json(w, doc, &err), WORLD_OK);
	assert_int_equal(w->nr_subs, 3);
	assert_int_equal(world_resource_list(w, NULL, WT_SITE)->nr, 12);
	assert_int_equal(world_resource_list(w, NULL, WT_SLOT)->nr, 12);
	assert_non_null(world_principal_by_client_id(w, WORLDGEN_DEMO_CLIENT_ID));
	json_decref(doc);
	world_free(w);
	strbuf_release(&err);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_builds_tree_and_resources),
		cmocka_unit_test(test_scope_contains),
		cmocka_unit_test(test_load_errors_name_the_entry),
		cmocka_unit_test(test_put_list_delete),
		cmocka_unit_test(test_role_assignments_by_principal),
		cmocka_unit_test(test_dump_loads_again),
		cmocka_unit_test(test_replication_delay),
		cmocka_unit_test(test_worldgen_spec),
	};
	simclock_init(1.0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
