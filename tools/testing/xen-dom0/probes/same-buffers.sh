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
# /sys/block/nvme0n1/stat, over the slice's time), KiB per mapping made
# (a mapping the full pool refused is not one), what went through the
# fixed pool and through regions, the pool's high-water, the mappings
# the pool refused (map attempts the backend saw, less those made: a
# request the full pool refuses is tried again; the counters are summed
# CPU by CPU while the I/O goes on, so it is approximate) and the
# backend's exchanges.  run-probe.sh --append swiotlb=<slots> sets
# the pool.  dom0 arguments (run-probe.sh --append):
#   xdx.qd=N      iodepth (default 128)
#   xdx.jobs=N    fio jobs (default 2)
#   xdx.pairs=N   pairs of slices (default 8)
#   xdx.secs=N    seconds per slice (default 3)
. /bin/xdx-lib.sh
STAT=/sys/block/nvme0n1/stat
sectors_read() { awk '{ print $3 }' $STAT; }
st() { stat_get "$1" /tmp/sb.stats; }
b=$(cat $ENABLE)
qd=$(arg_or qd 128)
jobs=$(arg_or jobs 2)
pairs=$(arg_or pairs 8)
secs=$(arg_or secs 3)
idle_timer_off
echo "PROBE enable at boot $b; fixed pool $(pool_mib) MiB;" \
	"iodepth $qd x $jobs; $pairs pairs of ${secs}-s slices"
slice() { # pair enable
	xdx_enable "$2"
	# what was in flight at the flip (qd x jobs 1-MiB reads) completes
	s0=$(( $(sectors_read) + qd * jobs * 2048 ))
	while [ "$(sectors_read)" -lt "$s0" ] && kill -0 $pid 2>/dev/null; do
		sleep 0.2
	done
	counters_reset
	s0=$(sectors_read) t0=$(cut -d' ' -f1 /proc/uptime)
	sleep "$secs"
	s1=$(sectors_read) t1=$(cut -d' ' -f1 /proc/uptime)
	# one copy of the counters: the I/O goes on while they are read
	cp $XDX/stats /tmp/sb.stats; h=$(pool_hiwater)
	made=$(( $(st bounces) + $(st region_maps) ))
	kib=$(( ($(st bytes_bounced) + $(st bytes_via_region)) >> 10 ))
	kill -0 $pid 2>/dev/null || { echo "PROBE $1 enable=$2 mbps=fail: fio ended"; return; }
	echo "PROBE $1 enable=$2" \
		"mbps=$(awk "BEGIN { printf \"%.1f\", ($s1 - $s0) * 512 / ($t1 - $t0) / 1e6 }")" \
		"kib_per_mapping=$((kib / (made + 1))) made=$made" \
		"$(paths_moved mb /tmp/sb.stats)" \
		"pool_hiwater=$h attempts_refused=$(($(st maps) - made))" \
		"exchanges=$(st exchanges)"
}
dev_limit "$(nvme_pci)" 32
# one fio run to outlast the slices, ended when they are done
# shellcheck disable=SC2046,SC2091 # the fio command, run
$(fio_cmd /dev/nvme0n1 direct randread 1024 "$qd" "$jobs" 3600) > /tmp/sb.fio 2>&1 &
pid=$!
offon_pairs "$pairs" slice
kill $pid 2>/dev/null
wait $pid
dev_limit "$(nvme_pci)" 0
idle_timer_restore
xdx_enable "$b"
