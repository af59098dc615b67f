#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host-perf.sh <console log> <QEMU's pid file> <out dir>: profiles, from
# the host, the QEMU whose pid run-xen.sh writes to <QEMU's pid file>, one
# perf file per stretch of the guest's console between two slice lines
# ("PROBE ... mbps="), so each file holds one slice of the probe and the
# flip before it (the stretch before the first line is not recorded, and
# perf's restart at each line leaves a gap of a fraction of a second).
# When QEMU exits, prints one line per stretch, named after the line that
# ends it:
#  - shares of QEMU's samples: its vCPU threads; among their leaf frames,
#    translated guest code (jit), TCG's slow paths for 8-byte loads and
#    stores, TLB fills, and QEMU functions with no exported name
#    (qemu_unnamed: Debian's binary keeps only its dynamic symbols, so
#    the named slow paths are lower bounds); host kernel and host page
#    faults, over all threads;
#  - thp_faults: the host's huge-page faults in the stretch, host-wide;
#  - host_us: the host's pace, the median over the stretch of a meter
#    thread's CPU time for a fixed piece of work, timed every 0.1 s (about
#    1 ms of work, 1 % of a CPU; lower is faster).  This host is itself a
#    virtual machine; on an otherwise idle host two spinning threads ran
#    at 1.1-1.4 G loop iterations a second each for 10 s, then one of
#    them at 2.4-3.0 G for 12 s.
# Started by run-probe.sh --host-perf; needs root's perf (kernel samples)
# and python3, and QEMU's thread names (run-xen.sh's -name
# debug-threads=on).  Guest code cannot be named: QEMU 7.2 writes no perf
# map of its translations.  After run-xen.sh's one retry of a boot, the
# second QEMU is followed if the first printed no slice line.
set -uo pipefail
console=$1 pidfile=$2 out=$3
split=${HOST_PERF_SPLIT:-PROBE .*mbps=}
rm -rf "$out"; mkdir -p "$out"
thp() { sed -n 's/^thp_fault_alloc //p' /proc/vmstat; }
# qemu_pid <seconds> [<pid not to take>]: waits that long for a live QEMU
# in the pid file; fails when the time is up or our caller is gone
qemu_pid() {
	local p i=0
	while [ $i -lt $(($1 * 2)) ] && kill -0 "$PPID" 2>/dev/null; do
		p=$(cat "$pidfile" 2>/dev/null)
		[ -n "$p" ] && [ "$p" != "${2:-}" ] && kill -0 "$p" 2>/dev/null &&
			{ echo "$p"; return 0; }
		sleep 0.5; i=$((i + 1))
	done
	return 1
}
qp=$(qemu_pid 1800) || exit 1
# the meter: "<time> <µs of CPU time for the work>" per sample
python3 -c '
import sys, time
out = open(sys.argv[1], "w")
while True:
    w = time.time(); c = time.thread_time(); x = 0
    for i in range(20000):
        x += i
    print("%.3f %.0f" % (w, (time.thread_time() - c) * 1e6), file=out, flush=True)
    time.sleep(0.1)' "$out/meter" &
