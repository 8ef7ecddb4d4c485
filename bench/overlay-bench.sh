#!/usr/bin/env bash
# overlay-bench.sh: the same file-system workloads on the kernel overlay, fuse-overlayfs and
# docker-on-top-fuse, over one shared lower directory, side by side in one run.
# Run as root. See bench/README.md for what each workload measures. --help for options.
set -u -o pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
FSOPS="$HERE/fsops.py"
ALL_FS="kernel,fuse-overlayfs,docker-on-top-fuse"
ALL_WORKLOADS="seqread-cold,seqread-warm,randread,seqwrite,copyup-append,files,walk-cold,walk-warm,smallread-cold,untar,rm-lower-tree,rename-lower"
# Rows of the result table, in order ("files" yields four rows).
ROW_ORDER="seqread-cold,seqread-warm,randread,seqwrite,copyup-append,files-create,files-stat,files-readdir,files-unlink,walk-cold,walk-warm,smallread-cold,untar,rm-lower-tree,rename-lower"

SIZE=full
RUNS=3
ONLY=""
OUT=""
BASE_DIR=/var/tmp
DATA=""
MOUNTS=$ALL_FS
OURS_CMD=""
OURS_OPTS=""
FOVL_OPTS=""
KERNEL_OPTS=""
TIMEOUT=900
WARMUP=0
COMMAND_LINE="$0 $*"

usage() {
    cat <<EOF
Usage: $0 [options]        (as root)

Runs every workload on a kernel overlay, a fuse-overlayfs mount and a docker-on-top-fuse mount of
the same lower directory (each mount with a fresh upper and work directory), repeats it, and prints
the median time per workload with the ratios ours/fuse-overlayfs and ours/kernel.

  --size full|small        full: 1 GiB / 256 MiB files, 10,000 files, /usr/include (default);
                           small: 64 MiB / 16 MiB files, 1,000 files, /usr/include/linux (smoke run)
  --runs N                 repetitions of each workload on each mount (default $RUNS); median reported
  --only W1,W2             run only these workloads; one of:
                           ${ALL_WORKLOADS//,/ }
  --mounts M1,M2           only these mounts (default $ALL_FS)
  --out FILE               also write the report (tables, environment, raw runs) as markdown
  --dir DIR                where the temporary directory is made (default $BASE_DIR)
  --data DIR               keep the generated lower data in DIR and reuse it on the next run
                           (default: generated in the temporary directory and removed)
  --ours-cmd 'CMD ...'     command that mounts docker-on-top-fuse; it gets
                           "-o lowerdir=L,upperdir=U,workdir=W[,OPTS] MOUNTPOINT" appended
                           (default: java -jar $REPO/fuse/target/docker-on-top-fuse.jar)
  --ours-opts OPTS         extra mount options for docker-on-top-fuse
  --fuse-overlayfs-opts OPTS  extra mount options for fuse-overlayfs
  --kernel-opts OPTS       extra mount options for the kernel overlay (e.g. all three with
                           volatile: the same durability everywhere, no syncs at all)
  --timeout SECS           limit for one timed operation (default $TIMEOUT); past it the run is FAIL
  --warmup                 before each workload, exercise the fresh mount (write, read, create,
                           stat, readdir, unlink, walk in a scratch directory and the tree), so a
                           daemon's JIT and its own caches are warm as in a long-running mount;
                           kernel caches are then dropped as usual
  -h, --help
EOF
}

die() { echo "overlay-bench: $*" >&2; exit 2; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --size) SIZE=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --only) ONLY=${2:?}; shift 2 ;;
        --mounts) MOUNTS=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --dir) BASE_DIR=${2:?}; shift 2 ;;
        --data) DATA=${2:?}; shift 2 ;;
        --ours-cmd) OURS_CMD=${2:?}; shift 2 ;;
        --ours-opts) OURS_OPTS=${2:?}; shift 2 ;;
        --fuse-overlayfs-opts) FOVL_OPTS=${2:?}; shift 2 ;;
        --kernel-opts) KERNEL_OPTS=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --warmup) WARMUP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

case "$SIZE" in
    full)  BIG_MIB=1024; CU_MIB=256; NFILES=10000; NSMALL=10000; NREN=1000; NRAND=20000
           TREE_SRC=/usr/include ;;
    small) BIG_MIB=64;   CU_MIB=16;  NFILES=1000;  NSMALL=1000;  NREN=100;  NRAND=2000
           TREE_SRC=/usr/include/linux ;;
    *) die "--size must be full or small" ;;
