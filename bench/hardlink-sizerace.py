#!/usr/bin/env python3
"""A name that keeps a hard-linked file's old, larger size after a truncate through another name.

  hardlink-sizerace.py DIR [ROUNDS]

DIR/a (256 KiB) and its hard link DIR/b. Each round: write 256 KiB through a, read b whole (b's
kernel inode caches pages and the size), truncate through a to 0, write 123 bytes through b at an
offset below b's old size, and read b from 0 to 100 bytes past the new end. The read must stop at
the end; prints how often it did not (and, for the first three, what fstat and a second read
said), exits 1 if any.

On docker-on-top-fuse (libfuse 2: a kernel inode per name) the truncate drops b's pages and marks
its attributes stale, but a read below the cached size fetches no attributes (no auto_inval_data),
so b's size is corrected only by the short READs of that read: the page written through b and a
readahead past the end. The kernel (fs/fuse/file.c, fuse_read_update_size) takes a short read's
size only if the inode's attributes did not change since that READ was sent; when the readahead
READ's completion (a larger end) is applied first, the true end is refused and the read returns
zeros past it, until something (an fstat) fetches the attributes. 61-147 of 300-500 rounds on
kernel 6.18, passthrough on or off; none on ext4 or the kernel overlay.
"""
import os
import sys


def main():
    d = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    with open(a, "wb") as f:
        f.write(os.urandom(256 * 1024))
    os.link(a, b)
    wa = os.open(a, os.O_RDWR)
    rb = os.open(b, os.O_RDWR)
    bad = 0
    for i in range(rounds):
        os.pwrite(wa, os.urandom(256 * 1024), 0)
        os.pread(rb, 300 * 1024, 0)
        os.ftruncate(wa, 0)
        off = 4096 * (i % 50) + 333
        os.pwrite(rb, b"x" * 123, off)
        got = os.pread(rb, off + 223, 0)
        if len(got) != off + 123:
            bad += 1
            if bad <= 3:
                size = os.fstat(rb).st_size
                print("round %d: read %d bytes, expected %d; fstat then says %d, and a read %d" % (
                    i, len(got), off + 123, size, len(os.pread(rb, off + 223, 0))))
    print("rounds %d, reads past the end %d" % (rounds, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
