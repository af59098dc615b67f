#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-probe.sh <probe> [--kernel <bzImage>] [--append "<dom0 args>"]
#	[--xen-append "<Xen args>"] [--smp N] [--with "<tool>..."]
#	[--prealloc] [--host-perf]:
# one boot of dom0 under Xen running probes/<probe>.sh in place of make
# run's guest script, for the one-off measurements the README quotes; it
# prints the probe's "PROBE" lines.  Needs the images make check builds
# (make kernel initramfs, and the Xen image); the irqsoff probe needs the
# debug kernel (make debug-kernel, then --kernel build/obj-debug/...).
# --with adds this host's binaries of the tools named (with the shared
# libraries they load) to the probe's initramfs, e.g. --with perf.
# --prealloc has QEMU touch all its memory first (run-xen.sh --prealloc);
# --host-perf profiles QEMU from the host, slice by slice (host-perf.sh),
# and prints its "PROBE-HOST" lines after the probe's.
# Not part of make check.  Output: build/probe/<probe>.log (the console).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proj=$(cd "$here/../../../.." && pwd)
probe=${1:?usage: run-probe.sh <probe> [--kernel <bzImage>] [--append "<args>"] [--xen-append "<args>"] [--smp N] [--with "<tools>"] [--prealloc] [--host-perf]}
shift
if [ "$probe" = run-probe ] || [ ! -f "$here/$probe.sh" ]; then
	echo -n "run-probe: no probe $probe; there are:" >&2
	for f in "$here"/*.sh; do
		f=$(basename "$f" .sh); [ "$f" = run-probe ] || echo -n " $f" >&2
	done
	echo >&2; exit 2
fi
kernel=$proj/build/obj-dom0/arch/x86/boot/bzImage append="" xappend="" smp=2 with=""
prealloc=0 hostperf=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--xen-append) xappend=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--with) with=$2; shift 2 ;;
	--prealloc) prealloc=1; shift ;;
	--host-perf) hostperf=1; shift ;;
	*) echo "run-probe: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=$proj/build/probe; root=$out/root-$probe
for f in "$kernel" "$proj/build/initramfs.cpio.gz" "$proj/build/xen-4.17.gz.elf"; do
	[ -f "$f" ] || { echo "run-probe: $f missing: make kernel initramfs first" >&2; exit 2; }
done
rm -rf "$root"; mkdir -p "$root"
(cd "$root" && zcat "$proj/build/initramfs.cpio.gz" | cpio -id --quiet)
install -m 755 "$here/$probe.sh" "$root/bin/xdx-demo.sh"
# shellcheck disable=SC2086 # a list of tools
[ -z "$with" ] || "$here/../copy-tools.sh" "$root" $with || exit 2
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/$probe.cpio.gz"
rm -rf "$root"
if [ "$hostperf" = 1 ]; then
	for t in perf python3; do
		command -v $t > /dev/null || { echo "run-probe: --host-perf needs $t on the host" >&2; exit 2; }
	done
	"$here/host-perf.sh" "$out/$probe.log.console" "$out/$probe.log.qemu-pid" "$out/$probe.host" \
		> "$out/$probe.host.txt" 2>&1 &
	hpid=$!
	# it waits for its QEMU: gone with us if the boot never comes
	trap 'kill $hpid 2>/dev/null || true' EXIT
fi
RESULTS=$out/results "$proj/tools/testing/xen-dom0/run-xen.sh" --xen "$proj/build/xen-4.17.gz.elf" \
	--kernel "$kernel" --initrd "$out/$probe.cpio.gz" --log "$out/$probe.log" \
	--mode demo --timeout 900 --tag "probe-$probe" --smp "$smp" --prealloc "$prealloc" \
	${append:+--append "$append"} \
	${xappend:+--xen-append "$xappend"} > "$out/$probe.out" 2>&1 ||
	{ tail -3 "$out/$probe.out"; exit 1; }
grep -a "^PROBE" "$out/$probe.log"
if [ "$hostperf" = 1 ]; then
	wait "$hpid" || echo "run-probe: host-perf.sh failed" >&2
	trap - EXIT
	cat "$out/$probe.host.txt"
fi
