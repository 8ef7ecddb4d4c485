#!/usr/bin/env python3
"""summary.py FILE...: medians [min-max] of wall and daemon CPU per jar and workload from the lines
of ../2026-12-06-h-perf/abba.sh ("NAME workload wall cpu load") and of getattr-abba.txt ("NAME wall
ticks load", workload "getattr"), and the B-A differences of the runs paired by round."""
import statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for f in sys.argv[1:]:
    for line in open(f):
        p = line.split()
        if len(p) == 5 and p[0] in "AB":
            runs[(p[1], p[0])].append((float(p[2]), float(p[3])))
        elif len(p) == 4 and p[0] in "AB":
            runs[("getattr", p[0])].append((float(p[1]), float(p[2]) / 100))
def med(xs):
    return "%.3f [%.3f-%.3f]" % (statistics.median(xs), min(xs), max(xs))
print("| workload | n | CPU A (s) | CPU B (s) | B/A | paired B-A CPU, median [range], B lower | wall A (s) | wall B (s) | B/A |")
print("|---|---|---|---|---|---|---|---|---|")
for w in sorted({k[0] for k in runs}, key=lambda w: ["files-create", "files-stat", "files-readdir", "files-unlink", "walk-warm", "smallread-cold", "getattr"].index(w)):
    a, b = runs[(w, "A")], runs[(w, "B")]
    n = min(len(a), len(b))
    ca, cb = [x[1] for x in a], [x[1] for x in b]
    wa, wb = [x[0] for x in a], [x[0] for x in b]
    d = [b[i][1] - a[i][1] for i in range(n)]
    lower = sum(1 for x in d if x < 0)
    r = lambda x, y: "%.2f" % (statistics.median(y) / statistics.median(x)) if statistics.median(x) > 0 else "-"
    print("| %s | %d | %s | %s | %s | %+.3f [%+.3f, %+.3f], %d/%d | %s | %s | %s |" % (
        w, n, med(ca), med(cb), r(ca, cb), statistics.median(d), min(d), max(d), lower, n,
        med(wa), med(wb), r(wa, wb)))
