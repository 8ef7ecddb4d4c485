import glob, re, statistics as S, collections, sys
runs = collections.defaultdict(dict)
for f in sorted(glob.glob(sys.argv[1] + '/*.md')):
    v, i, slot = f.split('/')[-1][:-3].split('-')
    txt = open(f).read()
    if 'Mounts as' not in txt: continue
    r = txt.split('All runs, seconds:')[1].split('Mounts as')[0]
    for w, x in re.findall(r'\| (\S+)\s+\| ([0-9.]+)\s+\|', r): runs[(v, int(i))].setdefault(w, []).append(float(x))
    cpu = txt.split('CPU time (user+sys)')[1].split('Peak RSS')[0]
    for w, x in re.findall(r'\| (\S+)\s+\| -\s+\| ([0-9.]+) s\s+\|', cpu): runs[(v, int(i))].setdefault(w + '-cpu', []).append(float(x))
ws = sorted({w for k in runs for w in runs[k]})
rounds = sorted({i for v, i in runs})
for w in ws:
    diffs = [S.mean(runs[('new', i)][w]) - S.mean(runs[('base', i)][w]) for i in rounds if w in runs.get(('new', i), {}) and w in runs.get(('base', i), {})]
    rel = [S.mean(runs[('new', i)][w]) / S.mean(runs[('base', i)][w]) for i in rounds if S.mean(runs[('base', i)][w]) > 0]
    print("%-20s new-base per round: median %+.4f [%+.4f .. %+.4f]  lower in %d of %d; ratio median %.3f" % (w, S.median(diffs), min(diffs), max(diffs), sum(d < 0 for d in diffs), len(diffs), S.median(rel) if rel else float('nan')))
