#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The quick bench's map points in its order, in one boot: three rounds of
# 3 off-on pairs of 1-s dma_map_benchmark runs (32-bit, bidirectional, 1
# thread) of 1 page, 64 pages and a 32-entry sg list; before the second
# and third round, fio buffered 1 MiB reads on NVMe under a 32-bit limit
# (cold, warm) and iperf3 both ways through the e1000 (cold, warm), as
# the bench's I/O rows run between its repeats.  Each run: its start
# (uptime), map and unmap latency, and the regions the backend gave back
# and made during it; after each round, those given back in 20 s idle.
. /bin/xdx-lib.sh
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
net32_up || { echo "PROBE no 32-bit NIC network"; exit 1; }
mrun() { # label opts
	l=$1; shift
	xdx_enable $en
	stats_reset
	t0=$(cut -d' ' -f1 /proc/uptime)
	o=$(map_latency -t 1 -s 1 -b 32 -d 0 "$@")
	echo "PROBE t=$t0 $l en=$en $o rel=$(stat_get regions_released) exch=$(stat_get exchanges)"
}
for rep in 1 2 3; do
	if [ $rep -gt 1 ]; then
		xdx_enable Y
		nvme32_reads_cold_warm
		echo "PROBE after fio: $(regions_table)"
		for st in cold warm; do
			[ $st = cold ] && go_cold
			for d in tx rx; do $(iperf_cmd e1000 $d 3) > /dev/null 2>&1; done
		done
		echo "PROBE after iperf: $(regions_table)"
	fi
	for p in 1 2 3; do for en in N Y; do mrun g1 -g 1; done; done
	for p in 1 2 3; do for en in N Y; do mrun g64 -g 64; done; done
	for p in 1 2 3; do for en in N Y; do mrun sg -g 1 -m 1 -e 32; done; done
	xdx_enable Y
	sleep 20
	echo "PROBE idle 20s: released so far $(stat_get regions_released)"
done
