#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bounce-only against the backend with the same buffers: one fio process
# (O_DIRECT 1 MiB random reads on NVMe under a 32-bit limit) runs for the
# whole probe, and the run-time switch is flipped under it, in off-on
# pairs of slices, the order alternating; a slice begins once the I/O
# in flight at the flip has completed.  A fio process's buffers are
# machine-contiguous or not as its pages happen to fall, so its mappings
# are larger or smaller (make check's and make bench's separate runs each
# start a new process); here every slice maps the same buffers.  Per
# slice: the disk's MB/s (its sectors read, from
# /sys/block/nvme0n1/stat, over the slice's time), the CPUs' busy share
# and their busy milliseconds per MB read (from /proc/stat, where time
# in a hypercall counts as busy too), context switches and interrupts
# per MB read (/proc/stat too), KiB per mapping made
# (a mapping the full pool refused is not one), what went through the
# fixed pool and through regions, the pool's high-water, the mappings
# the pool refused (map attempts the backend saw, less those made: a
# request the full pool refuses is tried again; the counters are summed
# CPU by CPU while the I/O goes on, so it is approximate), the
# backend's exchanges, and where its regions came from (a CPU's own
# magazine, another CPU's, a split, a merge).  run-probe.sh --append
# swiotlb=<slots> sets the pool.  dom0 arguments (run-probe.sh --append):
#   xdx.qd=N      iodepth (default 128)
#   xdx.jobs=N    fio jobs (default 2)
#   xdx.pairs=N   pairs of slices, or rounds with xdx.cache or xdx.cool
#                 (default 8)
#   xdx.secs=N    seconds per slice (default 3)
#   xdx.cache=N   rounds of three slices instead of pairs, the order
#                 rotating (rounds3): bounce-only (off), the backend at
#                 its cpu_cache (on) and the backend at cpu_cache N
#                 (cache), to tell the per-CPU magazines' share with the
#                 same buffers (they hold regions up to 32 KiB)
#   xdx.cool=N    the same rounds, with the backend's third slice (cool)
#                 at cool_kib N (0-4096; 0 hands out the region put back
#                 last) and its second at cool_kib as booted
#   xdx.pace=1    each pair a bounce-only slice, the backend's, and
#                 bounce-only again: the pair is "steady" if the second
#                 bounce-only slice reads within +-10 % of the first, and
#                 the backend's MB/s is taken against their mean; last,
#                 the backend's ratio over the steady pairs and over all
#                 (median [min-max]), and how often bounce-only moved
#                 that much across the backend's slice and back to back
#                 (a pair's first slice against the last pair's last).
#                 A slice's pace can change within a boot for both
#                 settings alike (README, "Known slow"); the second
#                 bounce-only slice always follows a flip back from the
#                 backend, so what the backend or the flip leaves behind
#                 also counts as the pace moving
#   xdx.perf=1    each slice under perf record (cpu-clock, all CPUs,
#                 call graphs; needs run-probe.sh --with perf): per
#                 slice, the shares of samples by task, and by symbol
#                 with what it calls (children) and alone (self);
#                 the warm-up slices are not recorded
#   xdx.prof=1    each slice under ftrace's function profiler (needs
#                 its kernel: make profile-kernel, then run-probe.sh
#                 --kernel build/obj-prof/arch/x86/boot/bzImage): for
#                 each function of $PROF_FUNCS this kernel can trace,
#                 over all CPUs, its calls per MB read, its time with
#                 what it calls (graph time) per call and per MB read;
#                 the profiler runs from before fio starts to after it
#                 ends (turning it on or off patches the functions,
#                 which under I/O in this PV domain hit an unhandled
#                 int3), and a slice's figures are the difference of its
#                 totals over the slice, per MB read over the same span
#                 (read in the same process; read_ms= says how long the
#                 totals took to read at each end)
#   xdx.prof=self the same, but each function's time alone: without
#                 the time of the functions of $PROF_FUNCS it calls,
#                 nor that of interrupts landing in it (the event
#                 channel upcall and the softirqs run at the
#                 interrupt's exit, irq_exit_rcu(), are profiled too;
#                 the interrupt's entry and exit code still count)
. /bin/xdx-lib.sh
STAT=/sys/block/nvme0n1/stat
sectors_read() { awk '{ print $3 }' $STAT; }
# window [<file>]: print "<sectors read> <uptime s> <CPUs' idle> <CPUs'
# total time> <context switches> <interrupts>" (/proc/stat's cpu line,
# USER_HZ, steal counting as busy; its ctxt and intr totals);
# with a file (xdx.prof), write there the function profiler's totals
# so far, "<function> <calls> <us>" summed over the CPUs'
# trace_stat/function<N>, "sectors <read> 0" with the sectors read at
# the middle of reading them (their reading takes a while: the two
# readings' mean), and "read_ms <ms> 0", how long that took (in steps
# of 10 ms, 0 for less).  One process reads it all, so that a slice's
# figures cover one span and its counters' span nearly matches; the
# slice's MB/s and busy share are over a span that holds one reading of
# the totals (the one at its start)
window() {
	awk -v st=$STAT -v out="$1" 'FILENAME == st { s[n++] = $3 }
		FILENAME == "/proc/uptime" { u[m++] = $1 }
		FILENAME == "/proc/stat" && $1 == "cpu" { i = $5 + $6; t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }
		FILENAME == "/proc/stat" && $1 == "ctxt" { c = $2 }
		FILENAME == "/proc/stat" && $1 == "intr" { irq = $2 }
		FILENAME ~ /trace_stat/ && $4 == "us" { calls[$1] += $2; us[$1] += $3 }
		END {
			print s[0], u[0], i, t, c, irq
			if (out == "") exit
			printf "sectors %.1f 0\nread_ms %.0f 0\n", (s[0] + s[1]) / 2,
				(u[1] - u[0]) * 1000 > out
			for (f in calls) printf "%s %d %.3f\n", f, calls[f], us[f] > out
		}' $STAT /proc/uptime /proc/stat ${1:+$TRACING/trace_stat/function* /proc/uptime $STAT}
}
st() { stat_get "$1" /tmp/sb.stats; }
CPU_CACHE=/sys/module/xen_dma_exchange/parameters/cpu_cache
COOL_KIB=/sys/module/xen_dma_exchange/parameters/cool_kib
cache0=$(cat $CPU_CACHE)
cool0=$(cat $COOL_KIB 2>/dev/null)
# cool_set <KiB>: cool_kib, where the kernel has it
cool_set() { [ ! -w $COOL_KIB ] || echo "$1" > $COOL_KIB; }
cache=$(arg cache)
pace=$(arg_or pace 0)
case $pace in
0|1) ;;
*) echo "PROBE xdx.pace=$pace: 0 or 1"; exit 1 ;;
esac
cool=$(arg cool)
case $cool in
''|0) ;;
*[!0-9]*|0*|?????*) echo "PROBE xdx.cool=$cool: a number from 0 to 4096"; exit 1 ;;
*) [ "$cool" -le 4096 ] || { echo "PROBE xdx.cool=$cool: a number from 0 to 4096"; exit 1; } ;;
esac
[ -z "$cool" ] || [ -w $COOL_KIB ] || { echo "PROBE xdx.cool: this kernel has no cool_kib"; exit 1; }
# set_config <N|off|Y|on|cache|cool>
set_config() {
	case $1 in
	N|off) xdx_enable N ;;
	Y|on) echo "$cache0" > $CPU_CACHE; cool_set "$cool0"; xdx_enable Y ;;
	cache) echo "$cache" > $CPU_CACHE; xdx_enable Y ;;
	cool) cool_set "$cool"; xdx_enable Y ;;
	esac
}
b=$(cat $ENABLE)
qd=$(arg_or qd 128)
jobs=$(arg_or jobs 2)
pairs=$(arg_or pairs 8)
secs=$(arg_or secs 3)
perf=$(arg_or perf 0)
prof=$(arg_or prof 0)
case $prof in
0) pf= ;;
1|self) pf=/tmp/prof ;;
*) echo "PROBE xdx.prof=$prof: 0, 1 or self"; exit 1 ;;
esac
ppid=
if [ "$(( ${cache:+1} + pace + ${cool:+1} ))" -gt 1 ]; then
	echo "PROBE xdx.cache, xdx.pace=1 and xdx.cool: one at a time"; exit 1
