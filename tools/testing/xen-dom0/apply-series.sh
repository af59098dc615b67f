#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the generated kernel tree: a git repository holding the pristine base
# as commit "base", our new files as one commit on top, then every patch in
# patches/series as one commit each.  The work tree is only touched where
# the result differs from what is checked out, so rebuilds stay incremental.
#
# usage: apply-series.sh <project-dir> <kernel-tree>
set -euo pipefail

proj=$(cd "$1" && pwd)
tree=$2
git_k() { git -C "$tree" "$@"; }

export GIT_AUTHOR_NAME="Xen DMA exchange test bed"
export GIT_AUTHOR_EMAIL="xen-dma-exchange@example.invalid"
export GIT_AUTHOR_DATE="2026-11-24T00:00:00Z"
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE

if ! git_k rev-parse -q --verify refs/tags/base >/dev/null; then
	echo "apply-series: recording pristine base in $tree (once)"
	git_k init -q
	git_k config core.autocrlf false
	git_k config gc.auto 0
	git_k add -A -f .
	git_k commit -q -m "Linux $(make -s -C "$tree" kernelversion) (Debian linux-source-6.12)"
	git_k tag base
fi

idx=$(mktemp)
trap 'rm -f "$idx" "$idx".msg' EXIT
export GIT_INDEX_FILE=$idx
git_k read-tree base

head=$(git_k rev-parse base)

# One commit per patch, in series order.  New files live at their kernel
# path in the project and are added by the patch that introduces them
# (patch lines "# new: <path>" in patches/series name them).
while read -r patch newfiles; do
	case "$patch" in ''|'#'*) continue ;; esac
	for f in $newfiles; do
		[ -f "$proj/$f" ] || { echo "apply-series: $patch: missing new file $f" >&2; exit 1; }
		blob=$(git_k hash-object -w "$proj/$f")
		mode=100644; [ -x "$proj/$f" ] && mode=100755
		git_k update-index --add --cacheinfo "$mode,$blob,$f"
	done
	if [ -s "$proj/patches/$patch" ] && grep -q '^diff --git' "$proj/patches/$patch"; then
		git_k apply --cached --whitespace=nowarn "$proj/patches/$patch" || {
			echo "apply-series: $patch does not apply" >&2; exit 1; }
	fi
	git_k mailinfo /dev/null /dev/null < "$proj/patches/$patch" > "$idx".msg.hdr 2>/dev/null || true
	subject=$(sed -n 's/^Subject: //p' "$idx".msg.hdr | head -1)
	git_k mailinfo -k "$idx".msg /dev/null < "$proj/patches/$patch" >/dev/null
	rm -f "$idx".msg.hdr
	tree_id=$(git_k write-tree)
	head=$(printf '%s\n\n%s\n' "${subject:-$patch}" "$(cat "$idx".msg)" |
		git_k commit-tree "$tree_id" -p "$head")
done < "$proj/patches/series"

unset GIT_INDEX_FILE
# Check out detached, so that moving the "series" branch never moves HEAD
# without updating the work tree.
cur=$(git_k rev-parse -q --verify HEAD || true)
git_k checkout -q --detach 2>/dev/null || true
git_k update-ref refs/heads/series "$head"
if [ "$cur" != "$head" ] || [ -n "$(git_k status --porcelain --untracked-files=no)" ]; then
	git_k checkout -q -f --detach "$head"
fi
echo "apply-series: $(git_k rev-list --count base..series) commits on base ($(git_k rev-parse --short series))"
