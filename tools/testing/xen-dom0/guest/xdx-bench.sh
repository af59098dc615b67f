#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark matrix, one CSV line per run ("XDX-CSV: ..." on the console).
#
# One configuration per boot, so that no configuration inherits another's
# state: memory our backend exchanged stays machine contiguous and low
# after it is freed, and a bounce-only run on such memory would not bounce.
# Under Xen, xdx.config=off (booted with xen_dma_exchange.enable=0, the
# upstream bounce-first path) or on; booted without Xen, "native" (plain
# dma-direct).  Each repeat walks the whole matrix.  Kernel parameters:
#   xdx.config=off|on      the configuration under Xen (default on)
#   xdx.bench=quick|full   the matrix (quick: a few points, for CI)
#   xdx.reps=N             repeats (default 2 full, 1 quick)
#   xdx.secs=N             seconds per dma_map_benchmark run (default 1)
. /bin/xdx-lib.sh
arg() { sed -n "s/.*xdx\.$1=\([a-z0-9]*\).*/\1/p" /proc/cmdline; }
level=$(arg bench); [ -n "$level" ] || level=full
reps=$(arg reps); secs=$(arg secs); [ -n "$secs" ] || secs=1
if [ "$level" = quick ]; then
	[ -n "$reps" ] || reps=1
	GRANULES="1 64"; DIRS="0"; THREADS="1"; FRESH_G="1 64"; SG_G="1"
	IO_BS="64 1024"; IO_ORDER="seq"; IO_MB=8; NET_MB=4
else
	[ -n "$reps" ] || reps=2
	GRANULES="1 4 16 64 256 512"; DIRS="0 1 2"; THREADS="1 2"
	FRESH_G="1 16 64 256"; SG_G="1 16"
	IO_BS="4 64 1024 2048"; IO_ORDER="seq rand"; IO_MB=16; NET_MB=16
fi
if [ -e $XDX/stats ]; then
	platform=xen; CONFIGS=$(arg config); [ -n "$CONFIGS" ] || CONFIGS=on
else
	platform=native; CONFIGS=native
fi
SW=$SWIOTLB/io_tlb_used_hiwater
failures=0

