#!/bin/sh
# The client's response parsers accept every response in the shared recordings (vcrpy YAML,
# go-recorder JSON) and examples: error bodies parse into a code, success bodies are JSON,
# list pages have a 'value' array, Retry-After and LRO headers are understood.
. "$TOP/tests/lib.sh"
need_shared
# python3, not jq: extract-responses.py reads the YAML recordings (python3-yaml)
command -v python3 >/dev/null || skip "python3 is absent"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is absent"

python3 "$TOP/tests/tools/extract-responses.py" "$SHARED"/arm/recordings/* "$SHARED"/arm/examples/*.json \
	>"$WORK/responses.jsonl"
count=$(wc -l <"$WORK/responses.jsonl")
[ "$count" -gt 50 ] || fail "only $count responses extracted"
expect_exit 0 "$BUILD_DIR/tests/tools/armparse" <"$WORK/responses.jsonl"
cat "$WORK/out"
assert_contains "$WORK/out" "$count responses, 0 failed"
