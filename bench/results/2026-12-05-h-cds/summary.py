#!/usr/bin/env python3
"""Medians, quartiles and ranges of startup.sh's TSV lines, per variant and mode."""
import os, statistics, sys
cols = ["mount_ms", "cpu_mounted", "rss_kb", "pss_kb", "shared_kb", "rename_ms", "cpu_total"]
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        f = line.split()
        if len(f) == 9:
            rows.setdefault((f[1], f[0]), []).append([int(x) for x in f[2:]])
for (mode, var), rs in sorted(rows.items()):
    out = []
    for i, c in enumerate(cols):
        v = sorted(r[i] for r in rs)
        q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
        out.append(f"{c} {statistics.median(v):g} [{q[0]:g}-{q[2]:g}; {v[0]}-{v[-1]}]")
    print(f"{mode} {var} n={len(rs)}: " + ", ".join(out))

# paired per round: B - A of the two runs of one round (each round runs A and B back to back)
print("paired B-A per round (median [min, max]):")
for path in sys.argv[1:]:
    lines = [l.split() for l in open(path) if len(l.split()) == 9]
    for mode in sorted({l[1] for l in lines}):
        ls = [l for l in lines if l[1] == mode]
        pairs = [(ls[i], ls[i + 1]) for i in range(0, len(ls) - 1, 2)]
        out = []
        for i, c in enumerate(cols):
            if c in ("pss_kb", "shared_kb", "rename_ms"):
                continue
            d = sorted(int((b if b[0] == "B" else a)[2 + i]) - int((a if a[0] == "A" else b)[2 + i]) for a, b in pairs)
            out.append(f"{c} {statistics.median(d):+g} [{d[0]:+d}, {d[-1]:+d}]")
        print(f"  {os.path.basename(path)} {mode} n={len(pairs)}: " + ", ".join(out))
