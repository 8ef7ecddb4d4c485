import sys,re,collections
pid=sys.argv[1]
cur=None; agg=collections.Counter(); anon=collections.Counter()
for line in open(f'/proc/{pid}/smaps'):
    if re.match(r'^[0-9a-f]+-[0-9a-f]+ ',line):
        parts=line.split()
        cur=parts[5] if len(parts)>5 else '[anon]'
        if 'jsa' in cur: cur='jsa:'+cur.split('/')[-1]
        elif cur.startswith('/'): cur='file:'+cur.split('/')[-1]
    elif line.startswith('Rss:'):
        agg[cur]+=int(line.split()[1])
    elif line.startswith('Private_Dirty:'):
        anon[cur]+=int(line.split()[1])
for k,v in agg.most_common(5): print(f'{k:50s} rss={v:7d} privdirty={anon[k]:7d}')
print('total privdirty', sum(anon.values()), 'rss', sum(agg.values()))
