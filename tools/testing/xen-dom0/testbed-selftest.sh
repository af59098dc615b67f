#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# testbed-selftest.sh: show the test bed's own checks failing when what
# they guard is broken, on the host, with no boot:
#  - make check's accounting (summary.sh check): a results file with a
#    pass for every name summary.sh expects must pass; with a phase or a
#    named test removed, a failure, a skip or no results, it must not;
#    a failed guest test's last lines are shown;
#  - the launcher (run-xen.sh), against a stand-in for QEMU that writes a
#    scripted console: a retry only after the known int3 Oops before
#    /init, reported; no retry after any other death; a crash line of Xen
#    or dom0 anywhere in the console fails the boot; a stale console of
#    an earlier run does not count; every boot gets zeroed disks;
#  - bench-report.py: a 32-bit warm row slower beyond the spread, and a
#    claim of bench-claims.txt that does not hold, fail the report.
# Prints one KTAP line per case ("ok - testbed_<case>"); exits 1 if any
# case fails.
tb=$(cd "$(dirname "$0")" && pwd)
: "${POOL_PAIR_TESTS:?make exports it}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
rc=0
# the CSV header of xdx-bench.sh, without and with the column of
# exchanges made in a mapping call
CSV_HEAD="XDX-CSV: platform,config,test,mode,bits,granule,nents,dir,threads,rep,map_us,map_sd,unmap_us,unmap_sd,iterations,maps,region_reuses,exchanges,bytes_exchanged,bounces,bytes_bounced,swiotlb_hiwater,mbps,iops,p50_us,p99_us,late_exchanges"
CSV_HEAD_LATE="$CSV_HEAD,late_map_exchanges"

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
		echo "ok - testbed_$name"
	else
		echo "$out"; echo "not ok - testbed_$name"; rc=1
	fi
}
flip() { sed "s/^ok - $1\$/$2/" "$t/full" > "$t/r"; }
s_failure() {
	flip 'guest console_free_of_splats' 'not ok - guest console_free_of_splats'
	verdict "$t/r" 1 ' 1 failed$'
}
s_skip() {
	local k
	k=$(first kunit)
	flip "$k" "ok - $k # SKIP"
	verdict "$t/r" 0 '^1 skipped' && verdict "$t/r" 0 "^$(($(wc -l < "$t/full") - 1)) passed"
}
s_only_skips() {	# summary.sh without check: skips alone are no pass
	echo 'ok - phase unpack # SKIP' > "$t/skips"
	! RESULTS=/dev/null "$tb/summary.sh" "$t/skips" > /dev/null
}
s_failed_test_lines() {	# a failed guest test's own last lines are shown
	local n
	n=$(first small-pool-on | sed 's/^small-pool-on //')
	flip "small-pool-on $n" "not ok - small-pool-on $n"
	mkdir -p "$t/logs"
	printf '%s\n' '# line of the test before' 'ok 1 kunit_suites' \
		'(d0) # what the failed test saw' "(d0) not ok 2 $n" \
		> "$t/logs/guest-small-pool-on.log"
	verdict "$t/r" 1 '^# what the failed test saw$' &&
		! RESULTS=/dev/null "$tb/summary.sh" "$t/r" check | grep -q 'test before'
}

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
tcase fails_on_a_failure s_failure
tcase counts_a_skip_as_a_skip s_skip
tcase fails_with_no_results verdict "$t/none" 1 "no results"
tcase fails_with_only_skips s_only_skips
tcase shows_what_a_failed_guest_test_printed s_failed_test_lines