esac
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer"
[ "$(id -u)" = 0 ] || die "must run as root (mounts, drop_caches)"
for c in python3 mount umount timeout tar dd; do
    command -v "$c" >/dev/null || die "$c not found"
done
WORKLOADS=${ONLY:-$ALL_WORKLOADS}
for w in ${WORKLOADS//,/ }; do
    [[ ",$ALL_WORKLOADS," == *",$w,"* ]] || die "unknown workload '$w' (one of $ALL_WORKLOADS)"
done
for m in ${MOUNTS//,/ }; do
    [[ ",$ALL_FS," == *",$m,"* ]] || die "unknown mount '$m' (one of $ALL_FS)"
done
if [ -n "$OUT" ]; then
    touch "$OUT" 2>/dev/null || die "cannot write $OUT"
    OUT=$(realpath "$OUT")
fi

# Mounts that cannot run are left out with a reason that goes into the table.
declare -A SKIP=()
FS_LIST=()
for fs in ${MOUNTS//,/ }; do
    case "$fs" in
        kernel) grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
                    SKIP[$fs]="skipped: no overlay in /proc/filesystems" ;;
        fuse-overlayfs) command -v fuse-overlayfs >/dev/null ||
                    SKIP[$fs]="skipped: fuse-overlayfs not installed" ;;
        docker-on-top-fuse)
            if [ -z "$OURS_CMD" ]; then
                jar="$REPO/fuse/target/docker-on-top-fuse.jar"
                if [ -f "$jar" ]; then
                    # the launcher: the JVM options the plugin runs the server with
                    OURS_CMD="$REPO/src/bin/docker-on-top-fuse"
                else
                    SKIP[$fs]="skipped: $jar not built"
                fi
            fi ;;
    esac
    FS_LIST+=("$fs")
done
[ -e /dev/fuse ] || { for fs in fuse-overlayfs docker-on-top-fuse; do SKIP[$fs]="skipped: no /dev/fuse"; done; }
for fs in "${!SKIP[@]}"; do log "$fs: ${SKIP[$fs]}"; done

mkdir -p "$BASE_DIR" || die "cannot create $BASE_DIR"
TMP=$(mktemp -d "$(realpath "$BASE_DIR")/overlay-bench.XXXXXX") || die "mktemp failed"
RESULTS="$TMP/results.tsv"      # workload fs run seconds|FAIL daemon-cpu-seconds|-
RSS="$TMP/rss.tsv"              # fs workload run VmHWM-kB threads
MOUNTINFO="$TMP/mountinfo.txt"  # mount options as seen by the kernel, one line per fs
ERRLOG="$TMP/errors.log"
: >"$RESULTS"; : >"$RSS"; : >"$MOUNTINFO"; : >"$ERRLOG"
declare -A DAEMON_PIDS=()        # pid -> 1 for every FUSE daemon we started

# ------------------------------------------------------------------ mounts and clean-up

# "MAJ:MIN MOUNTPOINT" of the mounts at or under $1, deepest first, read from mountinfo
# (never stat a mount point: a hung FUSE daemon would hang us too).
mounts_under() {
    awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $3, $5 }' /proc/self/mountinfo | sort -r -k2
}

