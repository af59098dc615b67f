#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# unpack-base.sh <tarball|tree> <dest>: unpack the base kernel once.
set -euo pipefail
src=$1 dest=$2
rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
if [ -d "$src" ]; then
	rsync -a --exclude .git "$src"/ "$dest.tmp"/
else
	tar -xJf "$src" -C "$dest.tmp" --strip-components=1
fi
v=$(make -s -C "$dest.tmp" kernelversion)
echo "base: Linux $v from $src"
[ "$v" = "6.12.117" ] || echo "base: WARNING: expected 6.12.117, found $v"
mv "$dest.tmp" "$dest"