# The launcher against a stand-in QEMU: each call writes the next scripted
# console (a file named in $t/consoles, one a line; "-": QEMU failed to
# start) to its -serial file, and notes the first bytes of the NVMe disk
# it was given.
mkdir -p "$t/bin"
cat > "$t/bin/qemu-system-x86_64" <<'QEMU'
#!/bin/bash
for a in "$@"; do
	case $a in
	file:*) serial=${a#file:} ;;
	file=*nvme.img,*) disk=${a#file=}; disk=${disk%%,*} ;;
	esac
done
n=$(($(cat "$FAKE_DIR/calls" 2>/dev/null || echo 0) + 1)); echo $n > "$FAKE_DIR/calls"
od -An -tx1 -N16 "$disk" | tr -d ' \n' >> "$FAKE_DIR/disk"; echo >> "$FAKE_DIR/disk"
con=$(sed -n "${n}p" "$FAKE_DIR/consoles")
[ "$con" = - ] && exit 1	# died before opening its console
cp "$con" "$serial"
QEMU
printf '#!/bin/sh\nexec sleep 30\n' > "$t/bin/iperf3"
chmod +x "$t/bin/qemu-system-x86_64" "$t/bin/iperf3"
boot_log() { # <name> <lines...>: a scripted console
	local f=$t/con.$1; shift
	printf '%s\n' "$@" > "$f"; echo "$f"
}
PASSING=$(boot_log pass "(XEN) Xen version 4.17" "[    1.0] xdx: init started" "ok 1 a_test" "XDX-VERDICT: PASS")
INT3=$(boot_log int3 "(XEN) Xen version 4.17" "[    0.5] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" "[    0.5] Kernel panic - not syncing: Fatal exception")
OTHER=$(boot_log other "(XEN) Xen version 4.17" "[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs")
XENASSERT=$(boot_log xenassert "(XEN) Xen version 4.17" "[    1.0] xdx: init started" "(XEN) Assertion 'p2m_is_valid(t)' failed at arch/x86/mm/p2m.c:123" "XDX-VERDICT: PASS")
DOM0BUG=$(boot_log dom0bug "(XEN) Xen version 4.17" "[    1.0] xdx: init started" "[    9.0] BUG: unable to handle page fault for address: 0000" "XDX-VERDICT: PASS")
# launch <consoles...>: run-xen.sh on them; sets $lrc and the fake's notes
launch() {
	rm -rf "$t/run"; mkdir -p "$t/run"
	printf '%s\n' "$@" > "$t/run/consoles"
	head -c 16 /dev/urandom > "$t/run/nvme.img"	# an earlier run's data
	[ -n "${STALE:-}" ] && cp "$PASSING" "$t/run/boot.log.console"
	PATH=$t/bin:$PATH FAKE_DIR=$t/run RESULTS=$t/run/results \
		"$tb/run-xen.sh" --xen /dev/null --kernel /dev/null --initrd /dev/null \
		--log "$t/run/boot.log" --mode check --timeout 20 --tag t > "$t/run/out" 2>&1
	lrc=$?
	calls=$(cat "$t/run/calls" 2>/dev/null || echo 0)
}
not() { ! "$@"; }
expect() { # <description> <test...>
	local d=$1; shift
	"$@" || { echo "# $d: no"; sed 's/^/#   /' "$t/run/out" "$t/run/results" 2>/dev/null | tail -8; return 1; }
}
l_pass() {
	launch "$PASSING"
	expect "exit 0" [ $lrc -eq 0 ] && expect "one boot" [ "$calls" = 1 ] &&
		expect "splat scan passes" grep -qx "ok - t console_free_of_splats" "$t/run/results" &&
		expect "the guest's result recorded" grep -qx "ok - t a_test" "$t/run/results"
}
l_int3() {
	launch "$INT3" "$PASSING"
	expect "exit 0" [ $lrc -eq 0 ] && expect "two boots" [ "$calls" = 2 ] &&
		expect "retry in the results" grep -q "^# boot retried after the known TCG int3 Oops" "$t/run/results" &&
		expect "splat scan of the boot that ran passes" grep -qx "ok - t console_free_of_splats" "$t/run/results"
}
l_other() {
	launch "$OTHER" "$PASSING"
	expect "exit 1" [ $lrc -ne 0 ] && expect "one boot" [ "$calls" = 1 ] &&
		expect "no retry" not grep -q "retried" "$t/run/results"
}
l_splat() { # <console>
	launch "$1"
	expect "exit 1" [ $lrc -ne 0 ] &&
		expect "splat scan fails" grep -qx "not ok - t console_free_of_splats" "$t/run/results"
}
l_stale() {
	STALE=1 launch -
	expect "exit 1" [ $lrc -ne 0 ] && expect "no verdict" grep -q "guest verdict none" "$t/run/out"
}
l_disks() {
	launch "$PASSING"
	expect "zeroed disk" grep -qx "00000000000000000000000000000000" "$t/run/disk"
}
tcase launcher_passes_a_clean_boot l_pass
tcase launcher_retries_once_after_int3_before_init l_int3
tcase launcher_no_retry_after_other_death l_other
tcase launcher_fails_on_xen_assertion l_splat "$XENASSERT"
tcase launcher_fails_on_dom0_bug l_splat "$DOM0BUG"
tcase launcher_ignores_a_stale_console l_stale
tcase launcher_gives_zeroed_disks l_disks

# bench-report.py on made-up runs: 3 repeats each way of a 32-bit warm fio
# row and the claimed map rows, once as claimed and once slower with the
# backend on
bench_csv() { # <out> <on MB/s...> -- three values, then <on map us>
	# [<on 64-page map us, one value a repeat> [<on 1-page map us, the same>]]
	local f=$1 mb on_us=$5 rep=1 us
	{
		echo "$CSV_HEAD"
		for mb in $2 $3 $4; do
			echo "XDX-CSV: xen,off,fio-sym-direct-randread,warm,32,1024,32,,1,$rep,,,,,1,1,0,0,0,1,1,1,100.0,100,1,1,"
			echo "XDX-CSV: xen,on,fio-sym-direct-randread,warm,32,1024,32,,1,$rep,,,,,1,1,1,0,0,0,0,0,$mb,100,1,1,0"
			for g in 1 64; do
				us=$on_us
				[ $g = 64 ] && [ -n "${6:-}" ] && us=$(echo $6 | cut -d' ' -f$rep)
				[ $g = 1 ] && [ -n "${7:-}" ] && us=$(echo $7 | cut -d' ' -f$rep)
				echo "XDX-CSV: xen,off,map,single,32,$g,0,0,1,$rep,2.0,0,2.0,0,1,1,0,0,0,1,1,1,"
				echo "XDX-CSV: xen,on,map,single,32,$g,0,0,1,$rep,$us,0,$us,0,1,1,1,0,0,0,0,0,"
			done
			echo "XDX-CSV: xen,off,map,sg,32,1,32,0,1,$rep,2.0,0,2.0,0,1,1,0,0,0,1,1,1,"
			echo "XDX-CSV: xen,on,map,sg,32,1,32,0,1,$rep,$on_us,0,$on_us,0,1,1,1,0,0,0,0,0,"
			rep=$((rep + 1))
		done
	} > "$f"
}
report() { python3 "$tb/bench-report.py" "$t/bench" "$1" > "$t/bench.out" 2>&1; }
b_good() {
	bench_csv "$t/good.log" 120 130 140 1.0
	report "$t/good.log" || { tail -5 "$t/bench.out"; return 1; }
}
b_slow() {
	bench_csv "$t/slow.log" 60 70 80 1.0
	report "$t/slow.log" && { echo "# the report passed"; return 1; }
	grep -q "FAILED.*sym direct randread 1024K qd32 warm" "$t/bench.out"
}
b_claim() {
	bench_csv "$t/claim.log" 120 130 140 1.96
	report "$t/claim.log" && { echo "# the report passed"; return 1; }
	grep -q "FAILED.*claim map single 32-bit 1" "$t/bench.out"
}
# the 1-page claim is "faster" (1.05), judged on the off-on pairs: with
# the boot's speed drifting between repeats, the backend faster in two
# pairs of three (ratios 1.11, 0.91, 1.10) meets it, although bounce-
# only's fastest run (1.0 us) beats the backend's (1.1, in the same pair)
b_claim_pairs() {
	local rep us
	{
		echo "$CSV_HEAD"
		for rep in 1 2 3; do
			us=$(echo "2.0:1.8 1.0:1.1 1.6:1.45" | cut -d' ' -f$rep)
			echo "XDX-CSV: xen,off,map,single,32,1,0,0,1,$rep,${us%:*},0,${us%:*},0,1,1,0,0,0,1,1,1,"
			echo "XDX-CSV: xen,on,map,single,32,1,0,0,1,$rep,${us#*:},0,${us#*:},0,1,1,1,0,0,0,0,0,"
		done
	} > "$t/drift.log"
	report "$t/drift.log" || { tail -5 "$t/bench.out"; return 1; }
	grep -q "ok: claim map single 32-bit 1: .*median of 3 off-on pairs 1.10 >= 1.05, 2 of them faster" "$t/bench.out"
}
# five pairs a repeat, the boot's speed tripling every other pair and one
# run with the backend failed: the report fails on the failed run, and
# the claim pairs each run with its own partner (14 pairs, each 1.11)
b_claim_pairs_failed() {
	local rep p f on
	{
		echo "$CSV_HEAD"
		for rep in 1 2 3; do for p in 1 2 3 4 5; do
			f=$((p % 2 * 2 + 1)); on=$(echo "$f" | awk '{ print $1 * 1.8 }')
			[ $rep$p = 12 ] && on=fail
			echo "XDX-CSV: xen,on,map,single,32,1,0,0,1,$rep,$on,0,$on,0,1,1,1,0,0,0,0,0,"
			echo "XDX-CSV: xen,off,map,single,32,1,0,0,1,$rep,$((f * 2)),0,$((f * 2)),0,1,1,0,0,0,1,1,1,"
		done; done
	} > "$t/failed.log"
	report "$t/failed.log" && { echo "# the report passed"; return 1; }
	grep -q "failed run: on " "$t/bench.out" &&
		grep -q "ok: claim map single 32-bit 1: .*median of 14 off-on pairs 1.11 >= 1.05, 14 of them faster" "$t/bench.out"
}
# the 64-page claim is "not slower": one slow repeat (the median 0.95) is
# within the spread, every repeat slower is not
b_outlier() {
	bench_csv "$t/outlier.log" 120 130 140 1.0 "1.5 2.1 9.0"
	report "$t/outlier.log" || { tail -5 "$t/bench.out"; return 1; }
	grep -q "ok: claim map single 32-bit 64" "$t/bench.out"
}
b_slower() {
	bench_csv "$t/slower.log" 120 130 140 1.0 "2.2 2.3 2.4"
	report "$t/slower.log" && { echo "# the report passed"; return 1; }
	grep -q "FAILED.*claim map single 32-bit 64" "$t/bench.out"
}
# with xdx.pairs, several runs a repeat: a claim's "best" compares the
# repeats' medians, so one slow bounce-only run among nine does not make
# a backend slower in every pair "not slower"
b_pairs() {
	local rep p us
	{
		echo "$CSV_HEAD"
		for rep in 1 2 3; do for p in 1 2 3; do
			us=2.0; [ $rep$p = 23 ] && us=9.0
			echo "XDX-CSV: xen,off,map,single,32,64,0,0,1,$rep,$us,0,$us,0,1,1,0,0,0,1,1,1,"
			echo "XDX-CSV: xen,on,map,single,32,64,0,0,1,$rep,2.1,0,2.1,0,1,1,1,0,0,0,0,0,"
		done; done
	} > "$t/pairs.log"
	report "$t/pairs.log" && { echo "# the report passed"; return 1; }
	grep -q "FAILED.*claim map single 32-bit 64: latency off÷on 0.95 .*best 0.95" "$t/bench.out"
}
# the pool rows (make bench BENCH=pool): the 32-bit NIC beside a deep
# queue on a small pool is checked like a warm row; with the backend
# slower in every run, the report fails
b_shared() {
	local rep
	{
		echo "$CSV_HEAD_LATE"
		for rep in 1 2 3; do
			echo "XDX-CSV: xen,off,iperf3-e1000-tx,pool8M-shared,32,0,,,1,$rep,,,,,,,,,,,,,10$rep,,,,,"
			echo "XDX-CSV: xen,on,iperf3-e1000-tx,pool8M-shared,32,0,,,1,$rep,,,,,,,,,,,,,8$rep,,,,,"
			echo "XDX-CSV: xen,off,fio-nvme32-direct-randread,pool8M-shared,32,1024,128,,2,$rep,,,,,1,1,0,0,0,1,1,4000,30$rep,1,1,1,,"
			echo "XDX-CSV: xen,on,fio-nvme32-direct-randread,pool8M-shared,32,1024,128,,2,$rep,,,,,1,1,1,0,0,0,0,0,31$rep,1,1,1,,"
		done
	} > "$t/shared.log"
	report "$t/shared.log" && { echo "# the report passed"; return 1; }
	grep -q "FAILED.*iperf3 e1000 tx pool8M-shared" "$t/bench.out" &&
		grep -q "ok: nvme32 direct randread 1024K qd128 x2 pool8M-shared" "$t/bench.out" &&
		grep -q "| nvme32-direct-randread 1024K qd128×2 | pool8M-shared | 4000 \\[4000–4000\\] | 0 " "$t/bench.out"
}
# switch pairs (make bench, the backend's boot): the e1000's switch-warm
# row fails the report when the backend is slower in every run there and
# in its two-boot warm row; that warm row is reported; a known-slow
# point's warm and switch-warm rows are reported, not asserted
b_switch() {
	local rep st
	{
		echo "$CSV_HEAD_LATE"
		for rep in 1 2 3; do for st in warm switch-warm; do
			echo "XDX-CSV: xen,off,fio-nvme32-direct-randread,$st,32,1024,32,,1,$rep,,,,,1,1,0,0,0,1,1,1,30$rep,1,1,1,,"
			echo "XDX-CSV: xen,on,fio-nvme32-direct-randread,$st,32,1024,32,,1,$rep,,,,,1,1,1,0,0,0,0,0,20$rep,1,1,1,0,0"
		done
		for st in warm switch-warm; do
			echo "XDX-CSV: xen,off,iperf3-e1000-rx,$st,32,0,,,1,$rep,,,,,,1,0,0,0,1,1,1,20$rep,,,,,"
			echo "XDX-CSV: xen,on,iperf3-e1000-rx,$st,32,0,,,1,$rep,,,,,,1,1,0,0,0,0,0,10$rep,,,,0,0"
		done; done
	} > "$t/switch.log"
	report "$t/switch.log" && { echo "# the report passed"; return 1; }
	grep -q "FAILED.*iperf3 e1000 rx switch-warm" "$t/bench.out" &&
		! grep -q "FAILED.*iperf3 e1000 rx warm" "$t/bench.out" &&
		grep -q "reported: iperf3 e1000 rx warm: .*two boots apart" "$t/bench.out" &&
		grep -q "reported: nvme32 direct randread 1024K qd32 warm: .*KNOWN SLOW" "$t/bench.out" &&
		grep -q "reported: nvme32 direct randread 1024K qd32 switch-warm: .*KNOWN SLOW" "$t/bench.out"
}
# a switch-warm pair slower in every run fails only when its point's
# two-boot warm row, other boots, is slower beyond the spread too (as in
# b_switch); with that row level, it is one boot's noise and passes
b_switch_warm_level() {
	local rep st
	{
		echo "$CSV_HEAD_LATE"
		for rep in 1 2 3; do
			echo "XDX-CSV: xen,off,iperf3-e1000-tx,warm,32,0,,,1,$rep,,,,,,1,0,0,0,1,1,1,20$rep,,,,,"
			echo "XDX-CSV: xen,on,iperf3-e1000-tx,warm,32,0,,,1,$rep,,,,,,1,1,0,0,0,0,0,20$rep,,,,0,0"
			echo "XDX-CSV: xen,off,iperf3-e1000-tx,switch-warm,32,0,,,1,$rep,,,,,,1,0,0,0,1,1,1,20$rep,,,,,"
			echo "XDX-CSV: xen,on,iperf3-e1000-tx,switch-warm,32,0,,,1,$rep,,,,,,1,1,0,0,0,0,0,10$rep,,,,0,0"
		done
	} > "$t/switch-level.log"
	report "$t/switch-level.log" || { tail -5 "$t/bench.out"; return 1; }
	grep -q "ok: iperf3 e1000 tx switch-warm: .*median ratio 0.50, best 0.51) or two boots apart (warm: 1.00" "$t/bench.out"
}
tcase bench_report_passes_as_claimed b_good
tcase bench_report_not_slower_claim_takes_one_slow_repeat b_outlier
tcase bench_report_not_slower_claim_fails_every_repeat_slower b_slower
tcase bench_report_fails_a_slower_32bit_row b_slow
tcase bench_report_fails_a_claim_not_met b_claim
tcase bench_report_faster_claim_by_pairs b_claim_pairs
tcase bench_report_pairs_skip_a_failed_run b_claim_pairs_failed
tcase bench_report_pairs_best_by_repeat_medians b_pairs
tcase bench_report_checks_the_nic_beside_a_full_pool b_shared
tcase bench_report_checks_switch_pairs b_switch
tcase bench_report_switch_pair_needs_its_warm_row_slower_too b_switch_warm_level
exit $rc
