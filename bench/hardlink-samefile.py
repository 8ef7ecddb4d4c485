#!/usr/bin/env python3
"""Two writers of one file through different names at the same time (hardlink-check.py's
writers take turns).

  hardlink-samefile.py DIR [ROUNDS]

Makes DIR/a (256 KiB) and its hard link DIR/b. One process writes random data at offset 0
through a and reads it back through b right after each write returned; a second process does the
same at offset 128 KiB through b, reading through a. The regions never overlap, so each read has
one right answer. Prints, per writer, how many reads were stale (and for the first three whether
the same read was right 0.2 s later); exits 1 if any was.

On docker-on-top-fuse each name is a kernel inode of its own; a write drops the other names'
cached pages before it is answered only if no other change of the same file is in progress
(two such drops could wait for each other's locked pages), else after the reply: this measures
how often that shows.
"""
import os
import random
import sys
import time

SIZE = 256 * 1024


def writer(wname, rname, off, seed, rounds):
    rng = random.Random(seed)
    w = os.open(wname, os.O_WRONLY)
    r = os.open(rname, os.O_RDONLY)
    os.pread(r, SIZE, 0)  # the reading name caches the pages
    bad = 0
    for i in range(rounds):
        ln = rng.choice([4096, 65536, rng.randrange(1, 65536)])
        data = rng.randbytes(ln)
        os.pwrite(w, data, off)
        if os.pread(r, ln, off) != data:
            bad += 1
            if bad <= 3:
                time.sleep(0.2)
                later = "right" if os.pread(r, ln, off) == data else "still wrong"
                print("%s->%s round %d: stale read of %d@%d; after 0.2 s %s" % (
                    os.path.basename(wname), os.path.basename(rname), i, ln, off, later))
    print("%s->%s: %d stale of %d" % (os.path.basename(wname), os.path.basename(rname), bad, rounds))
    return bad


def main():
    d = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    os.makedirs(d, exist_ok=True)
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    with open(a, "wb") as f:
        f.write(bytes(SIZE))
    os.link(a, b)
    pid = os.fork()
    if pid == 0:
        os._exit(1 if writer(b, a, 128 * 1024, 2, rounds) else 0)
    bad = writer(a, b, 0, 1, rounds)
    _, status = os.waitpid(pid, 0)
    sys.exit(1 if bad or status else 0)


if __name__ == "__main__":
    main()
