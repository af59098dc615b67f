#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the guest scripts: KTAP output and backend controls.
XDX=/sys/kernel/debug/xen_dma_exchange
SWIOTLB=/sys/kernel/debug/swiotlb
# the backend's run-time switch (Y/N)
ENABLE=/sys/module/xen_dma_exchange/parameters/enable
T=0
FAILED=0

ktap_plan() { echo "KTAP version 1"; echo "1..$1"; }
# ktap_result <rc> <name>
# (rc 77: skipped, not applicable to this kernel)
ktap_result() {
	T=$((T + 1))
	if [ "$1" -eq 0 ]; then echo "ok $T $2"
	elif [ "$1" -eq 77 ]; then echo "ok $T $2 # SKIP"
	else echo "not ok $T $2"; FAILED=$((FAILED + 1)); fi
}
diag() { echo "# $*"; }
# run_test <name> <function>: run a shell function, prefix its output as diagnostics
# (xdx.only=<a+b+...> on the command line runs only the tests named there;
# not commas: QEMU's -initrd splits the multiboot modules at commas)
ONLY=$(sed -n 's/.*xdx\.only=\([^ ]*\).*/\1/p' /proc/cmdline)
run_test() {
	name=$1; shift
	case "+$ONLY+" in
	++|*+$name+*) ;;
	*) ktap_result 77 "$name"; return ;;
	esac
	"$@" > /tmp/t.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/t.out
	ktap_result $rc "$name"
}
# stat_get <name> [<copy of the stats file>]: one counter
stat_get() { sed -n "s/^$1 //p" "${2:-$XDX/stats}"; }
# wait_first_map <maps-before> <pid>: until the backend sees a mapping
# after <maps-before> (a run's I/O began), or <pid> has ended
wait_first_map() {
	while [ "$(stat_get maps)" = "$1" ] && kill -0 "$2" 2>/dev/null; do
		sleep 0.2
	done
}
# meminfo_kb <field>...: the sum of /proc/meminfo fields, in kB
meminfo_kb() {
	awk -v f=" $* " 'index(f, " " substr($1, 1, length($1) - 1) " ") { n += $2 }
		END { print n + 0 }' /proc/meminfo
}
# Resetting the counters keeps verify mode's running totals in /tmp
stats_reset() {
	for c in verified_maps verify_failures; do
		echo $(( $(cat /tmp/xdx.$c 2>/dev/null || echo 0) + $(stat_get $c) )) > /tmp/xdx.$c
	done
	echo 0 > $XDX/stats
}
stat_total() { echo $(( $(cat /tmp/xdx.$1 2>/dev/null || echo 0) + $(stat_get $1) )); }
xdx_enable() { echo "$1" > $ENABLE; }
# arg <name>: the value of xdx.<name>= on dom0's command line, up to the
# first character outside [a-z0-9_*-]
arg() { sed -n "s/.*xdx\.$1=\([a-z0-9_*-]*\).*/\1/p" /proc/cmdline; }
# arg_or <name> <default>: arg <name>, or <default> if it is not given
arg_or() {
	local ao_v
	ao_v=$(arg "$1")
	printf '%s\n' "${ao_v:-$2}"
}
# go_cold: the state of a fresh boot: every free region given back (with
# the backend there and on; the worker rebuilds the reserve), the page
# cache written back and dropped
go_cold() {
	[ -e $XDX/flush ] && [ "$(cat $ENABLE)" = Y ] &&
		echo 1 > $XDX/flush
	sync; echo 3 > /proc/sys/vm/drop_caches
}
# The tracing directory; tracefs_mount mounts tracefs there if it is not yet
TRACING=/sys/kernel/tracing
tracefs_mount() {
	[ -d $TRACING/events ] || mount -t tracefs tracefs $TRACING
}
# irqsoff_available: 0 if the irqsoff tracer is there (the debug kernel
# has it), 1 if not, 2 if tracefs could not be mounted
irqsoff_available() {
	tracefs_mount || return 2
	grep -qw irqsoff $TRACING/available_tracers
}
# irqsoff_run <command...>: run the command under the irqsoff tracer; set
# $irqsoff_us to the worst interrupts-off section meanwhile (µs) and
# $irqsoff_where to where it started and ended, keep the trace in
# /tmp/irqsoff.trace; return the command's status
irqsoff_run() {
	local rc
	irqsoff_us= irqsoff_where=
	rm -f /tmp/irqsoff.trace
	echo 0 > $TRACING/tracing_max_latency
	echo irqsoff > $TRACING/current_tracer || return 1
	echo 1 > $TRACING/tracing_on
	"$@"; rc=$?
	echo 0 > $TRACING/tracing_on
	irqsoff_us=$(cat $TRACING/tracing_max_latency)
	cat $TRACING/trace > /tmp/irqsoff.trace
	irqsoff_where=$(grep -E "=> (started|ended) at" /tmp/irqsoff.trace | head -2 |
		sed 's/.*at: *//' | tr '\n' ' ')
	echo nop > $TRACING/current_tracer
	return $rc
}
# low_regions: the low class's sizes that have regions, " o<order>
# <free>/<in use>" each, from debugfs's regions table
low_regions() {
	grep '^low' $XDX/regions | awk '$4 + $5 > 0 { printf " o%s %s/%s", $2, $4, $5 }'
}
# rounds3 <n> <run> <a> <b> <c>: "<run> warmup <x>" for each of the
# three (its output dropped), then <n> rounds of "<run> round<i> <x>",
# the order rotated by one from round to round (probes)
rounds3() {
	# names of its own: <run> may set any variable of the caller
	local r3_n=$1 r3_run=$2 r3_i=1 r3_x r3_order
	shift 2
	for r3_x in "$@"; do "$r3_run" warmup "$r3_x" > /dev/null; done
	while [ "$r3_i" -le "$r3_n" ]; do
		case $((r3_i % 3)) in
		1) r3_order="$1 $2 $3" ;;
		2) r3_order="$2 $3 $1" ;;
		*) r3_order="$3 $1 $2" ;;
		esac
		for r3_x in $r3_order; do "$r3_run" "round$r3_i" "$r3_x"; done
		r3_i=$((r3_i + 1))
	done
}
# offon_pairs <n> <run> [<arg>...]: "<run> warmup N|Y <arg>..." once for
# each setting of the run-time switch (off, on; its output dropped), then
# <n> pairs of "<run> pair<i> N|Y <arg>...", which of the two runs first
# alternating from pair to pair (probes)
offon_pairs() {
	local op_n=$1 op_run=$2 op_i=1 op_en
	shift 2
	for op_en in N Y; do "$op_run" warmup "$op_en" "$@" > /dev/null; done
	while [ "$op_i" -le "$op_n" ]; do
		for op_en in $([ $((op_i % 2)) = 0 ] && echo "Y N" || echo "N Y"); do
			"$op_run" "pair$op_i" "$op_en" "$@"
		done
		op_i=$((op_i + 1))
	done
}
# map_latency <dma_map_benchmark option>...: one run's average latencies,
# "map=<us> sd=<us> unmap=<us> sd=<us>", or "map=fail" if it failed
map_latency() {
	local ml_o
	ml_o=$(dma_map_benchmark "$@" 2>&1 |
		sed -n 's/^average \([a-z]*\) latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)$/\1=\2 sd=\3/p' |
		tr '\n' ' ')
	echo "${ml_o:-map=fail}" | sed 's/ $//'
}
# idle_timer_off, idle_timer_restore: the idle timer off (idle_secs 0), so
# that regions a probe's other runs leave unused are not given back and
# rebuilt; the value before in $idle_saved
IDLE_SECS=/sys/module/xen_dma_exchange/parameters/idle_secs
idle_timer_off() { idle_saved=$(cat $IDLE_SECS); echo 0 > $IDLE_SECS; }
idle_timer_restore() { echo "$idle_saved" > $IDLE_SECS; }
# pool_mib: the fixed swiotlb pool's size in MiB (2-KiB slots)
pool_mib() { echo $(( $(cat $SWIOTLB/io_tlb_nslabs) / 512 )); }
# pool_hiwater_reset: the fixed pool's high-water mark to 0; fails if the
# kernel refuses
pool_hiwater_reset() { echo 0 > $SWIOTLB/io_tlb_used_hiwater; }
# counters_reset: the backend's counters and the fixed pool's high-water
# to 0, before a run; fails if the high-water cannot be reset
counters_reset() { stats_reset; pool_hiwater_reset; }
# pool_hiwater: the fixed pool's high-water mark in slots since its reset
pool_hiwater() { cat $SWIOTLB/io_tlb_used_hiwater; }
# stat_fields "<names>" [<copy of the stats file>]: " <name>=<value>" for
# each counter named, on one line
stat_fields() {
	local sf_n
	for sf_n in $1; do echo -n " $sf_n=$(stat_get "$sf_n" "$2")"; done
}
# paths_moved <mb|kb> [<copy of the stats file>]: what went through the
# fixed pool and through regions, "<u>_bounced=N <u>_via_region=N"
paths_moved() {
	local pm_s=20
	[ "$1" = kb ] && pm_s=10
	echo "$1_bounced=$(($(stat_get bytes_bounced "$2") >> pm_s))" \
		"$1_via_region=$(($(stat_get bytes_via_region "$2") >> pm_s))"
}
# regions_table: debugfs's regions table on one line (probes)
regions_table() { tr '\n' ' ' < $XDX/regions; }
# dev_limit <pci-dev> <bits>: test-only cap of the device's bus DMA limit (0 = none)
dev_limit() { echo "$1 $2" > $XDX/dev_dma_limit; }
pci_dev_by_id() { # vendor device
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = "$1" ] && [ "$(cat $d/device)" = "$2" ] && { basename $d; return 0; }
	done
	return 1
}
nvme_pci() { basename "$(readlink -f /sys/block/nvme0n1/device/device)"; }
# fio_cmd <dev> <direct|buffered> <rw> <bs-KiB> <iodepth> <jobs> <seconds>:
# the fio command of a benchmark point (libaio, time-based, terse output)
fio_cmd() {
	echo fio --name=b --filename="$1" --ioengine=libaio \
		--direct=$([ "$2" = direct ] && echo 1 || echo 0) --rw="$3" --bs=${4}k \
		--iodepth="$5" --numjobs="$6" --group_reporting --size=48M \
		--runtime="$7" --time_based --end_fsync=1 --minimal
}
# nvme_fio <direct|buffered> <rw> <iodepth> <seconds>: the bench's 1 MiB
# point on the NVMe disk, one job (probes); fio's terse line
nvme_fio() {
	$(fio_cmd /dev/nvme0n1 "$1" "$2" 1024 "$3" 1 "$4") 2>&1 | grep '^3;'
}
# nvme32_reads_cold_warm: the bench's NVMe-32 buffered 1 MiB read row as a
# workload between measurements (probes): from cold, then warm, 3 s each,
# fio's output discarded
nvme32_reads_cold_warm() {
	local st
	dev_limit "$(nvme_pci)" 32
	go_cold
	for st in cold warm; do nvme_fio buffered read 1 3 > /dev/null; done
	dev_limit "$(nvme_pci)" 0
}
bench_bind() {
	dev=$(pci_dev_by_id 0x1b36 0x0005) || return 1
	[ -e /sys/bus/pci/drivers/dma_map_benchmark/$dev ] && { echo $dev; return 0; }
	echo dma_map_benchmark > /sys/bus/pci/devices/$dev/driver_override
	[ -e /sys/bus/pci/devices/$dev/driver ] && echo $dev > /sys/bus/pci/devices/$dev/driver/unbind
	echo $dev > /sys/bus/pci/drivers/dma_map_benchmark/bind || return 1
	echo $dev
}
# the e1000e NIC (64-bit; capped with dev_limit where a test says so) and
# the e1000 NIC (82540EM, 32-bit by its own driver), each on its own QEMU
# user network with an echo service at .100:7
nic_pci() { pci_dev_by_id 0x8086 0x10d3; }
nic32_pci() { pci_dev_by_id 0x8086 0x100e; }
nic_if() { # driver: the interface it drives
	for n in /sys/class/net/*; do
		[ "$(basename "$(readlink -f $n/device/driver 2>/dev/null)")" = "$1" ] &&
			{ basename $n; return 0; }
	done
	return 1
}
net_if_up() { # driver address/24
	i=$(nic_if "$1") || { echo "no interface driven by $1"; return 1; }
	ip link set "$i" up && { ip addr show "$i" | grep -q "${2%/*}" ||
		ip addr add "$2" dev "$i"; }
}
net_up() { net_if_up e1000e 10.0.2.15/24; }
net32_up() { net_if_up e1000 10.0.3.15/24; }
# SCSI HBAs: lsi53c895a (sym53c8xx, 32-bit in DMA addressing mode 0) and
# megasas (megaraid_sas, 63-bit streaming mask); the disk behind each
sym_pci() { pci_dev_by_id 0x1000 0x0012; }
megasas_pci() { pci_dev_by_id 0x1000 0x0060; }
disk_on_pci() { # pci-dev: /dev/sdX of the first disk behind it
	for b in /sys/block/sd*; do
		case "$(readlink -f $b/device)" in
		*/$1/*) echo /dev/$(basename $b); return 0 ;;
		esac
	done
	return 1
}
# pool_full_msgs: the "swiotlb buffer is full" events of this boot, the
# messages printed and those swiotlb's rate limit suppressed (reported in
# its next "swiotlb_tbl_map_single: N callbacks suppressed")
pool_full_msgs() {
	dmesg | awk '/swiotlb buffer is full/ { n++ }
		/swiotlb_tbl_map_single: [0-9]+ callbacks suppressed/ { n += $(NF - 2) }
		END { print n + 0 }'
}
# fio_field <fio --minimal output> <read|write> <kb|bw|iops|p50|p99|err>: one
# field of fio's terse line (KiB moved, KiB/s, IOPS, clat percentiles in
# us, the error code)
fio_field() {
	local o n
	case $2 in read) o=6 ;; *) o=47 ;; esac
	case $3 in
	kb) n=$o ;; bw) n=$((o + 1)) ;; iops) n=$((o + 2)) ;;
	p50) n=$((o + 18)) ;; p99) n=$((o + 24)) ;; err) n=5 ;;
	esac
	echo "$1" | grep '^3;' | cut -d';' -f"$n" | sed 's/.*=//'
}
# fio_mbps <KiB/s>: MB/s, or "fail" without a value
fio_mbps() {
	[ -n "$1" ] && awk "BEGIN { printf \"%.1f\", $1 * 1.024 / 1000 }" || echo fail
}
# iperf_cmd <e1000|e1000e> <tx|rx> <seconds>: the iperf3 command of a
# run, TCP to the host's server through that NIC, dom0 sending (tx) or
# receiving (rx)
iperf_cmd() {
	local peer=10.0.2.100
	[ "$1" = e1000 ] && peer=10.0.3.100
	echo iperf3 -c $peer -p 5201 -t "$3" -f m $([ "$2" = rx ] && echo -R)
}
# iperf3's receiver rate in Mbit/s, from its output (-f m) on stdin
iperf3_mbit() { sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver.*/\1/p' | tail -1; }
# fio_verify <dev> <name> <fio options...>: libaio O_DIRECT writes checked
# with crc32c on the read back; fails on any error or verify mismatch
fio_verify() {
	local fdev=$1 fname=$2
	shift 2
	fio --name="$fname" --filename="$fdev" --ioengine=libaio --direct=1 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0 \
		--group_reporting "$@" > /tmp/fio.$fname 2>&1
	local frc=$?
	grep -E "err=|IOPS=|clat \(|50.00th|99.00th|verify" /tmp/fio.$fname | head -12
	[ $frc -eq 0 ] && grep -q "err= 0" /tmp/fio.$fname || { cat /tmp/fio.$fname; return 1; }
}
# fragment_p2m <cycles>: balloon dom0 down by 256 MiB and up again; the
# frames that come back are wherever Xen has them, so physically contiguous
# pages stop being machine contiguous (a dom0 that has run a while)
fragment_p2m() {
	local b=/sys/devices/system/xen_memory/xen_memory0 orig i c
	orig=$(cat $b/target_kb)
	for c in $(seq "$1"); do
		echo $((orig - 262144)) > $b/target_kb
		for i in $(seq 30); do [ "$(cat $b/info/current_kb)" -le $((orig - 262144)) ] && break; sleep 1; done
		echo "$orig" > $b/target_kb
		for i in $(seq 30); do [ "$(cat $b/info/current_kb)" -ge "$orig" ] && break; sleep 1; done
	done
	[ "$(cat $b/info/current_kb)" -ge "$orig" ]
}
