import re, sys, glob, statistics as st, collections
# ratio.py DIR: per invocation, median ours / median fuse-overlayfs of files-readdir; by variant
d = sys.argv[1]; r = collections.defaultdict(list)
for f in sorted(glob.glob(d + '/r*-*.log')):
    v = re.search(r'-(\w+)\.log$', f).group(1)
    o = collections.defaultdict(list)
    for l in open(f):
        m = re.search(r'run \d+/\d+ files-readdir (\S+): ([\d.]+) s', l)
        if m: o[m.group(1)].append(float(m.group(2)))
    if o['docker-on-top-fuse'] and o['fuse-overlayfs']:
        r[v].append(st.median(o['docker-on-top-fuse']) / st.median(o['fuse-overlayfs']))
for v, xs in r.items():
    print("%s ours/fuse-overlayfs files-readdir per invocation: median %.2f [%.2f-%.2f] n=%d" % (v, st.median(xs), min(xs), max(xs), len(xs)))