# The fuse control file system shows each connection's settings and lets us abort one whose
# daemon hangs; mounted for the run (and unmounted at the end) if the system has not mounted it.
FUSECTL_MOUNTED=0
ensure_fusectl() {
    awk '$9 == "fusectl" { f = 1 } END { exit !f }' /proc/self/mountinfo && return 0
    [ -d /sys/fs/fuse/connections ] &&
        mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null && FUSECTL_MOUNTED=1
}
fuse_abort() {  # MAJ:MIN of a FUSE mount
    local conn=${1#*:}
    [ -e "/sys/fs/fuse/connections/$conn/abort" ] &&
        echo 1 >"/sys/fs/fuse/connections/$conn/abort" 2>/dev/null
}

force_unmount() {  # MOUNTPOINT
    local mnt=$1 dev fstype
    # umount can wait forever on a FUSE daemon that does not answer; give it 30 s.
    timeout -k 5 30 umount "$mnt" 2>>"$ERRLOG" && return 0
    read -r dev fstype < <(awk -v p="$mnt" '$5 == p { for (i = 7; $i != "-"; i++); print $3, $(i + 1); exit }' \
        /proc/self/mountinfo)
    [ -z "$dev" ] && return 0
    echo "umount $mnt failed; aborting its connection and detaching it" >>"$ERRLOG"
    [[ "$fstype" == fuse* ]] && fuse_abort "$dev"
    timeout -k 5 30 umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>>"$ERRLOG"
}

wait_pid_gone() {  # PID: give a daemon 10 s to exit after its unmount, then kill it
    local pid=$1 i
    for i in $(seq 100); do
        # A zombie counts as gone: the reaper of orphans here may never collect it.
        if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
            unset "DAEMON_PIDS[$pid]"; return 0
        fi
        sleep 0.1
    done
    echo "daemon $pid still running 10 s after unmount; killing it" >>"$ERRLOG"
    kill -TERM "$pid" 2>/dev/null; sleep 1; kill -KILL "$pid" 2>/dev/null
    unset "DAEMON_PIDS[$pid]"
}

cleanup() {
    local rc=$? dev mnt pid
    trap - EXIT INT TERM
    if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
        while read -r dev mnt; do
            [ -n "$mnt" ] && force_unmount "$mnt"
        done < <(mounts_under "$TMP")
        for pid in "${!DAEMON_PIDS[@]}"; do wait_pid_gone "$pid"; done
        [ "$FUSECTL_MOUNTED" = 1 ] && umount /sys/fs/fuse/connections 2>/dev/null
        if [ -n "$(mounts_under "$TMP")" ]; then
            echo "overlay-bench: mounts remain under $TMP; not removing it" >&2
        else
            rm -rf --one-file-system "$TMP"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "overlay-bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

fuse_pids() { find /proc/[0-9]*/fd -lname /dev/fuse 2>/dev/null | cut -d/ -f3 | sort -u; }

# The daemon serving MOUNTPOINT: a process holding /dev/fuse with the mount point in its
# command line, else the one process that opened /dev/fuse since BEFORE (a pid list) was taken.
find_daemon() {  # MOUNTPOINT BEFORE
    local mnt=$1 before=$2 pid arg args new=()
    for pid in $(fuse_pids); do
        [ "$pid" = $$ ] && continue
        mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null || continue
        for arg in "${args[@]}"; do
            [[ "$arg" == "$mnt" || "$arg" == "$mnt/" ]] && { echo "$pid"; return; }
        done
        grep -qx "$pid" <<<"$before" || new+=("$pid")
    done
    [ ${#new[@]} -eq 1 ] && echo "${new[0]}"
}

# Mount FS at $TMP/FS/mnt over $LOWER with a fresh upper and work directory. Sets MNT and DPID.
mount_fs() {  # FS
    local fs=$1 d="$TMP/$1" before opts
    MNT="$d/mnt"; DPID=""
    rm -rf --one-file-system "$d/upper" "$d/work"
    mkdir -p "$d/upper" "$d/work" "$MNT" || return 1
    opts="lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work"
    before=$(fuse_pids)
    case "$fs" in
        kernel) mount -t overlay overlay -o "$opts${KERNEL_OPTS:+,$KERNEL_OPTS}" "$MNT" ;;
        fuse-overlayfs) fuse-overlayfs -o "$opts${FOVL_OPTS:+,$FOVL_OPTS}" "$MNT" ;;
        docker-on-top-fuse) $OURS_CMD -o "$opts${OURS_OPTS:+,$OURS_OPTS}" "$MNT" ;;
    esac >"$TMP/mount.log" 2>&1 || {
        { echo "$fs: mount command failed:"; tail -n 20 "$TMP/mount.log"; } >>"$ERRLOG"
        return 1
    }
    if [ -z "$(mounts_under "$MNT" | awk -v p="$MNT" '$2 == p')" ]; then
        echo "$fs: mount command returned but $MNT is not a mount point" >>"$ERRLOG"
        return 1
    fi
    if [ "$fs" != kernel ]; then
        DPID=$(find_daemon "$MNT" "$before")
        [ -n "$DPID" ] && DAEMON_PIDS[$DPID]=1
    fi
    if ! grep -q "^$fs " "$MOUNTINFO"; then
        { echo "$fs $(awk -v p="$MNT" '$5 == p' /proc/self/mountinfo)"
          [ -n "$DPID" ] && echo "$fs daemon: $(tr '\0' ' ' <"/proc/$DPID/cmdline")"
          local dev conn
          dev=$(mounts_under "$MNT" | awk -v p="$MNT" '$2 == p { print $1; exit }'); conn=${dev#*:}
          if [ "$fs" != kernel ] && [ -d "/sys/fs/fuse/connections/$conn" ]; then
              echo "$fs fuse connection: max_background=$(cat "/sys/fs/fuse/connections/$conn/max_background")" \
                   "congestion_threshold=$(cat "/sys/fs/fuse/connections/$conn/congestion_threshold")"
          fi
        } >>"$MOUNTINFO"
    fi
}

unmount_fs() {
    force_unmount "$MNT"
    [ -n "$DPID" ] && wait_pid_gone "$DPID"
    rm -rf --one-file-system "$(dirname "$MNT")/upper" "$(dirname "$MNT")/work"
}

# ------------------------------------------------------------------ data

# The lower directory: shared read-only by every mount. Never written through a mount:
# each mount has its own upper directory, which is what the workloads change.
prepare_data() {
    local params="size=$SIZE big=$BIG_MIB cu=$CU_MIB small=$NSMALL ren=$NREN tree=$TREE_SRC v=1"
    if [ -z "$DATA" ]; then DATA="$TMP/data"; fi
    mkdir -p "$DATA"; DATA=$(realpath "$DATA")
    LOWER="$DATA/lower"
    if [ -f "$DATA/params" ] && [ "$(cat "$DATA/params")" = "$params" ]; then
        log "reusing lower data in $DATA"
        return
    fi
    log "generating lower data in $DATA ($params)"
    rm -rf --one-file-system "$LOWER" "$DATA/params" "$DATA/tree.tar" "$DATA/small.list"
    mkdir -p "$LOWER" || die "cannot create $LOWER"
    head -c "$((BIG_MIB << 20))" /dev/urandom >"$LOWER/big.bin" || die "cannot write big.bin"
    head -c "$((CU_MIB << 20))" /dev/urandom >"$LOWER/copyup.bin" || die "cannot write copyup.bin"
    python3 "$FSOPS" gen-files "$LOWER/small" "$NSMALL" 4096 1000 "$DATA/small.list" || die "gen small"
    python3 "$FSOPS" gen-files "$LOWER/ren" "$NREN" 4096 0 || die "gen ren"
    cp -a "$TREE_SRC" "$LOWER/tree" || die "cannot copy $TREE_SRC"
    tar -C "$(dirname "$TREE_SRC")" -cf "$DATA/tree.tar" "$(basename "$TREE_SRC")" || die "tar failed"
    sync
    echo "$params" >"$DATA/params"
}

# ------------------------------------------------------------------ timing

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

daemon_cpu() {  # user+sys clock ticks of the daemon so far, or empty
    [ -n "$DPID" ] && [ -r "/proc/$DPID/stat" ] || return 0
    local s; s=$(<"/proc/$DPID/stat"); s=${s##*) }
    # after "pid (comm) ": field 3 is state; utime and stime are fields 14 and 15
    awk '{ print $12 + $13 }' <<<"$s"
}

# Runs the timed part of a workload and appends "SECONDS CPU" to $TIMING (CPU: daemon seconds or -).
# timed ext CMD...: wall-clock time of the command (one fork+exec, ~1 ms, included).
# timed py SUB ARGS...: the time fsops.py measured around its file-system calls.
CLK_TCK=$(getconf CLK_TCK)
timed() {
    local kind=$1 t0 t1 c0 c1 out rc secs cpu=-
    shift
    c0=$(daemon_cpu)
    if [ "$kind" = ext ]; then
        t0=$EPOCHREALTIME
        timeout --foreground -k 10 "$TIMEOUT" "$@" >/dev/null 2>>"$ERRLOG"; rc=$?
        t1=$EPOCHREALTIME
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    else
        out=$(timeout --foreground -k 10 "$TIMEOUT" python3 "$FSOPS" "$@" 2>>"$ERRLOG"); rc=$?
        secs=${out##* }
    fi
    c1=$(daemon_cpu)
    if [ -n "$c0" ] && [ -n "$c1" ]; then
        cpu=$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
    fi
    if [ $rc -ne 0 ] || ! [[ "$secs" =~ ^[0-9.]+$ ]]; then
        echo "timed command failed (rc=$rc): $*" >>"$ERRLOG"
        return 1
    fi
    TIMING+=("$secs $cpu")
}

# --warmup: the same kinds of calls as the workloads, on a scratch directory and the lower tree
# (which the workloads that use it either walk warm or first drop from the caches).
warm_up() {
    local d="$MNT/.bench-warmup" i
    mkdir "$d" || return 1
    for i in 1 2 3; do
        dd if=/dev/zero of="$d/w" bs=1M count=32 status=none &&
        dd if="$d/w" of=/dev/null bs=1M status=none &&
        python3 "$FSOPS" randread "$d/w" 2000 "$i" 4096 >/dev/null &&
        python3 "$FSOPS" files-create "$d/f$i" 2000 >/dev/null &&
        python3 "$FSOPS" files-stat "$d/f$i" 2000 >/dev/null &&
        python3 "$FSOPS" files-readdir "$d/f$i" 2000 >/dev/null &&
        python3 "$FSOPS" files-unlink "$d/f$i" 2000 >/dev/null &&
        python3 "$FSOPS" walk "$MNT/tree" >/dev/null || return 1
    done
    rm -rf "$d"
}

# One workload on the mounted $MNT: untimed preparation, then the timed part(s).
# Fills TIMING with one "SECONDS CPU" per row (files: four rows).
run_workload() {  # WORKLOAD
    local w=$1
    TIMING=()
    if [ "$WARMUP" = 1 ]; then
        warm_up || { echo "warm-up failed on $MNT" >>"$ERRLOG"; return 1; }
    fi
    case "$w" in
        seqread-cold)
            drop_caches
            timed ext dd if="$MNT/big.bin" of=/dev/null bs=1M status=none ;;
        seqread-warm)
            dd if="$MNT/big.bin" of=/dev/null bs=1M status=none || return 1
            timed ext dd if="$MNT/big.bin" of=/dev/null bs=1M status=none ;;
        randread)
            drop_caches
            timed py randread "$MNT/big.bin" "$NRAND" 42 4096 ;;
        seqwrite)
            drop_caches
            timed ext dd if=/dev/zero of="$MNT/written.bin" bs=1M count="$BIG_MIB" conv=fsync status=none ;;
        copyup-append)
            drop_caches
            timed ext sh -c 'echo x >>"$1"' sh "$MNT/copyup.bin" || return 1
            [ "$(stat -c %s "$MNT/copyup.bin")" = $(((CU_MIB << 20) + 2)) ] ||
                { echo "copyup-append: wrong size after append" >>"$ERRLOG"; return 1; } ;;
        files)
            drop_caches
            timed py files-create "$MNT/new" "$NFILES" &&
            timed py files-stat "$MNT/new" "$NFILES" &&
            timed py files-readdir "$MNT/new" "$NFILES" &&
            timed py files-unlink "$MNT/new" "$NFILES" ;;
        walk-cold)
            drop_caches
            timed py walk "$MNT/tree" ;;
        walk-warm)
            python3 "$FSOPS" walk "$MNT/tree" >/dev/null || return 1
            timed py walk "$MNT/tree" ;;
        smallread-cold)
            drop_caches
            timed py readall "$MNT/small" "$DATA/small.list" ;;
        untar)
            mkdir "$MNT/untar" || return 1
            drop_caches
            timed ext tar -xf "$DATA/tree.tar" -C "$MNT/untar" ;;
        rm-lower-tree)
            drop_caches
            timed ext rm -rf "$MNT/tree" || return 1
            [ ! -e "$MNT/tree" ] || { echo "rm-lower-tree: tree still there" >>"$ERRLOG"; return 1; } ;;
        rename-lower)
            drop_caches
            timed py rename "$MNT/ren" "$LOWER/ren" ;;
    esac
}

