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
# in a hypercall counts as busy too), KiB per mapping made
# (a mapping the full pool refused is not one), what went through the
# fixed pool and through regions, the pool's high-water, the mappings
# the pool refused (map attempts the backend saw, less those made: a
# request the full pool refuses is tried again; the counters are summed
# CPU by CPU while the I/O goes on, so it is approximate) and the
# backend's exchanges.  run-probe.sh --append swiotlb=<slots> sets
# the pool.  dom0 arguments (run-probe.sh --append):
#   xdx.qd=N      iodepth (default 128)
#   xdx.jobs=N    fio jobs (default 2)
#   xdx.pairs=N   pairs of slices, or rounds with xdx.cache (default 8)
#   xdx.secs=N    seconds per slice (default 3)
#   xdx.cache=N   rounds of three slices instead of pairs, the order
#                 rotating (rounds3): bounce-only (off), the backend at
#                 its cpu_cache (on) and the backend at cpu_cache N
#                 (cache), to tell the per-CPU magazines' share with the
#                 same buffers (they hold regions up to 32 KiB)
#   xdx.perf=1    each slice under perf record (cpu-clock, all CPUs,
#                 call graphs; needs run-probe.sh --with perf): per
#                 slice, the shares of samples by task, and by symbol
#                 with what it calls (children) and alone (self)
. /bin/xdx-lib.sh
STAT=/sys/block/nvme0n1/stat
sectors_read() { awk '{ print $3 }' $STAT; }
# window: "<sectors read> <uptime s> <CPUs' idle> <CPUs' total time>"
# (/proc/stat's cpu line, USER_HZ; steal counts as busy), in one process
# so that the slice's window and its counters' nearly match
window() {
	awk -v st=$STAT 'FILENAME == st { s = $3 } FILENAME == "/proc/uptime" { u = $1 }
		FILENAME == "/proc/stat" && $1 == "cpu" { i = $5 + $6; t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }
		END { print s, u, i, t }' $STAT /proc/uptime /proc/stat
}
st() { stat_get "$1" /tmp/sb.stats; }
CPU_CACHE=/sys/module/xen_dma_exchange/parameters/cpu_cache
cache0=$(cat $CPU_CACHE)
cache=$(arg cache)
# set_config <N|off|Y|on|cache>
set_config() {
	case $1 in
	N|off) xdx_enable N ;;
	Y|on) echo "$cache0" > $CPU_CACHE; xdx_enable Y ;;
	cache) echo "$cache" > $CPU_CACHE; xdx_enable Y ;;
	esac
}
b=$(cat $ENABLE)
qd=$(arg_or qd 128)
jobs=$(arg_or jobs 2)
pairs=$(arg_or pairs 8)
secs=$(arg_or secs 3)
perf=$(arg_or perf 0)
if [ "$perf" = 1 ]; then
	command -v perf > /dev/null || { echo "PROBE xdx.perf=1: no perf (run-probe.sh --with perf)"; exit 1; }
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
fi
idle_timer_off
echo "PROBE enable at boot $b; fixed pool $(pool_mib) MiB;" \
	"iodepth $qd x $jobs; $pairs $([ -n "$cache" ] && echo "rounds (off, on, cpu_cache $cache)" || echo pairs)" \
	"of ${secs}-s slices; perf $perf"
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
slice() { # label N|Y|off|on|cache
	set_config "$2"
	# what was in flight at the flip (qd x jobs 1-MiB reads) completes
	s0=$(( $(sectors_read) + qd * jobs * 2048 ))
	while [ "$(sectors_read)" -lt "$s0" ] && kill -0 $pid 2>/dev/null; do
		sleep 0.2
	done
	if [ "$perf" = 1 ]; then
		perf record -q -a -g -e cpu-clock -F 499 -o /tmp/perf.$1.$2 2>/dev/null &
		ppid=$!
		# perf takes seconds to start sampling under TCG
		sleep 4
	fi
	counters_reset
	w0=$(window)
	sleep "$secs"
	w1=$(window)
	# one copy of the counters: the I/O goes on while they are read
	cp $XDX/stats /tmp/sb.stats; h=$(pool_hiwater)
	if [ "$perf" = 1 ]; then kill -TERM $ppid; wait $ppid; fi
	made=$(( $(st bounces) + $(st region_maps) ))
	kib=$(( ($(st bytes_bounced) + $(st bytes_via_region)) >> 10 ))
	kill -0 $pid 2>/dev/null || { echo "PROBE $1 enable=$2 mbps=fail: fio ended"; return; }
	echo "PROBE $1 enable=$2" \
		"$(echo "$w0 $w1 $(nproc)" | awk '{
			mb = ($5 - $1) * 512 / 1e6; secs = $6 - $2
			busy = 1 - ($7 - $3) / ($8 - $4)
			printf "mbps=%.1f cpu_busy=%.0f%% cpu_ms_per_mb=%s", mb / secs,
				100 * busy, mb ? sprintf("%.2f", busy * $9 * secs * 1000 / mb) : "-" }')" \
		"kib_per_mapping=$((kib / (made + 1))) made=$made" \
		"$(paths_moved mb /tmp/sb.stats)" \
		"pool_hiwater=$h attempts_refused=$(($(st maps) - made))" \
		"exchanges=$(st exchanges)"
	if [ "$perf" = 1 ]; then profile "$1" "$2"; fi
}
dev_limit "$(nvme_pci)" 32
# one fio run to outlast the slices, ended when they are done
# shellcheck disable=SC2046,SC2091 # the fio command, run
$(fio_cmd /dev/nvme0n1 direct randread 1024 "$qd" "$jobs" 3600) > /tmp/sb.fio 2>&1 &
pid=$!
if [ -n "$cache" ]; then
	rounds3 "$pairs" slice off on cache
else
	offon_pairs "$pairs" slice
fi
# with the I/O still going: the regions in use are the last slice's
echo "PROBE low regions by order (free/in use), fio still reading:$(low_regions)"
kill $pid 2>/dev/null
wait $pid
dev_limit "$(nvme_pci)" 0
idle_timer_restore
echo "$cache0" > $CPU_CACHE
xdx_enable "$b"
