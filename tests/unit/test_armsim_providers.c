/*
 * Unit tests for armsim/ops_providers: which requests an unregistered namespace refuses with
 * 409 MissingSubscriptionRegistration (its resources in that subscription, found after the
 * path's last /providers/; never the provider's own paths, other namespaces or other
 * subscriptions), Azure's message and details, and Registering turning Registered once the
 * providerRegistrationDelayMs knob has passed on simulated time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/http.h"
#include "armsim/ops_providers.h"
#include "armsim/simclock.h"
#include "armsim/world.h"

#define SUB "11111111-0000-4000-8000-000000000001"
#define OTHER "11111111-0000-4000-8000-000000000002"

static struct world *load(const char *state)
{
	struct strbuf err = STRBUF_INIT;
	struct world *w = world_new();
	json_t *doc = json_pack("{s:s, s:[{s:s}, {s:s}], s:[{s:s, s:s, s:s, s:s}]}",
				"tenantId", "tid", "subscriptions", "subscriptionId", SUB,
				"subscriptionId", OTHER, "resources",
				"id", "/subscriptions/" SUB "/providers/Microsoft.PolicyInsights",
				"type", WT_PROVIDER, "namespace", "Microsoft.PolicyInsights",
				"registrationState", state);
	assert_int_equal(world_load_json(w, doc, &err), WORLD_OK);
	json_decref(doc);
	strbuf_release(&err);
	return w;
}

/* The guard's verdict on path: 0 passed, else the status it answered. */
static unsigned guard(struct world *w, const char *path, struct armsim_response *resp)
{
	struct armsim_request req;
	memset(&req, 0, sizeof(req));
	req.world = w;
	req.method = "GET";
	req.path = path;
	armsim_response_release(resp);
	armsim_response_init(resp);
	return ops_providers_guard(&req, resp) ? resp->status : 0;
}

static void test_guard_paths(void **state)
{
	static const struct { const char *path; unsigned status; } cases[] = {
		{ "/subscriptions/" SUB "/providers/Microsoft.PolicyInsights/remediations/t", 409 },
		{ "/subscriptions/" SUB "/providers/microsoft.policyinsights/policyStates/latest/triggerEvaluation", 409 },
		{ "/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.Web/sites/a/providers/Microsoft.PolicyInsights/remediations/t", 409 },
		{ "/subscriptions/" SUB "/providers/Microsoft.PolicyInsights", 0 },
		{ "/subscriptions/" SUB "/providers/Microsoft.PolicyInsights/register", 0 },
		{ "/subscriptions/" SUB "/providers/Microsoft.Web/sites", 0 },
		{ "/subscriptions/" SUB "/providers/Microsoft.Authorization/policyAssignments/a", 0 },
		{ "/subscriptions/" OTHER "/providers/Microsoft.PolicyInsights/remediations/t", 0 },
		{ "/providers/Microsoft.Management/managementGroups/m/providers/Microsoft.PolicyInsights/remediations/t", 0 },
	};
	struct world *w = load("NotRegistered");
	struct armsim_response resp;
	size_t i;
	(void)state;
	armsim_response_init(&resp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (guard(w, cases[i].path, &resp) != cases[i].status)
			fail_msg("%s: expected %u, got %u", cases[i].path, cases[i].status, resp.status);
	/* Azure's body */
	assert_int_equal(guard(w, cases[0].path, &resp), 409);
	{
		json_t *err = json_object_get(resp.body, "error");
		const char *want = "The subscription is not registered to use namespace "
				   "'Microsoft.PolicyInsights'. See https://aka.ms/rps-not-found for "
				   "how to register subscriptions.";
		json_t *detail = json_array_get(json_object_get(err, "details"), 0);
		assert_string_equal(json_string_value(json_object_get(err, "code")),
				    "MissingSubscriptionRegistration");
		assert_string_equal(json_string_value(json_object_get(err, "message")), want);
		assert_string_equal(json_string_value(json_object_get(detail, "target")),
				    "Microsoft.PolicyInsights");
		assert_string_equal(json_string_value(json_object_get(detail, "message")), want);
	}
	armsim_response_release(&resp);
	world_free(w);
}

static void test_registering_turns_registered(void **state)
{
	struct world *w = load("Registering");
	struct armsim_response resp;
	(void)state;
	armsim_response_init(&resp);
	/* loaded now: Registering until the delay has passed */
	w->knobs.provider_registration_ms = 3600000;
	assert_string_equal(ops_provider_state(w, SUB, "Microsoft.PolicyInsights"), "Registering");
	assert_int_equal(guard(w, "/subscriptions/" SUB "/providers/Microsoft.PolicyInsights/remediations/t", &resp), 409);
	w->knobs.provider_registration_ms = 0;
	assert_string_equal(ops_provider_state(w, SUB, "Microsoft.PolicyInsights"), "Registered");
	assert_int_equal(guard(w, "/subscriptions/" SUB "/providers/Microsoft.PolicyInsights/remediations/t", &resp), 0);
	/* a namespace with no entry is Registered */
	assert_string_equal(ops_provider_state(w, SUB, "Microsoft.Web"), "Registered");
	armsim_response_release(&resp);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard_paths),
		cmocka_unit_test(test_registering_turns_registered),
	};
	simclock_init(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
