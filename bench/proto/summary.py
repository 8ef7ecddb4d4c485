import sys, statistics as st, collections
# summary.py RESULTS [REQS]: medians (min-max) per workload and server of abba.sh's lines;
# REQS: lines "workload server requests" for the per-request columns.
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split()
    if not f[6].endswith("=0"):
        continue
    rows[(f[0], f[1])].append((float(f[2]), int(f[3]) / 1e6, int(f[4]), int(f[5])))
reqs = {}
if len(sys.argv) > 2:
    for line in open(sys.argv[2]):
        w, s, n = line.split()
        reqs[(w, s)] = int(n)
def mm(v, fmt):
    return ("%s (%s-%s)" % (fmt, fmt, fmt)) % (st.median(v), min(v), max(v))
order = ["smallread-cold", "walk-cold", "walk-warm", "neg", "openclose"]
print("| workload | server | runs | wall s | daemon CPU ms | user ticks | sys ticks | requests | CPU us/request (user + sys) |")
print("|---|---|---|---|---|---|---|---|---|")
for w in order:
    for s in ["ours", "ours1", "fovl", "proto", "proto1", "protoovl", "protoovl1"]:
        v = rows.get((w, s))
        if not v:
            continue
        wall = [x[0] for x in v]; cpu = [x[1] for x in v]; u = [x[2] for x in v]; sy = [x[3] for x in v]
        n = reqs.get((w, s))
        per = "-"
        if n:
            c = st.median(cpu) * 1000 / n
            uf = [x[2] / (x[2] + x[3]) if x[2] + x[3] else 0 for x in v]
            per = "%.1f (%.1f + %.1f)" % (c, c * st.median(uf), c * (1 - st.median(uf)))
        print("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (w, s, len(v), mm(wall, "%.3f"), mm(cpu, "%.0f"),
              mm(u, "%d"), mm(sy, "%d"), n or "-", per))
