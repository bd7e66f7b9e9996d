#!/bin/sh
# A clone without ../shared runs the initiative with Azure's four built-in client-certificate
# audits, as on Azure (issue 11): the demo's path (examples/armsim-config.sh, armsim without
# --builtins) with SHARED pointing nowhere writes include_builtin_audits = true, apply deploys
# an initiative with the four built-in members (armsim knows them by id without ../shared),
# and a scan evaluates them. When ../shared is there, armsim's own definitions carry the same
# rules, parameters and ids as Azure's exports. Fails if the built-ins came from ../shared
# again (or were left out without it).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

real_shared=$SHARED
SHARED=$WORK/no-shared-here
export SHARED
BUILTIN_IDS="19dd1db6-f442-49cf-a838-b0786b4401ef 5b0bd968-5cb5-4513-8987-27786c6f0df8 ab6a902f-9493-453b-928d-62c30b11b5a6 153ab4ca-2d58-4b5d-9134-6d8c6bdd321c"

# the demo's world, config and server, smaller
orch_world "mgs=1,subs=1,sites=4,noncompliant=1,slots=0.5,functions=0.5,locked=0,http2=0,seed=7" \
	'.knobs = {"scanDurationMs": 2000}
	 | .subscriptions[].resourceGroups[].sites[] |= (.properties.clientCertEnabled = false
	   | if .slots then .slots[].properties.clientCertEnabled = false else . end)'
start_armsim --world "$WORK/world.json" --time-scale 100
orch_ini "management_group = mg-1"
assert_contains "$WORK/policyctl.ini" "include_builtin_audits = true"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply

get_token
MG=/providers/Microsoft.Management/managementGroups/mg-1
arm GET "$MG/providers/Microsoft.Authorization/policySetDefinitions?api-version=2023-04-01"
assert_eq 200 "$STATUS" "set definitions at the management group"
members=$(json "$WORK/body" '[.value[].properties.policyDefinitions[].policyDefinitionId
	| select(startswith("/providers/Microsoft.Authorization/policyDefinitions/"))
	| split("/") | last] | sort | join(" ")')
assert_eq "$(echo $BUILTIN_IDS | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" "$members" \
	"the initiative's built-in members"

# armsim evaluates them: a scan gives records of each built-in (non-compliant: no certs, HTTP/1.1)
SUB=$(json "$WORK/world.json" '.subscriptions[0].subscriptionId')
arm POST "/subscriptions/$SUB/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
assert_eq 202 "$STATUS" "scan"
location=$(header Location)
assert_eq 200 "$(poll_value 20 '!202' get_status "$location")" "scan done"
arm POST "/subscriptions/$SUB/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=2019-10-01&\$filter=ComplianceState%20eq%20'NonCompliant'&\$apply=groupby((PolicyDefinitionName))"
assert_eq 200 "$STATUS" "queryResults"
evaluated=$(json "$WORK/body" '[.value[].policyDefinitionName] | map(select(test("^[0-9a-f]{8}-"))) | sort | join(" ")')
# every site and slot is without certificates: each built-in that finds its kind reports it
want=$(world_json | jq -r '[.subscriptions[].resourceGroups[].sites[] | (.kind | test("functionapp")) as $fn
	| (if $fn then "ab6a902f-9493-453b-928d-62c30b11b5a6" else "19dd1db6-f442-49cf-a838-b0786b4401ef" end),
	  ((.slots // [])[] | if $fn then "153ab4ca-2d58-4b5d-9134-6d8c6bdd321c" else "5b0bd968-5cb5-4513-8987-27786c6f0df8" end)]
	| unique | join(" ")')
[ -n "$want" ] || fail "the world has no sites"
for id in $want; do
	case " $evaluated " in *" $id "*) ;; *) fail "built-in $id has no non-compliant record: '$evaluated'" ;; esac
done

# with ../shared present: armsim's definitions are Azure's rules, parameters and ids
if [ -d "$real_shared/policy-refs/builtin" ]; then
	for id in $BUILTIN_IDS; do
		arm GET "/providers/Microsoft.Authorization/policyDefinitions/$id?api-version=2023-04-01"
		assert_eq 200 "$STATUS" "built-in $id"
		file=$(grep -l "\"name\": *\"$id\"" "$real_shared"/policy-refs/builtin/*.json | head -1)
		[ -n "$file" ] || fail "no export of $id in $real_shared"
		for f in .id .name .properties.policyRule .properties.mode .properties.policyType .properties.version \
			'.properties.parameters.effect | del(.metadata)' .properties.displayName; do
			assert_eq "$(jq -cS "$f" "$file")" "$(jq -cS "$f" "$WORK/body")" "built-in $id: $f as Azure's"
		done
	done
else
	echo "note: $real_shared absent; armsim's built-ins not compared with Azure's exports"
fi
