#!/usr/bin/env python3
"""summary.py FILE: medians [min-max] per (variant, workload) of abba.sh's lines, and paired
differences B - A of consecutive A/B invocations (median [min, max], rounds in which B was lower)."""
import sys, statistics as st
from collections import defaultdict
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]
names = []
for r in rows:
    if r[0] not in names: names.append(r[0])
a, b = names[:2]
data = defaultdict(list)
for r in rows: data[(r[0], r[1])].append((float(r[2]), float(r[3])))
works = sorted({r[1] for r in rows}, key=lambda w: [x[1] for x in rows].index(w))
def fmt(v): return f"{st.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"
print(f"| workload | wall {a} | wall {b} | paired wall {b}-{a} | cpu {a} | cpu {b} | paired cpu {b}-{a} |")
print("|---|---|---|---|---|---|---|")
for w in works:
    A, B = data[(a, w)], data[(b, w)]
    n = min(len(A), len(B))
    out = [w]
    for i, lab in ((0, 'wall'), (1, 'cpu')):
        d = [B[k][i] - A[k][i] for k in range(n)]
        out += [fmt([x[i] for x in A]), fmt([x[i] for x in B]),
                f"{st.median(d):+.3f} [{min(d):+.3f}, {max(d):+.3f}], lower {sum(x < 0 for x in d)}/{n}"]
    print("| " + " | ".join([out[0], out[1], out[2], out[3], out[4], out[5], out[6]]) + " |")
