#!/bin/sh
# apply reads each policy resource once per run: what the preflight read and found absent is
# created without a second GET (on a new tenant that halves apply's requests), while a
# resource that exists is read again by apply and compared before any write, so a rerun on an
# applied tenant still writes nothing. Fails if apply sends its own GETs for resources the
# preflight just found missing, or if it skips the read of one that exists.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=2,noncompliant=0.5,locked=0,seed=5"
start_armsim --world "$WORK/world.json" --time-scale 500
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
orch_ini "subscriptions = $subs"

# policy resources (definitions, initiative, assignment) read by id, and created or updated
policy_count() { # OPERATION-REGEX
	stats_json | jq --arg re "$1" '[.operations | to_entries[] | select(.key | test($re))
		| .value | to_entries[] | .value] | add // 0'
}
policy_reads() { policy_count '^Policy(Set)?Definitions_Get$|^PolicyAssignments_Get$'; }
policy_writes() { policy_count '^Policy(Set)?Definitions_CreateOrUpdate$|^PolicyAssignments_Create$'; }

expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
created=$(policy_writes)
# 2 subscriptions x (the DINE and audit definitions, the initiative, the assignment)
[ "$created" -ge 8 ] || fail "apply created only $created policy resources"
assert_eq "$created" "$(policy_reads)" "policy GETs on a new tenant (one per resource: the preflight's)"

before=$(policy_reads)
writes=$(writes_sent)
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "0 to create, 0 to update"
assert_eq "$writes" "$(writes_sent)" "writes by a rerun on an applied tenant"
assert_eq $(( created * 2 )) $(( $(policy_reads) - before )) \
	"policy GETs of a rerun (the preflight and apply each read what exists)"
