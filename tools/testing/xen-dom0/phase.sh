#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phase.sh NAME CMD...: run one phase, print its duration, record its verdict
# in $RESULTS (default build/results.txt) as a KTAP-style line.
name=$1; shift
results=${RESULTS:-$(dirname "$0")/../../../build/results.txt}
start=$(date +%s)
echo "=== phase $name: start $(date -u +%H:%M:%S)"
"$@"
rc=$?
dur=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then verdict="ok"; else verdict="not ok"; fi
echo "=== phase $name: $verdict (rc=$rc) in ${dur}s"
echo "$verdict - phase $name # ${dur}s" >> "$results"
exit $rc
