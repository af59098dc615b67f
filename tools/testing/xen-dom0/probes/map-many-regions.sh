#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Does a mapping cost more when the backend holds many regions?  In one
# boot, the idle timer off: 1-s dma_map_benchmark runs (32-bit,
# bidirectional, 1 thread, 1 page), bounce-only and with the backend in
# alternating pairs, first with few regions (after a flush), then after
# the pool level's deep queue (fio O_DIRECT 1 MiB random reads, iodepth
# 128 x 2, NVMe under a 32-bit limit) has grown them.  Map and unmap
# latency (us) and the regions held.  dom0 arguments (run-probe.sh
# --append):
#   xdx.pairs=N   pairs per state (default 5)
. /bin/xdx-lib.sh
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
pairs=$(arg_or pairs 5)
b=$(cat $ENABLE)
idle_timer_off
regions() { awk 'NR > 1 { n += $4 + $5 } END { print n + 0 }' $XDX/regions; }
mrun() { # pair enable state
	xdx_enable "$2"
	echo "PROBE $3 $1 enable=$2 $(map_latency -t 1 -s 1 -b 32 -d 0 -g 1) regions=$(regions)"
}
xdx_enable Y; go_cold; sleep 2
offon_pairs "$pairs" mrun few
xdx_enable Y
dev_limit "$(nvme_pci)" 32
$(fio_cmd /dev/nvme0n1 direct randread 1024 128 2 3) > /dev/null 2>&1
dev_limit "$(nvme_pci)" 0
echo "PROBE after the deep queue: $(regions_table)"
offon_pairs "$pairs" mrun many
idle_timer_restore
xdx_enable "$b"
