#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Demonstration: dma_map_benchmark latency, bounce-only vs owned regions
# (32-bit mask) vs the direct path (64-bit mask), with the backend's counters.
. /bin/xdx-lib.sh
bench_bind >/dev/null || { echo "demo: no benchmark device"; exit 1; }
lat() { # bits granule -> "map/unmap" in us, or "fails"
	out=$(dma_map_benchmark -t 1 -s 2 -b "$1" -g "$2" -d 0 2>&1) || { echo fails; return; }
	echo "$out" | sed -n 's/^average \(map\|unmap\) latency(us):\([0-9.]*\).*/\2/p' | paste -sd/
}
echo "XDX-TABLE: dma_map_benchmark -t 1 -s 2 -d 0 (bidirectional): average map/unmap latency in us, QEMU TCG"
echo "XDX-TABLE: off = xen_dma_exchange.enable=0 (upstream), on = our backend; exchanges and bytes bounced (fixed pool) are for the 32-bit on run"
echo "XDX-TABLE: | granule (pages) | 32-bit off (bounce) | 32-bit on | bytes bounced (on) | exchanges (on) | 64-bit off (upstream) | 64-bit on |"
echo "XDX-TABLE: |---|---|---|---|---|---|---|"
for g in 1 16 64 256; do
	xdx_enable 0; b=$(lat 32 $g); u64=$(lat 64 $g)
	xdx_enable 1; stats_reset; e=$(lat 32 $g)
	bb=$(stat_get bytes_bounced); ex=$(stat_get exchanges)
	d=$(lat 64 $g)
	echo "XDX-TABLE: | $g | $b | $e | $bb | $ex | $u64 | $d |"
done
cat $XDX/stats
