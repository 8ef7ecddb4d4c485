#!/bin/bash
# thr.sh VARIANT: per-thread CPU (schedstat ns) of the daemon over the 5 listings, by thread name
v=$1; d=/var/tmp/h-rdir2/m-thr-$v
F=/work/wt-h-rdir2/bench/fsops.py
export JAR=/var/tmp/h-rdir2/$v.jar
pid=$(/var/tmp/h-rdir2/mnt.sh ours $d 2>/dev/null) || exit 1
M=$d/mnt
snap() { for t in /proc/$pid/task/*; do echo "${t##*/} $(tr ' ' _ < $t/comm) $(cut -d' ' -f1 $t/schedstat)"; done; }
sync; echo 3 > /proc/sys/vm/drop_caches
python3 $F files-create $M/new 10000 >/dev/null; python3 $F files-stat $M/new 10000 >/dev/null
snap > /tmp/thr-a.$$; python3 /var/tmp/h-rdir2/rd.py $M/new 10000 >/dev/null; snap > /tmp/thr-b.$$
join <(sort /tmp/thr-a.$$) <(sort /tmp/thr-b.$$) | awk '{d=$5-$3; if (d>0) s[$2]+=d} END {for (k in s) printf "%s %.2f ms\n", k, s[k]/1e6}' | sort -k2 -rn | tr '\n' ';'; echo
rm -f /tmp/thr-a.$$ /tmp/thr-b.$$
umount $M; rm -rf --one-file-system $d $d.log
while [ -d /proc/$pid ]; do sleep 0.1; done
