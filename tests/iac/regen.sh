#!/bin/sh
# Regenerates tests/iac/*/expected and exit from the current build; prints what changed.
# Review the diff before committing: the corpus is the specification.
top=$(cd "$(dirname "$0")/../.." && pwd)
for dir in "$top"/tests/iac/*/; do
	(cd "$dir" && "$top/${BUILD:-build}/policyctl" check --today 2026-12-01 $(cat args 2>/dev/null) . \
		>expected.new 2>/dev/null; echo $? >exit)
	diff -u "$dir/expected" "$dir/expected.new"
	mv "$dir/expected.new" "$dir/expected"
done
