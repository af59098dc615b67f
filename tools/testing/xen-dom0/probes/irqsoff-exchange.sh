#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Interrupts-off time around exchanges in the mapping call (a kernel with
# the irqsoff tracer: the debug kernel).  No reserve and every free region
# given back every 50 ms, while 2 threads map fresh buffers of 16 pages
# (order 4) or 64 (order 6) with a 32-bit mask; then the same bounce-only
# (the run-time switch off).  3 rounds; the worst section of each 5-s run,
# where it started and ended, and the exchanges made in a mapping call.
. /bin/xdx-lib.sh
irqsoff_available || { echo "PROBE no irqsoff tracer in this kernel"; exit 1; }
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
P=/sys/module/xen_dma_exchange/parameters
one() { # enable granule
	echo $1 > $P/enable
	echo 1 > $XDX/flush; stats_reset
	( while [ ! -e /tmp/probe.stop ]; do echo 1 > $XDX/flush; sleep 0.05; done ) &
	fl=$!
	irqsoff_run dma_map_benchmark -t 2 -s 5 -b 32 -g $2 -d 2 -f > /tmp/probe.b 2>&1; rc=$?
	touch /tmp/probe.stop; wait $fl; rm -f /tmp/probe.stop
	echo "PROBE enable=$1 atomic_order=$(cat $P/atomic_order) g=$2 rc=$rc" \
		"worst_irqsoff_us=$irqsoff_us at: $irqsoff_where" \
		"exchanges_in_map=$(stat_get exchanges_in_map) bounces=$(stat_get bounces)"
}
echo 0 > $P/reserve
for round in 1 2 3; do
	echo "PROBE round $round"
	one Y 16; one Y 64; one N 64
done
