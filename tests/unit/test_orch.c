/*
 * Unit tests for orchestrator/orch's pure parts: the live-vs-desired comparison that decides
 * whether apply writes, the deterministic role assignment names, and phase state that
 * outlives an abandoned phase until its last callback; attaching to a run (a changed desired
 * state begins a new attempt or is refused; a finished run is never reopened) and a ledger
 * failure stopping the pump.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/phase.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"

#include "tests/unit/ledger_fixture.h"

static json_t *parse(const char *text)
{
	struct strbuf err = STRBUF_INIT;
	json_t *j = jsonutil_parse(text, strlen(text), "test", &err);
	assert_non_null(j);
	strbuf_release(&err);
	return j;
}

static void check(const char *desired, const char *live, int same, const char *diff_has)
{
	json_t *d = parse(desired), *l = parse(live);
	struct strbuf diff = STRBUF_INIT;
	assert_int_equal(orch_json_contains(d, l, &diff), same);
	if (diff_has)
		assert_non_null(strstr(diff.buf, diff_has));
	else
		assert_int_equal(diff.len, 0);
	json_decref(d);
	json_decref(l);
	strbuf_release(&diff);
}

static void test_contains(void **state)
{
	(void)state;
	/* ARM adds fields: still the same */
	check("{\"properties\":{\"displayName\":\"x\",\"metadata\":{\"v\":\"1\"}}}",
	      "{\"id\":\"/a\",\"properties\":{\"displayName\":\"x\",\"policyType\":\"Custom\","
	      "\"metadata\":{\"v\":\"1\",\"createdBy\":\"me\"}}}", 1, NULL);
	/* ids come back lower-cased */
	check("{\"properties\":{\"policyDefinitionId\":\"/providers/Microsoft.Management/x\"}}",
	      "{\"properties\":{\"policyDefinitionId\":\"/providers/microsoft.management/x\"}}", 1, NULL);
	/* but display names are case-sensitive */
	check("{\"properties\":{\"displayName\":\"Require\"}}",
	      "{\"properties\":{\"displayName\":\"require\"}}", 0, "properties.displayName");
	/* an empty desired list equals an absent one */
	check("{\"properties\":{\"notScopes\":[]}}", "{\"properties\":{}}", 1, NULL);
	/* a changed array element is reported at the array */
	check("{\"p\":{\"allowed\":[\"A\",\"B\"]}}", "{\"p\":{\"allowed\":[\"A\",\"C\"]}}", 0, "p.allowed");
	check("{\"p\":{\"allowed\":[\"A\",\"B\"]}}", "{\"p\":{\"allowed\":[\"A\"]}}", 0, "p.allowed");
	/* 1 and 1.0 are the same number */
	check("{\"n\":1}", "{\"n\":1.0}", 1, NULL);
	/* missing value */
	check("{\"properties\":{\"mode\":\"Indexed\"}}", "{\"properties\":{}}", 0, "properties.mode");
}

static void test_role_assignment_names(void **state)
{
	char *a = orch_role_assignment_name("/subscriptions/AB", "P1", "/providers/R");
	char *b = orch_role_assignment_name("/subscriptions/ab", "p1", "/providers/r");
	char *c = orch_role_assignment_name("/subscriptions/ab", "p2", "/providers/r");
	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[8], '-');
	assert_int_equal(a[14], '5'); /* version nibble */
	assert_true(strchr("89ab", a[19]) != NULL); /* RFC 4122 variant */
	free(a);
	free(b);
	free(c);
}

static int freed;

static void count_free(struct orch_phase *ph)
{
	freed++;
	free(ph);
}

