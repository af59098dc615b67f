#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# summary.sh <results>: print every result line, then "N passed, N failed".
res=$1
[ -f "$res" ] || { echo "0 passed, 1 failed (no results)"; exit 1; }
echo "---- results ($res)"
cat "$res"
pass=$(grep '^ok ' "$res" | grep -vc '# SKIP')
skip=$(grep '^ok ' "$res" | grep -c '# SKIP')
fail=$(grep -c '^not ok ' "$res")
[ "$skip" -gt 0 ] && echo "$skip skipped (not applicable to this kernel)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
