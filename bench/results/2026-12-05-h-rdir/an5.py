import re, sys, collections
rows=[]
for l in open(sys.argv[1]):
    m=re.search(r'^\s*(\S+)\s+\[\d+\].*?\s(\d+\.\d+): (.*)',l)
    if not m: continue
    t=float(m.group(2)); c=m.group(1); rest=m.group(3)
    if rest.startswith('fuse_request'):
        n,a=rest.split(': ',1); rows.append((t,c,n,a))
    else:
        mm=re.match(r'sys_(\w+)(\(| ->)(.*)',rest)
        rows.append((t,c,('enter ' if mm.group(2)=='(' else 'exit ')+mm.group(1),mm.group(3)))
s=[r for r in rows if r[2]=='fuse_request_send' and 'READDIRPLUS' in r[3]][0]
u=re.search(r'req (\d+)',s[3]).group(1)
e=[r for r in rows if r[2]=='fuse_request_end' and ('req %s '%u) in r[3]][0]
t0=s[0]; print("READDIRPLUS %.3f ms" % ((e[0]-t0)*1e3))
win=[r for r in rows if t0<=r[0]<=e[0] and not r[2].startswith('fuse')]
cnt=collections.Counter(); tot=collections.Counter(); first={}; last={}; pend={}
for t,c,n,a in win:
    k,nm=n.split()
    if k=='enter': pend[(c,nm)]=t; first.setdefault(nm, t-t0)
    elif (c,nm) in pend:
        d=t-pend.pop((c,nm)); cnt[nm]+=1; tot[nm]+=d; last[nm]=t-t0
for k in cnt: print("%-12s n=%4d  sum %.3f ms  first-enter %.3f ms last-exit %.3f ms" % (k,cnt[k],tot[k]*1e3,first[k]*1e3,last[k]*1e3))
if len(sys.argv)>2:
    for t,c,n,a in win[:int(sys.argv[2])]: print("%.3f %s %s %s"%((t-t0)*1e3,c,n,a[:60]))
