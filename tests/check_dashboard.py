#!/usr/bin/env python3
"""Every metric conf/grafana/traderd.json queries is in a live /metrics page.

usage: check_dashboard.py DASHBOARD.json METRICS.txt
Exit 0 when each traderd_* name in the panels' expressions (a histogram's
_bucket/_sum/_count included) has samples on the page; else 1, naming the
missing ones.
"""
import json
import re
import sys

dash = json.load(open(sys.argv[1]))
page = open(sys.argv[2]).read()
have = set()
for line in page.splitlines():
    if line and not line.startswith('#'):
        have.add(re.match(r'[a-zA-Z_:][a-zA-Z0-9_:]*', line).group(0))
want = set()
for p in dash['panels']:
    for t in p.get('targets', []):
        want.update(re.findall(r'traderd_[a-z0-9_]+', t['expr']))
missing = sorted(w for w in want if w not in have)
if missing:
    print('missing from /metrics:', ' '.join(missing))
    sys.exit(1)
print('%d metrics queried, all present' % len(want))
