# SPDX-License-Identifier: GPL-2.0
#
# Exchange-on-demand DMA for Xen PV domains: build, boot and test driver.
#
#   make run     build if needed, boot Xen + dom0 bounce-only and with the
#                backend, what users run side by side
#   make check   host tests, kernel build, guest suite under Xen, a quick
#                benchmark, static checks
#   make bench   the benchmark matrix under Xen and without Xen: CSV, table, plot
#
# Everything generated goes under $(OUT) (default: build/).

PROJ     := $(CURDIR)
OUT      ?= $(PROJ)/build
DEB_LINUX_VERSION ?= 6.12.117-1~deb12u1
LINUX_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
# KSRC: use another (unpacked) 6.12 tree as the base instead of Debian's
KSRC     ?=
KTREE    := $(OUT)/linux
KOBJ     := $(OUT)/obj-dom0
JOBS     ?= $(shell nproc)
TESTBED  := $(PROJ)/tools/testing/xen-dom0
HOSTTEST := $(PROJ)/tools/testing/xen-exchange
# ccache, when installed, through Debian's masquerade directory
export PATH := $(if $(wildcard /usr/lib/ccache/gcc),/usr/lib/ccache:)$(PATH)
export RESULTS := $(OUT)/results.txt
KMAKE    := $(MAKE) -C $(KTREE) O=$(KOBJ) -j$(JOBS)
BZIMAGE  := $(KOBJ)/arch/x86/boot/bzImage
INITRD   := $(OUT)/initramfs.cpio.gz
XEN      := $(OUT)/xen-4.17.gz.elf
RUNXEN   = $(TESTBED)/run-xen.sh --xen $(XEN) --kernel $(BZIMAGE) --initrd $(INITRD)
FRAGS    := $(KTREE)/arch/x86/configs/xen.config $(KTREE)/kernel/configs/xen_dom0_test.config

DEB_PACKAGES := linux-source-6.12=$(DEB_LINUX_VERSION) xen-hypervisor-4.17-amd64 \
	qemu-system-x86 busybox-static ccache sparse coccinelle flex bison libelf-dev \
	bc cpio xz-utils kmod python3 dwarves rsync gcc make perl gcc-aarch64-linux-gnu gnuplot-nox fio iperf3

.PHONY: all deps source apply config kernel initramfs run check host-test xen shell series refresh-patches \
	guest-test static-check bench series-check config-check check-full debug-kernel debug-test profile-kernel clean distclean help
all: kernel

help:
	@sed -n '3,11p' Makefile

deps: $(OUT)/.deps
$(OUT)/.deps:
	@mkdir -p $(OUT)
	$(TESTBED)/phase.sh deps $(TESTBED)/install-deps.sh $(DEB_PACKAGES)
	@touch $@

# The pristine base, unpacked once, recorded as a git repository.
source: $(KTREE)/.base-ok
$(KTREE)/.base-ok: | $(OUT)/.deps
	@mkdir -p $(OUT)
ifeq ($(KSRC),)
	$(TESTBED)/phase.sh unpack $(TESTBED)/unpack-base.sh $(LINUX_TARBALL) $(KTREE)
else
	$(TESTBED)/phase.sh unpack $(TESTBED)/unpack-base.sh $(KSRC) $(KTREE)
endif
	@touch $@

# Our new files plus patches/ as commits on top of the base.
apply: source
	@$(TESTBED)/phase.sh apply $(TESTBED)/apply-series.sh $(PROJ) $(KTREE)

config: apply
	@$(TESTBED)/phase.sh config $(TESTBED)/mkconfig.sh $(KTREE) $(KOBJ) "$(KMAKE)" $(FRAGS)

kernel: config
	$(TESTBED)/phase.sh kernel $(KMAKE) bzImage

initramfs: kernel
	$(TESTBED)/phase.sh initramfs $(TESTBED)/mkinitramfs.sh $(KTREE) $(KOBJ) $(OUT)/initramfs $(INITRD)

xen: $(XEN)
$(XEN): | $(OUT)/.deps
	$(TESTBED)/phase.sh xen sh -c 'zcat /boot/xen-4.17-amd64.gz > $@.tmp && mv $@.tmp $@'

