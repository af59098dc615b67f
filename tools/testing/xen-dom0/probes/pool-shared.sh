#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Why does the e1000 receive less inside the pool level's deep queue with
# the backend than bounce-only (make bench's pool1M-shared rx row)?  In
# one boot (run-probe.sh --append swiotlb=<slots> sets the pool), the
# idle timer off: iperf3 -R through the 32-bit e1000 started inside a run
# of the deep queue (fio O_DIRECT 1 MiB random reads, iodepth 128 x 2
# jobs, NVMe under a 32-bit limit), as the bench's shared row, in off-on
# pairs through the run-time switch, the order alternating:
#   alone   no deep queue: the e1000 by itself;
#   capped  the deep queue held to the same rate in both (fio --rate,
#           MiB/s per job), so that the two configurations copy as many disk bytes;
#   free    the deep queue as fast as it goes, as in the bench.
# If the e1000 loses with the backend only where the disk runs free, the
# loss is the disk's copies taking the CPU, not the NIC's mappings.  Per
# run: the e1000's Mbit/s and its receive drops (the interface's
# rx_dropped and rx_missed_errors, which the driver updates every 2 s:
# read 2 s after a run), the disk's MB/s over its whole run,
# what went through the fixed pool and through regions (both devices),
# the pool's high-water, the "swiotlb buffer is full" messages printed
# and the backend's counters.
# dom0 arguments (run-probe.sh --append):
#   xdx.pairs=N   pairs per kind (default 4)
#   xdx.rate=N    capped: MiB/s per job (default 50)
#   xdx.secs=N    iperf3 seconds (default 5)
#   xdx.qd=N      the deep queue's iodepth per job (default 128)
. /bin/xdx-lib.sh
net32_up || { echo "PROBE no 32-bit NIC network"; exit 1; }
S="region_maps region_reuses_on_cpu region_reuses_from_other_cpu region_splits region_merges skipped_budget skipped_no_free_region"
nic=$(nic_if e1000)
b=$(cat $ENABLE)
pairs=$(arg_or pairs 4)
rate=$(arg_or rate 50)
secs=$(arg_or secs 5)
qd=$(arg_or qd 128)
echo "PROBE enable at boot $b; fixed pool $(pool_mib) MiB;" \
	"iodepth $qd x 2; capped: ${rate} MiB/s per job; iperf3 ${secs} s"
drops() {
	echo $(( $(cat /sys/class/net/$nic/statistics/rx_dropped) +
		$(cat /sys/class/net/$nic/statistics/rx_missed_errors) ))
}
run() { # pair enable alone|capped|free
	xdx_enable "$2"
	counters_reset
	full=$(pool_full_msgs) d0=$(drops)
	r=""; [ "$3" = capped ] && r="--rate=${rate}m"
	out="" pid=""
	if [ "$3" != alone ]; then
		# shellcheck disable=SC2046,SC2086,SC2091 # the fio command, run; $r: one option or none
		$(fio_cmd /dev/nvme0n1 direct randread 1024 "$qd" 2 $((secs + 4))) $r > /tmp/ps.fio 2>&1 &
		pid=$!
		sleep 2
	fi
	m=$($(iperf_cmd e1000 rx "$secs") 2>&1 | iperf3_mbit)
	if [ -n "$pid" ]; then
		kill -0 $pid 2>/dev/null || m="${m:-fail}(fio-ended-first)"
		wait $pid
		out=$(grep '^3;' /tmp/ps.fio)
	fi
	sleep 2
	echo "PROBE $3 $1 enable=$2 e1000_rx_mbit=${m:-fail} rx_drops=$(($(drops) - d0))" \
		"nvme_mbps=$([ -z "$pid" ] && echo - || fio_mbps "$(fio_field "$out" read bw)")" \
		"$(paths_moved mb)" \
		"pool_hiwater=$(pool_hiwater) pool_full_printed=$(($(pool_full_msgs) - full))" \
		"exchanges=$(stat_get exchanges)$(stat_fields "$S")"
}
idle_timer_off
dev_limit "$(nvme_pci)" 32
for kind in alone capped free; do offon_pairs "$pairs" run $kind; done
dev_limit "$(nvme_pci)" 0
idle_timer_restore
xdx_enable "$b"
