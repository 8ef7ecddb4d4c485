#!/usr/bin/env bash
# real-hardlinks.sh: hard-link heavy workloads (findings 33): cp -al farms of lower and upper trees then
# changes through both trees, git clone --local (hard-linked objects), rsync -H, a ccache-like cache of
# hard-linked objects, a dpkg-like backup-link/rename-over loop with readers, tar with hard links.
# Prints every file's nlink and link group (first name with the same st_ino), so groups are compared too.
. "$(dirname "$0")/real-lib.sh"
make_lower() {
    mkdir -p "$L/src/a" "$L/src/b" "$L/repo"
    for i in $(seq 1 60); do printf 'file %s\n' $i > "$L/src/a/f$i"; done
    for i in $(seq 1 10); do ln "$L/src/a/f$i" "$L/src/b/l$i"; done   # lower hard links
    ( cd "$L/repo" && git init -q && for i in 1 2 3; do echo "v$i" > "r$i"; git add .; git -c user.name=t -c user.email=t@t commit -qm "c$i"; done )
    mkdir -p "$T/tarsrc/t/d"; for i in 1 2 3 4; do echo "t$i" > "$T/tarsrc/t/x$i"; done
    ln "$T/tarsrc/t/x1" "$T/tarsrc/t/d/y1"; ln "$T/tarsrc/t/x1" "$T/tarsrc/t/y1b"; ln "$T/tarsrc/t/x2" "$T/tarsrc/t/d/y2"
    tar -C "$T/tarsrc" -cf "$L/hl.tar" t
}
groups() {  # groups DIR...: path nlink group size-hash, the group being the first path (sorted) with that st_ino
    python3 - "$@" <<'PY'
import os, sys, hashlib
ents = []
for top in sys.argv[1:]:
    for dp, dns, fns in os.walk(top):
        dns.sort()
        for n in sorted(fns):
            p = os.path.join(dp, n); s = os.lstat(p)
            if not os.path.isfile(p) or os.path.islink(p): continue
            with open(p, "rb") as f: h = hashlib.sha256(f.read()).hexdigest()[:10]
            ents.append((p, s.st_ino, s.st_nlink, h))
first = {}
for p, ino, nl, h in sorted(ents): first.setdefault(ino, p)
for p, ino, nl, h in sorted(ents): print(p, "n%d" % nl, "=" + first[ino] if first[ino] != p else "", h)
PY
}
IGNORE_RE=${IGNORE_RE:-'\.git/(config|index|FETCH_HEAD|ORIG_HEAD|logs/.*) '}
export GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'
workload() {
    echo "## cp -al of a lower tree, changes through both trees"
    cp -al src farm; echo "rc=$?"
    echo more >> farm/a/f1; echo more2 >> src/a/f2; sed -i 's/file/FILE/' farm/a/f3; chmod 600 farm/a/f4
    rm src/a/f5; mv farm/a/f6 farm/a/f6m; echo over > farm/tmp7; mv farm/tmp7 src/a/f7
    truncate -s 2 src/b/l8; ln farm/a/f9 farm/a/f9x; rm farm/a/f9
    groups src farm
    echo "## cp -al of the farm (upper files with several links), then again"
    cp -al farm farm2; cp -al farm2 farm3; echo rc=$?; echo x >> farm3/a/f1; rm -r farm2/b; stat -c '%h %n' farm/a/f1 farm3/a/f1 farm/a/f10
    echo "## git clone --local (objects hard-linked), commit, gc, fsck"
    git clone -q --local repo clone; echo "rc=$?"; find clone/.git/objects -type f -links +1 | wc -l
    ( cd clone && echo v4 > r4 && git add r4 && git -c user.name=t -c user.email=t@t commit -qm c4 && git gc -q && git fsck --strict 2>&1 | head -3; git log --oneline | wc -l )
    ( cd repo && git gc -q --prune=now && git fsck 2>&1 | head -3; git log --oneline | wc -l )
    git clone -q --local clone clone2; echo "rc=$?"; git -C clone2 fsck 2>&1 | head -3; git -C clone2 log --oneline | wc -l
    groups clone/.git/objects clone2/.git/objects repo/.git/objects | awk '{print $2, $3 != "" ? "linked" : "single", $NF}' | sort | uniq -c
    echo "## rsync -aH"
    rsync -aH src/ r1/; echo "rc=$?"; rsync -aH farm/ r2/; echo "rc=$?"; rsync -aH --delete src/ r2/; echo "rc=$?"
    groups r1 r2
    echo "## ccache-like: objects in a cache, hard-linked into builds, cache cleaned, outputs replaced"
    mkdir -p cache out1 out2
    for i in $(seq 1 40); do h=$(printf 'obj%s' $i | sha1sum | cut -c1-8); mkdir -p cache/${h:0:2}
        printf 'object %s\n' $i > cache/${h:0:2}/tmp.$$; mv cache/${h:0:2}/tmp.$$ cache/${h:0:2}/$h
        ln cache/${h:0:2}/$h out1/$i.o; ln -f cache/${h:0:2}/$h out2/$i.o; done
    find cache -type f | sort | head -20 | xargs rm; for i in 3 4 5; do echo new$i > out1/tmp; mv out1/tmp out1/$i.o; done
    for i in $(seq 1 40); do cmp -s out1/$i.o out2/$i.o || echo "differs $i"; done | wc -l
    groups cache out1 out2 | awk '{print $2, ($3 ~ /^=/) ? "linked" : "first"}' | sort | uniq -c
    echo "## dpkg-like: backup link, rename over, remove backup; readers meanwhile"
    mkdir -p pkg; for i in $(seq 1 20); do echo "v0 $i" > pkg/f$i; done
    ( for r in $(seq 1 300); do for i in 1 5 9 13 17; do cat pkg/f$i >/dev/null 2>>"$T/readerr.$$" || true; done; done ) & rp=$!
    for v in $(seq 1 30); do for i in $(seq 1 20); do echo "v$v $i" > pkg/f$i.dpkg-new; ln pkg/f$i pkg/f$i.dpkg-tmp; mv pkg/f$i.dpkg-new pkg/f$i; rm pkg/f$i.dpkg-tmp; done; done
    wait $rp; echo "reader errors: $(wc -l < "$T/readerr.$$")"; rm -f "$T/readerr.$$"; cat pkg/f7; ls pkg | wc -l
    echo "## tar with hard links"
    mkdir x; tar -C x -xf hl.tar; echo "rc=$?"; groups x
    for f in x/t/x1 x/t/x2 x/t/x3; do echo "$f: $(find x -samefile $f | sort | tr '\n' ' ')"; done
    tar -C x -cf - t | tar -tvf - | awk '{print $1, $6, $7, $8}'
    echo "## remove all but one name"; rm farm/a/f1 farm2/a/f1; stat -c '%h' src/a/f1 farm3/a/f1
}
real_main