# Host harness: KTAP to build/logs/host-test.ktap, one result line per case;
# then testbed-selftest.sh: the test bed's own checks (accounting, launcher,
# bench report) shown failing when what they guard is broken
host-test: source
	@mkdir -p $(OUT)/logs
	$(TESTBED)/phase.sh host-test sh -c '$(MAKE) -s -C $(HOSTTEST) run OUT=$(OUT)/host-test \
		> $(OUT)/logs/host-test.ktap 2>&1; rc=$$?; cat $(OUT)/logs/host-test.ktap; \
		sed -nE "s/^(not ok|ok) [0-9]+ (.*)/\1 - \2/p" $(OUT)/logs/host-test.ktap >> $(RESULTS); \
		exit $$rc'
	$(TESTBED)/phase.sh testbed-selftest sh -c '$(TESTBED)/testbed-selftest.sh \
		> $(OUT)/logs/testbed-selftest.ktap 2>&1; rc=$$?; cat $(OUT)/logs/testbed-selftest.ktap; \
		grep -E "^(not )?ok - " $(OUT)/logs/testbed-selftest.ktap >> $(RESULTS); exit $$rc'

# The guest suite under Xen; SOAK=<seconds> sets the length of its mixed
# soak workload (default 60; SOAK=3600 for an hour); GUEST_ARGS adds dom0
# parameters, e.g. GUEST_ARGS=xdx.only=soak_mixed_workload+no_kernel_splats
SOAK     ?= 60
ifeq ($(shell echo '$(SOAK)' | grep -xE '[0-9]{1,6}'),)
$(error SOAK must be a whole number of seconds, got '$(SOAK)')
endif
# SMP=<n> runs the guest suite's first boot with n vCPUs (1-8; default 2,
# the host's cores: more run slower under TCG but race more)
SMP      ?= 2
ifeq ($(shell echo '$(SMP)' | grep -xE '[1-8]'),)
$(error SMP must be 1-8 vCPUs, got '$(SMP)')
endif
# Then the boot pair on a small fixed pool (swiotlb=4096, 8 MiB), backend
# on and bounce-only, running the tests named in POOL_PAIR_TESTS.
export POOL_PAIR_TESTS := sym53c8xx_32bit_hba_max_sectors fio_sym53c8xx_32bit_hba_deep_queue \
	fio_nvme_mask32_deep_queue no_kernel_splats
POOL_PAIR = --mode check --timeout 900 --append "swiotlb=4096 $(GUEST_ARGS) \
	xdx.only=$(subst $(eval) ,+,$(strip $(POOL_PAIR_TESTS)))
guest-test: initramfs $(XEN)
	-$(TESTBED)/phase.sh guest $(RUNXEN) --log $(OUT)/logs/guest-check.log --mode check --smp $(SMP) \
		--timeout $$((900 + $(SOAK))) --append "xdx.soak=$(SOAK) $(GUEST_ARGS)" --kunit-py $(KTREE)/tools/testing/kunit/kunit.py
	-$(TESTBED)/phase.sh guest-small-pool-on $(RUNXEN) --log $(OUT)/logs/guest-small-pool-on.log \
		--tag small-pool-on $(POOL_PAIR)"
	$(TESTBED)/phase.sh guest-small-pool-off $(RUNXEN) --log $(OUT)/logs/guest-small-pool-off.log \
		--tag small-pool-off $(POOL_PAIR) xen_dma_exchange.enable=0"

static-check: apply
	$(TESTBED)/phase.sh static $(TESTBED)/static-check.sh $(PROJ) $(KTREE) $(KOBJ) "$(KMAKE)"

run: initramfs $(XEN)
	$(TESTBED)/phase.sh run-off $(RUNXEN) --log $(OUT)/logs/run-off.log --mode demo \
		--append "swiotlb=4096 xen_dma_exchange.enable=0"
	$(TESTBED)/phase.sh run-on $(RUNXEN) --log $(OUT)/logs/run-on.log --mode demo \
		--append "swiotlb=4096"
	@python3 $(TESTBED)/demo-report.py $(OUT)/demo $(OUT)/logs/run-off.log $(OUT)/logs/run-on.log
	@echo "full console logs: $(OUT)/logs/run-off.log $(OUT)/logs/run-on.log"

