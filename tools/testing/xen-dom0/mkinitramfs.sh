#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh <ktree> <kobj> <workdir> <out.cpio.gz>: busybox-static, the
# guest test runner and the tools it needs (dma_map_benchmark from the tree,
# fio and iperf3 from Debian).
set -euo pipefail
ktree=$1 kobj=$2 work=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"; mkdir -p "$work"/{bin,sbin,proc,sys,dev,tmp,mnt,etc,root,usr/bin,inc/linux}
cp /bin/busybox "$work/bin/busybox"
for app in $("$work/bin/busybox" --list); do
	[ -e "$work/bin/$app" ] || ln -s busybox "$work/bin/$app"
done
# dma_map_benchmark, built statically from the tree's selftest
cp "$ktree/include/linux/map_benchmark.h" "$work/inc/linux/"
gcc -O2 -static -Wall -I"$work/inc" -o "$work/bin/dma_map_benchmark" \
	"$ktree/tools/testing/selftests/dma/dma_map_benchmark.c"
# guest-side helpers (xdx-grant uses the tree's gntalloc/gntdev uapi; those
# headers are not run through headers_install, hence -D__user=) and the runner
mkdir -p "$work/inc/xen"
cp "$ktree"/include/uapi/xen/gntalloc.h "$ktree"/include/uapi/xen/gntdev.h "$work/inc/xen/"
for tool in xdx-iocheck xdx-grant xdx-netcheck; do
	gcc -O2 -static -Wall -Wextra -D__user= -I"$work/inc" -o "$work/bin/$tool" "$here/guest/$tool.c"
done
rm -rf "$work/inc"
# the field's tools, Debian's binaries with the shared libraries they load
"$here/copy-tools.sh" "$work" fio iperf3
cp "$here/guest/init" "$work/init"
cp "$here"/guest/*.sh "$work/bin/"
chmod +x "$work/init" "$work"/bin/*.sh
(cd "$work" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(du -k "$out" | cut -f1) KiB)"
