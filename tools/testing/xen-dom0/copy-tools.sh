#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# copy-tools.sh <root> <tool>...: this host's binary of each tool, with the
# shared libraries it loads (ldd), into the tree <root> at the same paths
# (the initramfs's fio and iperf3; run-probe.sh --with).  A tool must be a
# dynamically linked executable (not a wrapper script); libraries it would
# only dlopen() are not copied.
set -euo pipefail
root=$1
shift
for tool in "$@"; do
	bin=$(command -v "$tool") || { echo "copy-tools: $tool not installed" >&2; exit 1; }
	libs=$(ldd "$bin") || { echo "copy-tools: $bin is not a dynamically linked executable" >&2; exit 1; }
	for f in "$bin" $(echo "$libs" | grep -oE '/[^ ]+'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
done