# Benchmarks: the matrix under Xen with the backend off (booted with
# xen_dma_exchange.enable=0) and on, and the same kernel booted without Xen,
# one boot each (the dma_map_benchmark rows run off and on in the on boot,
# through the run-time switch: see guest/xdx-bench.sh); BENCH=quick for the short matrix (the points make check
# asserts; no boot without Xen), and
# BENCH_ARGS="xdx.reps=N xdx.secs=N" to change repeats and run length.
# FRAG=N fragments dom0's P2M with N balloon cycles before measuring (a
# dom0 that has run a while), into build/bench-<level>-frag.  The full
# matrix also boots Xen off and on with a small fixed pool (swiotlb=4096,
# 8 MiB), after its first two boots, for the pool rows (a deep queue that
# runs the pool out, and the 32-bit NIC beside it); BENCH=pool runs that
# pair alone.
# PREALLOC=1 has QEMU touch all of the machine's memory before each
# benchmark boot (run-xen.sh --prealloc), so that the host's first touch of
# a frame (about 3.6 ms per MiB on the machines here, lazily backed) is not
# charged to whichever slice first uses it.
BENCH    ?= full
FRAG     ?= 0
PREALLOC ?= 0
ifeq ($(shell echo '$(PREALLOC)' | grep -xE '[01]'),)
$(error PREALLOC must be 0 or 1, got '$(PREALLOC)')
endif
ifeq ($(filter quick full pool,$(BENCH)),)
$(error BENCH must be quick, full or pool, got '$(BENCH)')
endif
BENCHOUT := $(OUT)/bench-$(BENCH)$(if $(filter-out 0,$(FRAG)),-frag)$(if $(filter 1,$(PREALLOC)),-prealloc)
BENCHRUN  = --mode bench --timeout $(if $(filter quick,$(BENCH)),3600,10800) --append "xdx.bench=$(BENCH) xdx.frag=$(FRAG) $(BENCH_ARGS)
POOLRUN   = --mode bench --timeout 3600 --append "swiotlb=4096 xdx.bench=pool xdx.frag=$(FRAG) $(BENCH_ARGS)
BENCHLOGS = $(if $(filter pool,$(BENCH)),,xen-off xen-on) $(if $(filter quick,$(BENCH)),,pool-off pool-on) \
	$(if $(filter full,$(BENCH)),native)
# bench_boots <name> <variable with the run's arguments>: the bounce-only
# boot and the backend's boot of one matrix
define bench_boots
$(TESTBED)/phase.sh bench-$(1)-off $(RUNXEN) --log $(BENCHOUT)/$(1)-off.log \
		--prealloc $(PREALLOC) $($(2)) xdx.config=off xen_dma_exchange.enable=0"
	$(TESTBED)/phase.sh bench-$(1)-on $(RUNXEN) --log $(BENCHOUT)/$(1)-on.log \
		--prealloc $(PREALLOC) $($(2)) xdx.config=on"
endef
bench: $(if $(filter 1,$(PREBUILT)),,initramfs) $(XEN)
	@$(if $(filter 1,$(PREBUILT)),grep -q "^ok - phase initramfs " $(RESULTS) || \
		{ echo "bench: PREBUILT=1 but no kernel and initramfs were built in this run"; exit 1; })
	@mkdir -p $(BENCHOUT)
ifneq ($(BENCH),pool)
	$(call bench_boots,xen,BENCHRUN)
endif
ifneq ($(BENCH),quick)
	$(call bench_boots,pool,POOLRUN)
endif
ifeq ($(BENCH),full)
	$(TESTBED)/phase.sh bench-native $(TESTBED)/run-xen.sh --native 1 --kernel $(BZIMAGE) \
		--initrd $(INITRD) --log $(BENCHOUT)/native.log --prealloc $(PREALLOC) $(BENCHRUN)"
endif
	$(TESTBED)/phase.sh bench-report python3 $(TESTBED)/bench-report.py $(BENCHOUT) \
		$(foreach l,$(BENCHLOGS),$(BENCHOUT)/$(l).log)

# Interactive: a busybox shell in dom0 on the serial console
shell: initramfs $(XEN)
	$(RUNXEN) --log $(OUT)/logs/shell.log --mode shell

