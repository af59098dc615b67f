#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Exchanges in the steady state: fio O_DIRECT 1 MiB random reads at
# iodepth 32 (the bench's rows with the most late exchanges) from cold,
# then warm 3-s runs one after the other; for each run the backend's
# counters, the orders of the regions exchanged and of the extents given
# back (with why; halves given back together count once, as one extent of
# the next order), and the free and in-use low regions after it.  Needs, on
# dom0's command line (run-probe.sh --append):
#   trace_event=xen_dma_exchange:*
# (all of its events, as run-xen.sh takes no commas in --append; enabled
# at boot: switching an event at run time patches kernel text, which TCG
# does not always survive).
#   xdx.rounds=N   warm runs (default 6)
#   xdx.disk=sym   the disk behind the 32-bit lsi53c895a instead of NVMe
#                  under a 32-bit limit
. /bin/xdx-lib.sh
tracefs_mount
grep -q "trace_event=xen_dma_exchange" /proc/cmdline ||
	{ echo "PROBE needs the trace events on the command line"; exit 1; }
echo 16384 > $TRACING/buffer_size_kb
if [ "$(arg disk)" = sym ]; then
	dev=$(disk_on_pci "$(sym_pci)") || { echo "PROBE no disk behind the lsi53c895a"; exit 1; }
else
	dev=/dev/nvme0n1; dev_limit "$(nvme_pci)" 32
fi
rounds=$(arg_or rounds 6)
S="maps region_maps region_splits region_merges exchanges exchanges_in_map regions_released skipped_budget skipped_no_free_region bounces"
# orders <event>: the last run's events of that kind counted by order
# (and why, for regions given back): " 12xorder=3 2xorder=5 why=budget"
orders() {
	grep -v '^#' $TRACING/trace | awk -v ev="$1:" 'index($0, ev) {
		k = ""; for (i = 1; i <= NF; i++) if ($i ~ /^(order|why)=/) k = k " " $i
		n[k]++ } END { for (k in n) printf " %dx%s", n[k], k }'
}
run() { # label
	stats_reset
	echo > $TRACING/trace
	out=$($(fio_cmd "$dev" direct randread 1024 32 1 3) 2>&1 | grep '^3;')
	s=$(stat_fields "$S")
	echo "PROBE $1 mbps=$(fio_mbps "$(fio_field "$out" read bw)")$s"
	echo "PROBE $1 exchanged:$(orders xen_dma_exchange_exchanged)"
	echo "PROBE $1 given back:$(orders xen_dma_exchange_invalidate)"
	echo "PROBE $1 regions:$(low_regions)"
}
go_cold
run cold
i=1
while [ "$i" -le "$rounds" ]; do run "warm$i"; i=$((i + 1)); done
echo "PROBE held: $(grep -E '^(regions_in_use|region_bytes|region_bytes_low) ' $XDX/stats | tr '\n' ' ')"