csv() { echo "XDX-CSV: $*"; }
set_config() {
	case $1 in
	off) [ "$(cat /sys/module/xen_dma_exchange/parameters/enable)" = N ] ||
		{ echo "bench: config off needs xen_dma_exchange.enable=0 at boot"; exit 1; } ;;
	esac
	[ $platform = xen ] && stats_reset
	[ -w $SW ] && echo 0 > $SW
}
counters() { # maps,region_reuses,exchanges,bytes_exchanged,bounces,bytes_bounced,swiotlb_hiwater
	sw=$(cat $SW 2>/dev/null)
	if [ $platform = xen ]; then
		echo "$(stat_get maps),$(stat_get region_reuses),$(stat_get exchanges),$(stat_get bytes_exchanged),$(stat_get bounces),$(stat_get bytes_bounced),$sw"
	else
		echo ",,,,,,$sw"
	fi
}
# map <config> <mode single|sg|fresh> <bits> <granule> <nents> <dir> <threads> <rep>
map() {
	cfg=$1 mode=$2 bits=$3 g=$4 n=$5 dir=$6 th=$7 rep=$8
	opts=""
	case $mode in sg) opts="-m 1 -e $n" ;; fresh) opts="-f" ;; esac
	set_config "$cfg"
	if out=$(dma_map_benchmark -t "$th" -s "$secs" -b "$bits" -g "$g" -d "$dir" $opts 2>&1); then
		m=$(echo "$out" | sed -n 's/^average map latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)/\1,\2/p')
		u=$(echo "$out" | sed -n 's/^average unmap latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)/\1,\2/p')
		it=$(echo "$out" | sed -n 's/^iterations: //p')
	else
		m="fail,"; u="fail,"; it=0
		echo "# $platform $cfg $mode b$bits g$g: $(echo "$out" | tail -1)"
	fi
	csv "$platform,$cfg,map,$mode,$bits,$g,$n,$dir,$th,$rep,$m,$u,$it,$(counters),"
}
# io <config> <bits> <bs-KiB> <seq|rand> <direct|buffered> <rep>: write then read back
io() {
	cfg=$1 bits=$2 bs=$3 order=$4 kind=$5 rep=$6
	set_config "$cfg"
	[ $platform = xen ] && dev_limit "$NVME" "$([ "$bits" = 32 ] && echo 32 || echo 0)"
	seed=$((rep * 1000 + bs))
	out=$(xdx-iocheck /dev/nvme0n1 $IO_MB "$bs" $seed "$kind" both "$order" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || { failures=$((failures + 1)); echo "# io failed: $(echo "$out" | tail -2)"; }
	for rw in write read; do
		mbps=$(echo "$out" | sed -n "s/^iocheck-rate: $rw \([0-9.]*\) MB\/s/\1/p")
		csv "$platform,$cfg,io-$kind-$rw,$order,$bits,$bs,,,1,$rep,,,,,,$(counters),${mbps:-fail}"
	done
	echo "# $(echo "$out" | tail -1)"
	[ $platform = xen ] && dev_limit "$NVME" 0
}

# net <config> <bits> <rep>: 16 MiB (quick: 4) through the NIC and back
net() {
	cfg=$1 bits=$2 rep=$3
	set_config "$cfg"
	[ $platform = xen ] && dev_limit "$NIC" "$([ "$bits" = 32 ] && echo 32 || echo 0)"
	out=$(xdx-netcheck 10.0.2.100 7 $NET_MB $((rep + bits)) 2>&1) ||
		{ failures=$((failures + 1)); echo "# net failed: $(echo "$out" | tail -1)"; }
	mbps=$(echo "$out" | sed -n 's/^netcheck-rate: \([0-9.]*\) MB\/s/\1/p')
	csv "$platform,$cfg,net-echo,seq,$bits,0,,,1,$rep,,,,,,$(counters),${mbps:-fail}"
	echo "# $(echo "$out" | tail -1)"
	[ $platform = xen ] && dev_limit "$NIC" 0
}

bench_bind >/dev/null || { echo "bench: no benchmark device"; exit 1; }
net_up || { echo "bench: no network"; exit 1; }
[ $platform = xen ] && { NVME=$(nvme_pci); NIC=$(nic_pci); }
csv "platform,config,test,mode,bits,granule,nents,dir,threads,rep,map_us,map_sd,unmap_us,unmap_sd,iterations,maps,hits,exchanges,bytes_exchanged,bounces,bytes_bounced,swiotlb_hiwater,mbps"
rep=1
while [ $rep -le "$reps" ]; do
	# A fresh buffer every iteration: the first mapping of memory (a miss).
	# Freed memory keeps what an exchange made of it and the allocator
	# hands it out again, so these come first in a boot, in the first
	# repeat only, and each row carries the exchange count that shows
	# what it really priced.
	[ $rep -eq 1 ] && for g in $FRESH_G; do for bits in 64 32; do
		for cfg in $CONFIGS; do map $cfg fresh $bits $g 0 0 1 $rep; done
	done; done
	for bits in 32 64; do for g in $GRANULES; do for dir in $DIRS; do for th in $THREADS; do
		for cfg in $CONFIGS; do map $cfg single $bits $g 0 $dir $th $rep; done
	done; done; done; done
	# dma_map_sg() of 32 buffers
	for bits in 32 64; do for g in $SG_G; do
		for cfg in $CONFIGS; do map $cfg sg $bits $g 32 0 1 $rep; done
	done; done
	for bits in 64 32; do for bs in $IO_BS; do for order in $IO_ORDER; do for kind in direct buffered; do
		[ $platform = native ] && [ $bits = 32 ] && continue
		for cfg in $CONFIGS; do io $cfg $bits "$bs" $order $kind $rep; done
	done; done; done; done
	for bits in 64 32; do
		[ $platform = native ] && [ $bits = 32 ] && continue
		for cfg in $CONFIGS; do net $cfg $bits $rep; done
	done
	rep=$((rep + 1))
done
[ $platform = xen ] && cat $XDX/stats
echo "bench: $failures failed I/O checks"
[ $failures -eq 0 ]
