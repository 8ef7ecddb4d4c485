import sys, re, statistics as S, collections
d = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sys.argv[1:]:
    for l in open(f):
        w = l.split()
        if len(w) < 5 or w[1] != 'create' or 'createstat_us' not in l: continue
        v = w[0]
        for k, x in re.findall(r'(\w+) (-?[0-9.]+)', ' '.join(w[1:])):
            d[v][k].append(float(x))
for v, m in d.items():
    print(v, "n=%d" % len(m['readdir']))
    for k, xs in m.items():
        print("  %-14s median %10.2f  [%g .. %g]" % (k, S.median(xs), min(xs), max(xs)))
