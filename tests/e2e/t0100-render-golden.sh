#!/bin/sh
# Golden tests for `policyctl render`: each tests/golden/render/CASE/config.ini renders, in
# every format, exactly the committed files under CASE/expected/FORMAT (same names, same
# bytes), or, where CASE/expected/FORMAT.error exists, fails with exit 2 and that message (alz
# of a subscription list). UPDATE_GOLDEN=1 rewrites the expected folders instead (review the diff!).
. "$TOP/tests/lib.sh"

cases=0
for dir in "$TOP"/tests/golden/render/*/; do
	name=$(basename "$dir")
	cases=$((cases + 1))
	for format in rest arm-template epac terraform alz; do
		if [ -f "$dir/expected/$format.error" ]; then
			expect_exit 2 "$POLICYCTL" -q -c "$dir/config.ini" render --format "$format" \
				--out "$WORK/$name/$format"
			[ "${UPDATE_GOLDEN:-}" != 1 ] || cp "$WORK/err" "$dir/expected/$format.error"
			diff "$dir/expected/$format.error" "$WORK/err" || fail "$name: $format error differs"
			[ ! -e "$WORK/$name/$format" ] || fail "$name: $format wrote files although it failed"
			continue
		fi
		expect_exit 0 "$POLICYCTL" -q -c "$dir/config.ini" render --format "$format" \
			--out "$WORK/$name/$format"
		if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
			rm -rf "$dir/expected/$format"
			mkdir -p "$dir/expected"
			cp -r "$WORK/$name/$format" "$dir/expected/$format"
			continue
		fi
		[ -d "$dir/expected/$format" ] || fail "$name: no expected/$format"
		diff -r "$dir/expected/$format" "$WORK/$name/$format" >"$WORK/diff" ||
			{ head -n 60 "$WORK/diff" >&2; fail "$name: $format output differs from the golden files"; }
	done
done
[ "$cases" -ge 4 ] || fail "expected at least 4 golden cases, found $cases"
echo "$cases golden render cases match"
