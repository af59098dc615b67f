#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Per-CPU magazines against none, in one boot: fio O_DIRECT 1 MiB random
# reads on NVMe under a 32-bit limit (the bench's slow row at iodepth 32),
# warm 3-s runs in rounds of three -- bounce-only, the backend with
# cpu_cache=0, the backend with the boot's cpu_cache -- the order rotating
# from round to round.  MB/s and the backend's counters of each run; a
# kernel built with lock counters (not part of the series) adds them.
#   xdx.rounds=N  rounds (default 6)
#   xdx.qd=N      iodepth (default 32)
. /bin/xdx-lib.sh
C=/sys/module/xen_dma_exchange/parameters/cpu_cache
b=$(cat $ENABLE) cache=$(cat $C)
rounds=$(arg_or rounds 6)
qd=$(arg_or qd 32)
run() { # label config
	case $2 in
	off) xdx_enable N ;;
	nocache) xdx_enable Y; echo 0 > $C ;;
	cache) xdx_enable Y; echo "$cache" > $C ;;
	esac
	stats_reset
	out=$(nvme_fio direct randread "$qd" 3)
	s=""
	for n in maps region_reuses region_reuses_on_cpu region_reuses_from_other_cpu exchanges exchanges_in_map bounces lock_taken lock_contended; do
		v=$(stat_get $n); [ -n "$v" ] && s="$s $n=$v"
	done
	echo "PROBE $1 $2 qd$qd mbps=$(fio_mbps "$(fio_field "$out" read bw)")$s"
}
echo "PROBE cpu_cache at boot $cache, enable at boot $b"
dev_limit "$(nvme_pci)" 32
rounds3 "$rounds" run nocache cache off
dev_limit "$(nvme_pci)" 0
echo "$cache" > $C
xdx_enable "$b"
