import sys, statistics as st, collections
# paired.py RESULTS A B [A B ...]: per workload, daemon CPU (ms) and wall (s) of A minus B paired by
# round (the k-th run of each in abba.sh's output): median [min, max] and rounds where A was lower.
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split()
    runs[(f[0], f[1])].append((float(f[2]), int(f[3]) / 1e6))
pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
ws = []
for (w, s) in runs:
    if w not in ws:
        ws.append(w)
print("| workload | A - B | CPU ms, median [min, max] | A lower | wall s, median [min, max] | A lower |")
print("|---|---|---|---|---|---|")
for w in ws:
    for a, b in pairs:
        ra, rb = runs.get((w, a)), runs.get((w, b))
        if not ra or not rb:
            continue
        n = min(len(ra), len(rb))
        dc = [ra[i][1] - rb[i][1] for i in range(n)]
        dw = [ra[i][0] - rb[i][0] for i in range(n)]
        print("| %s | %s - %s | %+.0f [%+.0f, %+.0f] | %d/%d | %+.3f [%+.3f, %+.3f] | %d/%d |" % (
            w, a, b, st.median(dc), min(dc), max(dc), sum(d < 0 for d in dc), n,
            st.median(dw), min(dw), max(dw), sum(d < 0 for d in dw), n))
