import sys, statistics as st, collections
d=collections.defaultdict(list)
for l in open(sys.argv[1]):
    if '|' not in l: continue
    k,rest=l.split(None,1); a,b=rest.split('|')
    d[k].append([float(x) for x in a.split()]+[float(x) for x in b.split()])
for k,v in d.items():
    cols=list(zip(*v))
    f=lambda c: f"{st.median(c):.3g} [{min(c):.3g}-{max(c):.3g}]"
    print(f"{k:10s} n={len(v)} 1st: wall {f(cols[0])} user {f(cols[1])} sys {f(cols[2])} | 2nd: wall {f(cols[3])} user {f(cols[4])} sys {f(cols[5])} | all cpu {f([cols[1][i]+cols[2][i]+cols[4][i]+cols[5][i] for i in range(len(v))])}")
