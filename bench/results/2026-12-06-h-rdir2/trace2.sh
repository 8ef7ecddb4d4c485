#!/bin/bash
# trace2.sh MNT PID OUT CMD...: fuse requests of MNT + getdents64/newfstatat/lgetxattr/writev of PID's fuse-worker threads
mnt=$1; pid=$2; out=$3; shift 3
T=/sys/kernel/tracing
dev=$(stat -c %d "$mnt"); minor=$(( (dev & 0xff) | ((dev >> 12) & 0xfff00) )); major=$(( (dev >> 8) & 0xfff )); conn=$(( (major << 20) | minor ))
f=""; for t in /proc/$pid/task/*; do c=$(<$t/comm); case $c in fuse-worker*|fuse-overlayfs) f="$f${f:+ || }common_pid == ${t##*/}";; esac; done
inst=$T/instances/h-rdir2-t-$$; mkdir $inst
trap 'echo 0 > $inst/events/enable; rmdir $inst' EXIT
echo 16384 > $inst/buffer_size_kb; echo mono > $inst/trace_clock
for e in fuse/fuse_request_send fuse/fuse_request_end; do echo "connection == $conn" > $inst/events/$e/filter; echo 1 > $inst/events/$e/enable; done
for e in getdents64 newfstatat lgetxattr getxattr writev write; do for k in enter exit; do
  echo "$f" > $inst/events/syscalls/sys_${k}_$e/filter; echo 1 > $inst/events/syscalls/sys_${k}_$e/enable; done; done
"$@"
echo 0 > $inst/events/enable
cat $inst/trace > $out
