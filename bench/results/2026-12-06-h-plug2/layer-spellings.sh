#!/bin/bash
# How the kernel shows overlay layers in /proc/self/mountinfo: as given (findings 39, item 1).
# Run as root; leaves nothing mounted. Output on kernel 6.18 is in layer-spellings.out.
set -euo pipefail
d=$(mktemp -d /tmp/ovt.XXXXXX)
trap 'umount "$d/mp" 2>/dev/null || true; umount "$d/mp2" 2>/dev/null || true; rm -rf "$d"' EXIT
mkdir -p "$d"/{base,up,wk,mp,up2,wk2,mp2}
# mount(8) (fsconfig or mount(2), as util-linux chooses) with a trailing slash, and with '//' and '.'
mount -t overlay docker-on-top_x -o "lowerdir=$d/base/,upperdir=$d/up,workdir=$d/wk" "$d/mp"
mount -t overlay docker-on-top_y -o "lowerdir=$d//./base//,upperdir=$d/up2/,workdir=$d/wk2" "$d/mp2"
grep "$d" /proc/self/mountinfo
umount "$d/mp" "$d/mp2"
# mount(2) itself, as the Go plugin calls it (syscall.Mount)
python3 -c '
import ctypes, sys
d = sys.argv[1].encode()
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(b"docker-on-top_z", d + b"/mp", b"overlay", 0,
               b"lowerdir=" + d + b"/base/,upperdir=" + d + b"/up/,workdir=" + d + b"/wk/")
print("mount(2):", r, ctypes.get_errno())' "$d"
grep "$d" /proc/self/mountinfo
