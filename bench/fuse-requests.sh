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
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tracefs.sh"
event=events/fuse/fuse_request_send
trace_require "$event" "tracefs not mounted, or a kernel before 6.15"
trace_dev "$mnt" # FUSE mounts have major 0: this is the connection id
trace_start fuse-requests "$event" 16384 "connection == $kernel_dev"
"$@" > /dev/null
trace_stop

trace=$(cat "$inst/trace")
lost=$(grep -o 'entries-in-buffer/entries-written: [0-9]*/[0-9]*' <<< "$trace" | awk -F'[ /]' '$3 != $4 {print $3 " of " $4}')
if [ -n "$lost" ]; then
    echo "$0: the trace buffer kept only $lost requests" >&2
fi
grep -o 'opcode [0-9]* ([A-Z_0-9]*)' <<< "$trace" | sed 's/opcode [0-9]* (FUSE_\(.*\))/\1/' | sort | uniq -c | sort -rn || true
echo "$(grep -c ' opcode ' <<< "$trace" || true) total"
