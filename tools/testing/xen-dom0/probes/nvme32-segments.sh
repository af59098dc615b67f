#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio O_DIRECT 1 MiB random reads at iodepth 32 on NVMe under a 32-bit
# limit, 3 s a run: four pairs, cold (free regions given back, page cache
# dropped) then warm; MB/s and the bytes per mapping from the backend's
# counters (regions with it, the fixed pool without: boot with
# xen_dma_exchange.enable=0 for bounce-only).
. /bin/xdx-lib.sh
echo "PROBE enable=$(cat $ENABLE)"
run() { # label
	stats_reset
	out=$(nvme_fio direct randread 32 3)
	m=$(stat_get maps) kb=$(fio_field "$out" read kb)
	echo "PROBE $1 mbps=$(fio_mbps "$(fio_field "$out" read bw)") kib=$kb maps=$m" \
		"kib_per_mapping=$((kb / (m + 1)))" \
		"via_region=$(stat_get bytes_via_region) bounced=$(stat_get bytes_bounced)"
}
dev_limit "$(nvme_pci)" 32
for i in 1 2 3 4; do
	go_cold
	run "pair$i-cold"; run "pair$i-warm"
done
dev_limit "$(nvme_pci)" 0
