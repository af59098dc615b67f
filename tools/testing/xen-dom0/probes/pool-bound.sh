#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What this test bed allows a fixed pool that runs out to cost, in one
# boot: the pool level's deep queue (fio O_DIRECT 1 MiB random reads at
# iodepth 128 x 2 jobs on the NVMe) in rounds of warm 3-s runs, the
# order rotating from round to round:
#   off32  NVMe under a 32-bit limit, bounce-only (the run-time switch
#          off): every byte copied through the fixed pool, which runs out
#          when dom0 is booted with a small one (run-probe.sh --append
#          swiotlb=4096);
#   on32   the same with the backend: every byte copied through regions;
#   off64  the NVMe as it is (64-bit), bounce-only: mapped in place, no
#          copy, no pool, what a device that needs no bouncing gets.
# off64 over off32 bounds what any mapping path could gain over
# bounce-only here; on32 over off32 is what the backend gains.  The three
# share one boot, so the disk's queue limits (the fixed pool's: the NVMe
# is 64-bit when it probes) and everything else but the mapping path are
# the same.  dom0 arguments (run-probe.sh --append):
#   xdx.rounds=N  rounds (default 6)
. /bin/xdx-lib.sh
SW=$SWIOTLB/io_tlb_used_hiwater
S="exchanges_in_map regions_released region_splits region_merges skipped_budget skipped_no_free_region"
b=$(cat $ENABLE)
n=$(arg rounds); [ -n "$n" ] || n=6
echo "PROBE enable at boot $b; fixed pool $(( $(cat $SWIOTLB/io_tlb_nslabs) / 512 )) MiB;" \
	"nvme0n1 max_sectors_kb $(cat /sys/block/nvme0n1/queue/max_sectors_kb)"
run() { # label config
	case $2 in
	off32) dev_limit "$(nvme_pci)" 32; xdx_enable N ;;
	on32) dev_limit "$(nvme_pci)" 32; xdx_enable Y ;;
	off64) dev_limit "$(nvme_pci)" 0; xdx_enable N ;;
	esac
	stats_reset; echo 0 > $SW
	full=$(pool_full_msgs)
	out=$($(fio_cmd /dev/nvme0n1 direct randread 1024 128 2 3) 2>&1 | grep '^3;')
	[ "$(fio_field "$out" read err)" = 0 ] || echo "PROBE $1 $2: fio failed"
	echo "PROBE $1 $2 mbps=$(fio_mbps "$(fio_field "$out" read bw)")" \
		"mb_bounced=$(($(stat_get bytes_bounced) >> 20))" \
		"mb_via_region=$(($(stat_get bytes_via_region) >> 20))" \
		"pool_hiwater=$(cat $SW) pool_full=$(($(pool_full_msgs) - full))" \
		"exchanges=$(stat_get exchanges)$(for c in $S; do echo -n " $c=$(stat_get $c)"; done)"
}
rounds3 "$n" run off32 on32 off64
dev_limit "$(nvme_pci)" 0
xdx_enable "$b"
