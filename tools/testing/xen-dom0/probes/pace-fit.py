#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pace-fit.py <run-probe output>...

Judges the backend's slices of same-buffers probe boots by the host's pace
instead of by their neighbours.  Each input is what one `run-probe.sh
same-buffers --host-perf ...` boot printed: the probe's "PROBE <label>
enable=<setting> mbps=..." slice lines (N or off: bounce-only; Y, on,
cache or cold: the backend) and host-perf.sh's "PROBE-HOST <n> <label>
enable=<setting>: ... host_us=..." lines (the meter: a host thread's CPU
time for a fixed piece of work, higher when the host is slower).

Per boot it pairs the two by label and setting and fits bounce-only's
slices with MB/s = a + b * host_us (least squares).  A boot is judged
only if bounce-only follows the meter there (b < 0 and r <= -0.5); then
each backend slice's MB/s is taken against the fit at the slice's own
meter reading, if that reading lies between 0.97 times bounce-only's
lowest and 1.03 times its highest (the fit is not extrapolated further),
and bounce-only's own slices give the fit's scatter (their MB/s against
it).  Then, for each backend setting, the same over all judged boots, with
how many of its slices fell below or above their boot's bounce-only scatter: with about seven
points a boot, its extremes are rough bounds.  Slices without a meter
reading (the first, which host-perf does not profile) are left out.
Exits 1 when a boot cannot be judged.
"""
import re
import statistics
import sys

SLICE = re.compile(r'^PROBE (\S+) enable=(\S+) mbps=([0-9.]+).*?'
                   r'kib(?:_per_mapping)?=(\d+)')
HOST = re.compile(r'^PROBE-HOST \d+ (\S+) enable=(\S+?):.* host_us=([0-9.]+)')
BOUNCE_ONLY = ('N', 'off')
# how far beyond bounce-only's meter readings a backend slice's may lie
MARGIN = (0.97, 1.03)
# bounce-only must follow the meter at least this well
MAX_R = -0.5


def span(values):
    """median [min-max] of a list, two decimals"""
    return '%.2f [%.2f-%.2f]' % (statistics.median(values), min(values),
                                 max(values))


def boot(path):
    """(bounce-only [(meter, MB/s)], backend [(label, meter, MB/s, KiB)])"""
    mbps, kib, meter = {}, {}, {}
    for line in open(path, errors='replace'):
        m = SLICE.match(line)
        if m:
            if (m[1], m[2]) in mbps:
                sys.exit('%s: slice %s %s twice: one boot a file' % (path, m[1], m[2]))
            mbps[(m[1], m[2])] = float(m[3])
            kib[(m[1], m[2])] = int(m[4])
        m = HOST.match(line)
        if m:
            meter[(m[1], m[2])] = float(m[3])
    off = [(meter[k], mbps[k]) for k in mbps
           if k[1] in BOUNCE_ONLY and k in meter]
    on = [('%s %s' % k, meter[k], mbps[k], kib[k]) for k in mbps
          if k[1] not in BOUNCE_ONLY and k in meter]
    return off, on


def fit(points):
    """least-squares a, b of y = a + b * x, and Pearson's r"""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else 0.0
    r = sxy / (sxx * syy) ** 0.5 if sxx and syy else 0.0
    return my - b * mx, b, r


def main(paths):
    ratios, scatter, rc = {}, [], 0
    for path in paths:
        off, on = boot(path)
        if len(off) < 3:
            print('%s: %d bounce-only slices with a meter reading, too few to fit: not judged'
                  % (path, len(off)))
            rc = 1
            continue
        a, b, r = fit(off)
        if b >= 0 or r > MAX_R:
            print('%s: bounce-only %d slices, MB/s = %.1f %+.3f * host_us, r = %.2f: '
                  'it does not follow the meter here, not judged' % (path, len(off), a, b, r))
            rc = 1
            continue
        own = [y / (a + b * x) for x, y in off]
        scatter += own
        print('%s: bounce-only %d slices, MB/s = %.1f %+.3f * host_us, r = %.2f; '
              'its slices against the fit %s' % (path, len(off), a, b, r, span(own)))
        lo, hi = (MARGIN[0] * min(p[0] for p in off),
                  MARGIN[1] * max(p[0] for p in off))
        for label, x, y, k in on:
            if not lo <= x <= hi:
                print('  %s: %d KiB a mapping, host_us %.0f, outside %.0f-%.0f: not judged'
                      % (label, k, x, lo, hi))
                continue
            q = y / (a + b * x)
            ratios.setdefault(label.split()[1], []).append(
                (q, q < min(own), q > max(own)))
            print('  %s: %d KiB a mapping, host_us %.0f, %.1f MB/s against %.1f fitted: %.2fx'
                  % (label, k, x, y, a + b * x, q))
    for setting, judged in sorted(ratios.items()):
        print('judged boots, enable=%s: against the fit %s over %d slices, %d below and %d above '
              "their boot's bounce-only scatter (bounce-only: %s over %d slices)"
              % (setting, span([j[0] for j in judged]), len(judged),
                 sum(j[1] for j in judged), sum(j[2] for j in judged),
                 span(scatter), len(scatter)))
    return rc


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__.split('\n')[0])
    sys.exit(main(sys.argv[1:]))
