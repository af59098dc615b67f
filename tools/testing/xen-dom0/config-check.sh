#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# config-check.sh <ktree> <outdir> [full]: the series in configurations the
# test bed does not boot, each in its own build directory under <outdir>:
#   noxen  x86_64_defconfig with CONFIG_XEN=n (and the DMA map benchmark on)
#   arm64  arm64 defconfig (XEN=y, SWIOTLB_XEN=y; our backend is x86 PV
#          only, so swiotlb-xen must build without it), cross-compiled
# By default only the directories that hold our code and our hooks are
# built (arch/*/xen, drivers/xen, kernel/dma) from those defconfigs, which
# keeps CI short; with "full" a whole kernel is built and linked, from
# allnoconfig plus the same options (and PCI) so that it stays small.  Any
# error or compiler warning fails, the objects our patches touch must be
# built, and none of our backend's symbols may be left in them.
set -uo pipefail
ktree=$(realpath "$1") out=$(realpath "$2") scope=${3:-dirs}
results=${RESULTS:-/dev/null}
jobs=$(nproc)
logdir=$out/logs/config-check; mkdir -p "$logdir"
rc=0
result() { # status name
	if [ "$1" -eq 0 ]; then echo "ok - config $2" >> "$results"; echo "config-check: $2 ok"
	else echo "not ok - config $2" >> "$results"; echo "config-check: $2 FAILED"; rc=1; fi
}

# variant <name> <arch> <cross> <defconfig> <required options> <dirs> -- <config changes>
variant() {
	local name=$1 arch=$2 cross=$3 defconfig=$4 need=$5 dirs=$6; shift 7
	[ "$scope" = full ] && { defconfig=allnoconfig; name=$name-full; set -- "$@" -e PCI; }
	local obj=$out/obj-$name log=$logdir/$name.log
	local km=(make -C "$ktree" O="$obj" ARCH="$arch" -j"$jobs")
	[ -n "$cross" ] && km+=(CROSS_COMPILE="$cross")
	local start=$(date +%s) s=0
	mkdir -p "$obj"
	{
		"${km[@]}" -s "$defconfig" &&
		"$ktree/scripts/config" --file "$obj/.config" "$@" &&
		"${km[@]}" -s olddefconfig
	} > "$log" 2>&1 || s=1
	for opt in $need; do
		case $opt in
		@*) ;;	# an object that must get built, checked below
		!*) grep -q "^CONFIG_${opt#!}=y" "$obj/.config" && { echo "config-check: $name: CONFIG_${opt#!} still on"; s=1; } ;;
		*) grep -q "^CONFIG_$opt=y" "$obj/.config" || { echo "config-check: $name: CONFIG_$opt not on"; s=1; } ;;
		esac
	done
	if [ $s -eq 0 ]; then
		if [ "$scope" = full ]; then
			"${km[@]}" >> "$log" 2>&1 || s=1
		else
			"${km[@]}" prepare >> "$log" 2>&1 && "${km[@]}" $dirs >> "$log" 2>&1 || s=1
		fi
		grep -E "(warning|error):" "$log" | head -20
		grep -qE "(warning|error):" "$log" && s=1
		for o in $need; do
			case $o in @*) [ -f "$obj/${o#@}" ] || { echo "config-check: $name: ${o#@} not built"; s=1; } ;; esac
		done
		local objs ours
		objs=$(find "$obj/kernel/dma" "$obj/drivers/xen" "$obj/arch/$arch/xen" -name '*.o' 2>/dev/null)
		ours=$([ -n "$objs" ] && nm $objs 2>/dev/null | grep -ciE "xen_dma_exchange|xdx_")
		echo "config-check: $name: $(echo "$objs" | grep -c .) objects built, ${ours:-0} symbols of ours"
		[ "${ours:-0}" -eq 0 ] || s=1
	fi
	echo "config-check: $name ($scope): $(( $(date +%s) - start ))s"
	result $s "${name}_builds"
}

variant noxen x86_64 "" x86_64_defconfig "DMA_MAP_BENCHMARK !XEN @kernel/dma/map_benchmark.o" \
	"kernel/dma/ drivers/xen/ arch/x86/xen/" -- \
	-d XEN -e DEBUG_FS -e DMA_MAP_BENCHMARK
if command -v aarch64-linux-gnu-gcc >/dev/null; then
	variant arm64 arm64 aarch64-linux-gnu- defconfig \
		"XEN SWIOTLB_XEN DMA_MAP_BENCHMARK @drivers/xen/swiotlb-xen.o @kernel/dma/map_benchmark.o" \
		"kernel/dma/ drivers/xen/ arch/arm64/xen/" -- \
		-e XEN -e DEBUG_FS -e DMA_MAP_BENCHMARK
else
	echo "config-check: aarch64-linux-gnu-gcc missing (make deps installs it)"
	result 1 arm64_builds
fi
exit $rc
