import re, sys
tr=[l for l in open(sys.argv[1]) if 'fuse_request' in l]
ev=[]
for l in tr:
    m=re.search(r'\s(\d+\.\d+): fuse_request_(\w+): .*req (\d+)(.*)',l)
    op=re.search(r'\((FUSE_\w+)\)',l)
    ev.append((float(m.group(1)), m.group(2)+' '+m.group(3)+' '+(op.group(1) if op else '')))
for l in open(sys.argv[2]):
    m=re.match(r'\[(\d+)ns\]\[(\d+)\](.*)',l)
    if m: ev.append((int(m.group(1))/1e9, 'JVM '+m.group(2)+m.group(3)[:150]))
ev.sort()
t0=[t for t,s in ev if 'READDIRPLUS' in s][0]
for t,s in ev:
    if t0-0.001 < t < t0+float(sys.argv[3]): print("%8.3f ms %s"%((t-t0)*1e3,s))
