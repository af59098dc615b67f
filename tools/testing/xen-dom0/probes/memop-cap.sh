#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Xen's cap on the order of an exchange, below the largest region: boot
# with run-probe.sh --xen-append "memop-max-order=8,8,8,8" (dom0 is the
# control and the hardware domain; each of the four caps applies to some
# domain).  Prints the counters since boot and the free low regions, the
# size the disk behind the 32-bit lsi53c895a was promised, what 20 flushes
# half a second apart cost (each gives every free region back and kicks
# the worker, which rebuilds the reserve and asks Xen again for the
# refused orders only once their wait is over), and a crc32c-verified
# fio run of 1 MiB O_DIRECT writes on that disk.
. /bin/xdx-lib.sh
S="exchange_failed_hypervisor exchanges_deferred exchanges regions_released"
counters() { stat_fields "$S"; }
echo "PROBE since boot:$(counters) low regions (free/in use):$(low_regions)"
dev=$(disk_on_pci "$(sym_pci)") || { echo "PROBE no disk behind the lsi53c895a"; exit 1; }
echo "PROBE $dev max_sectors_kb=$(cat /sys/block/${dev#/dev/}/queue/max_sectors_kb)"
stats_reset
i=0
while [ $i -lt 20 ]; do
	echo 1 > $XDX/flush
	sleep 0.5
	i=$((i + 1))
done
sleep 1
echo "PROBE 20 flushes:$(counters) low regions:$(low_regions)"
stats_reset
if fio_verify "$dev" cap --rw=randwrite --bs=1M --iodepth=32 --size=32M > /dev/null; then
	v=ok
else
	v=FAILED
fi
echo "PROBE fio 1 MiB O_DIRECT randwrite qd32 crc32c verify: $v;$(counters)"
