#!/bin/bash
# checks.sh hl|race ROUNDS JAR_A JAR_B: a fresh mount per run of each jar (default loop), A and B in
# ABBA order, one line per run.
#   hl:   hardlink-sizerace.py 400, hardlink-samefile.py 3000, and h-val's tmplink.py 2400
#         (O_TMPFILE, link, read, second link) and mmapnosync.py (findings 28)
#   race: rename-race.py replace for 10 s, 2 readers
mode=$1; rounds=$2; A=$3; B=$4
here=$(cd "$(dirname "$0")/../../.." && pwd)
hval=$here/bench/results/2026-12-06-h-val
W=/tmp/l11/$mode; mkdir -p $W
run_checks() { # MNT
  local m=$1
  if [ "$mode" = race ]; then
    python3 $here/bench/rename-race.py $m replace 10 2 2>&1 | grep replace:
    return
  fi
  mkdir -p $m/s $m/z $m/t $m/m
  echo "sizerace: $(timeout 600 python3 $here/bench/hardlink-sizerace.py $m/z 400 2>&1 | tail -1)" \
    "| samefile: $(timeout 600 python3 $here/bench/hardlink-samefile.py $m/s 3000 2>&1 | grep -E ': [0-9]+ stale' | tr '\n' ' ')" \
    "| tmplink: $(timeout 600 python3 $hval/tmplink.py $m/t 2400 read 2>&1 | tail -1)" \
    "| mmap: $(timeout 60 python3 $hval/mmapnosync.py $m/m 2>&1 | head -1)"
}
for r in $(seq "$rounds"); do
  case $((r % 2)) in 1) order="A B";; *) order="B A";; esac
  for v in $order; do
    jar=$A; [ $v = B ] && jar=$B
    d=$W/m-$v; rm -rf $d; mkdir -p $d/lower $d/upper $d/work $d/mnt
    DOCKER_ON_TOP_FUSE_JAR=$jar $here/src/bin/docker-on-top-fuse \
      -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work,log=$d/fuse.log" $d/mnt || exit 2
    echo "r=$r $v | $(run_checks $d/mnt) | log errors: $(grep -c ERROR $d/fuse.log)"
    fusermount -u $d/mnt || umount -l $d/mnt
    sleep 1
  done
done
