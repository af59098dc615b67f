#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dma_map_benchmark, 64 pages, a 32-bit mask (or xdx.bits), bidirectional,
# 1 thread, in one boot: rounds of a 1-s run bounce-only (the run-time
# switch off) then one with the backend, as the bench's map rows run; the
# backend's counters of each run and its 256-KiB regions after it (lines
# of debugfs "regions": class, order, KiB, free, in use, on CPUs).
# dom0 arguments (run-probe.sh --append):
#   xdx.rounds=N       rounds (default 10)
#   xdx.bits=N         the device's mask, bits (default 32)
#   xdx.between=fio    every other round, fio buffered 1 MiB reads on NVMe
#                      under a 32-bit limit from cold (every free region
#                      given back first), as between the bench's repeats
#   xdx.between=iperf  every other round, iperf3 both ways through the
#                      32-bit e1000 (3 s each)
#   trace_event=xen_dma_exchange:xen_dma_exchange_hit
#                      also count each run's mappings by CPU, buffer and
#                      region (the event is enabled at boot: switching it
#                      at run time patches kernel text, which TCG does
#                      not always survive)
. /bin/xdx-lib.sh
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
S="region_maps exchanges exchanges_in_map regions_released bounces"
rounds=$(arg_or rounds 10)
between=$(arg between)
bits=$(arg_or bits 32)
if [ "$between" = iperf ]; then
	net32_up || { echo "PROBE no 32-bit NIC network"; exit 1; }
fi
trace=0
if grep -q "trace_event=xen_dma_exchange" /proc/cmdline; then
	tracefs_mount
	echo 0 > $TRACING/tracing_on; echo 4096 > $TRACING/buffer_size_kb; trace=1
fi
# the mappings of the last run by CPU, buffer and region, from the trace
hits() {
	grep -v '^#' $TRACING/trace |
		sed -n 's/.*\[\(00[0-9]\)\].*phys=\(0x[0-9a-f]*\).*dma=\(0x[0-9a-f]*\)/cpu\1 buf=\2 region=\3/p' |
		sort | uniq -c | awk '{ printf " %s:%s,%s,%s", $1, $2, $3, $4 }'
}
i=1
while [ $i -le "$rounds" ]; do
	for en in N Y; do
		xdx_enable $en
		stats_reset
		[ $trace = 1 ] && echo > $TRACING/trace && [ $en = Y ] && echo 1 > $TRACING/tracing_on
		o=$(map_latency -t 1 -s 1 -b "$bits" -g 64 -d 0)
		h=""; [ $trace = 1 ] && echo 0 > $TRACING/tracing_on && [ $en = Y ] && h=" hits$(hits)"
		s=$(stat_fields "$S")
		echo "PROBE round $i enable=$en $o$s regions: $(grep " 6 256 " $XDX/regions | tr '\n' ' ')$h"
	done
	if [ $((i % 2)) = 1 ] && [ "$between" = iperf ]; then
		go_cold
		for d in tx rx; do
			$(iperf_cmd e1000 $d 3) > /dev/null 2>&1 || echo "PROBE iperf3 $d failed"
		done
		echo "PROBE after iperf: $(regions_table)"
	elif [ $((i % 2)) = 1 ] && [ "$between" = fio ]; then
		nvme32_reads_cold_warm
		echo "PROBE after fio: $(regions_table)"
	fi
	i=$((i + 1))
done
