#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Xen 4.17 with our kernel as PV dom0 in QEMU (TCG), run the guest
# suite, keep the full console log, and turn the guest verdict into the exit
# status.  Options:
#   --xen F --kernel F --initrd F --log F   inputs and the console log
#   --mode check|demo|shell                 what the guest's /init runs
#   --timeout S (default 900)  --mem M (default 6G)  --dom0-mem M (1024M)
#   --smp N        vCPUs of the machine and of dom0, 1-8 (default 2)
#   --append "..."                          extra dom0 kernel parameters
#   --xen-append "..."                      extra Xen parameters
#   --kunit-py F   parse the guest's KTAP report with kunit.py as well
#   --native 1     boot the same kernel and initrd without Xen (reference)
#   --prealloc 1   have QEMU touch all of the guest's RAM before it boots
#                  (-mem-prealloc; needs that much free host memory at
#                  once): the host's first touch of a frame (about 3.6 ms
#                  per MiB on the machines here) then falls on no slice
#                  of a measurement
#   --tag NAME     name the boot's results "NAME <test>" (default "guest")
set -uo pipefail
tag=guest timeout=900 mem=6G dom0mem=1024M mode=check append="" xappend="" kunitpy="" native=0 smp=2 prealloc=0
while [ $# -gt 0 ]; do
	case "$1" in
	--xen) xen=$2 ;; --kernel) kernel=$2 ;; --initrd) initrd=$2 ;;
	--log) log=$2 ;; --mode) mode=$2 ;; --timeout) timeout=$2 ;;
	--tag) tag=$2 ;;
	--mem) mem=$2 ;; --dom0-mem) dom0mem=$2 ;; --append) append=$2 ;;
	--smp) smp=$2 ;;
	--xen-append) xappend=$2 ;;
	--kunit-py) kunitpy=$2 ;;
	--native) native=$2 ;;
	--prealloc) prealloc=$2 ;;
	*) echo "run-xen: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
case "$prealloc" in 0|1) ;; *) echo "run-xen: --prealloc takes 0 or 1, got $prealloc" >&2; exit 2 ;; esac
case "$smp" in [1-8]) ;; *) echo "run-xen: --smp takes 1-8, got $smp" >&2; exit 2 ;; esac
case "$append" in *,*)
	# QEMU's -initrd splits the multiboot modules (kernel, initrd) at commas
	echo "run-xen: no commas in --append (dom0 parameters): $append" >&2; exit 2 ;;
esac
logdir=$(dirname "$log"); mkdir -p "$logdir"
# fresh, zeroed disks for every run: no data of an earlier run can be read
# back as if a write had landed
disk=$logdir/nvme.img sym=$logdir/sym.img mega=$logdir/megasas.img
for img in "$disk" "$sym" "$mega"; do
	rm -f "$img"; truncate -s 64M "$img"
done
results=${RESULTS:-}

xen_args="console=com1 com1=115200,8n1 dom0_mem=$dom0mem,max:$dom0mem dom0_max_vcpus=$smp loglvl=all guest_loglvl=all $xappend"
dom0_args="console=hvc0 earlyprintk=xen xdx.mode=$mode $append"
# record the backend's trace events from boot on (the suite checks them),
# in a buffer that holds the KUnit cases' tens of thousands of mappings
[ "$mode" = check ] && dom0_args="$dom0_args trace_event=xen_dma_exchange:* trace_buf_size=4M"
if [ "$native" = 1 ]; then
	boot=(-kernel "$kernel" -initrd "$initrd"
	      -append "console=ttyS0 xdx.mode=$mode $append")
else
	boot=(-kernel "$xen" -append "$xen_args" -initrd "$kernel $dom0_args,$initrd")
fi
# Devices: NVMe and e1000e (64-bit; the suite limits them for some tests),
# e1000 and an lsi53c895a SCSI HBA (32-bit by their own drivers) and a
# megasas HBA (63-bit streaming mask), each with a disk of its own.
# the NICs' peers: QEMU user networking, with "cat" as a TCP echo service
# at 10.0.2.100:7 (e1000e) and 10.0.3.100:7 (e1000, 32-bit) for xdx-netcheck
# iperf3's peer: a server on this host's loopback, reached from each NIC's
# network at .100:5201 through QEMU's guestfwd and netcat (one per
# connection); it lives as long as this run
iperf_port=$(( 20000 + $$ % 20000 ))
iperf3 -s -B 127.0.0.1 -p $iperf_port > "$log.iperf3" 2>&1 &
iperf_pid=$!
trap 'kill $iperf_pid 2>/dev/null' EXIT
fwd_iperf="guestfwd=tcp:%s.100:5201-cmd:busybox nc 127.0.0.1 $iperf_port"
# named threads ("CPU 0/TCG"), so a host profile can tell the vCPUs apart
qemu=(qemu-system-x86_64 -M q35 -accel tcg,thread=multi -cpu max,-smap -smp "$smp" -m "$mem"
	-name xdx,debug-threads=on -display none -no-reboot "${boot[@]}"
	-drive file="$disk",if=none,id=nvm,format=raw,cache=unsafe
	-device nvme,serial=xdx0001,drive=nvm
	-netdev "user,id=n0,guestfwd=tcp:10.0.2.100:7-cmd:cat,$(printf "$fwd_iperf" 10.0.2)"
	-device e1000e,netdev=n0
	-netdev "user,id=n1,net=10.0.3.0/24,guestfwd=tcp:10.0.3.100:7-cmd:cat,$(printf "$fwd_iperf" 10.0.3)"
	-device e1000,netdev=n1
	-device pci-testdev
	-device lsi53c895a,id=sym0
	-drive file="$sym",if=none,id=symd,format=raw,cache=unsafe
	-device scsi-hd,drive=symd,bus=sym0.0,serial=xdxsym0
	-device megasas,id=mega0
	-drive file="$mega",if=none,id=megad,format=raw,cache=unsafe
	-device scsi-hd,drive=megad,bus=mega0.0,serial=xdxmega0)
