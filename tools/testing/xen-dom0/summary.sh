#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# summary.sh <results> [check]: print every result line, then
# "N passed, N failed".  With "check" (make check), every phase of make
# check and every test the sources name must have a result line: host
# harness cases, guest suite tests, KUnit cases, testbed-selftest.sh's
# cases, static gates, series and config builds.  A missing one is a
# failure; a skip is reported as a skip, never as a pass.
res=$1 mode=${2:-}
proj=$(cd "$(dirname "$0")/../../.." && pwd)
tb=$proj/tools/testing/xen-dom0
[ -f "$res" ] || { echo "0 passed, 1 failed (no results)"; exit 1; }
echo "---- results ($res)"
cat "$res"
missing=0
if [ "$mode" = check ]; then
	{
		for p in apply config kernel initramfs xen host-test testbed-selftest guest bench-xen-off \
			bench-xen-on bench-report static series-check config-check; do
			echo "phase $p"
		done
		sed -nE 's/^\t\{ "([a-z0-9_]+)", test_.*/host_\1/p' \
			"$proj/tools/testing/xen-exchange/xdx_test.c"
		sed -nE 's/^run_test ([a-z0-9_]+) .*/guest \1/p' \
			"$proj/tools/testing/xen-dom0/guest/xdx-suite.sh"
		echo "guest kunit_suites"
		echo "guest ktap_report_parses"
		echo "guest console_free_of_splats"
		for t in small-pool-on small-pool-off; do
			echo "phase guest-$t"
			echo "$t console_free_of_splats"
			for n in ${POOL_PAIR_TESTS:?make check exports it}; do echo "$t $n"; done
		done
		sed -nE 's/^\tKUNIT_CASE[A-Z_]*\(([a-z0-9_]+).*/kunit \1/p' \
			"$proj/drivers/xen/xen-dma-exchange-test.c"
		sed -nE 's/^tcase ([a-z0-9_]+) .*/testbed_\1/p' "$tb/testbed-selftest.sh"
		sed -nE 's/^gate ([a-z0-9_]+) .*/static \1/p' "$tb/static-check.sh"
		echo "series builds_with_xen_dma_exchange_off"
		n=0
		for _ in "$proj"/patches/*.patch; do
			n=$((n + 1)); echo "series builds_after_patch_$n"
		done
		echo "series git_am_applies_to_base"
		sed -nE 's/^\s*variant ([a-z0-9]+) .*/config \1_builds/p' "$tb/config-check.sh"
	} > "$res.expected"
	# the names with a result line ("ok - <name>", "not ok - <name>", with
	# or without a " # ..." comment), then each expected name not among them
	awk 'FILENAME == ARGV[1] { if (sub(/^(not )?ok - /, "")) { sub(/ #.*$/, ""); seen[$0] = 1 }; next }
	     !($0 in seen) { print "not ok - " $0 " # MISSING: no result recorded" }' \
		"$res" "$res.expected" > "$res.missing"
	cat "$res.missing"
	missing=$(wc -l < "$res.missing")
	echo "$(wc -l < "$res.expected") named phases and tests expected, $missing missing"
fi
# What a failed guest test printed last (its "# " lines since the result
# before it): CI shows only the end of this output.
grep -E '^not ok - (guest|small-pool-on|small-pool-off) [a-z0-9_]+' "$res" | head -3 |
while read -r _ _ _ tag name _; do
	log=$(dirname "$res")/logs/guest-$tag.log
	[ "$tag" = guest ] && log=$(dirname "$res")/logs/guest-check.log
	[ -f "$log" ] || continue
	echo "---- $tag $name printed, last:"
	sed -E 's/^\((XEN|d0)\) //' "$log" | awk -v n="$name" '
		/^(not )?ok [0-9]+ / {
			if ($1 == "not" && $4 == n)
				for (i = (k > 8 ? k - 8 : 0); i < k; i++) print substr(b[i], 1, 300)
			k = 0; next }
		/^# / { b[k++] = $0 }'
done
pass=$(grep '^ok ' "$res" | grep -vc '# SKIP')
skip=$(grep '^ok ' "$res" | grep -c '# SKIP')
fail=$(( $(grep -c '^not ok ' "$res") + missing ))
[ "$skip" -gt 0 ] && echo "$skip skipped (not applicable to this kernel)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
