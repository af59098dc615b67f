#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Demonstration, one configuration per boot (make run boots it twice: with
# xen_dma_exchange.enable=0 and with the backend on, both on a small fixed
# pool): what users run, one "XDX-ROW: <what>|<value>|<unit>" line each.
. /bin/xdx-lib.sh
row() { echo "XDX-ROW: $1|$2|$3"; }
secs=5
sym=$(disk_on_pci "$(sym_pci)") || { echo "demo: no disk behind the lsi53c895a"; exit 1; }
bench_bind >/dev/null || { echo "demo: no benchmark device"; exit 1; }
net32_up || { echo "demo: no 32-bit NIC"; exit 1; }
row "backend" "$(cat $ENABLE)" "Y/N"
row "fixed pool" "$(( $(cat $SWIOTLB/io_tlb_nslabs) / 512 ))" "MiB"
row "32-bit HBA disk max_sectors_kb" "$(cat /sys/block/${sym#/dev/}/queue/max_sectors_kb)" "KiB"
# fio: 1 MiB random reads, O_DIRECT, queue depth 32, on the 32-bit HBA
out=$(fio --name=d --filename="$sym" --ioengine=libaio --direct=1 --rw=randread --bs=1M \
	--iodepth=32 --size=48M --runtime=$secs --time_based --minimal 2>&1 | grep '^3;')
row "fio 32-bit HBA randread 1M qd32" "$(fio_mbps "$(fio_field "$out" read bw)")" "MB/s"
row "fio 32-bit HBA randread 1M qd32 clat p99" "$(fio_field "$out" read p99)" "us"
# iperf3: TCP through the 32-bit e1000 to the host and back
for d in tx rx; do
	m=$($(iperf_cmd e1000 $d "$secs") 2>&1 | iperf3_mbit)
	row "iperf3 32-bit e1000 $d" "${m:-fails}" "Mbit/s"
done
# a deep queue on the small pool: NVMe under a 32-bit limit, 2 x 128 x 1 MiB
dev_limit "$(nvme_pci)" 32
pool_hiwater_reset
msgs=$(pool_full_msgs)
out=$(fio --name=q --filename=/dev/nvme0n1 --ioengine=libaio --direct=1 --rw=randwrite --bs=1M \
	--iodepth=128 --numjobs=2 --size=24M --offset_increment=32M --runtime=$secs --time_based \
	--group_reporting --minimal 2>&1 | grep '^3;')
dev_limit "$(nvme_pci)" 0
row "fio NVMe 32-bit randwrite 1M qd128 x2" "$(fio_mbps "$(fio_field "$out" write bw)")" "MB/s"
row "  'swiotlb buffer is full' (printed and rate-limited)" "$(( $(pool_full_msgs) - msgs ))" ""
row "  fixed-pool high-water" "$(pool_hiwater) of $(cat $SWIOTLB/io_tlb_nslabs)" "slots"
# one 2 MiB mapping of any memory, 32-bit
if dma_map_benchmark -t 1 -s 1 -b 32 -g 512 -d 0 > /tmp/m2 2>&1; then
	row "one 2 MiB mapping, 32-bit" "succeeds" ""
else
	row "one 2 MiB mapping, 32-bit" "fails" ""
fi
# the dma_map_benchmark line: the same 64-page buffer mapped again and again
out=$(dma_map_benchmark -t 1 -s 2 -b 32 -g 64 -d 0 2>&1)
row "dma_map_benchmark 32-bit 64 pages map/unmap" \
	"$(echo "$out" | sed -n 's/^average \(map\|unmap\) latency(us):\([0-9.]*\).*/\2/p' | paste -sd/)" "us"
cat $XDX/stats
