#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio O_DIRECT 1 MiB random reads at iodepth 32 on NVMe under a 32-bit
# limit, as the bench's row, in one boot: pairs of warm 3-s runs,
# bounce-only (the run-time switch off) and with the backend, the order
# alternating from pair to pair.  MB/s, KiB per mapping and the backend's
# counters of each run, and the disk's queue limits (the NVMe is 64-bit
# when it probes, so they are the fixed pool's in every boot: the two
# configurations differ here in the mapping path alone).  dom0 arguments
# (run-probe.sh --append):
#   xdx.pairs=N   pairs (default 8)
. /bin/xdx-lib.sh
q=/sys/block/nvme0n1/queue
b=$(cat $ENABLE)
pairs=$(arg_or pairs 8)
echo "PROBE enable at boot $(cat $ENABLE); nvme0n1: max_sectors_kb $(cat $q/max_sectors_kb)," \
	"max_hw_sectors_kb $(cat $q/max_hw_sectors_kb), max_segments $(cat $q/max_segments)," \
	"max_segment_size $(cat $q/max_segment_size)"
run() { # label enable
	xdx_enable "$2"
	stats_reset
	out=$(nvme_fio direct randread 32 3)
	m=$(stat_get maps) kb=$(fio_field "$out" read kb)
	echo "PROBE $1 enable=$2 mbps=$(fio_mbps "$(fio_field "$out" read bw)")" \
		"kib_per_mapping=$((kb / (m + 1))) maps=$m region_maps=$(stat_get region_maps)" \
		"bounces=$(stat_get bounces) exchanges=$(stat_get exchanges)" \
		"in_map=$(stat_get exchanges_in_map)"
}
dev_limit "$(nvme_pci)" 32
offon_pairs "$pairs" run
dev_limit "$(nvme_pci)" 0
xdx_enable "$b"