fi
if [ "$perf" = 1 ] && [ -n "$pf" ]; then
	echo "PROBE xdx.perf=1 and xdx.prof: one at a time"; exit 1
fi
if [ "$perf" = 1 ]; then
	command -v perf > /dev/null || { echo "PROBE xdx.perf=1: no perf (run-probe.sh --with perf)"; exit 1; }
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
fi
# the submission, the mapping and unmapping paths, the completion; with
# self, also every interrupt (the event channel upcall, and the softirqs
# at its exit), to be left out of the function it lands in
PROF_FUNCS="nvme_queue_rq xen_swiotlb_map_sg xen_swiotlb_map_page
	xen_dma_exchange_map xdx_region_get swiotlb_tbl_map_single
	nvme_irq blk_mq_end_request_batch nvme_unmap_data xen_swiotlb_unmap_sg
	xen_swiotlb_unmap_page __xen_dma_exchange_unmap xdx_region_claim
	xdx_region_put __swiotlb_tbl_unmap_single"
[ "$prof" = self ] && PROF_FUNCS="$PROF_FUNCS xen_evtchn_do_upcall irq_exit_rcu"
if [ -n "$pf" ]; then
	tracefs_mount
	[ -f $TRACING/function_profile_enabled ] ||
		{ echo "PROBE xdx.prof: this kernel has no function profiler"; exit 1; }
	for f in $PROF_FUNCS; do
		grep -qx "$f" $TRACING/available_filter_functions &&
			echo "$f" >> $TRACING/set_ftrace_filter
	done
	# an empty filter would time every function
	grep -q . $TRACING/set_ftrace_filter ||
		{ echo "PROBE xdx.prof: none of the functions can be traced"; exit 1; }
	echo "PROBE profiled functions: $(tr '\n' ' ' < $TRACING/set_ftrace_filter)"
	# time scheduled out is not the function's (function_graph's option)
	echo 0 > $TRACING/options/sleep-time ||
		{ echo "PROBE xdx.prof: cannot leave out time asleep"; exit 1; }
	# with self, a function's time leaves out the profiled functions it
	# calls, the upcall of an interrupt landing in it included
	graph_time=1; [ "$prof" = self ] && graph_time=0
	echo $graph_time > $TRACING/options/graph-time ||
		{ echo "PROBE xdx.prof: cannot set graph-time"; exit 1; }
	echo 1 > $TRACING/function_profile_enabled ||
		{ echo "PROBE xdx.prof: cannot start the profiler"; exit 1; }