meter=$!
seen=0 perfpid="" t0=0
trap 'kill $meter $perfpid 2>/dev/null || true' EXIT
while :; do
	if ! kill -0 "$qp" 2>/dev/null; then
		# a boot run-xen.sh retries: follow the second QEMU, for a minute
		[ "$seen" = 0 ] || break
		qp=$(qemu_pid 60 "$qp") || break
	fi
	n=$(grep -a -c "$split" "$console" 2>/dev/null); n=${n:-0}
	if [ "$n" -gt "$seen" ]; then
		if [ -n "$perfpid" ]; then
			# the stretch's faults and end, read before perf stops
			echo "$n $(( $(thp) - t0 )) $ts $(date +%s.%N)" >> "$out/thp"
			kill -INT "$perfpid"; wait "$perfpid"; perfpid=
			mv "$out/cur.data" "$out/$n.data"
		else
			# the vCPU threads, by name, once they all exist
			grep -l "/TCG" /proc/"$qp"/task/*/comm 2>/dev/null |
				awk -F/ '{ print $5 }' > "$out/vcpus"
		fi
		grep -a "$split" "$console" | tr -d '\r' | sed 's/^(d0) //' > "$out/lines"
		[ "$seen" -gt 0 ] && [ "$n" -gt $((seen + 1)) ] &&
			echo "$n: $((n - seen)) lines in one poll, the last one's label kept" >> "$out/merged"
		seen=$n t0=$(thp) ts=$(date +%s.%N)
		perf record -q -B -g -F 999 -p "$qp" -o "$out/cur.data" > /dev/null 2>> "$out/perf.err" &
		perfpid=$!
	fi
	sleep 0.1
done
[ -n "$perfpid" ] && { kill -INT "$perfpid" 2>/dev/null; wait "$perfpid"; perfpid=; }
kill $meter 2>/dev/null; meter=
rm -f "$out/cur.data"
[ -s "$out/perf.err" ] && sed 's/^/PROBE-HOST perf: /' "$out/perf.err" | sort -u | head -3
[ -s "$out/merged" ] && sed 's/^/PROBE-HOST stretch /' "$out/merged"
[ -s "$out/vcpus" ] || { echo "PROBE-HOST no vCPU threads found"; exit 1; }
for f in "$out"/*.data; do
	[ -e "$f" ] || continue
	n=$(basename "$f" .data)
	label=$(sed -n "${n}p" "$out/lines" | awk '{ print $2, $3 }')
	# the stretch's row: its THP faults, start and end
	read -r _ faults from to < <(awk -v n="$n" '$1 == n' "$out/thp")
	# the meter's median over the stretch
	pace=$(awk -v a="$from" -v b="$to" '$1 >= a && $1 < b { print $2 }' "$out/meter" |
		sort -n | awk '{ v[NR] = $1 } END {
		if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	perf script -i "$f" -F tid,ip,sym,dso 2>/dev/null | awk -v vcpus="$(tr '\n' ' ' < "$out/vcpus")" \
		-v pre="PROBE-HOST $n $label:" -v thp="$faults" -v pace="${pace:--}" '
	BEGIN { split(vcpus, t); for (i in t) vc[t[i]] = 1 }
	function done() {
		if (!depth) return
		tot++
		if (kern) { k++; if (fault) pf++ }
		depth = 0; kern = 0; fault = 0
	}
	NF == 0 { done(); next }
	!depth { depth = 1; v = ($1 in vc); nv += v; next }
	{
		if (depth++ == 1 && v) {	# the leaf frame of a vCPU sample
			if ($0 ~ /perf-[0-9]+\.map/) jit++
			else if ($2 == "helper_le_ldq_mmu") ld++
			else if ($2 == "helper_le_stq_mmu") st++
			else if ($2 == "x86_cpu_tlb_fill" || $2 == "tlb_set_page_full") fill++
			else if ($2 == "[unknown]" && $0 ~ /qemu-system-x86_64/) unnamed++
		}
		if ($0 ~ /kallsyms/) {
			kern = 1
			if ($2 == "exc_page_fault" || $2 == "do_page_fault") fault = 1
		}
	}
	END {
		done()
		if (!tot) { print pre, "no samples"; exit }
		printf "%s samples=%d vcpu=%.1f%% jit=%.1f%% slow_ldq=%.2f%% slow_stq=%.2f%% tlb_fill=%.2f%% qemu_unnamed=%.1f%% host_kernel=%.1f%% host_page_faults=%.1f%% thp_faults=%s host_us=%s\n",
			pre, tot, 100 * nv / tot, 100 * jit / tot, 100 * ld / tot,
			100 * st / tot, 100 * fill / tot, 100 * unnamed / tot,
			100 * k / tot, 100 * pf / tot, thp, pace
	}'
done | sort -k2 -n
