#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series-check.sh <ktree> <kobj> <kmake>: is the series bisectable and does
# it go away cleanly?  In the test-bed build directory (incremental):
#   1. the full series with CONFIG_XEN_DMA_EXCHANGE=n builds with no
#      warning and leaves none of our symbols in vmlinux,
#   2. every prefix of base..series builds vmlinux with no warning (a patch
#      that changes only Documentation/, MAINTAINERS or config fragments,
#      which no build reads, is not rebuilt),
#   3. the patches from format-patch apply with git am to a clean copy of
#      the base and give exactly the tree of "series".
# The last prefix is the series itself with its own config, so it ends
# built as "make kernel" left it.  One KTAP line per check goes to $RESULTS.
set -uo pipefail
ktree=$1 kobj=$2 kmake=$3
results=${RESULTS:-/dev/null}
logdir=$(dirname "$kobj")/logs/series-check; rm -rf "$logdir"; mkdir -p "$logdir"
git_k() { git -C "$ktree" "$@"; }
rc=0
result() { # status name
	if [ "$1" -eq 0 ]; then echo "ok - series $2" >> "$results"; echo "series-check: $2 ok"
	else echo "not ok - series $2" >> "$results"; echo "series-check: $2 FAILED"; rc=1; fi
}
# build <log> <make target>: build, fail on an error or any compiler warning
build() {
	local log=$1; shift
	$kmake "$@" > "$log" 2>&1
	local s=$?
	grep -E "(warning|error):" "$log" | head -20
	[ $s -eq 0 ] && ! grep -qE "(warning|error):" "$log"
}

head=$(git_k rev-parse series)
[ "$(git_k rev-parse HEAD)" = "$head" ] || { echo "series-check: run make apply first" >&2; exit 1; }
cp "$kobj/.config" "$logdir/config.series"
restore_config() { cp "$logdir/config.series" "$kobj/.config"; $kmake -s olddefconfig; }

# 1. the series with our option off
cp "$logdir/config.series" "$kobj/.config"
"$ktree/scripts/config" --file "$kobj/.config" -d XEN_DMA_EXCHANGE
$kmake -s olddefconfig
if grep -q "^CONFIG_XEN_DMA_EXCHANGE=y" "$kobj/.config"; then
	echo "series-check: could not turn CONFIG_XEN_DMA_EXCHANGE off"; s=1
else
	build "$logdir/build-option-off.log" vmlinux
	s=$?
	left=$(nm "$kobj/vmlinux" | grep -ciE "xen_dma_exchange|xdx_")
	echo "series-check: option off: $left symbols of ours in vmlinux"
	[ "$left" -eq 0 ] || s=1
fi
result $s builds_with_xen_dma_exchange_off

# 2. each patch on top of the previous ones
n=0
for c in $(git_k rev-list --reverse base..series); do
	n=$((n + 1))
	subject=$(git_k log -1 --format=%s "$c")
	git_k checkout -q --detach "$c"
	if ! git_k diff --name-only "$c^" "$c" |
			grep -qvE '^(Documentation/|MAINTAINERS$|kernel/configs/.*\.config$)'; then
		echo "series-check: patch $n ($subject): documentation, MAINTAINERS or config fragments only, nothing to build"
		result 0 "builds_after_patch_$n"
		continue
	fi
	# the series' config; options later patches add are dropped here
	restore_config
	start=$(date +%s)
	build "$logdir/build-$n.log" vmlinux
	s=$?
	echo "series-check: patch $n ($subject): $(( $(date +%s) - start ))s"
	result $s "builds_after_patch_$n"
done

# 3. git am onto a clean copy of the base, in a fresh worktree that
# checks out only the paths the series touches (sparse): git am applies
# the mails as it would on a full tree, and the tree it commits is
# compared whole, without writing 80,000 files for it.
wt=$(dirname "$kobj")/am-check
rm -rf "$logdir/mbox"
git_k format-patch -q -o "$logdir/mbox" base..series
git_k worktree remove --force "$wt" 2>/dev/null; rm -rf "$wt"; git_k worktree prune
(
	export GIT_COMMITTER_NAME=series-check GIT_COMMITTER_EMAIL=series-check@example.invalid
	git_k worktree add -q --no-checkout --detach "$wt" base && cd "$wt" &&
	git sparse-checkout set --no-cone $(git log --format= --name-only base..series |
		sort -u | sed "s|^|/|") &&
	git checkout -q --detach base &&
	git am -q "$logdir"/mbox/*.patch > "$logdir/git-am.log" 2>&1 &&
	[ "$(git rev-parse 'HEAD^{tree}')" = "$(git rev-parse "$head^{tree}")" ] &&
	echo "series-check: git am: $(git rev-list --count base..HEAD) patches applied, tree identical to the series"
) || { cat "$logdir/git-am.log" 2>/dev/null; false; }
result $? git_am_applies_to_base
exit $rc