static void test_phase_outlives_early_return(void **state)
{
	struct orch_phase *ph = calloc(1, sizeof(*ph));
	(void)state;
	freed = 0;
	ph->free_fn = count_free;
	ph->pending = 2;
	orch_phase_leave(ph); /* returned early with two calls queued */
	assert_int_equal(freed, 0);
	assert_int_equal(orch_phase_arrive(ph), 0); /* the callback must do nothing */
	assert_int_equal(freed, 0);
	assert_int_equal(orch_phase_arrive(ph), 0);
	assert_int_equal(freed, 1); /* the last one frees */
	ph = calloc(1, sizeof(*ph));
	ph->free_fn = count_free;
	ph->pending = 1;
	assert_int_equal(orch_phase_arrive(ph), 1);
	orch_phase_leave(ph);
	assert_int_equal(freed, 2);
}

/* The assignment ids come from the rendered set (never rebuilt from the config). */
static void test_init_takes_assignments_from_the_set(void **state)
{
	struct config cfg;
	struct deploy_set set = DEPLOY_SET_INIT;
	struct orch o;
	(void)state;
	config_init_defaults(&cfg);
	string_list_append(&cfg.scope_subscriptions, "s1");
	string_list_append(&cfg.scope_subscriptions, "s2");
	deploy_set_add(&set, DEPLOY_POLICY_ASSIGNMENT, "/subscriptions/s1", "a",
		       "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/a",
		       "v", json_object());
	assert_int_equal(orch_init(&o, &cfg, NULL, &set), ORCH_OK);
	assert_string_equal(o.scope_key, "subs:s1,s2");
	assert_ptr_equal(o.assignment_ids, &set.assignment_ids);
	assert_int_equal(o.assignment_scopes->nr, 1);
	assert_int_equal(o.subscriptions.nr, 2);
	orch_release(&o);
	/* no set (scan, track, cancel): no assignment, no made-up id */
	assert_int_equal(orch_init(&o, &cfg, NULL, NULL), ORCH_OK);
	assert_int_equal(o.assignment_ids->nr, 0);
	assert_int_equal(o.assignment_scopes->nr, 0);
	orch_release(&o);
	deploy_set_release(&set);
	config_release(&cfg);
}


#define DESIRED_A "definitions=" H " initiative=" H " assignment=" H " not_scopes=" H \
	" parameters=" H " remediation=" H
#define DESIRED_B "definitions=" H " initiative=" H " assignment=" H " not_scopes=" H2 \
	" parameters=" H " remediation=" H
#define H "0000000000000000000000000000000000000000000000000000000000000000"
#define H2 "1111111111111111111111111111111111111111111111111111111111111111"

/* A config for mg-1 whose ledger is the fixture's. */
static void ledger_config(struct config *cfg)
{
	config_init_defaults(cfg);
	cfg->scope_management_group = xstrdup("mg-1");
	free(cfg->run_ledger);
	cfg->run_ledger = xstrdup(path);
}

/* Attaches command with desired state and policy; returns the result, *uid the run's. */
static enum orch_result attach(const struct config *cfg, const char *command, int resume_only,
			       const char *desired, enum orch_desired_policy policy, char **uid)
{
	struct orch o;
	enum orch_result ret;
	assert_int_equal(orch_init(&o, cfg, NULL, NULL), ORCH_OK);
	o.desired = desired;
	o.desired_policy = policy;
	ret = orch_attach_run(&o, command, resume_only);
	if (uid)
		*uid = ret ? NULL : xstrdup(o.run.uid);
	if (!ret)
		assert_int_equal(orch_finish(&o, ORCH_OK, 0), ORCH_OK); /* leaves it open */
	orch_release(&o);
	return ret;
}

