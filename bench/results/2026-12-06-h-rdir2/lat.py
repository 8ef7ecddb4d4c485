import re, sys
send = {}; rows = []
for line in open(sys.argv[1]):
    m = re.search(r'\s(\d+\.\d+): fuse_request_(send|end): .*req (\d+)(.*)', line)
    if not m: continue
    t = float(m.group(1)); kind = m.group(2); u = m.group(3); rest = m.group(4)
    if kind == 'send':
        op = re.search(r'opcode \d+ \((\w+)\)', rest).group(1).replace('FUSE_', '')
        ln = re.search(r'len (\d+)', rest).group(1)
        send[u] = (t, op, ln)
    else:
        ln = re.search(r'len (\d+)', rest).group(1)
        if u in send:
            t0, op, inl = send.pop(u); rows.append((t0, op, (t - t0) * 1e6, inl, ln))
t00 = rows[0][0] if rows else 0
for t0, op, lat, inl, ln in rows:
    print("%9.1f us  %-12s lat %7.1f us  in %5s  out %6s" % ((t0 - t00) * 1e6, op, lat, inl, ln))
