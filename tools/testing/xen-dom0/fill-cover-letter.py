#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fill-cover-letter.py <text> <cover.patch>: put the subject (first line of
<text>) and the blurb (the rest) into git format-patch's cover letter."""
import sys

text = open(sys.argv[1]).read().strip().split('\n')
subject, blurb = text[0], '\n'.join(text[1:]).strip()
cover = open(sys.argv[2]).read()
if '*** SUBJECT HERE ***' not in cover or '*** BLURB HERE ***' not in cover:
    sys.exit('fill-cover-letter: placeholders not found')
cover = cover.replace('*** SUBJECT HERE ***', subject)
cover = cover.replace('*** BLURB HERE ***', blurb)
open(sys.argv[2], 'w').write(cover)
