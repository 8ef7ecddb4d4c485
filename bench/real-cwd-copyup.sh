#!/usr/bin/env bash
# real-cwd-copyup.sh: a process whose working directory is a lower-only directory creates a file
# there (the directory is copied up); getcwd() then fails with ENOENT on docker-on-top-fuse and
# keeps failing until something looks the directory's name up again. On the kernel overlay it works.
# Seen as "fatal: Unable to read current working directory" from every git command after the first
# (real-concurrent.sh: git running beside other workloads). Exit status 1 when ours differs.
. "$(dirname "$0")/real-lib.sh"
mkdir -p "$L/a" "$L/b/sub" "$L/c"
mount_both
check() {
    python3 - "$1" <<'P'
import os, sys, time
m = sys.argv[1]
def cwd(what):
    time.sleep(0.3)   # the server's entry invalidation is sent after its reply
    try: os.getcwd(); return f"{what}: ok"
    except OSError as e: return f"{what}: getcwd {e.strerror}"
os.chdir(m + "/a"); open("new", "w").close(); print(cwd("create in cwd"))
print("  relative stat still works:", os.path.exists("new"))
os.stat(m + "/a"); print(cwd("after a lookup of its name"))
os.chdir(m + "/b/sub"); os.mkdir("d"); print(cwd("mkdir in cwd (parent b copied up too)"))
os.chdir(m + "/c"); os.chmod(".", 0o700); print(cwd("chmod of cwd"))
P
}
echo "kernel overlay:"; check "$T/m2" > "$T/k"; cat "$T/k"
echo "docker-on-top-fuse:"; check "$T/m1" > "$T/f"; cat "$T/f"
cmp -s "$T/k" "$T/f"
