import sys, re, statistics as st, collections
# abpair.py FILE A B: medians [min-max] of the five listings (readdir ms), the first, READDIRPLUS, READDIRs, daemon cpu; paired per round
f, A, B = sys.argv[1:4]
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(f):
    t = l.split()
    if len(t) < 5: continue
    r, v = t[0], t[1]
    kv = dict(zip(t[2::2], t[3::2]))
    rows[v][r].append({'readdir': float(kv['readdir']), 'first': float(kv['first']), 'rdplus': float(kv['rdplus_us']) / 1e3,
                       'readdirs': float(kv['readdirs_us'].split('/')[0]) / 1e3, 'cpu': float(kv['cpu_us']) / 1e3})
def allv(v, k): return [x[k] for r in rows[v].values() for x in r]
for k in ['readdir', 'first', 'rdplus', 'readdirs', 'cpu']:
    s = "%-9s" % k
    for v in rows:
        xs = allv(v, k); s += "  %s %.1f [%.1f-%.1f] n=%d" % (v, st.median(xs), min(xs), max(xs), len(xs))
    d = []
    for r in rows[A]:
        if r in rows[B]:
            d.append(st.median(x[k] for x in rows[B][r]) - st.median(x[k] for x in rows[A][r]))
    s += " | paired %s-%s %+.1f [%+.1f, %+.1f] ms, lower in %d/%d" % (B, A, st.median(d), min(d), max(d), sum(1 for x in d if x < 0), len(d))
    print(s)
