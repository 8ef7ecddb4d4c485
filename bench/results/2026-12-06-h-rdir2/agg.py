import sys, re, collections
# perf script output -> buckets: first matching pattern walking from leaf to root
B = [('invokedynamic', 'resolve_invokedynamic'), ('compiler', 'CompileBroker'), ('getdents', 'getdents64'),
     ('fstatat', 'fstatat'), ('lgetxattr', 'getxattr'), ('write-reply', '__GI___libc_write|writev'),
     ('read-req', '__GI___libc_read'), ('zeroTermBytes', 'getZeroTerminatedByteArray'),
     ('resolve', 'InterpreterRuntime::resolve|LinkResolver'), ('gc', 'VM_GC|GCTask|SerialHeap|DefNew'),
     ('Collector', 'Collector.accept'), ('Listing', 'Listing\\.'), ('nodes', 'NodeTable'),
     ('interp<-answer', None)]
tot = collections.Counter(); n = 0
for blk in sys.stdin.read().split('\n\n'):
    lines = [l for l in blk.strip().split('\n') if l]
    if not lines: continue
    frames = lines[1:]
    n += 1
    hit = None
    for name, pat in B:
        if pat and any(re.search(pat, f) for f in frames):
            hit = name; break
    if hit is None:
        if any('JavaRequests.answer' in f for f in frames):
            hit = 'other-under-answer'
        else:
            hit = 'other: ' + (re.sub(r'^\s*\S+\s+', '', frames[0])[:60] if frames else '?')
    tot[hit] += 1
for k, v in tot.most_common(25):
    print("%6d %5.1f%%  %s" % (v, 100.0 * v / n, k))
print(n, "samples")
