#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iperf3 through the 32-bit e1000, as the bench's rows, in one boot:
# pairs of runs bounce-only (the run-time switch off) and with the
# backend, the order alternating from pair to pair (tx's pairs, then
# rx's); Mbit/s and the
# backend's counters of each run.  The bench compares two boots; this
# compares within one.  dom0 arguments (run-probe.sh --append):
#   xdx.pairs=N   pairs per direction (default 8)
#   xdx.secs=N    seconds per run (default 3)
. /bin/xdx-lib.sh
net32_up || { echo "PROBE no 32-bit NIC network"; exit 1; }
b=$(cat $ENABLE)
echo "PROBE enable at boot $b"
S="maps region_maps bounces bytes_via_region bytes_bounced exchanges exchanges_in_map regions_released"
pairs=$(arg_or pairs 8)
secs=$(arg_or secs 3)
run() { # label enable tx|rx
	xdx_enable "$2"
	stats_reset
	m=$($(iperf_cmd e1000 "$3" "$secs") 2>&1 | iperf3_mbit)
	s=$(stat_fields "$S")
	echo "PROBE $1 enable=$2 $3 mbit=${m:-fail}$s"
}
for d in tx rx; do offon_pairs "$pairs" run $d; done
echo "PROBE regions: $(regions_table)"
xdx_enable "$b"
