#!/bin/bash
# proto-fuse.sh LAYERDIR MOUNTPOINT [threads=N] [upper=EMPTYDIR]: starts the research prototype
# (fuse/src/test/.../ProtoServer, findings section 24) in the background with the product
# launcher's JVM options (src/bin/docker-on-top-fuse, without its CDS archive), waits until the
# mount answers and prints the server's pid. Unmount with `umount MOUNTPOINT`; the server exits
# then and writes its request counts to PROTO_LOG.
# PROTO_CP: classpath (default: the worktree's fuse jar and test classes).
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
cp=${PROTO_CP:-$here/../../fuse/target/docker-on-top-fuse.jar:$here/../../fuse/target/test-classes}
log=${PROTO_LOG:-/dev/null}
java -XX:+UseSerialGC -Xms8m -Xmx96m -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m \
    -XX:+UseCompressedOops -XX:TieredStopAtLevel=1 -Xshare:auto -XX:-UsePerfData \
    -cp "$cp" org.dockerontop.fuse.ProtoServer "$@" >"$log.out" 2>"$log" </dev/null &
pid=$!
for _ in $(seq 1 200); do
    if grep -qs "^serving" "$log.out" && stat "$2" >/dev/null 2>&1; then
        echo $pid
        exit 0
    fi
    kill -0 $pid 2>/dev/null || { echo "proto server exited" >&2; cat "$log" >&2; exit 1; }
    sleep 0.05
done
echo "proto server did not answer" >&2
exit 1
