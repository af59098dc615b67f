#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What this test bed allows a fixed pool that runs out to cost, in one
# boot (run-probe.sh --append swiotlb=<slots> sets the pool), in rounds
# of three warm 3-s fio O_DIRECT 1 MiB random-read runs, the order
# rotating from round to round (rounds3), all through the run-time
# switch.  xdx.disk=nvme (default): the pool level's deep queue, iodepth
# 128 x 2 jobs, on the NVMe:
#   off32  under a 32-bit limit, bounce-only: every byte copied through
#          the fixed pool, which runs out when it is small;
#   on32   the same with the backend: every byte copied through regions;
#   off64  the NVMe as it is (64-bit), bounce-only: fio's pages mapped in
#          place, no copy, no pool.
# The three have the same queue limits (the fixed pool's: the NVMe is
# 64-bit when it probes), so off64 over off32 bounds what any mapping
# path could gain over bounce-only here, and on32 over off32 is what the
# backend gains.  xdx.disk=sym: the disk behind the 32-bit lsi53c895a,
# iodepth 32 (the bench's point), where the backend also lifts the
# per-mapping cap:
#   off256 bounce-only at the max_sectors_kb of 256 a bounce-only boot
#          gives the disk;
#   on256  the backend at 256;
#   on     the backend at the max_sectors_kb it gave the disk at boot.
# The idle timer is off during the probe (idle_secs 0), so that regions
# are not given back and rebuilt while the other runs leave them unused.
# Per run: MB/s, what went through the pool and through regions, the
# pool's high-water, the "swiotlb buffer is full" messages printed (a
# lower bound of the mappings that found it full: nvme maps
# multi-segment requests with DMA_ATTR_NO_WARN, and swiotlb's rate limit
# reports suppressed ones later) and the backend's counters.
# dom0 arguments (run-probe.sh --append):
#   xdx.rounds=N  rounds (default 6)
#   xdx.disk=nvme|sym
. /bin/xdx-lib.sh
S="maps region_reuses region_reuses_on_cpu exchanges_in_map regions_released region_splits region_merges skipped_budget skipped_no_free_region"
b=$(cat $ENABLE)
n=$(arg_or rounds 6)
disk=$(arg_or disk nvme)
case $disk in
nvme) dev=/dev/nvme0n1 qd=128 jobs=2 configs="off32 on32 off64" ;;
sym) dev=$(disk_on_pci "$(sym_pci)") || { echo "PROBE no disk behind the lsi53c895a"; exit 1; }
	qd=32 jobs=1 configs="off256 on256 on" ;;
*) echo "PROBE xdx.disk=$disk: nvme or sym"; exit 1 ;;
esac
q=/sys/block/${dev#/dev/}/queue/max_sectors_kb
boot_kb=$(cat $q)
idle_timer_off
echo "PROBE enable at boot $b; fixed pool $(pool_mib) MiB;" \
	"$dev max_sectors_kb $boot_kb; iodepth $qd x $jobs; idle_secs $idle_saved, 0 during the probe"
run() { # label config
	case $2 in
	off32) dev_limit "$(nvme_pci)" 32; xdx_enable N ;;
	on32) dev_limit "$(nvme_pci)" 32; xdx_enable Y ;;
	off64) dev_limit "$(nvme_pci)" 0; xdx_enable N ;;
	off256) echo 256 > $q; xdx_enable N ;;
	on256) echo 256 > $q; xdx_enable Y ;;
	on) echo "$boot_kb" > $q; xdx_enable Y ;;
	esac
	counters_reset
	full=$(pool_full_msgs)
	out=$($(fio_cmd "$dev" direct randread 1024 $qd $jobs 3) 2>&1 | grep '^3;')
	[ "$(fio_field "$out" read err)" = 0 ] || echo "PROBE $1 $2: fio failed"
	echo "PROBE $1 $2 mbps=$(fio_mbps "$(fio_field "$out" read bw)")" \
		"max_sectors_kb=$(cat $q)" \
		"$(paths_moved mb)" \
		"pool_hiwater=$(pool_hiwater) pool_full_printed=$(($(pool_full_msgs) - full))" \
		"exchanges=$(stat_get exchanges)$(stat_fields "$S")"
}
# shellcheck disable=SC2086 # three names
rounds3 "$n" run $configs
[ $disk = nvme ] && dev_limit "$(nvme_pci)" 0
echo "$boot_kb" > $q
idle_timer_restore
xdx_enable "$b"
