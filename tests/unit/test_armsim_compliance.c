/*
 * Unit tests for armsim's policy engine, compliance and policyStates (policy_engine.c,
 * compliance.c, ops_policy_states.c) on a manual simulated clock: a scan takes scanDuration
 * and only then leaves records; a changed resource is re-evaluated only after
 * evaluationDelay; Deny refuses a non-compliant write unless the assignment is DoNotEnforce;
 * summarize counts what the records say; a reset forgets them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "armsim/arm.h"
#include "armsim/compliance.h"
#include "tests/unit/armsim_policy_fixture.h"

#define KNOBS "{\"scanDurationMs\": 60000, \"evaluationDelayMs\": 60000}"

struct found {
	const char *resource_id;
	int state;  /* enum record_state, -1 when there is no record */
	int count;
};

static void find_record(const char *resource_id, const char *location, enum record_state state,
			void *arg)
{
	struct found *fd = arg;
	(void)location;
	if (!strcasecmp(resource_id, fd->resource_id)) {
		fd->state = (int)state;
		fd->count++;
	}
}

/* The record state of site for assignment (-1: none). */
static int state_of(struct fixture *f, const char *site, const char *assignment)
{
	struct found fd = { NULL, -1, 0 };
	char id[512];
	snprintf(id, sizeof(id), FX_SITES "%s", site);
	fd.resource_id = id;
	policy_engine_lock(f->e);
	engine_for_each_record(f->e, f->w, "/subscriptions/" FX_SUB, assignment, NULL, find_record, &fd);
	policy_engine_unlock(f->e);
	assert_true(fd.count <= 1);
	return fd.state;
}

static void evaluate_now(struct fixture *f)
{
	policy_engine_lock(f->e);
	engine_evaluate_scope(f->e, f->w, "/subscriptions/" FX_SUB);
	policy_engine_unlock(f->e);
}

static void test_scan_takes_scan_duration(void **state)
{
	static const char *const kinds[] = { "audit", NULL };
	struct fixture f;
	unsigned status;
	json_t *body;
	char token[256], path[512];
	const char *loc, *p, *q;
	(void)state;

	fx_setup(&f, KNOBS, kinds);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), -1);
	body = fx_call(&f, "POST", "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/"
		       "policyStates/latest/triggerEvaluation", "2019-10-01", NULL, &status);
	assert_int_equal(status, 202);
	json_decref(body);
	/* the Location names the scan's async operation; the handler put it in a header */
	{
		struct armsim_request req;
		struct armsim_response resp;
		const struct route *route = NULL;
		memset(&req, 0, sizeof(req));
		req.world = f.w;
		req.method = "POST";
		req.path = "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation";
		req.api_version = "2019-10-01";
		req.base_url = "https://127.0.0.1:1";
		req.raw_body = "";
		assert_int_equal(route_find(req.method, req.path, &req, &route), ROUTE_MATCHED);
		armsim_response_init(&resp);
		route->handler(&req, &resp);
		loc = armsim_response_get_header(&resp, "Location");
		assert_non_null(loc);
		p = strstr(loc, "asyncOperationResults/");
		assert_non_null(p);
		p += strlen("asyncOperationResults/");
		q = strchr(p, '?');
		assert_non_null(q);
		snprintf(token, sizeof(token), "%.*s", (int)(q - p), p);
		armsim_response_release(&resp);
		armsim_request_params_release(&req);
	}
	snprintf(path, sizeof(path), "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/"
		 "asyncOperationResults/%s", token);
	/* the trigger evaluates nothing itself: the ticks of the scan's run do */
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), -1);
	/* half-way: still running; a tick has evaluated its resources (a scan's results are the
	 * state during its run, not all computed at its end) */
	fx_advance(&f, 30000);
	body = fx_call(&f, "GET", path, "2019-10-01", NULL, &status);
	assert_int_equal(status, 202);
	json_decref(body);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	/* past scanDuration: the tick finished the scan */
	fx_advance(&f, 30001);
	body = fx_call(&f, "GET", path, "2019-10-01", NULL, &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(body, "status")), "Succeeded");
	json_decref(body);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	assert_int_equal(state_of(&f, "app-off2", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	assert_int_equal(state_of(&f, "app-ok", FX_ASSIGN "audit-rg"), RECORD_COMPLIANT);
	/* an unknown operation is a 404 */
	body = fx_call(&f, "GET", "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/"
		       "asyncOperationResults/nope", "2019-10-01", NULL, &status);
	assert_int_equal(status, 404);
	json_decref(body);
	fx_teardown(&f);
}

/* Evaluated in the middle of its run, a scan still reports a write made before its end. */
static void test_scan_sees_writes_made_during_its_run(void **state)
{
	static const char *const kinds[] = { "audit", NULL };
	struct fixture f;
	unsigned status;
	json_t *body;
	(void)state;

	fx_setup(&f, KNOBS, kinds);
	body = fx_call(&f, "POST", "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/"
		       "policyStates/latest/triggerEvaluation", "2019-10-01", NULL, &status);
	assert_int_equal(status, 202);
	json_decref(body);
	fx_advance(&f, 20000);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	body = fx_call(&f, "PATCH", FX_SITES "app-off", "2024-11-01",
		       "{\"properties\":{\"clientCertEnabled\":true}}", &status);
	assert_int_equal(status, 200);
	json_decref(body);
	/* before the end, and long before the change's own evaluation delay (60 s) */
	fx_advance(&f, 30000);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	fx_advance(&f, 10001);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_COMPLIANT);
	assert_int_equal(state_of(&f, "app-off2", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	fx_teardown(&f);
}

static void test_change_waits_for_evaluation_delay(void **state)
{
	static const char *const kinds[] = { "audit", NULL };
	struct fixture f;
	unsigned status;
	json_t *body;
	(void)state;

	fx_setup(&f, KNOBS, kinds);
	evaluate_now(&f);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	/* a change is told by its time: one in the same simulated ms as the evaluation is not seen */
	simclock_advance(1000);
	body = fx_call(&f, "PATCH", FX_SITES "app-off", "2024-11-01",
		       "{\"properties\":{\"clientCertEnabled\":true}}", &status);
	assert_int_equal(status, 200);
	json_decref(body);
	fx_advance(&f, 1000);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	fx_advance(&f, 58000);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	fx_advance(&f, 2000);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), RECORD_COMPLIANT);
	/* the untouched site keeps its record */
	assert_int_equal(state_of(&f, "app-off2", FX_ASSIGN "audit-rg"), RECORD_NON_COMPLIANT);
	fx_teardown(&f);
}

