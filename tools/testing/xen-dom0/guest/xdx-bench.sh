#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark matrix, one CSV line per run ("XDX-CSV: ..." on the console).
#
# The fio and iperf3 rows run one configuration per boot: under Xen,
# xdx.config=off (booted with xen_dma_exchange.enable=0, the upstream
# bounce-first path) or on; booted without Xen, "native" (plain
# dma-direct).  A boot sizes the disks' max_sectors_kb from what the
# backend promises at probe, so only a boot of its own is bounce-only for
# them in every respect (sym_run sets bounce-only's max_sectors_kb for a
# switch pair).  The dma_map_benchmark rows (at most 256 KiB a mapping, which the
# run-time switch turns back to the fixed pool) run in the backend's boot
# only, off and on interleaved through the switch
# (/sys/module/xen_dma_exchange/parameters/enable), so that their ratio is
# not the difference between two boots.  Each repeat walks the whole
# matrix.  Kernel parameters:
#   xdx.config=off|on      the configuration under Xen (default on)
#   xdx.bench=quick|full|pool  the matrix (quick: the 32-bit points make
#                          check asserts; full: every point, 64-bit
#                          included; pool: a fixed pool that runs out, for
#                          a boot with a small one, swiotlb=4096: below)
#   xdx.reps=N             repeats (default 5 full, 3 quick)
#   xdx.secs=N             seconds per dma_map_benchmark run (default 1)
#   xdx.pairs=N            off-on pairs of each 32-bit same-buffer and sg
#                          dma_map_benchmark point per repeat (1-99;
#                          default 5 quick, 1 full): the points
#                          bench-claims.txt asserts, judged on the median
#                          of their off-on pairs (15 quick), so that a few
#                          slow runs do not decide it
#   xdx.wsecs=N            seconds per fio or iperf3 run (default 3)
#   xdx.frag=N             first fragment the P2M with N balloon cycles (a
#                          dom0 that has run a while); fio and iperf3 rows
#                          are then labelled frag-cold and frag-warm
#   xdx.rows=io            only the fio and iperf3 rows (no dma_map_benchmark)
#   xdx.match=GLOB         of the fio and iperf3 rows, only those whose
#                          name matches the shell pattern GLOB (characters
#                          a-z 0-9 _ * -): a fio row is named
#                          disk-kind-rw-KiB-iodepth (sym-direct-randwrite-1024-32),
#                          an iperf3 row by its NIC (e1000); the pool
#                          level's shared rows are not filtered.  No row
#                          matched is an error
# Workloads users run: fio (libaio, time-based) on the disk behind the
# 32-bit lsi53c895a HBA, on NVMe under a 32-bit limit and on NVMe as it is
# (64-bit); iperf3 through the 32-bit e1000 and the 64-bit e1000e.  Each
# is run "cold" (right after every free region was given back: what a
# fresh boot has, the boot reserve rebuilt by the worker meanwhile) and
# then "warm" (the same run again at once: the cold run is its warm-up).
# In the backend's boot, the disk behind the HBA, NVMe under a 32-bit
# limit and the e1000 are also run in "switch-warm" pairs, bounce-only and
# with the backend through the run-time switch (switch_pair, below): the
# other boot's rows are in another boot, whatever else differs between
# boots.
# The pool level (rows labelled pool<MiB>M-): the issue's deep queue, fio
# O_DIRECT 1 MiB random reads at iodepth 128 x 2 jobs on NVMe under a
# 32-bit limit, cold then warm; iperf3 through the e1000 alone, cold then
# warm; then "shared": iperf3 (tx, then rx) started inside a run of that
# deep queue, one fio row and one iperf3 row each, as in a dom0 whose
# storage and NIC share the fixed pool.
. /bin/xdx-lib.sh
level=$(arg_or bench full)
reps=$(arg reps) secs=$(arg_or secs 1)
pairs=$(arg pairs)
wsecs=$(arg_or wsecs 3)
rows=$(arg rows)
match=$(arg_or match '*')
case $pairs in
''|[1-9]|[1-9][0-9]) ;;
*) echo "bench: xdx.pairs=$pairs: give 1 to 99 off-on pairs"; exit 1 ;;
esac
SHARED=""
if [ "$level" = quick ]; then
	[ -n "$reps" ] || reps=3
	[ -n "$pairs" ] || pairs=5
	GRANULES="1 64"; DIRS="0"; THREADS="1"; FRESH_G="1 64"; SG_G="1"
	# the points bench-report.py asserts (32-bit): disk kind rw bs-KiB iodepth
	FIO_POINTS="sym direct randread 1024 32
