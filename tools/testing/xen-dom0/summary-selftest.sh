#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# summary-selftest.sh: show that make check's accounting (summary.sh
# check) fails when what it guards is broken.  It builds a results file
# with a pass for every name summary.sh expects, checks that this passes,
# then breaks it one way per case (a phase or a named test removed, a
# failure, a skip, no results) and checks the verdict.  Prints one KTAP
# line per case ("ok - summary_<case>"); exits 1 if any case fails.
tb=$(cd "$(dirname "$0")" && pwd)
: "${POOL_PAIR_TESTS:?make exports it}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
rc=0

# The expected names, as summary.sh derives them from the sources
echo "ok - phase unpack" > "$t/seed"
RESULTS=/dev/null "$tb/summary.sh" "$t/seed" check > /dev/null
sed 's/^/ok - /' "$t/seed.expected" > "$t/full"
first() { grep -m1 "^ok - $1" "$t/full" | sed 's/^ok - //'; }

# verdict <results> <want-rc> [<output pattern>]: summary.sh's exit status
# on <results> is <want-rc>, and its output matches the pattern
verdict() {
	out=$(RESULTS=/dev/null "$tb/summary.sh" "$1" check 2>&1)
	got=$?
	[ "$got" -eq "$2" ] || { echo "# summary.sh exited $got, want $2"; return 1; }
	[ -z "$3" ] || echo "$out" | grep -qE "$3" ||
		{ echo "# no line matches '$3'"; echo "$out" | tail -3 | sed 's/^/# /'; return 1; }
}
# without <name> (a whole line): the name is reported missing, check fails
without() {
	[ -n "$1" ] || { echo "# nothing to remove"; return 1; }
	grep -vxF "ok - $1" "$t/full" > "$t/r"
	cmp -s "$t/r" "$t/full" && { echo "# '$1' is not in the results"; return 1; }
	verdict "$t/r" 1 "^not ok - $1 # MISSING"
}
# tcase <name> <command...>: one KTAP line
tcase() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok - summary_$name"
	else
		echo "$out"; echo "not ok - summary_$name"; rc=1
	fi
}
flip() { sed "s/^ok - $1\$/$2/" "$t/full" > "$t/r"; }

tcase complete_results_pass verdict "$t/full" 0 "^$(wc -l < "$t/full") passed, 0 failed$"
tcase fails_without_apply_phase without "phase apply"
tcase fails_without_xen_phase without "phase xen"
tcase fails_without_bench_report_phase without "phase bench-report"
tcase fails_without_small_pool_boot without "phase guest-small-pool-off"
tcase fails_without_a_host_case without "$(first host_)"
tcase fails_without_a_guest_test without "$(first guest)"
tcase fails_without_a_kunit_case without "$(first kunit)"
tcase fails_without_a_pair_test without "$(first small-pool-on)"
tcase fails_without_a_static_gate without "static sparse"
tcase fails_without_a_patch_build without "$(first 'series builds_after_patch')"
tcase fails_without_a_config_build without "config arm64_builds"
tcase fails_on_a_failure sh -c "$(declare -f verdict flip); t=$t tb=$tb
	flip 'guest console_free_of_splats' 'not ok - guest console_free_of_splats'
	verdict $t/r 1 ' 1 failed\$'"
tcase counts_a_skip_as_a_skip sh -c "$(declare -f verdict flip); t=$t tb=$tb
	k=\$(grep -m1 '^ok - kunit' $t/full | sed 's/^ok - //')
	flip \"\$k\" \"ok - \$k # SKIP\"
	verdict $t/r 0 '^1 skipped' && verdict $t/r 0 \"^\$((\$(wc -l < $t/full) - 1)) passed\""
tcase fails_with_no_results verdict "$t/none" 1 "no results"
tcase fails_with_only_skips sh -c "$(declare -f verdict); t=$t tb=$tb
	echo 'ok - phase unpack # SKIP' > $t/skips
	RESULTS=/dev/null $tb/summary.sh $t/skips > /dev/null && exit 1; exit 0"
exit $rc
