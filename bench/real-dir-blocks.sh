#!/usr/bin/env bash
# real-dir-blocks.sh: st_blocks of a directory after a copy-up inside it. The copy-up marks the
# upper directory trusted.overlay.impure; on ext4 that xattr can spill into an external block, so
# the directory's st_blocks grows (8 -> 16). The kernel overlay's stat shows it at once; ours shows
# the kernel's cached attributes (attr_timeout=60) until they expire. Seen as `du -sk` of a
# package tree 4 KiB apart (real-dpkg.sh). Exit status 1 when ours differs.
. "$(dirname "$0")/real-lib.sh"
mkdir -p "$L/pkg/DEBIAN"; for f in control md5sums postinst prerm; do echo "$f" > "$L/pkg/DEBIAN/$f"; done
mount_both
run() {
    cd "$1/pkg/DEBIAN" || exit 2
    stat -c 'before: %b blocks' .
    sed -i 's/control/CONTROL/' control           # copies DEBIAN up (origin), new file renamed in
    stat -c 'after sed -i: %b blocks' .
    sort -o md5sums md5sums                       # copy-up of md5sums: DEBIAN marked impure
    stat -c 'after copy-up of md5sums: %b blocks' .
    cd /
}
echo "kernel:"; run "$T/m2" | tee "$T/k"; stat -c 'upper dir: %b blocks' "$T/u2/pkg/DEBIAN"
echo "ours:";   run "$T/m1" | tee "$T/f"; stat -c 'upper dir: %b blocks' "$T/u1/pkg/DEBIAN"
cmp -s "$T/k" "$T/f"