sym buffered read 1024 1
nvme32 direct randread 1024 32
nvme32 buffered read 1024 1"
	NICS=e1000
elif [ "$level" = pool ]; then
	[ -n "$reps" ] || reps=5
	GRANULES="" FRESH_G="" SG_G="" NICS=e1000 SHARED="nvme32 direct randread 1024 128 2"
	FIO_POINTS=$SHARED
else
	[ -n "$reps" ] || reps=5
	[ -n "$pairs" ] || pairs=1
	GRANULES="1 4 16 64 256 512"; DIRS="0 1 2"; THREADS="1 2"
	FRESH_G="1 16 64 256"; SG_G="1 16"; NICS="e1000 e1000e"
	FIO_POINTS=$(for d in sym nvme32 nvme64; do for rw in randread randwrite; do
		for bs in 4 1024; do for qd in 1 32; do echo "$d direct $rw $bs $qd"; done; done
		for bs in 4 1024; do echo "$d buffered ${rw#rand} $bs 1"; done
	done; done)
fi
if [ -e $XDX/stats ]; then
	platform=xen; CONFIGS=$(arg config); [ -n "$CONFIGS" ] || CONFIGS=on
	# map rows: both configurations in the backend's boot, none in the
	# bounce-only one (switching the backend on there would start it cold)
	MAP_CONFIGS=""; [ "$(cat $ENABLE)" = Y ] && MAP_CONFIGS="off on"
	# switch pairs (switch_pair): likewise, and not at the pool level
	SWITCH_CONFIGS=""; [ -n "$MAP_CONFIGS" ] && [ "$level" != pool ] && SWITCH_CONFIGS="off on"
else
	platform=native; CONFIGS=native MAP_CONFIGS=native
fi
SW=$SWIOTLB/io_tlb_used_hiwater
failures=0 switched=0 matched=0