static void test_deny_refuses_non_compliant_writes(void **state)
{
	static const char *const enforced[] = { "deny", NULL };
	static const char *const off[] = { "deny-off", NULL };
	struct fixture f;
	unsigned status;
	json_t *body, *info;
	(void)state;

	fx_setup(&f, KNOBS, enforced);
	body = fx_call(&f, "PATCH", FX_SITES "app-ok", "2024-11-01",
		       "{\"properties\":{\"clientCertEnabled\":false}}", &status);
	assert_int_equal(status, 403);
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "error"), "code")),
			    "RequestDisallowedByPolicy");
	info = json_object_get(json_array_get(json_object_get(json_object_get(body, "error"),
							      "additionalInfo"), 0), "info");
	assert_string_equal(json_string_value(json_object_get(info, "policyAssignmentName")), "deny-rg");
	assert_string_equal(json_string_value(json_object_get(info, "policyDefinitionEffect")), "Deny");
	json_decref(body);
	/* nothing was stored */
	assert_true(json_is_true(json_object_get(json_object_get(
		world_resource_get(f.w, FX_SITES "app-ok")->body, "properties"), "clientCertEnabled")));
	/* a write that makes a site compliant passes */
	body = fx_call(&f, "PATCH", FX_SITES "app-off", "2024-11-01",
		       "{\"properties\":{\"clientCertEnabled\":true}}", &status);
	assert_int_equal(status, 200);
	json_decref(body);
	fx_teardown(&f);

	fx_setup(&f, KNOBS, off);
	body = fx_call(&f, "PATCH", FX_SITES "app-ok", "2024-11-01",
		       "{\"properties\":{\"clientCertEnabled\":false}}", &status);
	assert_int_equal(status, 200);
	json_decref(body);
	fx_teardown(&f);
}

/* PATCH app-ok to clientCertEnabled=false; returns the status. */
static unsigned patch_off(struct fixture *f)
{
	unsigned status;
	json_t *body = fx_call(f, "PATCH", FX_SITES "app-ok", "2024-11-01",
			       "{\"properties\":{\"clientCertEnabled\":false}}", &status);
	json_decref(body);
	return status;
}

