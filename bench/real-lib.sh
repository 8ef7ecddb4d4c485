# real-lib.sh: sourced by bench/real-*.sh. Runs one workload on docker-on-top-fuse and on the kernel
# overlay over the same lower directory and compares what the workload printed, its exit status, the
# merged trees and the upper directories. Run as root. Usage in a script:
#   . "$(dirname "$0")/real-lib.sh"
#   make_lower() { ...fill "$L"... }        # optional
#   workload()   { ...runs with cwd = merged root, $MNT set... }
#   real_main
# Environment: JAR (default: ../fuse/target/docker-on-top-fuse.jar), KEEP=1 keeps the temp dir,
# FUSE_OPTS extra options for ours, LOOP=java|libfuse adds loop=LOOP to them (the request loop; a
# line "ours: ..." on stderr shows the options used), MTIME=1 compares mtimes of files too, NO_IMPURE=1 leaves out
# trusted.overlay.impure (when the workload's own copy-ups depend on timing), IGNORE_RE: lines to drop.
# REAL_LIB_ONLY=1 when sourcing a workload script from another (real-concurrent.sh): real_main then
# does nothing, so the script only defines its make_lower and workload.
[ -n "${REAL_LIB_LOADED:-}" ] && return 0
REAL_LIB_LOADED=1
set -u -o pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
JAR=${JAR:-$REPO/fuse/target/docker-on-top-fuse.jar}
T=$(mktemp -d /tmp/h-real.XXXXXX)
chmod 755 "$T"
L=$T/lower
mkdir -p "$L" "$T"/{u1,w1,m1,u2,w2,m2}
FUSE_PID=""
cleanup() {
    cd /
    mountpoint -q "$T/m1" && { fusermount -u "$T/m1" || umount -l "$T/m1"; }
    mountpoint -q "$T/m2" && umount "$T/m2"
    if [ -n "$FUSE_PID" ]; then for i in $(seq 50); do kill -0 "$FUSE_PID" 2>/dev/null || break; sleep 0.1; done; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

FUSE_OPTS=${FUSE_OPTS:-}${LOOP:+${FUSE_OPTS:+,}loop=$LOOP}
mount_both() {
    DOCKER_ON_TOP_FUSE_JAR=$JAR "$REPO/src/bin/docker-on-top-fuse" \
        -o "lowerdir=$L,upperdir=$T/u1,workdir=$T/w1,log=$T/fuse.log${FUSE_OPTS:+,$FUSE_OPTS}" "$T/m1" || { echo "FUSE mount failed"; exit 2; }
    FUSE_PID=$(pgrep -n -f "upperdir=$T/u1" || true)
    # on stderr, so that scripts comparing their own output are not disturbed
    echo "ours: pid ${FUSE_PID:-?}, options ${FUSE_OPTS:-(none)}" >&2
    mount -t overlay o -o "lowerdir=$L,upperdir=$T/u2,workdir=$T/w2" "$T/m2" || { echo "kernel mount failed"; exit 2; }
}

# dumptree DIR KIND: one line per entry; KIND=merged|upper (upper also shows whiteouts and overlay xattrs)
dumptree() {
    python3 - "$1" "$2" "${MTIME:-0}" <<'PY'
import os, sys, stat, hashlib
root, kind, mtime = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
out = []
for dp, dns, fns in os.walk(root):
    dns.sort()
    for n in sorted(dns + fns):
        p = os.path.join(dp, n); rel = os.path.relpath(p, root)
        try: st = os.lstat(p)
        except OSError as e: out.append(f"{rel} LSTAT-ERR {e.errno}"); continue
        m = st.st_mode; t = stat.S_IFMT(m)
        wh = stat.S_ISCHR(m) and st.st_rdev == 0
        # the kernel links all whiteouts to one shared inode (nlink up to 1000): not compared
        line = f"{rel} {oct(m)} {st.st_uid}:{st.st_gid} n{'W' if wh else st.st_nlink}"
        if stat.S_ISREG(m):
            try:
                with open(p, 'rb') as f: h = hashlib.sha256(f.read()).hexdigest()[:16]
            except OSError as e: h = f"READ-ERR{e.errno}"
            line += f" s{st.st_size} {h}"
            if st.st_blocks * 512 < st.st_size: line += " sparse"
        elif stat.S_ISLNK(m): line += " -> " + os.readlink(p)
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m): line += f" dev{os.major(st.st_rdev)},{os.minor(st.st_rdev)}"
        if mtime and not stat.S_ISDIR(m): line += f" mt{st.st_mtime_ns}"
        try:
            xs = sorted(os.listxattr(p, follow_symlinks=False))
        except OSError as e: xs = [f"LISTXATTR-ERR{e.errno}"]
        for x in xs:
            if x.startswith("trusted.overlay.") and kind == "merged": continue
            if x == "trusted.overlay.impure" and os.environ.get("NO_IMPURE") == "1": continue
            if kind == "upper" and x in ("trusted.overlay.origin", "trusted.overlay.impure", "trusted.overlay.uuid"):
                line += f" [{x}]"; continue   # values are per-mount (uuid/handles)
            try: v = os.getxattr(p, x, follow_symlinks=False)
            except OSError as e: v = f"ERR{e.errno}".encode()
            line += f" [{x}={v[:40]!r}]"
        out.append(line)
print("\n".join(out))
PY
}