static void test_changed_desired_state(void **state)
{
	struct config cfg;
	char *first, *again, *next;
	(void)state;
	ledger_config(&cfg);
	assert_int_equal(attach(&cfg, "apply", 0, DESIRED_A, ORCH_DESIRED_NEW_RUN, &first), ORCH_OK);
	assert_int_equal(attach(&cfg, "contain", 0, DESIRED_A, ORCH_DESIRED_NEW_RUN, &again), ORCH_OK);
	assert_string_equal(first, again); /* unchanged: the same run continues */
	/* remediate and track refuse a changed config, and leave the run as it was */
	assert_int_equal(attach(&cfg, "remediate", 0, DESIRED_B, ORCH_DESIRED_REFUSE, NULL), ORCH_USAGE);
	assert_int_equal(attach(&cfg, "track", 1, DESIRED_B, ORCH_DESIRED_REFUSE, NULL), ORCH_USAGE);
	/* scan and cancel act on no desired state */
	free(again);
	assert_int_equal(attach(&cfg, "scan", 0, NULL, ORCH_DESIRED_IGNORE, &again), ORCH_OK);
	assert_string_equal(first, again);
	/* contain begins a new attempt, and the new run carries the new state */
	assert_int_equal(attach(&cfg, "contain", 0, DESIRED_B, ORCH_DESIRED_NEW_RUN, &next), ORCH_OK);
	assert_string_not_equal(first, next);
	free(again);
	assert_int_equal(attach(&cfg, "track", 1, DESIRED_B, ORCH_DESIRED_REFUSE, &again), ORCH_OK);
	assert_string_equal(next, again);
	free(first);
	free(again);
	free(next);
	config_release(&cfg);
}

static void test_finished_run_not_reopened(void **state)
{
	struct config cfg;
	struct ledger *l = NULL;
	struct ledger_run run;
	struct strbuf err = STRBUF_INIT;
	struct orch o;
	(void)state;
	ledger_config(&cfg);
	assert_int_equal(ledger_open(path, &l, &err), LEDGER_OK);
	assert_int_equal(ledger_run_begin(l, "contain", "mg:mg-1", &run), LEDGER_OK);
	assert_int_equal(ledger_run_set_state(l, run.id, LEDGER_RUN_SUCCEEDED), LEDGER_OK);
	ledger_run_release(&run);
	ledger_close(l);
	assert_int_equal(orch_init(&o, &cfg, NULL, NULL), ORCH_OK);
	assert_int_equal(orch_attach_run(&o, "cancel", 1), ORCH_OK);
	assert_int_equal(orch_finish(&o, ORCH_OK, 0), ORCH_OK);
	orch_release(&o);
	assert_int_equal(ledger_open_readonly(path, &l, &err), LEDGER_OK);
	assert_int_equal(ledger_run_latest(l, &run), LEDGER_OK);
	assert_int_equal(run.state, LEDGER_RUN_SUCCEEDED);
	ledger_run_release(&run);
	ledger_close(l);
	/* another scope has no run: track and cancel say so */
	free(cfg.scope_management_group);
	cfg.scope_management_group = xstrdup("mg-2");
	assert_int_equal(attach(&cfg, "track", 1, NULL, ORCH_DESIRED_IGNORE, NULL), ORCH_USAGE);
	strbuf_release(&err);
	config_release(&cfg);
}

/* A refused ledger call stops the pump before anything more is sent. */
static void test_ledger_failure_stops_the_pump(void **state)
{
	struct config cfg;
	struct orch o;
	size_t pending = 1;
	(void)state;
	config_init_defaults(&cfg);
	cfg.scope_management_group = xstrdup("mg-1");
	assert_int_equal(orch_init(&o, &cfg, NULL, NULL), ORCH_OK);
	assert_int_equal(orch_ledger_check(&o, LEDGER_OK, "x"), 1);
	assert_int_equal(o.ledger_failed, 0);
	assert_int_equal(orch_ledger_check(&o, LEDGER_ERR_SQL, "the intent of PUT x"), 0);
	assert_int_equal(o.ledger_failed, 1);
	/* o.arm is NULL: the pump returns before it would run the client */
	assert_int_equal(orch_pump(&o, &pending, 0), ORCH_LEDGER);
	orch_release(&o);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_takes_assignments_from_the_set),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_role_assignment_names),
		cmocka_unit_test(test_phase_outlives_early_return),
		cmocka_unit_test_setup_teardown(test_changed_desired_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finished_run_not_reopened, setup, teardown),
		cmocka_unit_test(test_ledger_failure_stops_the_pump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