/* Stores the deny assignment again with enforcementMode mode, as its PUT would. */
static void set_enforcement(struct fixture *f, const char *mode)
{
	struct world_resource *r = world_resource_get(f->w, FX_ASSIGN "deny-rg");
	json_t *body = json_deep_copy(r->body);
	json_object_set_new(json_object_get(body, "properties"), "enforcementMode", json_string(mode));
	world_resource_put(f->w, r->id, r->type, r->scope, body, NULL);
}

/*
 * The engine keeps each subscription's resolved assignments between writes; a write of an
 * assignment or a definition must reach the next Deny check all the same.
 */
static void test_deny_follows_policy_writes(void **state)
{
	static const char *const enforced[] = { "deny", NULL };
	struct fixture f;
	uint64_t skipped;
	(void)state;

	fx_setup(&f, KNOBS, enforced);
	assert_int_equal(patch_off(&f), 403);
	assert_int_equal(patch_off(&f), 403);
	/* the assignment switched to DoNotEnforce: the write passes */
	set_enforcement(&f, "DoNotEnforce");
	assert_int_equal(patch_off(&f), 200);
	/* back to Default: refused again */
	set_enforcement(&f, "Default");
	assert_int_equal(patch_off(&f), 403);
	/* the definition turned into Audit: nothing to deny */
	world_resource_put(f.w, FX_DEFS "cc-deny", WT_POLICY_DEFINITION, "/subscriptions/" FX_SUB,
			   fx_rule_definition("cc-deny", "audit"), NULL);
	assert_int_equal(patch_off(&f), 200);
	/* the assignment deleted: still nothing */
	assert_int_equal(world_resource_delete(f.w, FX_ASSIGN "deny-rg"), WORLD_OK);
	assert_int_equal(patch_off(&f), 200);
	/* one whose definition is missing is counted as skipped at every check, as before */
	world_resource_put(f.w, FX_ASSIGN "lost", WT_POLICY_ASSIGNMENT, FX_RG,
			   json_pack("{s:{s:s, s:s}}", "properties", "policyDefinitionId",
				     FX_DEFS "gone", "scope", FX_RG), NULL);
	skipped = f.e->assignments_skipped;
	assert_int_equal(patch_off(&f), 200);
	assert_int_equal(patch_off(&f), 200);
	assert_int_equal(f.e->assignments_skipped, skipped + 2);
	assert_non_null(strstr(f.e->last_skip_reason, "gone"));
	fx_teardown(&f);
}

static void test_summarize_and_reset(void **state)
{
	static const char *const kinds[] = { "audit", NULL };
	struct fixture f;
	unsigned status;
	json_t *body, *results;
	(void)state;

	fx_setup(&f, KNOBS, kinds);
	evaluate_now(&f);
	body = fx_call(&f, "POST", "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/"
		       "policyStates/latest/summarize", "2019-10-01", NULL, &status);
	assert_int_equal(status, 200);
	results = json_object_get(json_array_get(json_object_get(body, "value"), 0), "results");
	assert_int_equal(json_integer_value(json_object_get(results, "nonCompliantResources")), 2);
	assert_int_equal(json_integer_value(json_object_get(results, "nonCompliantPolicies")), 1);
	json_decref(body);
	body = fx_call(&f, "POST", "/subscriptions/" FX_SUB "/providers/Microsoft.PolicyInsights/"
		       "policyStates/latest/queryResults", "2019-10-01", NULL, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(body, "value")), 3);
	json_decref(body);
	policy_engine_reset(f.e);
	assert_int_equal(state_of(&f, "app-off", FX_ASSIGN "audit-rg"), -1);
	fx_teardown(&f);
}

