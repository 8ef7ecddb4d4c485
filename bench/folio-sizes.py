#!/usr/bin/env python3
"""folio-sizes.py FILE [MIB]: the folio sizes FILE's cached pages are in now (its first MIB MiB,
default all), from /proc/self/pagemap and /proc/kpageflags (KPF_COMPOUND_HEAD 15, _TAIL 16) after
mapping the file and touching every page. Needs root (PFNs). Pages not cached are read in by the
touching (as mmap faults: read-around), so run it on a file that is fully cached (read it first).
"""
import mmap
import os
import struct
import sys
from collections import Counter

KPF_COMPOUND_TAIL = 16


def main():
    path = os.path.realpath(sys.argv[1])
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    if len(sys.argv) > 2:
        size = min(size, int(sys.argv[2]) << 20)
    npages = size // 4096
    m = mmap.mmap(fd, npages * 4096, prot=mmap.PROT_READ)
    for i in range(npages):
        m[i * 4096]  # map every page
    base = None
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip("\n").endswith(" " + path):
                base = int(line.split("-")[0], 16)
    if base is None:
        sys.exit("mapping of %s not found in /proc/self/maps" % path)
    with open("/proc/self/pagemap", "rb") as pm, open("/proc/kpageflags", "rb") as kf:
        pm.seek(base // 4096 * 8)
        entries = struct.unpack("<%dQ" % npages, pm.read(npages * 8))
        sizes, run, missing = Counter(), 0, 0
        for e in entries:
            if not e >> 63 & 1:
                missing += 1
                continue
            kf.seek((e & ((1 << 55) - 1)) * 8)
            flags = struct.unpack("<Q", kf.read(8))[0]
            if flags >> KPF_COMPOUND_TAIL & 1:
                run += 1  # a tail page of the folio counted so far
                continue
            if run:
                sizes[run] += 1
            run = 1
        if run:
            sizes[run] += 1
    print("%s: %d pages%s" % (path, npages, ", %d not mapped" % missing if missing else ""))
    for n in sorted(sizes):
        print("  %5d KiB folios: %7d (%d KiB)" % (n * 4, sizes[n], sizes[n] * n * 4))


if __name__ == "__main__":
    main()
