#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""demo-report.py <outdir> <off-log> <on-log>

Put the "XDX-ROW: what|value|unit" lines of the two demonstration boots
(bounce-only and backend on) side by side as a Markdown table in
<outdir>/demo.md, plot the numeric rows (on÷off) with gnuplot into
<outdir>/demo.svg, and print the table and where the plot is.
"""
import os
import re
import subprocess
import sys

outdir, logs = sys.argv[1], sys.argv[2:4]
os.makedirs(outdir, exist_ok=True)
cols, order = [], []
for log in logs:
    rows = {}
    for line in open(log, errors='replace'):
        m = re.search(r'XDX-ROW: ([^|]*)\|([^|]*)\|(.*)$', line.rstrip('\r\n'))
        if m:
            what = m.group(1)
            rows[what] = (m.group(2), m.group(3))
            if what not in order:
                order.append(what)
    if not rows:
        sys.exit('demo: %s has no rows' % log)
    cols.append(rows)
md = ['QEMU TCG: emulated times, compare the columns.  off = booted with '
      '`xen_dma_exchange.enable=0` (upstream swiotlb-xen), on = our backend; '
      'both with `swiotlb=4096` (an 8 MiB fixed pool).', '',
      '| | off | on | unit | on÷off |', '|---|---|---|---|---|']
ratios = []
for what in order:
    off, on = (c.get(what, ('–', ''))[0] for c in cols)
    unit = cols[1].get(what, cols[0].get(what, ('', '')))[1]
    r = ''
    try:
        if float(off) > 0 and unit in ('MB/s', 'Mbit/s'):
            r = '%.2f×' % (float(on) / float(off))
            ratios.append((what, float(on) / float(off)))
    except ValueError:
        pass
    md.append('| %s | %s | %s | %s | %s |' % (what.strip(), off, on, unit, r))
text = '\n'.join(md) + '\n'
open(os.path.join(outdir, 'demo.md'), 'w').write(text)
print(text)
dat = os.path.join(outdir, 'demo.dat')
with open(dat, 'w') as f:
    for i, (what, r) in enumerate(ratios):
        f.write('%d "%s" %.3f\n' % (i, what.replace('"', ''), r))
svg = os.path.join(outdir, 'demo.svg')
gp = ('set terminal svg size 900,450; set output "%s"; set style fill solid 0.6; '
      'set boxwidth 0.6; set yrange [0:*]; set ylabel "on ÷ off (throughput)"; '
      'set xtics rotate by -20; set grid ytics; set title "Backend on vs bounce-only, QEMU TCG"; '
      'plot "%s" using 1:3:xtic(2) with boxes notitle, 1 with lines lt 0 notitle' % (svg, dat))
if ratios and subprocess.run(['gnuplot', '-e', gp], capture_output=True).returncode == 0:
    print('plot: %s' % svg)
print('table: %s' % os.path.join(outdir, 'demo.md'))