# The kernel and initramfs the guest suite built serve the benchmark as
# they are (PREBUILT=1: no second pass of make over the unchanged tree; the
# benchmark refuses to run if that build did not succeed in this run), and
# the series check, which builds anyway, only re-applies the series, as
# the static gates and the configuration builds do.
check: deps
	@rm -f $(OUT)/results.txt $(XEN); mkdir -p $(OUT)
	-@$(MAKE) --no-print-directory host-test
	-@$(MAKE) --no-print-directory guest-test
	-@$(MAKE) --no-print-directory bench BENCH=quick PREBUILT=1
	-@$(MAKE) --no-print-directory static-check
	-@$(MAKE) --no-print-directory series-check PREBUILT=1
	-@$(MAKE) --no-print-directory config-check
	@$(TESTBED)/summary.sh $(OUT)/results.txt check

# Bisectability (a build after every patch), the option-off build and a
# git am of the series onto a clean base, in the test-bed build directory
series-check: $(if $(filter 1,$(PREBUILT)),apply,kernel)
	$(TESTBED)/phase.sh series-check $(TESTBED)/series-check.sh $(KTREE) $(KOBJ) "$(KMAKE)"

# CONFIG_XEN=n and arm64 builds of the directories holding our code and
# hooks; check-full builds those kernels whole (an hour or more on 2 cores)
config-check: apply
	$(TESTBED)/phase.sh config-check $(TESTBED)/config-check.sh $(KTREE) $(OUT)

# variant_kernel <name>,<build dir>,<config fragment>: the test kernel's
# configuration plus one fragment, built in its own directory (phases
# <name>-config and <name>-kernel)
define variant_kernel
	@$(TESTBED)/phase.sh $(1)-config $(TESTBED)/mkconfig.sh $(KTREE) $(2) \
		"$(MAKE) -C $(KTREE) O=$(2) -j$(JOBS)" $(FRAGS) $(3)
	$(TESTBED)/phase.sh $(1)-kernel $(MAKE) -C $(KTREE) O=$(2) -j$(JOBS) bzImage
endef

# The debug kernel (lockdep, DMA-API debug, DEBUG_PAGEALLOC, KFENCE,
# kmemleak, ...) in its own build directory, and the guest suite on it
DKOBJ    := $(OUT)/obj-debug
debug-kernel: apply
	$(call variant_kernel,debug,$(DKOBJ),$(KTREE)/kernel/configs/xen_dom0_debug.config)
debug-test: debug-kernel initramfs $(XEN)
	$(TESTBED)/phase.sh debug-guest $(TESTBED)/run-xen.sh --xen $(XEN) \
		--kernel $(DKOBJ)/arch/x86/boot/bzImage --initrd $(INITRD) \
		--log $(OUT)/logs/debug-check.log --mode check --timeout $$((3600 + 2 * $(SOAK))) \
		--append "xdx.soak=$(SOAK) $(GUEST_ARGS)" --kunit-py $(KTREE)/tools/testing/kunit/kunit.py

# A kernel with ftrace's function profiler, in its own build directory,
# for probes that time functions (run-probe.sh same-buffers --kernel
# build/obj-prof/arch/x86/boot/bzImage --append xdx.prof=1)
PKOBJ    := $(OUT)/obj-prof
profile-kernel: apply
	$(call variant_kernel,profile,$(PKOBJ),$(TESTBED)/profile.config)

# Everything: make check, the debug kernel's guest suite, whole-kernel
# XEN=n and arm64 builds (several hours on 2 cores)
check-full: check
	-@$(MAKE) --no-print-directory debug-test
	-$(TESTBED)/phase.sh config-check-full $(TESTBED)/config-check.sh $(KTREE) $(OUT) full
	@$(TESTBED)/summary.sh $(OUT)/results.txt

# Re-derive the patches' hunks (and MAINTAINERS lines for new files)
refresh-patches: source
	python3 $(TESTBED)/refresh-patches.py $(PROJ) $(KTREE)

# The series as mail: format-patch of base..series with a cover letter
series: apply
	rm -rf $(OUT)/series
	git -C $(KTREE) format-patch -q --cover-letter -o $(OUT)/series base..series
	python3 $(TESTBED)/fill-cover-letter.py $(PROJ)/patches/cover-letter.txt $(OUT)/series/0000-cover-letter.patch
	@ls $(OUT)/series; tail -25 $(OUT)/series/0000-cover-letter.patch

clean:
	rm -rf $(KOBJ) $(OUT)/initramfs $(INITRD) $(OUT)/logs $(OUT)/host-test

distclean:
	rm -rf $(OUT)
