import sys, statistics as st, collections
d=collections.defaultdict(list)
for l in open(sys.argv[1]):
    p=l.split()
    if len(p)!=12: continue
    d[p[0]].append([float(x) for x in p[1:6]]+[float(p[7]),int(p[9]),int(p[11])])
names=["r1","r2-10","r11-100","r101-500","r501-1000","wall","user","sys"]
for k,v in d.items():
    cols=list(zip(*v))
    tot=[sum(r[:5]) for r in v]
    print(f"{k:9s} n={len(v)} " + "  ".join(f"{n} {st.median(c):.4g}" for n,c in zip(names,cols)) + f"  total_ms {st.median(tot):.0f} [{min(tot):.0f}-{max(tot):.0f}]  cpu_ticks {st.median([a+b for a,b in zip(cols[6],cols[7])])}")
# per-round paired diffs vs base
if len(sys.argv)>2:
    b=sys.argv[2]
    for k in d:
        if k==b: continue
        diffs=[sum(x[:5])-sum(y[:5]) for x,y in zip(d[k],d[b])]
        late=[x[4]-y[4] for x,y in zip(d[k],d[b])]
        print(f"{k} - {b}: total ms median {st.median(diffs):.0f} [{min(diffs):.0f},{max(diffs):.0f}]; r501-1000 {st.median(late):.1f} [{min(late):.1f},{max(late):.1f}]")