rows_of() {  # WORKLOAD -> its row names
    if [ "$1" = files ]; then echo files-create files-stat files-readdir files-unlink; else echo "$1"; fi
}

record_rss() {  # FS WORKLOAD RUN
    [ -n "$DPID" ] && [ -r "/proc/$DPID/status" ] || return 0
    local hwm thr
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status")
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$DPID/status")
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$hwm" "$thr" >>"$RSS"
}

# ------------------------------------------------------------------ main

ensure_fusectl
prepare_data
START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "start: runs=$RUNS size=$SIZE workloads=$WORKLOADS mounts=${FS_LIST[*]}"

RUNNABLE=()
for fs in "${FS_LIST[@]}"; do [ -z "${SKIP[$fs]:-}" ] && RUNNABLE+=("$fs"); done
n=${#RUNNABLE[@]}
[ "$n" -gt 0 ] || die "no mount can run"

for ((run = 1; run <= RUNS; run++)); do
    for w in ${WORKLOADS//,/ }; do
        # The order of the mounts rotates from run to run, so that none is always first
        # after the data of the previous workload was dropped or written back.
        for ((i = 0; i < n; i++)); do
            fs=${RUNNABLE[$(((i + run - 1) % n))]}
            status=ok
            if ! mount_fs "$fs"; then
                status=FAIL
            elif ! run_workload "$w"; then
                status=FAIL
            fi
            [ -n "${MNT:-}" ] && [ "$status" = ok ] && record_rss "$fs" "$w" "$run"
            unmount_fs
            rows=($(rows_of "$w"))
            for ((r = 0; r < ${#rows[@]}; r++)); do
                secs=FAIL cpu=-
                [ $r -lt ${#TIMING[@]} ] && read -r secs cpu <<<"${TIMING[$r]}"
                printf '%s\t%s\t%s\t%s\t%s\n' "${rows[$r]}" "$fs" "$run" "$secs" "$cpu" >>"$RESULTS"
                msg="$secs"; [ "$secs" != FAIL ] && msg+=" s"; [ "$cpu" != - ] && msg+=" (daemon cpu $cpu s)"
                log "run $run/$RUNS ${rows[$r]} $fs: $msg"
            done
            TIMING=()
        done
    done
done

END=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
NOTES=""
for fs in "${!SKIP[@]}"; do NOTES+="$fs=skipped;"; done

report() {
    echo "# Overlay benchmark: kernel overlay vs fuse-overlayfs vs docker-on-top-fuse"
    echo
    echo "- started $START, finished $END; load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- command: \`$COMMAND_LINE\`"
    echo "- size=$SIZE (big file $BIG_MIB MiB, copy-up file $CU_MIB MiB, $NFILES new files, $NSMALL small lower files," \
         "$NREN renamed files, $NRAND random reads, tree and tar of $TREE_SRC: $(find "$LOWER/tree" | wc -l) entries); runs=$RUNS; median shown"
    echo "- every workload on a fresh mount$([ "$WARMUP" = 1 ] && echo ", exercised first (--warmup: JIT and daemon caches warm)" || echo " (no --warmup: a JVM daemon runs it with a cold JIT)")"
    echo "- host: $(uname -sr), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
         "$(fuse-overlayfs --version 2>/dev/null | grep -i 'fuse-overlayfs' | head -1), $(java -version 2>&1 | head -1)"
    echo "- data and upper directories on $(findmnt -no FSTYPE -T "$TMP") ($(findmnt -no SOURCE -T "$TMP"))"
    if [ -z "${SKIP[docker-on-top-fuse]:-}" ]; then
        local jar=$REPO/fuse/target/docker-on-top-fuse.jar
        echo "- docker-on-top-fuse: \`$OURS_CMD\`$(git -C "$REPO" log -1 --format=', checkout at %h (%cd)' --date=format:'%Y-%m-%d %H:%M' 2>/dev/null)$([ -f "$jar" ] && date -u -r "$jar" '+, jar built %Y-%m-%d %H:%M UTC')"
    fi
    echo
    for fs in "${!SKIP[@]}"; do echo "- $fs ${SKIP[$fs]}"; done
    echo
    echo "Ratios below 1.00 mean docker-on-top-fuse was faster."
    echo
    python3 "$FSOPS" report "$RESULTS" "$RSS" "$ROW_ORDER" "$(IFS=,; echo "${FS_LIST[*]}")" "$NOTES"
    echo
    echo "Mounts as the kernel saw them (/proc/self/mountinfo):"
    echo
    echo '```'
    cat "$MOUNTINFO"
    echo '```'
    if [ -s "$ERRLOG" ]; then
        echo
        echo "Errors and messages:"
        echo
        echo '```'
        tail -n 40 "$ERRLOG"
        echo '```'
    fi
}
report | tee "${OUT:-/dev/null}"
