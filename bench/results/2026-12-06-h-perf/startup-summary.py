#!/usr/bin/env python3
"""startup-summary.py FILE: medians [quartiles] per variant of startup.sh's lines, and paired
differences against the first variant per round (median [quartiles])."""
import sys, statistics as st
from collections import defaultdict
rows = [l.split('\t') for l in open(sys.argv[1]) if l.count('\t') == 6]
names = []
for r in rows:
    if r[0] not in names: names.append(r[0])
cols = {'mount ms': lambda r: int(r[2]), 'cpu mounted (ticks)': lambda r: int(r[3]),
        'workload ms': lambda r: int(r[5]), 'cpu workload (ticks)': lambda r: int(r[6]) - int(r[3]),
        'cpu total (ticks)': lambda r: int(r[6]), 'rss kB': lambda r: int(r[4])}
per = defaultdict(list)
for r in rows: per[r[0]].append(r)
def q(v):
    v = sorted(v); qs = st.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return f"{st.median(v):g} ({qs[0]:g}-{qs[2]:g})"
print("| variant | n | " + " | ".join(cols) + " |")
print("|---|---|" + "---|" * len(cols))
for n in names:
    print(f"| {n} | {len(per[n])} | " + " | ".join(q([f(r) for r in per[n]]) for f in cols.values()) + " |")
base = names[0]
for n in names[1:]:
    k = min(len(per[n]), len(per[base]))
    print(f"| {n} - {base} paired | {k} | " + " | ".join(q([f(per[n][i]) - f(per[base][i]) for i in range(k)]) for f in cols.values()) + " |")
