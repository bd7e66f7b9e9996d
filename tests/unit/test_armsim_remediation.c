/*
 * Unit tests for armsim/remediation on a manual simulated clock: a task walks Accepted →
 * Running → Succeeded and its deployments fix the sites; discovery takes what the last
 * evaluation found (ExistingNonCompliant) or evaluates first (ReEvaluateCompliance → Evaluating);
 * deploymentFailureProbability fails deployments with DeploymentFailed; cancel stops queued
 * deployments (Cancelling → Canceled); maxConcurrentRemediations refuses one task too many.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "armsim/compliance.h"
#include "armsim/remediation.h"
#include "tests/unit/armsim_policy_fixture.h"

#define V "2021-10-01"
#define TASKS FX_RG "/providers/Microsoft.PolicyInsights/remediations/"
#define KNOBS "{\"scanDurationMs\": 60000, \"deploymentDurationMs\": 10000, " \
	"\"evaluationDelayMs\": 600000"
static const char *const dine[] = { "dine", NULL };

static void evaluate_now(struct fixture *f)
{
	policy_engine_lock(f->e);
	engine_evaluate_scope(f->e, f->w, "/subscriptions/" FX_SUB);
	policy_engine_unlock(f->e);
}

/* PUTs task name with the given extra properties (JSON members, may be ""); returns status. */
static unsigned put_task(struct fixture *f, const char *name, const char *extra, json_t **body)
{
	char path[512], text[1024];
	unsigned status;
	json_t *b;
	snprintf(path, sizeof(path), TASKS "%s", name);
	snprintf(text, sizeof(text), "{\"properties\":{\"policyAssignmentId\":\"" FX_ASSIGN
		 "remediate-rg\"%s%s}}", *extra ? "," : "", extra);
	b = fx_call(f, "PUT", path, V, text, &status);
	if (body)
		*body = b;
	else
		json_decref(b);
	return status;
}

static json_t *get_task(struct fixture *f, const char *name)
{
	char path[512];
	unsigned status;
	json_t *b;
	snprintf(path, sizeof(path), TASKS "%s", name);
	b = fx_call(f, "GET", path, V, NULL, &status);
	assert_int_equal(status, 200);
	return b;
}

static const char *state_in(const json_t *task)
{
	return json_string_value(json_object_get(json_object_get(task, "properties"),
						 "provisioningState"));
}

static json_int_t deployments(const json_t *task, const char *which)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(task, "properties"),
								  "deploymentStatus"), which));
}

/*
 * Advances the clock in 1 s steps (a tick each) until the task is terminal, writing the
 * distinct states it went through into seen ("Accepted,Running,Succeeded"). Fails after an hour
 * of simulated time.
 */
static void run_to_end(struct fixture *f, const char *name, char *seen, size_t size)
{
	char last[32] = "";
	int i;
	seen[0] = '\0';
	for (i = 0; i < 3600; i++) {
		json_t *t = get_task(f, name);
		const char *s = state_in(t);
		int terminal = !strcmp(s, "Succeeded") || !strcmp(s, "Failed") || !strcmp(s, "Canceled");
		if (strcmp(s, last)) {
			snprintf(last, sizeof(last), "%s", s);
			snprintf(seen + strlen(seen), size - strlen(seen), "%s%s", *seen ? "," : "", s);
		}
		json_decref(t);
		if (terminal)
			return;
		fx_advance(f, 1000);
	}
	fail_msg("task %s still %s after an hour", name, last);
}

static int cert_enabled(struct fixture *f, const char *site)
{
	char id[512];
	snprintf(id, sizeof(id), FX_SITES "%s", site);
	return json_is_true(json_object_get(json_object_get(world_resource_get(f->w, id)->body,
							    "properties"), "clientCertEnabled"));
}

static void test_lifecycle_fixes_the_sites(void **state)
{
	struct fixture f;
	json_t *body;
	char seen[128];
	(void)state;

	fx_setup(&f, KNOBS "}", dine);
	evaluate_now(&f);
	assert_int_equal(put_task(&f, "fix", "", &body), 201);
	/* Accepted (not Succeeded) because discovery found non-compliant sites; deployments
	   are made when it runs */
	assert_string_equal(state_in(body), "Accepted");
	assert_int_equal(deployments(body, "totalDeployments"), 0);
	json_decref(body);
	/* nothing happens before REMEDIATION_ACCEPTED_MS */
	fx_advance(&f, REMEDIATION_ACCEPTED_MS - 1000);
	body = get_task(&f, "fix");
	assert_string_equal(state_in(body), "Accepted");
	json_decref(body);
	assert_false(cert_enabled(&f, "app-off"));
	run_to_end(&f, "fix", seen, sizeof(seen));
	assert_string_equal(seen, "Accepted,Running,Succeeded");
	body = get_task(&f, "fix");
	assert_int_equal(deployments(body, "totalDeployments"), 2);
	assert_int_equal(deployments(body, "successfulDeployments"), 2);
	assert_int_equal(deployments(body, "failedDeployments"), 0);
	json_decref(body);
	assert_true(cert_enabled(&f, "app-off"));
	assert_true(cert_enabled(&f, "app-off2"));
	fx_teardown(&f);
}

