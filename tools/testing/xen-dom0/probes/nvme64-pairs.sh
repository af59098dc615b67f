#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The bench's 64-bit NVMe rows that came out beyond "the spread or 5 %"
# between two boots (4 KiB buffered writes, 1 MiB O_DIRECT random reads
# at iodepth 1), and its 1 MiB O_DIRECT random reads at iodepth 32, in
# one boot: pairs of warm 3-s runs, bounce-only (the run-time switch off,
# upstream's path) and with the backend, the order alternating from pair
# to pair.  MB/s and what went through the fixed pool and through regions
# in each run.  dom0 arguments (run-probe.sh --append):
#   xdx.pairs=N   pairs per point (default 8)
. /bin/xdx-lib.sh
b=$(cat $ENABLE)
pairs=$(arg_or pairs 8)
echo "PROBE enable at boot $b; nvme0n1 max_sectors_kb $(cat /sys/block/nvme0n1/queue/max_sectors_kb)"
run() { # label enable kind rw KiB iodepth
	xdx_enable "$2"
	stats_reset
	out=$($(fio_cmd /dev/nvme0n1 "$3" "$4" "$5" "$6" 1 3) 2>&1 | grep '^3;')
	case $4 in *read) io=read ;; *) io=write ;; esac
	[ "$(fio_field "$out" $io err)" = 0 ] || echo "PROBE $1 $3-$4-$5-$6: fio failed"
	echo "PROBE $1 $3-$4-$5-$6 enable=$2 mbps=$(fio_mbps "$(fio_field "$out" $io bw)")" \
		"$(paths_moved kb)" \
		"exchanges=$(stat_get exchanges)"
}
dev_limit "$(nvme_pci)" 0
while read -r kind rw kib qd; do
	offon_pairs "$pairs" run "$kind" "$rw" "$kib" "$qd"
done <<-EOT
buffered write 4 1
direct randread 1024 1
direct randread 1024 32
EOT
xdx_enable "$b"
