#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py <outdir> <console-log>...

Collect the "XDX-CSV:" lines the guest's xdx-bench.sh printed (one log per
boot: Xen, and the no-Xen reference) into <outdir>/bench.csv, reduce the
repeats to medians in <outdir>/bench.md, and plot the map latencies with
gnuplot into <outdir>/bench-map.svg when gnuplot is installed.  Prints the
Markdown.  Exits 1 when a log has no rows or a run failed.
"""
import csv
import os
import re
import statistics
import subprocess
import sys

outdir, logs = sys.argv[1], sys.argv[2:]
os.makedirs(outdir, exist_ok=True)
header, rows, bad = None, [], []
for log in logs:
    n = 0
    for line in open(log, errors='replace'):
        m = re.search(r'XDX-CSV: (.*)$', line.rstrip('\r\n'))
        if not m:
            continue
        fields = next(csv.reader([m.group(1)]))
        if fields[0] == 'platform':
            header = fields
            continue
        rows.append(dict(zip(header, fields)))
        n += 1
    if not n:
        bad.append('%s: no benchmark rows' % log)
if not rows:
    sys.exit('\n'.join(bad))

with open(os.path.join(outdir, 'bench.csv'), 'w', newline='') as f:
    w = csv.DictWriter(f, fieldnames=header)
    w.writeheader()
    w.writerows(rows)


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def point(r):
    return (r['test'], r['mode'], int(r['bits']), int(r['granule']), r['nents'],
            r['dir'], r['threads'])


# point -> config -> list of rows (one per repeat)
runs = {}
for r in rows:
    runs.setdefault(point(r), {}).setdefault(r['config'], []).append(r)
    # swiotlb cannot bounce more than 256 KiB at once: upstream (off) and
    # dma-direct (native) may fail there; our backend must not
    if 'fail' in (r['map_us'], r['mbps']) and not (r['config'] in ('off', 'native') and
                                                   int(r['granule']) > 64):
        bad.append('failed run: %s %s' % (r['config'], point(r)))


def med(rs, key):
    vals = [num(r[key]) for r in rs if num(r[key]) is not None]
    return statistics.median(vals) if vals else None


def total(rs, key):
    vals = [num(r[key]) for r in rs if num(r[key]) is not None]
    return sum(vals) if vals else None


def lat(rs):
    """median map + unmap, in us"""
    if not rs or any(r['map_us'] == 'fail' for r in rs):
        return None
    return med(rs, 'map_us') + med(rs, 'unmap_us')


def fmt(v, nd=1):
    return '–' if v is None else ('%.*f' % (nd, v))


def mu(rs):
    if not rs:
        return '–'
    if any(r['map_us'] == 'fail' for r in rs):
        return 'fails'
    return '%s/%s' % (fmt(med(rs, 'map_us')), fmt(med(rs, 'unmap_us')))


def ratio(a, b):
    return '–' if a is None or b is None or b == 0 else '%.1f×' % (a / b)


DIRS = {'0': 'bidi', '1': 'to-dev', '2': 'from-dev'}
md = []
reps = max(int(r['rep']) for r in rows)
md.append('QEMU TCG on a 2-core host: times are emulated, not hardware times; '
          'compare ratios.  off = booted with `xen_dma_exchange.enable=0` '
          '(upstream swiotlb-xen, bounce-first), on = our backend, native = '
          'the same kernel booted without Xen (dma-direct); one boot each.  '
          'Medians of %d repeat(s); µs are map/unmap averages from '
          '`dma_map_benchmark`, MB bounced (through the fixed swiotlb pool) and '
          'exchanges (regions made) are totals over the repeats.' % reps)

md.append('\n### Same buffer mapped again and again (regions reused)\n')
md.append('| mask | pages | dir | thr | off | on | native | off÷on | off: MB bounced | on: MB bounced | on: exchanges |')
md.append('|---|---|---|---|---|---|---|---|---|---|---|')


def mb(rs):
    v = total(rs, 'bytes_bounced')
    return fmt(v / 1e6 if v is not None else None)


for p in sorted(k for k in runs if k[0] == 'map' and k[1] == 'single'):
    c = runs[p]
    on, off = c.get('on', []), c.get('off', [])
    md.append('| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
        p[2], p[3], DIRS[p[5]], p[6], mu(off), mu(on), mu(c.get('native')),
        ratio(lat(off), lat(on)), mb(off), mb(on), fmt(total(on, 'exchanges'), 0)))

md.append('\n### A fresh buffer every iteration, bidirectional, 1 thread\n')
md.append('Regions belong to the backend, not to the buffer: fresh buffers '
          'reuse them as well.\n')
md.append('| mask | pages | off | on | native | on: exchanges/iterations |')
md.append('|---|---|---|---|---|---|')
for p in sorted(k for k in runs if k[0] == 'map' and k[1] == 'fresh'):
    c = runs[p]
    on, off = c.get('on', []), c.get('off', [])
    ex, it = total(on, 'exchanges'), total(on, 'iterations')
    md.append('| %d | %d | %s | %s | %s | %s |' % (
        p[2], p[3], mu(off), mu(on), mu(c.get('native')),
        '%d/%d' % (ex, it) if it else '–'))

md.append('\n### dma_map_sg() of 32 buffers, bidirectional, 1 thread\n')
md.append('| mask | pages per entry | off | on | native | off÷on | off: MB bounced | on: MB bounced |')
md.append('|---|---|---|---|---|---|---|---|')
for p in sorted(k for k in runs if k[0] == 'map' and k[1] == 'sg'):
    c = runs[p]
    on, off = c.get('on', []), c.get('off', [])
    md.append('| %d | %d | %s | %s | %s | %s | %s | %s |' % (
        p[2], p[3], mu(off), mu(on), mu(c.get('native')), ratio(lat(off), lat(on)),
        mb(off), mb(on)))

md.append('\n### NVMe I/O, checksummed (`xdx-iocheck`), MB/s\n')
md.append('A 32-bit mask is forced on the NVMe device through our debugfs '
          '`dev_dma_limit`.  Counters cover the write and the read pass of a run '
          'together.  "on: MB bounced" is what still went through the fixed pool.\n')
md.append('| mask | I/O | block KiB | order | off | on | native | on÷off | off: MB bounced | on: MB bounced | on: exchanges |')
md.append('|---|---|---|---|---|---|---|---|---|---|---|')
for p in sorted((k for k in runs if k[0].startswith('io-')), key=lambda k: (-k[2], k[0], k[3], k[1])):
    c = runs[p]
    on, off = c.get('on', []), c.get('off', [])
    a, b = med(on, 'mbps'), med(off, 'mbps')
    md.append('| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |' % (
        p[2], p[0][3:], p[3], p[1], fmt(b), fmt(a), fmt(med(c.get('native', []), 'mbps')),
        ratio(a, b), mb(off), mb(on), fmt(total(on, 'exchanges'), 0)))

md.append('\n### Network: TCP through the e1000e NIC to an echo service and back, checksummed (`xdx-netcheck`), MB/s\n')
md.append('The 32-bit mask is forced on the NIC through `dev_dma_limit`.\n')
md.append('| mask | off | on | native | on÷off | off: MB bounced | on: MB bounced | on: exchanges |')
md.append('|---|---|---|---|---|---|---|---|')
for p in sorted((k for k in runs if k[0] == 'net-echo'), key=lambda k: -k[2]):
    c = runs[p]
    on, off = c.get('on', []), c.get('off', [])
    a, b = med(on, 'mbps'), med(off, 'mbps')
    md.append('| %d | %s | %s | %s | %s | %s | %s | %s |' % (
        p[2], fmt(b), fmt(a), fmt(med(c.get('native', []), 'mbps')), ratio(a, b),
        mb(off), mb(on), fmt(total(on, 'exchanges'), 0)))

text = '\n'.join(md) + '\n'
open(os.path.join(outdir, 'bench.md'), 'w').write(text)
print(text)

# Plot: map+unmap latency against the granule, bidirectional, 1 thread
series = [('off', 32, 'bounce-only (off), 32-bit'), ('on', 32, 'exchange (on), 32-bit'),
          ('native', 32, 'native, 32-bit'), ('off', 64, 'upstream direct (off), 64-bit'),
          ('native', 64, 'native, 64-bit')]
dat = os.path.join(outdir, 'bench-map.dat')
with open(dat, 'w') as f:
    for cfg, bits, title in series:
        f.write('# %s\n' % title)
        for p in sorted(k for k in runs if k[:2] == ('map', 'single') and k[2] == bits
                        and k[5] == '0' and k[6] == '1'):
            v = lat(runs[p].get(cfg))
            if v:
                f.write('%d %.2f\n' % (p[3], v))
        f.write('\n\n')
if subprocess.run(['sh', '-c', 'command -v gnuplot'], capture_output=True).returncode == 0:
    svg = os.path.join(outdir, 'bench-map.svg')
    plot = ', '.join('"%s" index %d with linespoints title "%s"' % (dat, i, t)
                     for i, (_, _, t) in enumerate(series))
    gp = ('set terminal svg size 800,500; set output "%s"; set logscale xy; '
          'set xlabel "granule (pages)"; set ylabel "map + unmap (us, QEMU TCG)"; '
          'set key top left; set grid; set title "dma\\_map\\_benchmark, bidirectional, 1 thread"; '
          'plot %s' % (svg, plot))
    r = subprocess.run(['gnuplot', '-e', gp], capture_output=True, text=True)
    print('plot: %s' % svg if r.returncode == 0 else 'plot failed: ' + r.stderr)
print('bench: %d rows in %s/bench.csv, table %s/bench.md' % (len(rows), outdir, outdir))
if bad:
    print('\n'.join(bad), file=sys.stderr)
    sys.exit(1)
