#!/bin/bash
# trace.sh MNT OUT CMD...: fuse_request_send/end of MNT's connection into OUT (raw trace)
mnt=$1; out=$2; shift 2
T=/sys/kernel/tracing
dev=$(stat -c %d "$mnt"); minor=$(( (dev & 0xff) | ((dev >> 12) & 0xfff00) )); major=$(( (dev >> 8) & 0xfff )); conn=$(( (major << 20) | minor ))
inst=$T/instances/h-rdir2-$$; mkdir $inst
trap 'echo 0 > $inst/events/fuse/enable; rmdir $inst' EXIT
echo 16384 > $inst/buffer_size_kb; echo mono > $inst/trace_clock
for e in fuse_request_send fuse_request_end; do echo "connection == $conn" > $inst/events/fuse/$e/filter; echo 1 > $inst/events/fuse/$e/enable; done
"$@"
echo 0 > $inst/events/fuse/enable
cat $inst/trace > $out
