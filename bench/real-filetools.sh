#!/usr/bin/env bash
# real-filetools.sh: tar round trips (xattrs, hard links, sparse), cp -a of lower trees inside the
# mount, sed -i on many lower files, find -exec chmod/chown, mv of lower directories (EXDEV -> copy),
# rm -rf of mixed trees, ln, mkfifo, touch -d, truncate, busybox tar/cp.
. "$(dirname "$0")/real-lib.sh"
make_lower() {
    local d=$L/t
    mkdir -p "$d/etc/sub" "$d/data/deep/er" "$d/own" "$d/mvme/in/side" "$d/mixed/a/b"
    for i in $(seq 1 150); do printf 'line one %d\nfoo=bar\nend\n' $i > "$d/etc/f$i.conf"; done
    for i in $(seq 1 20); do echo "sub $i foo=bar" > "$d/etc/sub/s$i.conf"; done
    dd if=/dev/urandom of="$d/data/blob" bs=64k count=16 status=none
    truncate -s 50M "$d/data/sparse"; printf 'middle' | dd of="$d/data/sparse" bs=1 seek=20000000 conv=notrunc status=none
    echo hl > "$d/data/hl1"; ln "$d/data/hl1" "$d/data/hl2"; ln "$d/data/hl1" "$d/data/deep/hl3"
    setfattr -n user.color -v blue "$d/data/blob"; setfattr -n user.dir -v yes "$d/data/deep"
    ln -s ../data/blob "$d/etc/link"; ln -s /nonexistent "$d/etc/dangling"
    mkfifo "$d/data/fifo"; chmod 1777 "$d/data/deep/er"; chmod 4755 "$d/data/hl1"
    for i in 1 2 3; do echo "o$i" > "$d/own/o$i"; chown 1000:100$i "$d/own/o$i"; done
    for i in $(seq 1 30); do echo "m$i" > "$d/mvme/in/side/m$i"; done; ln -s side "$d/mvme/in/sl"
    for i in $(seq 1 30); do echo "x$i" > "$d/mixed/a/b/x$i"; done; mkfifo "$d/mixed/a/p"
    touch -d '2001-02-03 04:05:06' "$d/etc/f1.conf" "$d/data"
}
# tar names a sparse member's header GNUSparseFile.PID: hash the archive's members instead of its bytes;
# read to the end, as tar writes zero blocks after the last member
tarsum() { python3 -c 'import tarfile, hashlib, sys
h = hashlib.sha256()
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as t:
    for m in t:
        x = {k: v for k, v in m.pax_headers.items() if not k.startswith("GNU.sparse") and k not in ("atime", "ctime")}
        h.update(repr((m.name, m.mode, m.uid, m.gid, m.size, m.mtime, m.type, m.linkname, sorted(x.items()))).encode())
        if m.isreg(): h.update(t.extractfile(m).read())
sys.stdin.buffer.read()  # the trailing blocks: tar would die of SIGPIPE (rc 141) if left unread
print(h.hexdigest()[:16])'; }
times() { find "$@" -printf '%p %TY-%Tm-%Td %TH:%TM:%TS %y\n' | grep -v ' d$' | sort; }
workload() {
    cd t || return 1
    echo "## tar c of lower tree, x into the mount"; tar --xattrs --xattrs-include='user.*' -S -cf ../t.tar data etc; echo rc=$?; tarsum < ../t.tar
    mkdir ../x && tar --xattrs --xattrs-include='user.*' -S -xf ../t.tar -C ../x; echo rc=$?
    getfattr -d -m user ../x/data/blob ../x/data/deep | sed 's#^\# file: .*/x/#x/#'
    ls -li ../x/data | awk '{print $2, $3, $NF}' | sort -k3 ; du -k ../x/data/sparse | cut -f1
    tar tvf ../t.tar | awk '{print $1, $2, $3, $6, $7, $8}' | sort
    echo "## tar x over the lower tree itself"; tar --xattrs -xf ../t.tar; echo rc=$?; times etc/f1.conf data/blob
    echo "## cp -a lower tree inside the mount"; cp -a data ../cpa && ls -li ../cpa | awk '{print $2, $3, $NF}' | sort -k3
    getfattr -d -m user ../cpa/blob | tail -n +2; times ../cpa
    echo "## busybox cp -a, tar"; busybox cp -a etc ../bbcp; echo rc=$?; busybox tar -cf ../bb.tar own && busybox tar -tvf ../bb.tar | awk '{print $1,$2,$NF}' | sort
    echo "## sed -i on many lower files"; sed -i 's/foo=bar/foo=baz/' etc/*.conf etc/sub/*.conf; grep -l baz -r etc | wc -l
    echo "## find -exec chmod/chown"; find etc -name '*.conf' -exec chmod 600 {} +; find own -type f -exec chown 2000:2000 {} \;
    find data -exec chmod g+w {} + 2>&1; stat -c '%n %a %u:%g' own/* etc/f2.conf data/hl1 data/deep/er
    echo "## mv of a lower directory (EXDEV fallback)"; mv mvme moved; echo rc=$?; ls moved/in moved/in/side | wc -l; readlink moved/in/sl
    python3 -c 'import os
try: os.rename("moved2", "x")
except OSError as e: print("rename missing", e.errno)
os.mkdir("lowerdir_probe") if False else None
try: os.rename("data/deep", "deep2"); print("rename lower dir ok")
except OSError as e: print("rename lower dir", e.errno)'
    echo "## ln / hard links across"; ln data/blob blob.hl; ln etc/f3.conf data/f3.hl; echo w >> data/f3.hl; stat -c '%n %h %s' etc/f3.conf data/f3.hl blob.hl data/blob data/hl1 data/hl2 data/deep/hl3
    echo new >> data/hl2; cat data/hl1 data/deep/hl3; stat -c '%n %h' data/hl1 data/hl2 data/deep/hl3
    echo "## mkfifo, touch -d, truncate"; mkfifo newfifo data/deep/ff; touch -d '1999-12-31 23:59:59' etc/f4.conf newfifo data/fifo; times etc/f4.conf newfifo data/fifo
    touch -m -d '@1234567890.123456789' etc/f5.conf; stat -c '%n %Y %y' etc/f5.conf
    truncate -s 10 data/blob; truncate -s 1G data/sparse; truncate -s 0 etc/f6.conf; truncate -s +5 etc/f7.conf; stat -c '%n %s' data/blob data/sparse etc/f6.conf etc/f7.conf blob.hl
    echo "## rm -rf of mixed trees"; rm -rf mixed ../x/data/deep etc/sub; echo rc=$?; ls; ls ../x/data
    echo "## tar c of the merged result, compared"; tar --xattrs -S -cf - --sort=name --mtime=@0 --owner=0 --group=0 etc data own moved | tarsum
}
IGNORE_RE='^t\.tar '
real_main
