#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dma_map_benchmark, 64 pages, 32-bit mask, bidirectional, 1 thread, in
# one boot: 10 rounds of a 1-s run bounce-only (the run-time switch off)
# then one with the backend, as the bench's map rows run; the backend's
# counters of each run and its free and mapped 256-KiB regions after it.
# Between rounds, as between the bench's repeats, every other round: fio
# buffered 1 MiB reads on NVMe under a 32-bit limit from cold (every free
# region given back first), or with xdx.between=iperf on dom0's command
# line, iperf3 both ways through the 32-bit e1000 (3 s each).
. /bin/xdx-lib.sh
bench_bind >/dev/null || { echo "PROBE no benchmark device"; exit 1; }
between=$(sed -n 's/.*xdx\.between=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ "$between" = iperf ]; then
	net32_up || { echo "PROBE no 32-bit NIC network"; exit 1; }
fi
E=/sys/module/xen_dma_exchange/parameters/enable
S="region_maps exchanges exchanges_in_map regions_released skipped_budget skipped_no_free_region bounces"
i=1
while [ $i -le 10 ]; do
	for en in N Y; do
		echo $en > $E
		stats_reset
		o=$(dma_map_benchmark -t 1 -s 1 -b 32 -g 64 -d 0 2>&1 | grep average |
			sed 's/ standard deviation:/ sd /; s/average //; s/ latency(us)//' | tr '\n' ' ')
		s=""; for n in $S; do s="$s $n=$(stat_get $n)"; done
		echo "PROBE round $i enable=$en $o$s order6=$(sed -n 's/^low 6 256 //p' $XDX/regions)"
	done
	if [ $((i % 2)) = 1 ] && [ "$between" = iperf ]; then
		go_cold
		for d in "" -R; do
			iperf3 -c 10.0.3.100 -p 5201 -t 3 -f m $d > /dev/null 2>&1 || echo "PROBE iperf3 $d failed"
		done
		echo "PROBE after iperf: $(tr '\n' ' ' < $XDX/regions)"
	elif [ $((i % 2)) = 1 ]; then
		dev_limit "$(nvme_pci)" 32
		go_cold
		for st in cold warm; do
			fio --name=b --filename=/dev/nvme0n1 --ioengine=libaio --direct=0 --rw=read \
				--bs=1M --iodepth=1 --size=48M --runtime=3 --time_based --minimal > /dev/null 2>&1
		done
		dev_limit "$(nvme_pci)" 0
		echo "PROBE after fio: $(tr '\n' ' ' < $XDX/regions)"
	fi
	i=$((i + 1))
done
