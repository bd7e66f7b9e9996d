/*
 * pairing — which (scope, member) pairs get a remediation task (see pairing.h).
 */
#include <string.h>
#include <strings.h>

#include "orchestrator/pairing.h"
#include "lib/banned.h"

static void fill(long *counts, size_t nr, long value)
{
	size_t i;
	for (i = 0; i < nr; i++)
		counts[i] = value;
}

int pairing_read_summary(const json_t *body, const char *assignment_id,
			 const struct string_list *refs, long *counts)
{
	const json_t *value = json_object_get(body, "value"), *summary, *assignments, *a;
	size_t i, j, k;

	fill(counts, refs->nr, PAIRING_UNKNOWN);
	if (!json_is_array(value))
		return -1;
	fill(counts, refs->nr, 0);
	json_array_foreach(value, i, summary) {
		assignments = json_object_get(summary, "policyAssignments");
		if (!json_is_array(assignments)) {
			fill(counts, refs->nr, PAIRING_UNKNOWN);
			return -1;
		}
		json_array_foreach(assignments, j, a) {
			const char *id = json_string_value(json_object_get(a, "policyAssignmentId"));
			const json_t *defs = json_object_get(a, "policyDefinitions"), *d;
			if (!id || strcasecmp(id, assignment_id))
				continue;
			json_array_foreach(defs, k, d) {
				const char *ref = json_string_value(
					json_object_get(d, "policyDefinitionReferenceId"));
				json_t *nc = json_object_get(json_object_get(d, "results"),
							     "nonCompliantResources");
				size_t r;
				if (!ref)
					continue;
				for (r = 0; r < refs->nr; r++)
					if (!strcasecmp(ref, refs->items[r]))
						counts[r] += json_is_integer(nc) ? (long)json_integer_value(nc) : 0;
			}
		}
	}
	return 0;
}

int pairing_needs_summary(const char *discovery)
{
	return discovery && !strcasecmp(discovery, "ExistingNonCompliant");
}

enum pairing_decision pairing_decide(const char *discovery, long noncompliant)
{
	if (pairing_needs_summary(discovery) && noncompliant == 0)
		return PAIRING_SKIP_NOTHING_TO_FIX;
	return PAIRING_TASK;
}

const char *pairing_decision_reason(enum pairing_decision d)
{
	switch (d) {
	case PAIRING_SKIP_NOTHING_TO_FIX:
		return "no non-compliant resource in the policy states (ExistingNonCompliant "
		       "would deploy nothing)";
	case PAIRING_TASK:
		break;
	}
	return "something to fix, or re-evaluation finds it";
}