static void test_discovery_modes(void **state)
{
	struct fixture f;
	json_t *body;
	char seen[128];
	(void)state;

	/* nothing evaluated yet: ExistingNonCompliant finds nothing, done on the 201 */
	fx_setup(&f, KNOBS "}", dine);
	assert_int_equal(put_task(&f, "existing", "", &body), 201);
	assert_string_equal(state_in(body), "Succeeded");
	assert_int_equal(deployments(body, "totalDeployments"), 0);
	json_decref(body);
	assert_false(cert_enabled(&f, "app-off"));
	/* ReEvaluateCompliance evaluates first (scanDuration), then deploys what it found */
	assert_int_equal(put_task(&f, "reevaluate", "\"resourceDiscoveryMode\":\"ReEvaluateCompliance\"",
				  &body), 201);
	assert_string_equal(state_in(body), "Accepted");
	json_decref(body);
	run_to_end(&f, "reevaluate", seen, sizeof(seen));
	assert_string_equal(seen, "Accepted,Evaluating,Running,Succeeded");
	body = get_task(&f, "reevaluate");
	assert_int_equal(deployments(body, "totalDeployments"), 2);
	json_decref(body);
	assert_true(cert_enabled(&f, "app-off"));
	fx_teardown(&f);
}

static void test_deployment_failure(void **state)
{
	struct fixture f;
	json_t *body, *value;
	char seen[128];
	unsigned status;
	size_t i;
	(void)state;

	fx_setup(&f, KNOBS ", \"deploymentFailureProbability\": 1.0}", dine);
	evaluate_now(&f);
	assert_int_equal(put_task(&f, "doomed", "", NULL), 201);
	run_to_end(&f, "doomed", seen, sizeof(seen));
	assert_string_equal(seen, "Accepted,Running,Failed");
	body = get_task(&f, "doomed");
	assert_int_equal(deployments(body, "failedDeployments"), 2);
	assert_int_equal(deployments(body, "successfulDeployments"), 0);
	json_decref(body);
	body = fx_call(&f, "POST", TASKS "doomed/listDeployments", V, NULL, &status);
	assert_int_equal(status, 200);
	value = json_object_get(body, "value");
	assert_int_equal(json_array_size(value), 2);
	for (i = 0; i < json_array_size(value); i++)
		assert_string_equal(json_string_value(json_object_get(json_object_get(
			json_array_get(value, i), "error"), "code")), "DeploymentFailed");
	json_decref(body);
	assert_false(cert_enabled(&f, "app-off"));
	assert_false(cert_enabled(&f, "app-off2"));
	fx_teardown(&f);
}

static void test_cancel(void **state)
{
	struct fixture f;
	json_t *body;
	char seen[128];
	unsigned status;
	(void)state;

	fx_setup(&f, KNOBS "}", dine);
	evaluate_now(&f);
	/* one deployment at a time: the second is still queued when the cancel comes */
	assert_int_equal(put_task(&f, "stop", "\"parallelDeployments\":1", NULL), 201);
	fx_advance(&f, REMEDIATION_ACCEPTED_MS + 1000);
	body = get_task(&f, "stop");
	assert_string_equal(state_in(body), "Running");
	json_decref(body);
	body = fx_call(&f, "POST", TASKS "stop/cancel", V, NULL, &status);
	assert_int_equal(status, 200);
	assert_string_equal(state_in(body), "Cancelling");
	json_decref(body);
	run_to_end(&f, "stop", seen, sizeof(seen));
	assert_string_equal(seen, "Cancelling,Canceled");
	body = get_task(&f, "stop");
	/* the running deployment finished, the queued one never started */
	assert_int_equal(deployments(body, "successfulDeployments"), 1);
	json_decref(body);
	assert_int_equal(cert_enabled(&f, "app-off") + cert_enabled(&f, "app-off2"), 1);
	/* a finished task cannot be cancelled */
	body = fx_call(&f, "POST", TASKS "stop/cancel", V, NULL, &status);
	assert_int_equal(status / 100, 4);
	json_decref(body);
	fx_teardown(&f);
}

static void test_tenant_limit(void **state)
{
	struct fixture f;
	json_t *body, *error;
	char seen[128];
	(void)state;

	fx_setup(&f, KNOBS ", \"maxConcurrentRemediations\": 1}", dine);
	evaluate_now(&f);
	assert_int_equal(put_task(&f, "first", "", NULL), 201);
	assert_int_equal(put_task(&f, "second", "", &body), 400);
	error = json_object_get(body, "error");
	assert_string_equal(json_string_value(json_object_get(error, "code")),
			    "InvalidCreateRemediationRequest");
	assert_non_null(strstr(json_string_value(json_object_get(error, "message")),
			       "already runs 1 remediation tasks"));
	json_decref(body);
	/* once the first is done there is room again */
	run_to_end(&f, "first", seen, sizeof(seen));
	assert_string_equal(seen, "Accepted,Running,Succeeded");
	assert_int_equal(put_task(&f, "second", "", NULL), 201);
	fx_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_fixes_the_sites),
		cmocka_unit_test(test_discovery_modes),
		cmocka_unit_test(test_deployment_failure),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_tenant_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
