import re, sys
# phases of the READDIRPLUS from a trace2 file: pre (to first getdents), listing (to last getdents exit), lookups (to end)
rows=[]
for l in open(sys.argv[1]):
    m=re.search(r'^\s*(\S+)\s+\[\d+\].*?\s(\d+\.\d+): (.*)',l)
    if m: rows.append((float(m.group(2)), m.group(3)))
s=[r for r in rows if r[1].startswith('fuse_request_send') and 'READDIRPLUS' in r[1]][0]
u=re.search(r'req (\d+)',s[1]).group(1)
e=[r for r in rows if r[1].startswith('fuse_request_end') and ('req %s '%u) in r[1]][0]
w=[r for r in rows if s[0]<=r[0]<=e[0]]
g=[r[0] for r in w if r[1].startswith('sys_getdents64')]
gd=0; last=None
for r in w:
    if r[1].startswith('sys_getdents64('): last=r[0]
    elif r[1].startswith('sys_getdents64 ->') and last: gd+=r[0]-last
t0=s[0]
# first getdents chunk processing (between 1st exit and 2nd enter)
ex=[r[0] for r in w if r[1].startswith('sys_getdents64 ->')]; en=[r[0] for r in w if r[1].startswith('sys_getdents64(')]
print("%s total %.2f pre %.2f listing %.2f (getdents %.2f, 1st chunk %.2f, others %.2f) lookups %.2f ms" % (sys.argv[2] if len(sys.argv)>2 else '', (e[0]-t0)*1e3, (g[0]-t0)*1e3, (g[-1]-g[0])*1e3, gd*1e3, (en[1]-ex[0])*1e3, sum(en[i+1]-ex[i] for i in range(1,len(en)-1))*1e3, (e[0]-g[-1])*1e3))
