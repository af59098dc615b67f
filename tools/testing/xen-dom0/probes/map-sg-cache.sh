#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dma_map_benchmark dma_map_sg() of 32 single pages, 32-bit mask,
# bidirectional, 1 thread (the bench's sg point): 8 rounds of 1-s runs in
# one boot, each round bounce-only (the run-time switch off) and the
# backend with cpu_cache 0, 16 and 32; map and unmap latency of each run.
#   xdx.single=1  dma_map_single() of one page instead (the bench's 1-page
#                 point)
. /bin/xdx-lib.sh
C=/sys/module/xen_dma_exchange/parameters/cpu_cache
cache=$(cat $C)
sg="-m 1 -e 32"
[ "$(arg single)" = 1 ] && sg=""
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
i=1
while [ $i -le 8 ]; do
	for c in off 0 16 32; do
		if [ $c = off ]; then xdx_enable N; else xdx_enable Y; echo $c > $C; fi
		# shellcheck disable=SC2086 # $sg: options or none
		echo "PROBE pair $i cache=$c $(map_latency -t 1 -s 1 -b 32 -g 1 -d 0 $sg)"
	done
	i=$((i + 1))
done
echo "$cache" > $C
xdx_enable Y