# run_on MNTDIR TAG: runs workload in MNTDIR, output in $T/out.TAG with paths normalised
run_on() {
    local m=$1 tag=$2
    ( cd "$m" && MNT=$m workload ) > "$T/out.$tag" 2>&1
    echo "rc=$?" >> "$T/out.$tag"
    sed -i "s#$m#MNT#g; s#$T/u[12]#UPPER#g" "$T/out.$tag"
}

compare() {
    local rc=0
    if ! diff -u "$T/out.kernel" "$T/out.fuse" > "$T/diff.out"; then echo "### DIVERGENCE: workload output (kernel vs fuse)"; head -60 "$T/diff.out"; rc=1; fi
    dumptree "$T/m2" merged | grep -Ev "${IGNORE_RE:-^\$}" > "$T/tree.kernel"; dumptree "$T/m1" merged | grep -Ev "${IGNORE_RE:-^\$}" > "$T/tree.fuse"
    if ! diff -u "$T/tree.kernel" "$T/tree.fuse" > "$T/diff.tree"; then echo "### DIVERGENCE: merged tree"; head -${DIFFLINES:-60} "$T/diff.tree"; rc=1; fi
    # uppers compared after unmount (the kernel's upper is only consistent then)
    fusermount -u "$T/m1"; umount "$T/m2"
    dumptree "$T/u2" upper | grep -Ev "${IGNORE_RE:-^\$}" > "$T/up.kernel"; dumptree "$T/u1" upper | grep -Ev "${IGNORE_RE:-^\$}" > "$T/up.fuse"
    if ! diff -u "$T/up.kernel" "$T/up.fuse" > "$T/diff.upper"; then echo "### DIVERGENCE: upper dir"; head -${DIFFLINES:-60} "$T/diff.upper"; rc=1; fi
    if grep -E 'ERROR|Exception|SEVERE' "$T/fuse.log" > "$T/log.err"; then echo "### FUSE log errors:"; head -30 "$T/log.err"; rc=1; fi
    echo "--- workload output (kernel), last lines:"; tail -5 "$T/out.kernel"
    [ $rc = 0 ] && echo "=== MATCH" || echo "=== DIFFERS"
    return $rc
}

real_main() {
    [ "${REAL_LIB_ONLY:-0}" = 1 ] && return 0
    if declare -F make_lower >/dev/null; then make_lower; fi
    mount_both
    local t0=$(date +%s)
    run_on "$T/m2" kernel
    local t1=$(date +%s)
    run_on "$T/m1" fuse
    local t2=$(date +%s)
    echo "times: kernel $((t1-t0))s fuse $((t2-t1))s"
    compare
}
