import os, sys, time
top = sys.argv[1]; n = int(sys.argv[2])
ts = []
for _ in range(5):
    t0 = time.perf_counter()
    k = len(os.listdir(top))
    ts.append(time.perf_counter() - t0)
    assert k == n
print("total %.2f ms; each %s" % (sum(ts) * 1e3, " ".join("%.2f" % (t * 1e3) for t in ts)))
