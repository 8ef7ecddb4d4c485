import re, sys, glob, statistics as st, collections
# benchsum.py DIR [VARIANTS...]: per variant and mount, files-* wall and daemon cpu: median [min-max], n;
# plus per round paired differences of variant medians against the first variant
d = sys.argv[1]; vs = sys.argv[2:] or ['base', 'new1']
runs = collections.defaultdict(list)  # (variant, fs, workload) -> [(round, wall, cpu)]
for f in sorted(glob.glob(d + '/r*-*.log')):
    m = re.search(r'/r(\d+)-(\d+)-(\w+)\.log$', f)
    if not m: continue
    rnd, v = int(m.group(1)), m.group(3)
    for l in open(f):
        m2 = re.search(r'run \d+/\d+ (files-\w+) (\S+): ([\d.]+) s \(daemon cpu ([\d.]+) s\)', l)
        if m2:
            runs[(v, m2.group(2), m2.group(1))].append((rnd, float(m2.group(3)), float(m2.group(4))))
def fmt(xs, unit):
    k = 1e3 if unit == 'ms' else 1
    return "%.1f [%.1f-%.1f]" % (st.median(xs) * k, min(xs) * k, max(xs) * k) if unit == 'ms' else "%.2f [%.2f-%.2f]" % (st.median(xs), min(xs), max(xs))
for w in ['files-create', 'files-stat', 'files-readdir', 'files-unlink']:
    unit = 'ms' if w in ('files-readdir', 'files-stat') else 's'
    for fs in ['docker-on-top-fuse', 'fuse-overlayfs']:
        for v in vs:
            r = runs.get((v, fs, w))
            if not r: continue
            print("%-14s %-19s %-6s n=%2d wall %s %s  cpu %s s" % (w, fs, v, len(r), fmt([x[1] for x in r], unit), unit, fmt([x[2] for x in r], 's')))
    # paired per round: median of ours per variant per round
    if len(vs) >= 2:
        diffs = []
        rounds = sorted({x[0] for x in runs.get((vs[0], 'docker-on-top-fuse', w), [])})
        for rr in rounds:
            a = [x[1] for x in runs[(vs[0], 'docker-on-top-fuse', w)] if x[0] == rr]
            b = [x[1] for x in runs.get((vs[1], 'docker-on-top-fuse', w), []) if x[0] == rr]
            if a and b: diffs.append(st.median(b) - st.median(a))
        if diffs:
            k = 1e3 if unit == 'ms' else 1
            print("%-14s paired %s-%s per round: median %+.2f [%+.2f, %+.2f] %s, lower in %d/%d" % (w, vs[1], vs[0], st.median(diffs) * k, min(diffs) * k, max(diffs) * k, unit, sum(1 for x in diffs if x < 0), len(diffs)))
