#!/usr/bin/env python3
"""Medians and ranges of bench-abba.sh's runs (the bench logs' per-run lines), per variant and workload."""
import glob, re, statistics, sys, os
d = os.path.dirname(os.path.abspath(__file__))
runs = {}
for path in sorted(glob.glob(f"{d}/bench-[AB]-*.log")):
    v = os.path.basename(path).split("-")[1]
    for line in open(path):
        m = re.search(r"run \d+/\d+ (\S+) docker-on-top-fuse: ([0-9.]+) s \(daemon cpu ([0-9.]+) s\)", line)
        if m:
            runs.setdefault((m.group(1), v), []).append((float(m.group(2)), float(m.group(3))))
for (w, v), rs in sorted(runs.items()):
    s = sorted(r[0] for r in rs); c = sorted(r[1] for r in rs)
    print(f"{w:14} {v} n={len(rs):2}  wall median {statistics.median(s)*1000:7.1f} ms [{s[0]*1000:.1f}-{s[-1]*1000:.1f}]"
          f"  daemon cpu median {statistics.median(c)*1000:5.0f} ms [{c[0]*1000:.0f}-{c[-1]*1000:.0f}]")
