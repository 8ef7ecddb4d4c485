#!/usr/bin/env bash
# real-nonroot.sh: uid/gid 65534 (setpriv, no groups) runs the git, C build and python/sqlite
# workloads in trees it owns in the lower, then probes what the modes refuse (root-owned files and
# directories, sticky and setgid directories, chmod/chown/utimes of others' files).
. "$(dirname "$0")/real-lib.sh"
REAL_LIB_ONLY=1
for w in git cbuild python; do
    . "$HERE/real-$w.sh"
    eval "${w}_$(declare -f make_lower)"; eval "${w}_$(declare -f workload)"
done
REAL_LIB_ONLY=0
IGNORE_RE='\.git/index |pyvenv.cfg|venv/bin/activate'
export NO_IMPURE=1
make_lower() {
    mkdir -p "$L/home"; local saved=$L; L=$L/home
    for w in git cbuild python; do ${w}_make_lower; done
    L=$saved; chown -R 65534:65534 "$L/home"
    mkdir -p "$L/perm/rootdir" "$L/perm/sticky" "$L/perm/sgid" "$L/perm/open"
    echo secret > "$L/perm/secret"; chmod 600 "$L/perm/secret"
    echo pub > "$L/perm/pub"; echo r > "$L/perm/rootdir/f"
    chmod 1777 "$L/perm/sticky"; echo root > "$L/perm/sticky/rootfile"
    echo mine > "$L/perm/sticky/mine"; chown 65534:65534 "$L/perm/sticky/mine"
    chown 0:65534 "$L/perm/sgid"; chmod 2775 "$L/perm/sgid"
    chmod 777 "$L/perm/open"; echo o > "$L/perm/open/rootfile"; chmod 666 "$L/perm/open/rootfile"
    chown 65534:65534 "$L/perm"   # its own top directory, root's things inside
}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$MNT/home" "$@"; }
probe() {
    python3 - <<'P'
import os, errno
def t(what, f):
    try: f(); r = "ok"
    except OSError as e: r = errno.errorcode[e.errno]
    print(f"{what}: {r}")
t("read 0600 root file", lambda: open("perm/secret").read())
t("write 0644 root file", lambda: open("perm/pub", "a").write("x"))
t("create in root 755 dir", lambda: open("perm/rootdir/new", "w"))
t("unlink in root 755 dir", lambda: os.unlink("perm/rootdir/f"))
t("unlink root file in own dir", lambda: os.unlink("perm/pub"))
t("rename root dir in own dir", lambda: os.rename("perm/rootdir", "perm/rootdir2"))
t("unlink root file in sticky", lambda: os.unlink("perm/sticky/rootfile"))
t("unlink own file in sticky", lambda: os.unlink("perm/sticky/mine"))
t("create in sticky", lambda: open("perm/sticky/new", "w").write("n"))
t("create in setgid", lambda: open("perm/sgid/new", "w").write("n"))
t("mkdir in setgid", lambda: os.mkdir("perm/sgid/d"))
st = os.stat("perm/sgid/d"); print("sgid/d mode gid", oct(st.st_mode), st.st_gid)
st = os.stat("perm/sgid/new"); print("sgid/new gid", st.st_gid)
t("write 666 root file in 777 dir", lambda: open("perm/open/rootfile", "a").write("y"))
t("chmod root file", lambda: os.chmod("perm/open/rootfile", 0o600))
t("chown own file to root", lambda: os.chown("perm/sticky/new", 0, 0))
t("chgrp own file to other group", lambda: os.chown("perm/sticky/new", -1, 0))
t("utime(NULL) root 666 file", lambda: os.utime("perm/open/rootfile"))
t("utime(times) root 666 file", lambda: os.utime("perm/open/rootfile", (1, 1)))
t("truncate root 666 file", lambda: os.truncate("perm/open/rootfile", 0))
t("setxattr user on root 666 file", lambda: os.setxattr("perm/open/rootfile", "user.x", b"1"))
t("setxattr trusted on own file", lambda: os.setxattr("perm/sticky/new", "trusted.x", b"1"))
t("chmod g+s own file, not in group", lambda: os.chmod("perm/sgid/new", 0o2755))
print("sgid/new mode", oct(os.stat("perm/sgid/new").st_mode))
t("link to root file", lambda: os.link("perm/open/rootfile", "perm/hl"))
t("rmdir own dir holding root file", lambda: os.rmdir("perm/open"))
t("rename own dir into sticky", lambda: os.rename("perm/sgid/d", "perm/sticky/d"))
P
}
workload() {
    for w in git cbuild python; do echo "#### $w"; (cd home && as_nobody bash -c "$(declare -f ${w}_workload); ${w}_workload"); echo "rc=$?"; done
    echo "#### probe"; as_nobody bash -c "$(declare -f probe); probe"
}
real_main
