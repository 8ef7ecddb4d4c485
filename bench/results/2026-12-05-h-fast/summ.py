import sys, statistics as st, collections
d = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sys.argv[1:]:
    for line in open(f):
        p = line.split()
        if len(p) < 5 or not p[4].isdigit(): continue
        w, v, wall, u, s = p[0], p[1], float(p[2]), int(p[3]), int(p[4])
        d[w][v].append((wall, u, s, u + s))
def fmt(xs, f="%.2f"):
    return (f % st.median(xs)) + " [" + (f % min(xs)) + "-" + (f % max(xs)) + "]"
print("| workload | variant | runs | wall s median [min-max] | user ticks | sys ticks | user+sys ticks |")
print("|---|---|---|---|---|---|---|")
for w in d:
    for v in sorted(d[w]):
        r = d[w][v]
        print("| %s | %s | %d | %s | %s | %s | %s |" % (w, v, len(r), fmt([x[0] for x in r]),
              fmt([x[1] for x in r], "%.1f"), fmt([x[2] for x in r], "%.1f"), fmt([x[3] for x in r], "%.1f")))
print()
print("| workload | variant - base, paired by round: user / sys / wall (median [min-max]) |")
print("|---|---|")
for w in d:
    if "base" not in d[w]: continue
    for v in sorted(d[w]):
        if v == "base": continue
        pairs = list(zip(d[w]["base"], d[w][v]))
        du = [b[1] - a[1] for a, b in pairs]; ds = [b[2] - a[2] for a, b in pairs]; dw = [b[0] - a[0] for a, b in pairs]
        print("| %s | %s: %s / %s / %s s |" % (w, v, fmt(du, "%+.1f"), fmt(ds, "%+.1f"), fmt(dw, "%+.2f")))