csv() { echo "XDX-CSV: $*"; }
# started <out-file> <command...>: start a fio or iperf3 run in the
# background (its pid in $pid) and return once it has made its first
# mapping (at once without the backend's counters)
started() {
	f=$1; shift
	n0=$([ $platform = xen ] && stat_get maps)
	"$@" > "$f" 2>&1 &
	pid=$!
	[ $platform = xen ] && wait_first_map "$n0" $pid
}
# sampled <out-file> <command...>: run a fio or iperf3 run, and set $late
# to the exchanges made from LATE seconds after its first mapping on (the
# run's own warm-up over; fio's start-up alone takes a second or two under
# TCG; empty without the backend's counters), and $late_map to those of
# them made in a mapping call
LATE=2
sampled() {
	started "$@"
	sleep $LATE
	l0=$([ $platform = xen ] && stat_get exchanges)
	m0=$([ $platform = xen ] && stat_get exchanges_in_map)
	r0=$([ $platform = xen ] && stat_get regions_released)
	wait $pid
	late=$([ -n "$l0" ] && echo $(( $(stat_get exchanges) - l0 )))
	late_map=$([ -n "$m0" ] && echo $(( $(stat_get exchanges_in_map) - m0 )))
	[ -n "$l0" ] && echo "# late: $late exchanges ($late_map in a mapping call), $(( $(stat_get regions_released) - r0 )) releases"
}
set_config() {
	case $1 in
	off) [ "$(cat $ENABLE)" = N ] ||
		{ echo "bench: config off needs xen_dma_exchange.enable=0 at boot"; exit 1; } ;;
	esac
	[ $platform = xen ] && stats_reset
	[ -w $SW ] && pool_hiwater_reset
}
counters() { # maps,region_reuses,exchanges,bytes_exchanged,bounces,bytes_bounced,swiotlb_hiwater,bytes_via_region
	sw=$(cat $SW 2>/dev/null)
	if [ $platform = xen ]; then
		echo "$(stat_get maps),$(stat_get region_reuses),$(stat_get exchanges),$(stat_get bytes_exchanged),$(stat_get bounces),$(stat_get bytes_bounced),$sw,$(stat_get bytes_via_region)"
	else
		echo ",,,,,,$sw,"
	fi
}
# map <config> <mode single|sg|fresh> <bits> <granule> <nents> <dir> <threads> <rep>
map() {
	cfg=$1 mode=$2 bits=$3 g=$4 n=$5 dir=$6 th=$7 rep=$8
	opts=""
	case $mode in sg) opts="-m 1 -e $n" ;; fresh) opts="-f" ;; esac
	case $cfg in off) xdx_enable N ;; on) xdx_enable Y ;; esac
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
# npairs <bits>: off-on pairs of a same-buffer or sg point in a repeat
npairs() { [ "$1" = 32 ] && echo "$pairs" || echo 1; }
# pair_configs <rep> <pair>: $MAP_CONFIGS, with off and on taking turns
# to run first from pair to pair and repeat to repeat, so that the boot's
# drift within a repeat favours neither (bench-report.py pairs the i-th
# run each way of a repeat)
pair_configs() {
	if [ "$MAP_CONFIGS" = "off on" ] && [ $((($1 + $2) % 2)) = 1 ]; then
		echo "on off"
	else
		echo "$MAP_CONFIGS"
	fi
}
# the disk of a fio point: sym (behind the 32-bit HBA), nvme32 (NVMe under
# a 32-bit limit; only under Xen), nvme64 (NVMe as it is)
fio_disk() {
	case $1 in
	sym) disk_on_pci "$(sym_pci)" ;;
	nvme32) [ $platform = xen ] && dev_limit "$NVME_PCI" 32 && echo $NVME ;;
	nvme64) echo $NVME ;;
	esac
}
# fio_csv <config> <disk> <kind> <rw> <bs> <qd> <jobs> <rep> <state> <fio
# output file>: the row of one fio run; MB/s, IOPS, clat p50/p99 (us) from
# fio's terse output, and the backend's counters for the run
fio_csv() {
	cfg=$1 disk=$2 kind=$3 rw=$4 bs=$5 qd=$6 jobs=$7 rep=$8 state=$9
	out=$(grep '^3;' "${10}")
	case $rw in *read) io=read ;; *) io=write ;; esac
	kb=$(fio_field "$out" $io kb); bw=$(fio_field "$out" $io bw)
	iops=$(fio_field "$out" $io iops)
	p50=$(fio_field "$out" $io p50); p99=$(fio_field "$out" $io p99)
	if [ -z "$out" ] || [ "$(fio_field "$out" $io err)" != 0 ] || [ -z "$bw" ]; then
		failures=$((failures + 1)); echo "# fio failed: $cfg $disk $kind $rw $bs $qd x$jobs $state"
		mbps=fail
	else
		mbps=$(fio_mbps "$bw")
	fi
	csv "$platform,$cfg,fio-$disk-$kind-$rw,$LAYOUT$state,$([ "$disk" = nvme64 ] && echo 64 || echo 32),$bs,$qd,,$jobs,$rep,,,,,$kb,$(counters),$mbps,$iops,$p50,$p99,$late,$late_map"
}
# switch_pair <rep> <run-function> <args...>: in the backend's boot, a
# warm run bounce-only and one with the backend through the run-time
# switch, the order alternating from pair to pair and, for each point,
# from repeat to repeat ($switched counts the pairs), as "<run-function>
# <config> <args...>" with $state switch-warm.  Only for rows whose boots
# size nothing differently (the NVMe gets its 32-bit limit at run time and
# has the fixed pool's queue limits in both boots; a NIC has none) or
# whose difference the pair sets up (the disk behind the HBA: sym_run):
# there the pair compares what the two boots' rows compare, without the
# other differences between two boots (but for one thing: regions still
# mapped from the runs with the backend, such as a NIC's receive ring,
# keep the unmap path's region lookup on for the bounce-only run).  Not
# at the pool level: bounce-only runs out of its pool in a boot of its
# own.
switch_pair() {
	local c r=$1 fn=$2 order=$SWITCH_CONFIGS
	[ -n "$order" ] || return 0
	shift 2
	switched=$((switched + 1))
	[ $(((r + switched) % 2)) = 0 ] && order="on off"
	for c in $order; do
		case $c in off) xdx_enable N ;; *) xdx_enable Y ;; esac
		state=switch-warm
		"$fn" $c "$@"
	done
	xdx_enable Y
}
# fio_run <config> <dev> <disk> <direct|buffered> <rw> <bs-KiB> <iodepth>
# <jobs> <rep>: one run in $state and its row
fio_run() {
	local d=$2
	set_config "$1"
	sampled /tmp/fio.out $(fio_cmd "$d" "$4" "$5" "$6" "$7" "$8" "$wsecs")
	fio_csv "$1" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$state" /tmp/fio.out
}
# sym_run <config> <args of fio_run...>: fio_run on the disk behind the
# HBA, whose max_sectors_kb its boot sets: for the run without the
# backend, the 256 a bounce-only boot gives it (swiotlb's per-mapping
# cap, IO_TLB_SEGSIZE slots of 2 KiB, through dma_max_mapping_size()),
# then this boot's own value again
sym_run() {
	local q=/sys/block/${2#/dev/}/queue/max_sectors_kb boot_kb
	boot_kb=$(cat "$q")
	[ "$1" = off ] && [ "$boot_kb" -gt 256 ] && echo 256 > "$q"
	fio_run "$@"
	echo "$boot_kb" > "$q"
	[ "$(cat "$q")" = "$boot_kb" ] || { failures=$((failures + 1))
		echo "# bench: $q is $(cat "$q"), not $boot_kb again"; }
}
# fio_row <config> <disk> <direct|buffered> <rw> <bs-KiB> <iodepth> <jobs>
# <rep>: a cold run and a warm one; for the disk behind the HBA and NVMe
# under a 32-bit limit, in the backend's boot, then a switch pair
fio_row() {
	dev=$(fio_disk "$2") || { echo "# no disk for $2"; failures=$((failures + 1)); return; }
	go_cold
	for state in cold warm; do fio_run "$1" "$dev" "$2" "$3" "$4" "$5" "$6" "$7" "$8"; done
	case $2 in
	nvme32) switch_pair "$8" fio_run "$dev" "$2" "$3" "$4" "$5" "$6" "$7" "$8" ;;
	sym) switch_pair "$8" sym_run "$dev" "$2" "$3" "$4" "$5" "$6" "$7" "$8" ;;
	esac
	[ "$2" = nvme32 ] && dev_limit "$NVME_PCI" 0
}
# iperf_result <output file> <what> [<why it failed>]: set $mbit to the
# receiver's Mbit/s of a run, or to "fail" (counted and reported) when
# there is none or <why it failed> is given
iperf_result() {
	mbit=$([ -z "$3" ] && iperf3_mbit < "$1")
	[ -n "$mbit" ] || { failures=$((failures + 1)); mbit=fail
		echo "# iperf3 failed: $2: ${3:+$3; }$(tail -1 "$1")"; }
}
# shared_row <config> <rep>: for tx and rx, the $SHARED fio point with
# iperf3 through the e1000 inside it (started once fio has mapped, ended
# before it); the fio row carries the counters of both
shared_row() {
	cfg=$1 rep=$2
	set -- $SHARED
	dev=$(fio_disk "$1") || { echo "# no disk for $1"; failures=$((failures + 1)); return; }
	for dirn in tx rx; do
		set_config "$cfg"
		started /tmp/fio.out $(fio_cmd "$dev" "$2" "$3" "$4" "$5" "$6" $((wsecs + 6)))
		sleep 2
		$(iperf_cmd e1000 $dirn "$wsecs") > /tmp/iperf3.out 2>&1
		why=""; kill -0 $pid 2>/dev/null || why="the deep queue ended before iperf3 did"
		wait $pid
		iperf_result /tmp/iperf3.out "$cfg e1000 $dirn shared" "$why"
		late="" late_map=""
		csv "$platform,$cfg,iperf3-e1000-$dirn,${LAYOUT}shared,32,0,,,1,$rep,,,,,,,,,,,,,,$mbit,,,,,"
		fio_csv "$cfg" "$@" "$rep" shared /tmp/fio.out
	done
	[ "$1" = nvme32 ] && dev_limit "$NVME_PCI" 0
}
# iperf_row <config> <nic e1000|e1000e> <rep>: TCP to the host's iperf3
# server and back (-R), cold then warm; Mbit/s of the receiver
iperf_row() {
	cfg=$1 nic=$2 rep=$3
	go_cold
	for state in cold warm; do
		for dirn in tx rx; do iperf_run "$cfg" $nic $dirn "$rep"; done
	done
	[ $nic = e1000 ] && for dirn in tx rx; do
		switch_pair "$rep" iperf_run $nic $dirn "$rep"
	done
}
# iperf_run <config> <nic> <tx|rx> <rep>: one run in $state and its row
iperf_run() {
	local bits=64
	[ "$2" = e1000 ] && bits=32
	set_config "$1"
	sampled /tmp/iperf3.out $(iperf_cmd "$2" "$3" "$wsecs")
	iperf_result /tmp/iperf3.out "$1 $2 $3"
	csv "$platform,$1,iperf3-$2-$3,$LAYOUT$state,$bits,0,,,1,$4,,,,,,$(counters),$mbit,,,,$late,$late_map"
}

