#!/bin/bash
# Makes the class-data-sharing (AppCDS) archive of docker-on-top-fuse: JAR's name with .jsa instead
# of .jar, beside it, which the launcher (src/bin/docker-on-top-fuse) and the plugin (FuseCommand)
# hand to every FUSE server they start. The JVM then maps the classes a server needs instead of
# loading and verifying them from the jar: a fresh mount answers sooner and uses less CPU.
#
#   src/fuse-cds-archive.sh JAR [LAUNCHER]       (as root; LAUNCHER: default src/bin/docker-on-top-fuse)
#
# The training mount runs the default request loop, the one this host's servers run (loop=java as root).
#
# How: one training mount of JAR through LAUNCHER (foreground, -XX:ArchiveClassesAtExit) over
# temporary layers, which runs the usual requests (lookup, readdir, reads, writes, copy-up, rename,
# chmod, xattrs, unlink, mkdir/rmdir, links) and is unmounted, so that the JVM exits and writes the
# archive of every class it loaded. The archive is checked (a JVM must load classes from it) and
# only then renamed into place: JDK 17 crashes on a truncated archive rather than ignoring it.
# An archive made from another jar is ignored by the JVM, so run this again whenever JAR changes
# (src/install.sh does, at every install).
#
# Exit status 0 once the archive is in place; otherwise 1 with the reason on stderr, the old
# archive removed if it no longer matches JAR, and nothing left mounted, running or on disk.
set -euo pipefail

say() { echo "fuse-cds-archive: $*" >&2; }

jar=${1:?usage: $0 JAR [LAUNCHER]}
launcher=${2:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/bin/docker-on-top-fuse}
[[ -f $jar ]] || { say "$jar does not exist"; exit 1; }
[[ -x $launcher ]] || { say "the launcher $launcher is not an executable file"; exit 1; }
jar=$(readlink -f "$jar")
jsa="${jar%.jar}.jsa"
java=${JAVA:-}
if [[ -z $java ]]; then
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then java=$JAVA_HOME/bin/java; else java=java; fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/docker-on-top-fuse-cds.XXXXXX")
# written beside the final name, so that the rename into place is atomic
new="$(dirname "$jsa")/.$(basename "$jsa").$$.new"
mnt=$tmp/mnt
server=""

mounted() { grep -q " $mnt fuse" /proc/self/mounts; }

cleanup() {
    if mounted; then
        fusermount -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    fi
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    rm -f "$new"
}
trap cleanup EXIT

# Whether java maps ARCHIVE for JAR's classes: -Xshare:on refuses to start with an unusable archive,
# and at least one class must come from the archive's top (dynamic) layer.
usable() {
    "$java" -XX:+UseSerialGC -Xmx256m -Xshare:on -XX:SharedArchiveFile="$1" -Xlog:class+load=info \
        -jar "$jar" --version 2>/dev/null | grep -q 'source: shared objects file (top)'
}

fail() {
    say "$*"
    if [[ -f $jsa ]] && ! usable "$jsa"; then
        rm -f "$jsa"
        say "removed $jsa, which does not match $jar"
    fi
    if [[ -s $tmp/server.log ]]; then
        say "the training server's last output:"
        grep -v 'Pre JDK 6 class not supported\|\[cds\] Skipping' "$tmp/server.log" | tail -n 20 >&2 || true
    fi
    exit 1
}

[[ -e /dev/fuse ]] || fail "no /dev/fuse: cannot mount for the training run"

# the lower layer: a tree with the kinds of files the requests below need
l=$tmp/lower
mkdir -p "$l/dir" "$l/sub/deep" "$l/gone/inner" "$tmp/upper" "$tmp/work" "$mnt"
for i in $(seq 1 200); do echo "file $i" > "$l/dir/f$i"; done
head -c 1048576 /dev/zero > "$l/big"
for f in append ren chmod chown del xattr link trunc otrunc; do echo "$f" > "$l/$f.txt"; done
echo deep > "$l/sub/deep/file"
ln -s big "$l/big.sym"
setfattr -n user.dot -v lower "$l/xattr.txt" 2>/dev/null || true

