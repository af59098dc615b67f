#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Xen 4.17 with our kernel as PV dom0 in QEMU (TCG), run the guest
# suite, keep the full console log, and turn the guest verdict into the exit
# status.  Options:
#   --xen F --kernel F --initrd F --log F   inputs and the console log
#   --mode check|demo|shell                 what the guest's /init runs
#   --timeout S (default 900)  --mem M (default 6G)  --dom0-mem M (1024M)
#   --append "..."                          extra dom0 kernel parameters
#   --xen-append "..."                      extra Xen parameters
#   --kunit-py F   parse the guest's KTAP report with kunit.py as well
#   --native 1     boot the same kernel and initrd without Xen (reference)
set -uo pipefail
timeout=900 mem=6G dom0mem=1024M mode=check append="" xappend="" kunitpy="" native=0
while [ $# -gt 0 ]; do
	case "$1" in
	--xen) xen=$2 ;; --kernel) kernel=$2 ;; --initrd) initrd=$2 ;;
	--log) log=$2 ;; --mode) mode=$2 ;; --timeout) timeout=$2 ;;
	--mem) mem=$2 ;; --dom0-mem) dom0mem=$2 ;; --append) append=$2 ;;
	--xen-append) xappend=$2 ;;
	--kunit-py) kunitpy=$2 ;;
	--native) native=$2 ;;
	*) echo "run-xen: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
case "$append" in *,*)
	# QEMU's -initrd splits the multiboot modules (kernel, initrd) at commas
	echo "run-xen: no commas in --append (dom0 parameters): $append" >&2; exit 2 ;;
esac
logdir=$(dirname "$log"); mkdir -p "$logdir"
disk=$logdir/nvme.img
[ -f "$disk" ] || truncate -s 64M "$disk"
results=${RESULTS:-}

xen_args="console=com1 com1=115200,8n1 dom0_mem=$dom0mem,max:$dom0mem dom0_max_vcpus=2 loglvl=all guest_loglvl=all $xappend"
dom0_args="console=hvc0 earlyprintk=xen xdx.mode=$mode $append"
# record the backend's trace events from boot on (the suite checks them)
[ "$mode" = check ] && dom0_args="$dom0_args trace_event=xen_dma_exchange:*"
if [ "$native" = 1 ]; then
	boot=(-kernel "$kernel" -initrd "$initrd"
	      -append "console=ttyS0 xdx.mode=$mode $append")
else
	boot=(-kernel "$xen" -append "$xen_args" -initrd "$kernel $dom0_args,$initrd")
fi
# the NICs' peers: QEMU user networking, with "cat" as a TCP echo service
# at 10.0.2.100:7 (e1000e) and 10.0.3.100:7 (e1000, 32-bit) for xdx-netcheck
qemu=(qemu-system-x86_64 -M q35 -accel tcg,thread=multi -cpu max,-smap -smp 2 -m "$mem"
	-display none -no-reboot "${boot[@]}"
	-drive file="$disk",if=none,id=nvm,format=raw,cache=unsafe
	-device nvme,serial=xdx0001,drive=nvm
	-netdev user,id=n0,guestfwd=tcp:10.0.2.100:7-cmd:cat -device e1000e,netdev=n0
	-netdev user,id=n1,net=10.0.3.0/24,guestfwd=tcp:10.0.3.100:7-cmd:cat -device e1000,netdev=n1
	-device pci-testdev)

echo "run-xen: ${qemu[*]}" > "$log"
if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi
# One boot; the console goes to the log.  A dom0 that dies before reaching
# our /init (seen once in many boots: an int3 Oops while the kernel patched
# a static branch under TCG, before any of our tests ran) is booted again,
# once, and the log keeps both attempts.
boot_once() {
	"${qemu[@]}" -serial file:"$log.console" -monitor none &
	qpid=$!
	while kill -0 $qpid 2>/dev/null; do
		if grep -q "XDX-VERDICT:" "$log.console" 2>/dev/null; then
			sleep 3   # let poweroff finish; QEMU exits by itself
			break
		fi
		if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
			echo "run-xen: timeout after ${timeout}s" | tee -a "$log"
			break
		fi
		sleep 1
	done
	kill $qpid 2>/dev/null; wait $qpid 2>/dev/null
	tr -d '\r' < "$log.console" >> "$log"
}
start=$(date +%s)
boot_once
if ! grep -q "XDX-VERDICT:\|xdx: init started" "$log.console"; then
	echo "run-xen: dom0 died before /init started; booting once more" | tee -a "$log"
	rm -f "$log.console"
	boot_once
fi
rm -f "$log.console"
verdict=$(sed -n 's/.*XDX-VERDICT: \([A-Z]*\).*/\1/p' "$log" | tail -1)
echo "run-xen: guest verdict ${verdict:-none} after $(( $(date +%s) - start ))s; log: $log"
# Guest KTAP results (our suite) -> results file
if [ -n "$results" ]; then
	sed -E 's/^\((XEN|d0)\) //' "$log" | grep -E '^(not )?ok [0-9]+ ' |
		sed -E 's/^(not ok|ok) [0-9]+ (.*)/\1 - guest \2/' >> "$results"
fi
# The guest's KTAP report (our suite, KUnit suites nested) through kunit.py
ktap_ok=0
if [ -n "$kunitpy" ] && [ "$mode" = check ]; then
	sed -E 's/^\((XEN|d0)\) //' "$log" | grep -v '^\[' |
		awk '/^KTAP version 1$/ {buf=""; on=1} on {buf=buf $0 "\n"} END {printf "%s", buf}' \
		> "$log.ktap"
	python3 "$kunitpy" parse < "$log.ktap" > "$log.kunit-parse" 2>&1
	ktap_ok=$?
	tail -5 "$log.kunit-parse"
	if [ -n "$results" ]; then
		[ $ktap_ok -eq 0 ] && echo "ok - guest ktap_report_parses" >> "$results" ||
			echo "not ok - guest ktap_report_parses" >> "$results"
	fi
fi
[ "$verdict" = PASS ] && [ $ktap_ok -eq 0 ]
