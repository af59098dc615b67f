#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test suite for exchange-on-demand DMA, run as PID 1's child in dom0.
# Prints KTAP; exits non-zero if any test failed.
. /bin/xdx-lib.sh
NVME=/dev/nvme0n1

t_pv_dom0() {
	cat /proc/xen/capabilities
	grep -q control_d /proc/xen/capabilities || return 1
	dmesg | grep -m1 "Booting kernel on Xen PV" || return 1
	dmesg | grep -m1 "Xen version" || true
}

t_kunit() {
	rc=0; n=0
	for r in /sys/kernel/debug/kunit/*/results; do
		[ -f "$r" ] || continue
		n=$((n + 1))
		s=$(basename "$(dirname "$r")")
		if grep -q "^not ok\|^    not ok" "$r"; then echo "suite $s FAILED"; rc=1
		else echo "suite $s: $(grep -c '^    ok' "$r") cases ok"; fi
	done
	[ $n -gt 0 ] || { echo "no KUnit suites found"; return 1; }
	return $rc
}

# bus address != pfn: the KUnit suite prints them; check one line exists
t_bus_ne_pfn() {
	dmesg | grep "xen_dma_exchange_test: pfn" | head -3
	dmesg | grep -q "xen_dma_exchange_test: pfn .* bus .* differs" || return 1
}

iocheck_all() { # seed
	xdx-iocheck $NVME 16 128 "$1" direct || return 1
	xdx-iocheck $NVME 16 1024 "$(( $1 + 1 ))" buffered || return 1
}

t_nvme_default() {
	stats_reset
	iocheck_all 11 || return 1
	cat $XDX/stats
}

t_nvme_mask32_bounce() {
	xdx_enable 0
	dev_limit "$(nvme_pci)" 32 || return 1
	stats_reset
	echo 0 > $SWIOTLB/io_tlb_used_hiwater 2>/dev/null
	iocheck_all 21; rc=$?
	dev_limit "$(nvme_pci)" 0
	xdx_enable 1
	echo "swiotlb hiwater: $(cat $SWIOTLB/io_tlb_used_hiwater)"
	cat $XDX/stats
	[ $rc -eq 0 ] || return 1
	[ "$(cat $SWIOTLB/io_tlb_used_hiwater)" -gt 0 ] || return 1
	[ "$(stat_get bytes_bounced)" -gt 0 ] || return 1
	[ "$(stat_get exchanges)" -eq 0 ] || return 1
}

t_nvme_mask32_exchange() {
	dev_limit "$(nvme_pci)" 32 || return 1
	stats_reset
	iocheck_all 31; rc=$?
	# repeated buffered reads: page-cache fills reuse exchanged pages
	for i in 1 2 3; do
		xdx-iocheck $NVME 16 1024 32 buffered read || rc=1
	done
	dev_limit "$(nvme_pci)" 0
	cat $XDX/stats
	[ $rc -eq 0 ] || return 1
	[ "$(stat_get exchanges)" -gt 0 ] || return 1
	[ "$(stat_get bytes_in_place)" -gt 0 ] || return 1
}

bench() { # bits granule [extra]
	dma_map_benchmark -t 1 -s 2 -b "$1" -g "$2" -d 0
}

t_bench_bounce_only() {
	bench_bind >/dev/null || return 1
	xdx_enable 0; stats_reset
	bench 32 64; rc=$?
	xdx_enable 1
	cat $XDX/stats
	[ $rc -eq 0 ] && [ "$(stat_get bytes_bounced)" -gt 0 ]
}

t_bench_exchange_hits() {
	bench_bind >/dev/null || return 1
	stats_reset
	bench 32 64 || return 1
	cat $XDX/stats
	hits=$(stat_get cache_hits); maps=$(stat_get maps)
	echo "hits $hits of $maps maps"
	[ "$(stat_get bytes_bounced)" -eq 0 ] || return 1
	[ "$maps" -gt 0 ] && [ $((hits * 100)) -ge $((maps * 99)) ]
}

t_bench_2m_4m_single() {
	bench_bind >/dev/null || return 1
	rc=0
	for g in 512 1024; do
		stats_reset
		bench 32 $g || rc=1
		cat $XDX/stats
		[ "$(stat_get bytes_bounced)" -eq 0 ] || rc=1
	done
	return $rc
}

t_bench_exchange_fail_injected() {
	F=/sys/kernel/debug/fail_xen_dma_exchange
	bench_bind >/dev/null || return 1
	[ -d $F ] || { echo "no fault injection dir"; return 1; }
	echo 100 > $F/probability; echo -1 > $F/times; echo 0 > $F/verbose
	echo 0 > $XDX/flush
	stats_reset
	bench 32 16; rc=$?
	dev_limit "$(nvme_pci)" 32
	iocheck_all 41 || rc=1
	dev_limit "$(nvme_pci)" 0
	echo 0 > $F/probability
	cat $XDX/stats
	[ $rc -eq 0 ] || return 1
	[ "$(stat_get exchange_failed_injected)" -gt 0 ] || return 1
	[ "$(stat_get bytes_bounced)" -gt 0 ] || return 1
	[ "$(stat_get exchanges)" -eq 0 ]
}

t_no_splats() {
	if dmesg | grep -E "BUG:|WARNING:|Oops|general protection|Call Trace|DMA-API:"; then
		return 1
	fi
	return 0
}

ktap_plan 11
run_test xen_pv_dom0 t_pv_dom0
run_test kunit_suites t_kunit
run_test bus_address_differs_from_pfn t_bus_ne_pfn
run_test nvme_default_checksums t_nvme_default
run_test nvme_mask32_bounce_only t_nvme_mask32_bounce
run_test nvme_mask32_exchange t_nvme_mask32_exchange
run_test bench_mask32_bounce_only t_bench_bounce_only
run_test bench_mask32_exchange_hits t_bench_exchange_hits
run_test bench_2m_4m_single_mappings t_bench_2m_4m_single
run_test exchange_fail_injected_falls_back t_bench_exchange_fail_injected
run_test no_kernel_splats t_no_splats
echo "# xdx-suite: $T tests, $FAILED failed"
[ $FAILED -eq 0 ]
