#!/bin/sh
# run-alone: it runs two fuzzers side by side and so keeps both cores busy by itself
# A short smoke of every libFuzzer target (fuzz/fuzz_*.c): each builds with clang
# -fsanitize=fuzzer,address,undefined and runs FUZZ_SMOKE_SECONDS (default 3) on its corpus
# without a crash. Skipped with a notice where clang or its libFuzzer is missing, and in the
# ASan pass of CI (the targets are sanitized builds already; the plain pass ran them).
# `make fuzz` is the long form (FUZZ_SECONDS each); see fuzz/README.md.
. "$TOP/tests/lib.sh"

case "$BUILD_DIR" in *asan*) skip "fuzz smoke runs in the plain pass only" ;; esac
command -v clang >/dev/null 2>&1 || skip "clang is not installed: no fuzz smoke"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >probe.c
clang -fsanitize=fuzzer probe.c -o probe >/dev/null 2>&1 || skip "clang's libFuzzer is missing (Debian: libclang-rt-dev or clang's full install)"
# python3, not jq: fuzz/seed.py copies the seed inputs by content hash; it reads no JSON
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to seed the corpora"

fuzz_build="$TOP/build-fuzz"
targets=$(cd "$TOP/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
[ -n "$targets" ] || fail "no fuzz/fuzz_*.c targets"
nice make -s -C "$TOP" FUZZ_BUILD="$fuzz_build" fuzz-build >build.log 2>&1 ||
	{ tail -n 30 build.log >&2; fail "the fuzz targets do not build"; }
# a work copy of the build dir's corpora is not needed: the smoke only adds to them.
# Two halves of the targets run side by side (the machine has 2 cores): the smoke's wall time
# is half the sum of the targets' seconds.
half1=$(echo $targets | tr ' ' '\n' | awk 'NR % 2 == 1')
half2=$(echo $targets | tr ' ' '\n' | awk 'NR % 2 == 0')
FUZZ_BUILD="$fuzz_build" sh "$TOP/fuzz/run.sh" "${FUZZ_SMOKE_SECONDS:-3}" $half1 >run1.log 2>&1 &
pid1=$!
rc2=0
if [ -n "$half2" ]; then
	FUZZ_BUILD="$fuzz_build" sh "$TOP/fuzz/run.sh" "${FUZZ_SMOKE_SECONDS:-3}" $half2 >run2.log 2>&1 || rc2=$?
fi
wait $pid1
rc1=$?
cat run1.log run2.log >run.log 2>/dev/null
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] ||
	{ cat run.log >&2; fail "a fuzz target crashed (see build-fuzz/crashes/)"; }
cat run.log
for name in $targets; do
	grep -q "^fuzz: $name for" run.log || fail "target $name did not run"
done
echo "fuzz smoke: $(echo $targets | wc -w) targets ran without a crash"
