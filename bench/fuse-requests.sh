#!/bin/bash
# fuse-requests.sh: counts the FUSE requests the kernel sends to one mount while a command runs,
# by opcode, as the kernel records them (tracepoint fuse:fuse_request_send, kernel 6.15+).
#
#   bench/fuse-requests.sh MOUNTPOINT COMMAND [ARGS...]
#
# Uses a tracing instance of its own (/sys/kernel/tracing/instances/fuse-requests-PID), filtered to
# the mount's connection, so nothing else is traced and other tracing users are not disturbed; the
# instance is removed on exit. COMMAND's output is discarded. Needs root.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 MOUNTPOINT COMMAND [ARGS...]" >&2
    exit 2
fi
mnt=$1
shift
tracing=/sys/kernel/tracing
event=events/fuse/fuse_request_send
if [ ! -d "$tracing/$event" ]; then
    echo "$0: no $tracing/$event (tracefs not mounted, or a kernel before 6.15)" >&2
    exit 1
fi
dev=$(stat -c %d "$mnt")
# userspace dev_t -> the kernel's connection id (MAJOR << 20 | MINOR; FUSE mounts have major 0)
minor=$(( (dev & 0xff) | ((dev >> 12) & 0xfff00) ))
major=$(( (dev >> 8) & 0xfff ))
connection=$(( (major << 20) | minor ))

inst=$tracing/instances/fuse-requests-$$
mkdir "$inst"
cleanup() {
    echo 0 > "$inst/$event/enable" 2>/dev/null || true
    rmdir "$inst"
}
trap cleanup EXIT
echo 16384 > "$inst/buffer_size_kb"
echo "connection == $connection" > "$inst/$event/filter"
echo 1 > "$inst/$event/enable"
"$@" > /dev/null
echo 0 > "$inst/$event/enable"

trace=$(cat "$inst/trace")
lost=$(grep -o 'entries-in-buffer/entries-written: [0-9]*/[0-9]*' <<< "$trace" | awk -F'[ /]' '$3 != $4 {print $3 " of " $4}')
if [ -n "$lost" ]; then
    echo "$0: the trace buffer kept only $lost requests" >&2
fi
grep -o 'opcode [0-9]* ([A-Z_0-9]*)' <<< "$trace" | sed 's/opcode [0-9]* (FUSE_\(.*\))/\1/' | sort | uniq -c | sort -rn || true
echo "$(grep -c ' opcode ' <<< "$trace" || true) total"
