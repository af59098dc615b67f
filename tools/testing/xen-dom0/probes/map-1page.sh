#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dma_map_benchmark, 1 page, 32-bit mask, bidirectional, 1 thread: 12
# pairs of 1-s runs alternating bounce-only (the run-time switch off) and
# the backend, in one boot; map and unmap latency of each run.
. /bin/xdx-lib.sh
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
i=1
while [ $i -le 12 ]; do
	for c in N Y; do
		xdx_enable $c
		echo "PROBE pair $i enable=$c $(map_latency -t 1 -s 1 -b 32 -g 1 -d 0)"
	done
	i=$((i + 1))
done
