#!/usr/bin/env bash
# real-submount-copyup.sh: a bind mount on a directory inside the merged tree (as Docker makes for a
# second volume or a bind nested inside a volume), then a write next to it copies its lower-only
# parent directory up. On the kernel overlay the nested mount stays; this shows whether ours does
# (the entry invalidation after a directory copy-up makes the kernel d_invalidate the dentry, which
# detaches mounts beneath it). Exit status 1 when ours differs.
. "$(dirname "$0")/real-lib.sh"
mkdir -p "$L/data/sub/mp" "$L/data2/mp" "$T/src"; echo "bound" > "$T/src/file"
mount_both
run() {
    local m=$1
    mount --bind "$T/src" "$m/data/sub/mp"; mount --bind "$T/src" "$m/data2/mp"
    ls "$m/data/sub" "$m/data2" > /dev/null    # looked up, as a container's path walk does
    echo "mounted: $(mountpoint -q "$m/data/sub/mp" && echo yes || echo no) $(mountpoint -q "$m/data2/mp" && echo yes || echo no)"
    echo new > "$m/data/sub/newfile"            # copies data and data/sub up
    (cd "$m/data2" && python3 -c 'open("x","w")') # copies data2 up, from inside it
    sleep 0.5
    echo "after copy-ups: $(mountpoint -q "$m/data/sub/mp" && echo yes || echo no) $(mountpoint -q "$m/data2/mp" && echo yes || echo no)"
    echo "file through nested mount: $(cat "$m/data/sub/mp/file" 2>&1)"
    umount "$m/data/sub/mp" 2>/dev/null; umount "$m/data2/mp" 2>/dev/null
    echo "left mounted under $m: $(grep -c " $m/" /proc/self/mounts)"
}
echo "kernel overlay:"; run "$T/m2" | sed "s#$T#T#g" | tee "$T/k"
echo "docker-on-top-fuse:"; run "$T/m1" | sed "s#$T#T#g" | tee "$T/f"
diff <(sed 's/m[12]/M/g' "$T/k") <(sed 's/m[12]/M/g' "$T/f") > /dev/null
