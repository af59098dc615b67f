#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio buffered 1 MiB reads at iodepth 1 on NVMe under a 32-bit limit, as
# the bench's row, in one boot: 8 pairs, bounce-only (the run-time switch
# off) then the backend, each a cold run (free regions given back, page
# cache dropped) and a warm one of 3 s; MB/s and the backend's counters.
# The bench compares two boots; this compares within one.
. /bin/xdx-lib.sh
run() { # label
	stats_reset
	out=$(nvme_fio buffered read 1 3)
	echo "PROBE $1 mbps=$(fio_mbps "$(fio_field "$out" read bw)") maps=$(stat_get maps)" \
		"via_region=$(stat_get bytes_via_region) bounced=$(stat_get bytes_bounced)" \
		"exchanges=$(stat_get exchanges) in_map=$(stat_get exchanges_in_map)"
}
dev_limit "$(nvme_pci)" 32
for i in 1 2 3 4 5 6 7 8; do
	for en in N Y; do
		xdx_enable Y
		go_cold
		xdx_enable $en
		run "pair$i enable=$en cold"; run "pair$i enable=$en warm"
	done
done
dev_limit "$(nvme_pci)" 0
