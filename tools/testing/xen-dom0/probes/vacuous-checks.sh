#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest checks the test-bed audit found vacuous (issue 13), each shown
# able to fail: the suite's own test, run from the suite as it is (it must
# pass) and from a copy in which what the check guards is broken (it must
# fail).  Wanted: "PROBE <test> as it is: ok; broken (...): not ok".
. /bin/xdx-lib.sh
# suite <out> <sed expression...>: run a copy of the suite edited by the
# expressions (the first selects the tests); 1 if an edit changed nothing
suite() {
	out=$1; shift
	cp /bin/xdx-suite.sh /tmp/suite.sh
	for e in "$@"; do
		sed -e "$e" /tmp/suite.sh > /tmp/suite.new
		cmp -s /tmp/suite.sh /tmp/suite.new && { echo "PROBE the edit did not apply: $e"; return 1; }
		mv /tmp/suite.new /tmp/suite.sh
	done
	sh /tmp/suite.sh > "$out" 2>&1
	xdx_enable 1
}
# result <out> <test>: "ok" or "not ok"
result() { r=$(grep -E "^(not )?ok [0-9]+ $2( |\$)" "$1"); echo "${r%% [0-9]*}"; }
# broken <test> <what is broken> <sed expression> [<tests run before it>]:
# <test> (after the tests it needs) from the suite as it is, which must
# pass, then from a copy with what it guards broken, which must fail
broken() {
	sel="s|^\. /bin/xdx-lib\.sh\$|. /bin/xdx-lib.sh; ONLY=${4:+$4+}$1|"
	suite /tmp/control.out "$sel" || return
	suite /tmp/broken.out "$sel" "$3" || return
	echo "PROBE $1 as it is: $(result /tmp/control.out "$1"); broken ($2): $(result /tmp/broken.out "$1")"
	# what the test printed, without its dump of the backend's counters
	grep '^# ' /tmp/broken.out | grep -vE '^# [a-z_]+ -?[0-9]+$' | grep -v '^# xdx-suite:' |
		tail -3 | sed 's/^/PROBE   /'
}
broken nvme_mask32_bounce_only "the pool's high-water cannot be reset" \
	's@counters_reset ||@false ||@'
broken balloon_down_up_checksums "the balloon target is never lowered" \
	's@echo $((orig - 262144)) > $B/target_kb@: no balloon@' nvme_mask32_owned_regions
broken storm_concurrent_maps_reads_balloon "the backend is off during the storm" \
	's@dma_map_benchmark -t 4 -s 10@xdx_enable 0; &@'
broken writeback_pages_via_regions "the reader never runs" \
	's@while kill -0 $w 2>/dev/null || \[ $passes -eq 0 \]; do@while false; do@'
broken soak_mixed_workload "the backend is off during the soak" \
	's@stats_reset; rc=0; round=0; bytes=0; cycles=0@&; xdx_enable 0@'
broken grant_shared_pages_via_regions "gntdev is not there" \
	's@xdx-grant $NVME 64 61; rc=$?@mv /dev/xen/gntdev /dev/xen/gntdev.off; &; mv /dev/xen/gntdev.off /dev/xen/gntdev@'
broken bad_input_refused_cleanly "the 4 GiB list is one the tool refuses itself" \
	's@-e 1024 -g 1024|invalid@-e 0 -g 1024|invalid@'
