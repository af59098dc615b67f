#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static-check.sh <proj> <ktree> <kobj> <kmake>: the kernel's own quality
# gates on our series and our files.  Each gate records one KTAP line in
# $RESULTS; any finding in our code fails the gate.
set -uo pipefail
proj=$1 ktree=$2 kobj=$3 kmake=$4
results=${RESULTS:-/dev/null}
logdir=$(dirname "$kobj")/logs/static; mkdir -p "$logdir"
# our kernel C files: the new ones, plus the upstream ones our patches touch
files=$( (cd "$proj" && git ls-files 'arch/*.c' 'drivers/*.c' 'include/*.h' 'drivers/*.h'
	sed -n 's|^diff --git a/\([^ ]*\) .*|\1|p' patches/*.patch) |
	grep -E '^(arch|drivers|kernel|include)/.*\.[ch]$' | sort -u)
objs=$(for f in $files; do case $f in *.c) echo "${f%.c}.o" ;; esac; done)
rc=0
gate() { # name status
	if [ "$2" -eq 0 ]; then echo "ok - static $1" >> "$results"; echo "static: $1 ok"
	else echo "not ok - static $1" >> "$results"; echo "static: $1 FAILED (see $logdir/$1.log)"; rc=1; fi
}

# checkpatch --strict on every patch of the series
rm -rf "$logdir/series"; git -C "$ktree" format-patch -q -o "$logdir/series" base..series
"$ktree/scripts/checkpatch.pl" --strict --no-tree --show-types --terse \
	--ignore FILE_PATH_CHANGES \
	"$logdir"/series/*.patch > "$logdir/checkpatch.log" 2>&1
grep -E "^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK)" "$logdir/checkpatch.log"
! grep -qE ": (ERROR|WARNING|CHECK):" "$logdir/checkpatch.log"
gate checkpatch_strict $?

# kernel-doc on our files
"$ktree/scripts/kernel-doc" -none -Wall $(for f in $files; do echo "$ktree/$f"; done) \
	> "$logdir/kernel-doc.log" 2>&1
cat "$logdir/kernel-doc.log"
[ ! -s "$logdir/kernel-doc.log" ]
gate kernel_doc $?

# sparse (C=2 checks the named objects even if up to date)
$kmake C=2 CHECK="sparse" $objs > "$logdir/sparse.log" 2>&1
s=$?
grep -E "$(echo $files | tr ' ' '|')" "$logdir/sparse.log" | grep -E "warning|error"
[ $s -eq 0 ] && ! grep -E "$(echo $files | tr ' ' '|')" "$logdir/sparse.log" | grep -qE "warning|error"
gate sparse $?

# W=1 rebuild of our objects
for o in $objs; do rm -f "$kobj/$o"; done
$kmake W=1 $objs > "$logdir/w1.log" 2>&1
s=$?
grep -E "warning|error" "$logdir/w1.log"
[ $s -eq 0 ] && ! grep -qE "warning|error" "$logdir/w1.log"
gate w1_build $?

# Coccinelle: every semantic patch of the tree in report mode over our
# files.  Debian's spatch has no OCaml scripting; the few semantic patches
# that need it are listed as skipped.
: > "$logdir/coccicheck.log"
cocci_inc="-I$ktree/arch/x86/include -I$kobj/arch/x86/include/generated -I$ktree/include \
-I$kobj/include -I$ktree/arch/x86/include/uapi -I$kobj/arch/x86/include/generated/uapi \
-I$ktree/include/uapi -I$kobj/include/generated/uapi -include $ktree/include/linux/compiler-version.h \
-include $ktree/include/linux/kconfig.h"
# Our C files (and the headers next to them) copied into one directory, so
# that each semantic patch runs once over all of them, the way "make
# coccicheck M=<dir>" does, with spatch's own --jobs.
src=$logdir/cocci-src; rm -rf "$src" "$logdir/cocci"; mkdir -p "$logdir/cocci"
# Only a C file's own directory brings its sibling headers (its local
# includes): include/linux/ would bring 1,600 upstream headers that every
# spatch would parse (--include-headers) for findings we filter out.
for f in $files; do
	mkdir -p "$src/$(dirname "$f")"; cp "$ktree/$f" "$src/$f"
	case $f in *.c) for h in "$ktree/$(dirname "$f")"/*.h; do
		[ -f "$h" ] && cp -n "$h" "$src/$(dirname "$f")/" 2>/dev/null
	done ;; esac
done
find "$src" -name '*.c' | grep -vxF -f <(for f in $files; do echo "$src/$f"; done) | xargs -r rm -f
# One semantic patch per spatch, as many at once as there are CPUs (each
# spatch run is mostly single-threaded start-up and parsing).
run_cocci() {
	local out=$logdir/cocci/$(basename "$1").log
	MODE=report COCCI="$1" srctree="$ktree" KBUILD_EXTMOD="$src" LINUXINCLUDE="$cocci_inc" \
		J=1 "$ktree/scripts/coccicheck" > "$out" 2>&1 ||
		echo "failed: $1" >> "$out"
}
export -f run_cocci
export logdir ktree src cocci_inc
ran=0
for cocci in $(find "$ktree/scripts/coccinelle" -name '*.cocci' | sort); do
	if grep -q "script:ocaml\|script: ocaml" "$cocci"; then
		echo "skipped (needs OCaml): ${cocci#$ktree/}" >> "$logdir/coccicheck.log"
		continue
	fi
	ran=$((ran + 1))
	echo "$cocci"
done > "$logdir/cocci.list"
xargs -a "$logdir/cocci.list" -P "$(nproc)" -n 1 bash -c 'run_cocci "$0"' 
cat "$logdir"/cocci/*.log >> "$logdir/coccicheck.log" 2>/dev/null
s=0
grep -q "^failed: " "$logdir/coccicheck.log" && s=1
findings=$(grep -E "$(echo $files | tr ' ' '|')" "$logdir/coccicheck.log" |
	grep -vE "^(/usr/bin/spatch|failed:) ")
echo "coccicheck: $ran semantic patches run, $(grep -c '^skipped' "$logdir/coccicheck.log") skipped"
[ -n "$findings" ] && echo "$findings"
[ $s -eq 0 ] && [ -z "$findings" ]
gate coccicheck $?
exit $rc