[ "$prealloc" = 1 ] && qemu+=(-mem-prealloc)

echo "run-xen: ${qemu[*]}" > "$log"
if [ "$mode" = shell ]; then
	"${qemu[@]}" -serial mon:stdio; exit $?
fi
# One boot; the console goes to the log.  A dom0 that dies before reaching
# our /init with the known signature (seen once in many boots: an int3
# Oops while the kernel patched a static branch under TCG, before any of
# our tests ran) is booted again, once; the retry is reported in the log
# and the results, and the log keeps both attempts.  Any other death is
# the run's result.
boot_once() {
	rm -f "$log.console" "$log.qemu-pid"	# nothing of an earlier run may count as this one's
	"${qemu[@]}" -serial file:"$log.console" -monitor none -pidfile "$log.qemu-pid" &
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
if ! grep -q "XDX-VERDICT:\|xdx: init started" "$log.console" &&
   grep -q "Oops: int3" "$log.console"; then
	echo "run-xen: dom0 died before /init with the known TCG int3 Oops; booting once more" | tee -a "$log"
	[ -n "$results" ] && echo "# boot retried after the known TCG int3 Oops before /init: $log" >> "$results"
	rm -f "$log.console"
	boot_once
fi
rm -f "$log.console" "$log.qemu-pid"
verdict=$(sed -n 's/.*XDX-VERDICT: \([A-Z]*\).*/\1/p' "$log" | tail -1)
echo "run-xen: guest verdict ${verdict:-none} after $(( $(date +%s) - start ))s; log: $log"
# Guest KTAP results (our suite) -> results file
if [ -n "$results" ]; then
	# (a tagged boot runs a selection: the tests it did not select are not
	# its results)
	sed -E 's/^\((XEN|d0)\) //' "$log" | grep -E '^(not )?ok [0-9]+ ' |
		{ if [ "$tag" = guest ]; then cat; else grep -v '# SKIP$'; fi; } |
		sed -E "s/^(not ok|ok) [0-9]+ (.*)/\\1 - $tag \\2/" >> "$results"
	# KUnit cases of our suite, by name (skips stay skips)
	[ "$tag" = guest ] && sed -E 's/^\((XEN|d0)\) //' "$log" |
		sed -nE 's/^        (not ok|ok) [0-9]+ (xdx_test_[a-z0-9_]+)( # SKIP.*)?$/\1 - kunit \2\3/p' |
		sed -E 's/ # SKIP.*/ # SKIP/' >> "$results"
fi
# The whole console, Xen's lines included (the guest sees only dom0's
# log buffer): no hypervisor crash or assertion, no dom0 Oops or BUG, in
# the boot that ran (after a retry marker, if any)
splat_ok=0
if [ "$mode" = check ]; then
	awk '/^run-xen: dom0 died before \/init/ { n = NR } { l[NR] = $0 }
	     END { for (i = n + 1; i <= NR; i++) print l[i] }' "$log" |
		grep -aE "\(XEN\) .*(Hardware Dom0 crashed|Assertion '|Xen BUG at|FATAL TRAP|Panic on CPU|Xen call trace)|(Oops|BUG:|Kernel panic|general protection fault)" \
		> "$log.splats" && splat_ok=1
	if [ $splat_ok -eq 0 ]; then
		echo "run-xen: console (Xen and dom0) free of crashes, Oopses and BUGs"
	else
		echo "run-xen: console shows:"; head -5 "$log.splats"
	fi
	if [ -n "$results" ]; then
		[ $splat_ok -eq 0 ] && echo "ok - $tag console_free_of_splats" >> "$results" ||
			echo "not ok - $tag console_free_of_splats" >> "$results"
	fi
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
		[ $ktap_ok -eq 0 ] && echo "ok - $tag ktap_report_parses" >> "$results" ||
			echo "not ok - $tag ktap_report_parses" >> "$results"
	fi
fi
[ "$verdict" = PASS ] && [ $ktap_ok -eq 0 ] && [ $splat_ok -eq 0 ]