bench_bind >/dev/null || { echo "bench: no benchmark device"; exit 1; }
net_up || { echo "bench: no network"; exit 1; }
net32_up || { echo "bench: no 32-bit NIC network"; exit 1; }
NVME=/dev/nvme0n1 NVME_PCI=$(nvme_pci)
frag=$(arg frag); LAYOUT=""
if [ -n "$frag" ] && [ "$frag" -gt 0 ] && [ $platform = xen ]; then
	fragment_p2m "$frag" || { echo "bench: the balloon did not come back up"; exit 1; }
	echo "# P2M fragmented by $frag balloon cycles of 256 MiB"; LAYOUT=frag-
fi
[ "$level" = pool ] && LAYOUT="${LAYOUT}pool$(pool_mib)M-"
csv "platform,config,test,mode,bits,granule,nents,dir,threads,rep,map_us,map_sd,unmap_us,unmap_sd,iterations,maps,region_reuses,exchanges,bytes_exchanged,bounces,bytes_bounced,swiotlb_hiwater,bytes_via_region,mbps,iops,p50_us,p99_us,late_exchanges,late_map_exchanges"
rep=1
while [ $rep -le "$reps" ]; do
	# A fresh buffer every iteration: the first mapping of memory (a miss).
	# These come first in a boot, in the first repeat only, and each row
	# carries the exchange count that shows what it really priced.
	[ "$rows" = io ] && FRESH_G="" GRANULES="" SG_G=""
	[ $rep -eq 1 ] && for g in $FRESH_G; do for bits in 64 32; do
		for cfg in $MAP_CONFIGS; do map $cfg fresh $bits $g 0 0 1 $rep; done
	done; done
	for bits in 32 64; do for g in $GRANULES; do for dir in $DIRS; do for th in $THREADS; do
		for p in $(seq "$(npairs $bits)"); do
			for cfg in $(pair_configs $rep "$p"); do map $cfg single $bits $g 0 $dir $th $rep; done
		done
	done; done; done; done
	# dma_map_sg() of 32 buffers
	for bits in 32 64; do for g in $SG_G; do
		for p in $(seq "$(npairs $bits)"); do
			for cfg in $(pair_configs $rep "$p"); do map $cfg sg $bits $g 32 0 1 $rep; done
		done
	done; done
	[ -n "$MAP_CONFIGS" ] && [ $platform = xen ] && xdx_enable Y
	while read -r disk kind rw bs qd jobs; do
		[ $platform = native ] && [ "$disk" != nvme64 ] && continue
		case $disk-$kind-$rw-$bs-$qd in $match) matched=1 ;; *) continue ;; esac
		for cfg in $CONFIGS; do fio_row $cfg $disk $kind $rw $bs $qd "${jobs:-1}" $rep; done
	done <<-EOF
	$FIO_POINTS
	EOF
	for nic in $NICS; do
		[ $platform = native ] && [ $nic = e1000 ] && continue
		case $nic in $match) matched=1 ;; *) continue ;; esac
		for cfg in $CONFIGS; do iperf_row $cfg $nic $rep; done
	done
	[ -n "$SHARED" ] && [ $platform = xen ] && for cfg in $CONFIGS; do shared_row $cfg $rep; done
	[ $matched = 1 ] || [ "$match" = '*' ] ||
		{ echo "bench: xdx.match=$match matches no fio or iperf3 row"; exit 1; }
	rep=$((rep + 1))
done
[ $platform = xen ] && cat $XDX/stats
[ -n "$SHARED" ] && echo "# pool: $(pool_full_msgs) \"swiotlb buffer is full\" in this boot (printed and rate-limited)"
echo "bench: $failures failed I/O checks"
[ $failures -eq 0 ]
