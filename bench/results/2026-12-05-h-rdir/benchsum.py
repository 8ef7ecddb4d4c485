import glob, re, statistics as S, collections, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob(sys.argv[1] + '/*.md')):
    v = f.split('/')[-1].split('-')[0]
    txt = open(f).read()
    if 'All runs, seconds:' not in txt or 'Mounts as' not in txt: continue
    runs = txt.split('All runs, seconds:')[1]
    for w, x in re.findall(r'\| (\S+)\s+\| ([0-9.]+)\s+\|', runs.split('Mounts as')[0]):
        d[v][w + ' s'].append(float(x))
    cpu = txt.split('CPU time (user+sys)')[1].split('Peak RSS')[0]
    for w, x in re.findall(r'\| (\S+)\s+\| -\s+\| ([0-9.]+) s\s+\|', cpu):
        d[v][w + ' cpu'].append(float(x))
keys = sorted({k for v in d for k in d[v]})
for k in keys:
    row = []
    for v in ('base', 'new'):
        xs = d[v][k]
        if xs: row.append("%s %.4f [%.4f-%.4f] n=%d" % (v, S.median(xs), min(xs), max(xs), len(xs)))
    print("%-20s %s" % (k, "   ".join(row)))
