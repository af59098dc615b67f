#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""refresh-patches.py <project> <kernel-tree>

Re-derive the diff part of every patch in <project>/patches/series, keeping
each patch's header (subject, body, sign-off).  The patches are replayed on a
scratch worktree of the base (tag "base" in <kernel-tree>), new files are
copied in after their patch, and the XEN SWIOTLB SUBSYSTEM entry of
MAINTAINERS gets an F: line for every new file, sorted, in the patch that
adds it.  Edit the hunks of an existing patch by hand or by editing the
scratch worktree between runs; run this after adding new files to a patch.
"""
import os
import subprocess
import sys

proj, ktree = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
wt = os.path.join(os.path.dirname(ktree), 'patch-wt')


def git(*args, cwd=wt, **kw):
    return subprocess.run(['git', *args], cwd=cwd, check=True, text=True,
                          capture_output=True, **kw).stdout


if not os.path.isdir(wt):
    git('worktree', 'add', '-q', '--detach', wt, 'base', cwd=ktree)
git('checkout', '-q', '-f', '--detach', git('rev-parse', 'base', cwd=ktree).strip())
git('clean', '-fdq')
env = dict(os.environ, GIT_AUTHOR_NAME='x', GIT_AUTHOR_EMAIL='x@x',
           GIT_COMMITTER_NAME='x', GIT_COMMITTER_EMAIL='x@x')

for line in open(os.path.join(proj, 'patches', 'series')):
    if not line.strip() or line.startswith('#'):
        continue
    name, *newfiles = line.split()
    path = os.path.join(proj, 'patches', name)
    head, _, body = open(path).read().partition('\n---\n')
    if 'diff --git' in body:
        subprocess.run(['git', 'apply', '--exclude=MAINTAINERS', '-'], cwd=wt,
                       input=body, text=True, check=True)
    if newfiles:
        m = open(os.path.join(wt, 'MAINTAINERS')).read()
        start = m.index('XEN SWIOTLB SUBSYSTEM\n')
        end = m.index('\n\n', start)
        block = m[start:end].split('\n')
        keep = [l for l in block if not l.startswith('F:')]
        files = {l for l in block if l.startswith('F:')}
        files |= {'F:\t' + f for f in newfiles}
        m = m[:start] + '\n'.join(keep + sorted(files, key=lambda l: l[3:])) + m[end:]
        open(os.path.join(wt, 'MAINTAINERS'), 'w').write(m)
    changed = git('diff', '--name-only').split()
    diff = git('diff', '--', *changed) if changed else ''
    open(path, 'w').write(head + '\n---\n' + diff)
    for f in newfiles:
        os.makedirs(os.path.dirname(os.path.join(wt, f)), exist_ok=True)
        subprocess.run(['cp', os.path.join(proj, f), os.path.join(wt, f)], check=True)
    git('add', '-A')
    git('commit', '-qm', name, env=env)
    print('refresh-patches: %s (%s)' % (name, ', '.join(changed) or 'no hunks'))