# No loop= option: the training mount runs the request loop the servers on this host run with the
# default (our own loop wherever mount(2) is permitted, i.e. as root: install.sh and the plugin,
# which starts every server as root; libfuse's elsewhere). An archive holds the classes one JVM
# loaded, i.e. one loop's: a server of the other loop still maps it and loads the rest from the jar.
opts="lowerdir=$l,upperdir=$tmp/upper,workdir=$tmp/work"
DOCKER_ON_TOP_FUSE_JAR=$jar DOCKER_ON_TOP_FUSE_CDS_DUMP=$new \
    "$launcher" -f -o "$opts" "$mnt" >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    mounted && stat "$mnt" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || fail "the training server exited before mounting"
    sleep 0.1
done
mounted || fail "the training mount did not come up within 30 s"

# The requests of a usual volume's life. Each may fail without spoiling the archive (it only misses
# the classes that request would have loaded); failures are reported.
failed=()
try() { "$@" >/dev/null 2>&1 || failed+=("$*"); }
m=$mnt
try ls -la "$m" "$m/dir" "$m/sub/deep"                     # readdir(plus), lookup, getattr, getxattr
try stat "$m/dir/f1" "$m/big.sym"
stat "$m/no-such-file" >/dev/null 2>&1 || true               # a negative lookup
try cat "$m/big"                                           # a read of a lower file (spliced)
try head -c 100 "$m/dir/f2"
try readlink "$m/big.sym"
try sh -c "echo new > '$m/new.txt' && echo more >> '$m/new.txt' && cat '$m/new.txt'"   # create, write
try dd if=/dev/zero of="$m/new.bin" bs=128k count=8 conv=fsync                        # big writes, fsync
try sh -c "echo appended >> '$m/append.txt'"               # copy-up by append
try mv "$m/ren.txt" "$m/renamed.txt"                       # rename of a lower file
try mv "$m/new.txt" "$m/new-renamed.txt"                   # rename of an upper file
try chmod 600 "$m/chmod.txt"                               # metadata copy-up
try chown 1:1 "$m/chown.txt"
try touch -d @0 "$m/dir/f3"                                # utimens
try truncate -s 3 "$m/trunc.txt"
try sh -c ": > '$m/otrunc.txt'"                            # open(O_TRUNC) of a lower file
try setfattr -n user.dot -v upper "$m/xattr.txt"          # xattrs
try getfattr -d "$m/xattr.txt"
try setfattr -x user.dot "$m/xattr.txt"
try cp -a "$m/link.txt" "$m/copied.txt"                    # listxattr, utimens, chown of a new file
try rm "$m/del.txt" "$m/new-renamed.txt"                   # unlink: whiteout and plain
try mkdir -p "$m/made/inner"                               # mkdir, rmdir
try rmdir "$m/made/inner" "$m/made"
try rm -r "$m/gone"                                        # rmdir of a lower directory
try ln -s target "$m/sym"                                  # symlink
try ln "$m/link.txt" "$m/hard.txt"                         # hard link (copies up)
try mkfifo "$m/fifo"
try df "$m"                                                # statfs
try ls -laR "$m"                                           # the merged listing after all that
try find "$m" -type f -newer "$m/big"
try sync

if mounted && ! fusermount -u "$mnt" 2>"$tmp/umount.err"; then
    fail "unmounting the training mount failed: $(cat "$tmp/umount.err")"
fi
# the JVM writes the archive as it exits
for _ in $(seq 1 600); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server" 2>/dev/null && fail "the training server did not exit within 60 s of its unmount"
status=0
wait "$server" || status=$?
server=""
((status == 0)) || fail "the training server exited with status $status"
[[ -s $new ]] || fail "the training server wrote no archive"
usable "$new" || fail "java does not load $jar's classes from the archive it wrote"
chmod 0644 "$new"
mv -f "$new" "$jsa"
if ((${#failed[@]})); then
    say "made $jsa; these training requests failed (their classes may be missing): ${failed[*]}"
else
    say "made $jsa"
fi
