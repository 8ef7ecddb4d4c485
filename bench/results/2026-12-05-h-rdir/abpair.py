import sys, re, statistics as S
# rows come as rounds of A B B A (abba2.sh); per round: mean(B) - mean(A)
rows = []
for l in open(sys.argv[1]):
    w = l.split()
    if len(w) < 5 or w[1] not in ('create', 'first_create_ms'): continue
    rows.append((w[0], dict((k, float(x)) for k, x in re.findall(r'(\w+) (-?[0-9.]+)', ' '.join(w[1:])))))
keys = [k for k in rows[0][1]]
for k in keys:
    d = []
    for i in range(0, len(rows) - 3, 4):
        r = rows[i:i + 4]
        a = [x[1][k] for x in r if x[0] == r[0][0]]; b = [x[1][k] for x in r if x[0] != r[0][0]]
        d.append(S.mean(b) - S.mean(a))
    print("%-16s %s - %s per round: median %+.2f [%+.2f .. %+.2f], lower in %d of %d" % (k, rows[1][0], rows[0][0], S.median(d), min(d), max(d), sum(x < 0 for x in d), len(d)))
