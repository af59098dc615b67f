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
# our C files (new ones, plus the upstream file we hook into)
files=$(cd "$proj" && git ls-files 'arch/*.c' 'drivers/*.c' 'include/*.h' 'drivers/*.h')
objs=$(for f in $files; do case $f in *.c) echo "${f%.c}.o" ;; esac; done)
rc=0
gate() { # name status
	if [ "$2" -eq 0 ]; then echo "ok - static $1" >> "$results"; echo "static: $1 ok"
	else echo "not ok - static $1" >> "$results"; echo "static: $1 FAILED (see $logdir/$1.log)"; rc=1; fi
}

# checkpatch --strict on every patch of the series
rm -rf "$logdir/series"; git -C "$ktree" format-patch -q -o "$logdir/series" base..series
"$ktree/scripts/checkpatch.pl" --strict --no-tree --show-types --terse \
	--ignore FILE_PATH_CHANGES,COMMIT_LOG_LONG_LINE \
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

# Coccinelle, every semantic patch in report mode, on our objects
$kmake C=2 CHECK="$ktree/scripts/coccicheck" MODE=report $objs > "$logdir/coccicheck.log" 2>&1
s=$?
grep -E "$(echo $files | tr ' ' '|')" "$logdir/coccicheck.log" | grep -vE "^  CHECK"
[ $s -eq 0 ] && ! grep -E "$(echo $files | tr ' ' '|')" "$logdir/coccicheck.log" | grep -vqE "^  CHECK"
gate coccicheck $?
exit $rc