static void test_filter_parser(void **state)
{
	struct armsim_filter flt;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	(void)state;
	assert_int_equal(armsim_filter_parse("ComplianceState eq 'NonCompliant' and "
					     "PolicyDefinitionAction ne audit", &flt, &err), 0);
	assert_int_equal(flt.nr, 2);
	assert_string_equal(flt.clauses[0].value, "NonCompliant");
	assert_int_equal(flt.clauses[1].op, ARMSIM_FILTER_NE);
	assert_string_equal(flt.clauses[1].value, "audit");
	/* a call with a quoted argument holding spaces and a doubled quote is one clause */
	assert_int_equal(armsim_filter_parse("atScope() and assignedTo('a b''c') and roleName eq 'O''Neil'",
					     &flt, &err), 0);
	assert_int_equal(flt.nr, 3);
	assert_int_equal(flt.clauses[1].op, ARMSIM_FILTER_CALL);
	assert_string_equal(flt.clauses[2].value, "O'Neil");
	assert_int_equal(armsim_filter_eq("atScope() and roleName eq 'Owner'", "rolename", &out), 1);
	assert_string_equal(out.buf, "Owner");
	assert_true(armsim_filter_has_call("atScope() and roleName eq 'Owner'", "atScope"));
	assert_false(armsim_filter_has_call("atScope() and roleName eq 'Owner'", "atExactScope"));
	/* a field named inside another one's value is not a match (the old substring search was) */
	strbuf_reset(&out);
	assert_int_equal(armsim_filter_eq("displayName eq 'roleName eq x'", "roleName", &out), 0);
	assert_int_equal(armsim_filter_parse("a eq 'x' or b eq 'y'", &flt, &err), -1);
	assert_non_null(strstr(err.buf, "only 'and'"));
	strbuf_reset(&err);
	assert_int_equal(armsim_filter_parse("a eq 'x", &flt, &err), -1);
	assert_non_null(strstr(err.buf, "unterminated"));
	strbuf_release(&err);
	strbuf_release(&out);
}

/*
 * A field or value longer than its buffer is refused, not cut short (fuzz target
 * armsim_filter: a cut call's quote swallowed the rest of the filter on the next parse, and a
 * cut value matched what the client did not ask for).
 */
static void test_filter_refuses_what_does_not_fit(void **state)
{
	struct armsim_filter flt;
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	char field[65], value[601];
	(void)state;
	memset(field, 'f', 64);
	field[64] = '\0';
	memset(value, 'v', 600);
	value[600] = '\0';

	strbuf_addf(&text, "%s eq 'x'", field);
	assert_int_equal(armsim_filter_parse(text.buf, &flt, &err), -1);
	assert_non_null(strstr(err.buf, "field longer than 63 characters"));
	/* a call's quoted argument the same */
	strbuf_reset(&text);
	strbuf_reset(&err);
	strbuf_addf(&text, "assignedTo('%s') and atScope()", value);
	assert_int_equal(armsim_filter_parse(text.buf, &flt, &err), -1);
	assert_non_null(strstr(err.buf, "field longer than 63 characters"));
	strbuf_reset(&text);
	strbuf_reset(&err);
	strbuf_addf(&text, "ResourceId eq '%s'", value);
	assert_int_equal(armsim_filter_parse(text.buf, &flt, &err), -1);
	assert_non_null(strstr(err.buf, "value of 'ResourceId' longer than 511 characters"));
	strbuf_reset(&text);
	strbuf_reset(&err);
	strbuf_addf(&text, "ResourceId ne %s", value);
	assert_int_equal(armsim_filter_parse(text.buf, &flt, &err), -1);
	assert_non_null(strstr(err.buf, "longer than 511 characters"));
	/* what fits exactly is kept whole */
	value[511] = '\0';
	field[63] = '\0';
	strbuf_reset(&text);
	strbuf_addf(&text, "%s eq '%s'", field, value);
	assert_int_equal(armsim_filter_parse(text.buf, &flt, &err), 0);
	assert_string_equal(flt.clauses[0].field, field);
	assert_string_equal(flt.clauses[0].value, value);
	strbuf_release(&err);
	strbuf_release(&text);
}

static void test_parse_iso(void **state)
{
	(void)state;
	assert_int_equal(simclock_parse_iso("2025-01-01T00:00:00Z"), FX_START_MS);
	assert_int_equal(simclock_parse_iso("2025-01-01T00:00:01.5Z"), FX_START_MS + 1500);
	assert_int_equal(simclock_parse_iso("2025-01-01"), FX_START_MS);
	assert_int_equal(simclock_parse_iso("2025-13-01T00:00:00Z"), -1);
	assert_int_equal(simclock_parse_iso("soon"), -1);
	assert_int_equal(simclock_parse_iso(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_takes_scan_duration),
		cmocka_unit_test(test_scan_sees_writes_made_during_its_run),
		cmocka_unit_test(test_change_waits_for_evaluation_delay),
		cmocka_unit_test(test_deny_refuses_non_compliant_writes),
		cmocka_unit_test(test_deny_follows_policy_writes),
		cmocka_unit_test(test_summarize_and_reset),
		cmocka_unit_test(test_filter_parser),
		cmocka_unit_test(test_filter_refuses_what_does_not_fit),
		cmocka_unit_test(test_parse_iso),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