fi
idle_timer_off
echo "PROBE enable at boot $b; fixed pool $(pool_mib) MiB;" \
	"iodepth $qd x $jobs; $pairs $([ -n "$cache" ] && echo "rounds (off, on, cpu_cache $cache)" ||
		{ [ -n "$cool" ] && echo "rounds (off, on at cool_kib $cool0, cool_kib $cool)"; } || echo pairs)" \
	"of ${secs}-s slices; pace $pace; perf $perf; function profiler $prof"
# profile <label> <enable>: where the last slice's samples went
profile() {
	local f=/tmp/perf.$1.$2
	perf report -i $f --stdio --no-children --sort comm -g none --percent-limit 1.5 2>/dev/null |
		sed -n 's/^ *\([0-9.]*%\) *\(.*\)$/\1 \2/p' | head -8 |
		tr -s ' ' | sed "s/^/PROBE $1 enable=$2 comm: /"
	# the mapping paths' own functions, and what the rest spends most on
	perf report -i $f --stdio --children --sort sym -g none 2>/dev/null |
		sed -n 's/^ *\([0-9.]*%\) *\([0-9.]*%\) *\(.*\)$/\1 \2 \3/p' |
		awk '$1 + 0 >= 4 || ($1 + 0 >= 0.2 && $4 ~ /xdx_|xen_dma_exchange|swiotlb|memcpy|nvme_|rcu|queue_work|spin_lock|unmap|dma_/)' |
		head -70 | sed "s/^/PROBE $1 enable=$2 sym (children self): /"
}
# functions <label> <enable>: the slice's figures, from the totals before
# ($pf.0) and after it ($pf.1)
functions() {
	awk -v fns="$PROF_FUNCS" -v pre="PROBE $1 enable=$2 fn:" -v f0=$pf.0 '
		FILENAME == f0 { h0[$1] = $2; u0[$1] = $3; next }
		{ hit[$1] = $2 - h0[$1]; us[$1] = $3 - u0[$1]; h1[$1] = $2 }
		END {
			mb = hit["sectors"] * 512 / 1e6
			if (!(mb > 0)) { print pre, "no MB read"; exit }
			# how long the totals took to read, before and after
			printf "%s read_ms=%d,%d\n", pre, h0["read_ms"], h1["read_ms"]
			n = split(fns, f)
			for (i = 1; i <= n; i++) if (hit[f[i]] > 0)
				printf "%s %s calls_per_mb=%.1f us_per_call=%.2f ms_per_mb=%.3f\n",
					pre, f[i], hit[f[i]] / mb, us[f[i]] / hit[f[i]], us[f[i]] / 1000 / mb
		}' $pf.0 $pf.1
}
slice() { # label N|Y|off|on|cache|cool
	rm -f /tmp/sb.mbps
	set_config "$2"
	# what was in flight at the flip (qd x jobs 1-MiB reads) completes
	s0=$(( $(sectors_read) + qd * jobs * 2048 ))
	while [ "$(sectors_read)" -lt "$s0" ] && kill -0 $pid 2>/dev/null; do
		sleep 0.2
	done
	if [ "$perf" = 1 ] && [ "$1" != warmup ]; then
		perf record -q -a -g -e cpu-clock -F 499 -o /tmp/perf.$1.$2 2>/dev/null &
		ppid=$!
		# perf takes seconds to start sampling under TCG
		sleep 4
	fi
	counters_reset
	w0=$(window ${pf:+$pf.0})
	sleep "$secs"
	w1=$(window ${pf:+$pf.1})
	# one copy of the counters: the I/O goes on while they are read
	cp $XDX/stats /tmp/sb.stats; h=$(pool_hiwater)
	[ -n "$ppid" ] && { kill -TERM $ppid; wait $ppid; ppid=; }
	made=$(( $(st bounces) + $(st region_maps) ))
	kib=$(( ($(st bytes_bounced) + $(st bytes_via_region)) >> 10 ))
	kill -0 $pid 2>/dev/null || { echo "PROBE $1 enable=$2 mbps=fail: fio ended"; return; }
	wl=$(echo "$w0 $w1 $(nproc)" | awk '{
		mb = ($7 - $1) * 512 / 1e6; secs = $8 - $2
		busy = 1 - ($9 - $3) / ($10 - $4)
		printf "mbps=%.1f cpu_busy=%.0f%% cpu_ms_per_mb=%s", mb / secs,
			100 * busy, mb ? sprintf("%.2f", busy * $13 * secs * 1000 / mb) : "-"
		printf " ctxt_per_mb=%s intr_per_mb=%s", mb ? sprintf("%.2f", ($11 - $5) / mb) : "-",
			mb ? sprintf("%.2f", ($12 - $6) / mb) : "-" }')
	# the MB/s alone, for pace_pairs
	echo "$wl" | sed -n 's/^mbps=\([0-9.]*\) .*/\1/p' > /tmp/sb.mbps
	echo "PROBE $1 enable=$2" "$wl" \
		"kib_per_mapping=$((kib / (made + 1))) made=$made" \
		"$(paths_moved mb /tmp/sb.stats)" \
		"pool_hiwater=$h attempts_refused=$(($(st maps) - made))" \
		"exchanges=$(st exchanges)$(stat_fields "region_reuses region_reuses_on_cpu region_reuses_from_other_cpu region_splits region_merges" /tmp/sb.stats)"
	if [ "$1" != warmup ]; then
		[ "$perf" = 1 ] && profile "$1" "$2"
		[ -n "$pf" ] && functions "$1" "$2"
	fi
	return 0
}
dev_limit "$(nvme_pci)" 32
# one fio run to outlast the slices, ended when they are done
# shellcheck disable=SC2046,SC2091 # the fio command, run
$(fio_cmd /dev/nvme0n1 direct randread 1024 "$qd" "$jobs" 3600) > /tmp/sb.fio 2>&1 &
pid=$!
# A pair's pace moved if its second bounce-only slice read outside ±10 %
# of its first: one rule, for the pair lines and the summary alike.
pace_moved='function moved(d) { return d < 0.9 || d > 1.1 }'
# pace_pairs: xdx.pace=1's pairs (bounce-only, the backend, bounce-only)
# and their summary.  Names of its own: slice() and what it calls set
# variables of the caller.  /tmp/sb.pace: "<before> <backend> <after>
# <last pair's after or 0>" per pair measured.
pace_pairs() {
	local pp_i=1 pp_a pp_b pp_c pp_last=0
	rm -f /tmp/sb.pace
	slice warmup N > /dev/null
	slice warmup Y > /dev/null
	while [ "$pp_i" -le "$pairs" ]; do
		slice "pair$pp_i-before" N; pp_a=$(cat /tmp/sb.mbps 2>/dev/null)
		slice "pair$pp_i" Y; pp_b=$(cat /tmp/sb.mbps 2>/dev/null)
		slice "pair$pp_i-after" N; pp_c=$(cat /tmp/sb.mbps 2>/dev/null)
		if echo "$pp_a $pp_b $pp_c" | awk '!($1 > 0 && $2 > 0 && $3 > 0) { exit 1 }'; then
			echo "$pp_a $pp_b $pp_c $pp_last" | tee -a /tmp/sb.pace |
				awk -v p="PROBE pair$pp_i pace:" "$pace_moved"'{
				d = $3 / $1
				printf "%s bounce-only %s then %s MB/s (%.3fx), backend %s: %.2fx their mean, %s%s\n",
					p, $1, $3, d, $2, 2 * $2 / ($1 + $3),
					moved(d) ? "pace moved" : "steady",
					($4 > 0 ? sprintf("; bounce-only since the last pair %.3fx", $1 / $4) : "") }'
			pp_last=$pp_c
		else
			echo "PROBE pair$pp_i pace: a slice failed or read nothing"
			pp_last=0
		fi
		pp_i=$((pp_i + 1))
	done
	[ -s /tmp/sb.pace ] || { echo "PROBE pace: no pair measured"; return 0; }
	awk "$pace_moved"'
		function put(a, n, v,  j) { for (j = n; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1]; a[j] = v }
		function show(name, a, n) {
			if (!n) { printf "PROBE pace %s: none\n", name; return }
			printf "PROBE pace %s: %d, backend %.2fx [%.2f-%.2f]\n", name, n,
				n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2, a[0], a[n - 1] }
		{ r = 2 * $2 / ($1 + $3); put(all, na++, r)
		  if (moved($3 / $1)) nm++; else put(st, ns++, r)
		  if ($4 > 0) { nb++; if (moved($1 / $4)) nbm++ } }
		END {
			show("steady pairs", st, ns); show("all pairs", all, na)
			# the control: bounce-only slices with no backend slice between
			printf "PROBE pace moved: across the backend slice %d of %d, bounce-only back to back %d of %d\n",
				nm, na, nbm, nb }' /tmp/sb.pace
}
if [ -n "$cache" ]; then
	rounds3 "$pairs" slice off on cache
elif [ -n "$cool" ]; then
	rounds3 "$pairs" slice off on cool
elif [ "$pace" = 1 ]; then
	pace_pairs
else
	offon_pairs "$pairs" slice
fi
# with the I/O still going: the regions in use are the last slice's
echo "PROBE low regions by order (free/in use), fio still reading:$(low_regions)"
kill $pid 2>/dev/null
wait $pid
[ -n "$pf" ] && echo 0 > $TRACING/function_profile_enabled
dev_limit "$(nvme_pci)" 0
idle_timer_restore
echo "$cache0" > $CPU_CACHE
cool_set "$cool0"
xdx_enable "$b"
