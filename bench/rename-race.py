#!/usr/bin/env python3
"""Opens of a name while it is renamed over or exchanged: which errors readers see.

  rename-race.py DIR replace|exchange|dirswap|dirmove [SECONDS] [READERS]

DIR/a and DIR/b, 8 KiB each, all "A" and all "B" (made if missing). One process changes the names
for SECONDS (default 15): `replace` writes DIR/tmp and renames it over DIR/a, `exchange` swaps a
and b with renameat2(RENAME_EXCHANGE). READERS processes (default 2) open the names and read them
whole meanwhile. Prints the opens, the errors by errno and the reads whose content was neither
8 KiB of A nor of B; exits 1 if any open failed or read wrong data.

On the kernel overlay none fails (kernel 6.18). Through a FUSE path API an open racing a
rename-over can reach the server for the node its dentry named when the walk ended, which the
rename has meanwhile replaced and left nameless: libfuse 2 answers ENOENT (3-7% of such opens);
loop=java answers ESTALE, on which the kernel walks the path once more and opens the new file, so
only an open whose second walk races another rename fails, with ESTALE (findings 32). On
loop=java, which has no tree lock (libfuse locks the nodes a rename changes against the requests
using their paths), a request can also resolve a node's path just before the rename and use it
just after: it then opens the file that now has that name, which with passthrough is refused (EIO,
"passed through to another file than the one opened" in the log) when the node already passes
through to its own file (bench/results/2026-11-28-findings.md section 30).

`dirswap` and `dirmove` change the directories above the files instead (findings 34): DIR/d1 and
DIR/d2 each hold files f0..f3 and s/f0..s/f1, whose first 4 KiB name their own inode number
("ino=N"). `dirswap` swaps d1 and d2 with renameat2(RENAME_EXCHANGE), so every name always exists;
`dirmove` renames through a third name (d1 -> t, d2 -> d1, t -> d2), so a name may be missing for
a moment (ENOENT is counted, not failed). READERS processes open each name, compare the inode
number the kernel believes it opened (fstat) with the one the content names (read with O_DIRECT,
past the page cache), stat it and chmod it; as many writers open each name read-write and write a
record naming fstat's inode number into the file's second 4 KiB. At the end every record found in
a file must name that file's own inode: a request that took a directory's path just before a
swap and used it just after acts on the other directory's file, which shows as a "wrong file"
(read or write), an EIO (passthrough refusing an open of another file than its node's), or an
ENOENT for a name that always exists.
"""
import ctypes
import mmap
import multiprocessing as mp
import os
import stat
import sys
import time

SIZE = 8192
DIR_MODES = ("dirswap", "dirmove")
DIR_FILES = ("f0", "f1", "f2", "f3", "s/f0", "s/f1")
PAGE = 4096
RECORD = 32


def changer(d, mode, stop, out):
    libc = ctypes.CDLL(None, use_errno=True)
    a, b, tmp = (os.path.join(d, n).encode() for n in ("a", "b", "tmp"))
    n = 0
    d1, d2, t = (os.path.join(d, n).encode() for n in ("d1", "d2", "t"))
    while not stop.is_set():
        if mode == "dirswap":
            if libc.renameat2(-100, d1, -100, d2, 2) != 0:
                out.put(("changer", "renameat2: " + os.strerror(ctypes.get_errno())))
                return
        elif mode == "dirmove":
            os.rename(d1, t)
            os.rename(d2, d1)
            os.rename(t, d2)
        elif mode == "exchange":
            if libc.renameat2(-100, a, -100, b, 2) != 0:
                out.put(("changer", "renameat2: " + os.strerror(ctypes.get_errno())))
                return
        else:
            with open(tmp, "wb") as f:
                f.write((b"A" if n % 2 else b"B") * SIZE)
            os.rename(tmp, a)
        n += 1
    out.put(("changes", n))


def reader(d, names, stop, out):
    opens = wrong = 0
    errors = {}
    while not stop.is_set():
        for name in names:
            try:
                with open(os.path.join(d, name), "rb") as f:
                    data = f.read()
                opens += 1
                if data not in (b"A" * SIZE, b"B" * SIZE):
                    wrong += 1
            except OSError as e:
                errors[e.errno] = errors.get(e.errno, 0) + 1
    out.put(("reader", opens, wrong, errors))


def setup_dirs(d):
    """d1 and d2 with their files, each naming its own inode number in its first page."""
    for top in ("d1", "d2"):
        os.makedirs(os.path.join(d, top, "s"), exist_ok=True)
        for name in DIR_FILES:
            p = os.path.join(d, top, name)
            fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                head = b"ino=%d\n" % os.fstat(fd).st_ino
                os.pwrite(fd, head.ljust(PAGE, b"."), 0)
                os.ftruncate(fd, 2 * PAGE)
            finally:
                os.close(fd)


def dir_reader(d, stop, out):
    """Opens, reads (O_DIRECT), stats and chmods every name; counts opens of another file than fstat's."""
    opens = wrong = 0
    errors = {}
    buf = mmap.mmap(-1, PAGE)
    direct = getattr(os, "O_DIRECT", 0)
    paths = [os.path.join(d, top, name) for top in ("d1", "d2") for name in DIR_FILES]
    n = 0
    while not stop.is_set():
        for p in paths:
            n += 1
            try:
                fd = os.open(p, os.O_RDONLY | direct)
                try:
                    opens += 1
                    ino = os.fstat(fd).st_ino
                    got = os.preadv(fd, [buf], 0)
                    head = bytes(buf[:got]).split(b"\n", 1)[0]
                    if head != b"ino=%d" % ino:
                        wrong += 1
                finally:
                    os.close(fd)
                st = os.stat(p)
                if not stat.S_ISREG(st.st_mode):
                    wrong += 1
                os.chmod(p, 0o644 if n % 2 else 0o664)
            except OSError as e:
                errors[e.errno] = errors.get(e.errno, 0) + 1
    out.put(("reader", opens, wrong, errors))


def dir_writer(d, slot, stop, out):
    """Opens every name read-write and writes a record naming fstat's inode at its slot of page 2."""
    opens = 0
    errors = {}
    paths = [os.path.join(d, top, name) for top in ("d1", "d2") for name in DIR_FILES]
    n = 0
    while not stop.is_set():
        for p in paths:
            n += 1
            try:
                fd = os.open(p, os.O_RDWR)
                try:
                    opens += 1
                    ino = os.fstat(fd).st_ino
                    rec = (b"w%d ino=%d n=%d" % (slot, ino, n)).ljust(RECORD - 1, b" ") + b"\n"
                    os.pwrite(fd, rec, PAGE + RECORD * (slot % (PAGE // RECORD)))
                finally:
                    os.close(fd)
            except OSError as e:
                errors[e.errno] = errors.get(e.errno, 0) + 1
    out.put(("reader", opens, 0, errors))


def misplaced_records(d):
    """Records in a file's second page that name another inode than the file's."""
    bad = 0
    for top in ("d1", "d2"):
        for name in DIR_FILES:
            p = os.path.join(d, top, name)
            with open(p, "rb") as f:
                ino = os.fstat(f.fileno()).st_ino
                data = f.read()
            for line in data[PAGE:].split(b"\n"):
                line = line.strip(b"\0 ")
                if line.startswith(b"w") and b" ino=%d " % ino not in line + b" ":
                    bad += 1
    return bad


def race(seconds, make):
    """Runs the processes make(stop, out) gives for SECONDS; prints the changer's line, returns the
    readers' opens, wrong reads and errors by errno summed."""
    stop, out = mp.Event(), mp.Queue()
    procs = make(stop, out)
    for p in procs:
        p.start()
    time.sleep(seconds)
    stop.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    opens = wrong = 0
    errors = {}
    for r in results:
        if r[0] == "reader":
            opens += r[1]
            wrong += r[2]
            for e, k in r[3].items():
                errors[e] = errors.get(e, 0) + k
        else:
            print(*r)
    return opens, wrong, errors


def main():
    d, mode = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    readers = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    if mode not in ("replace", "exchange") + DIR_MODES:
        sys.exit("mode: replace, exchange, dirswap or dirmove")
    if mode in DIR_MODES:
        return dir_main(d, mode, seconds, readers)
    for name, c in (("a", b"A"), ("b", b"B")):
        p = os.path.join(d, name)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(c * SIZE)
    names = ("a", "b") if mode == "exchange" else ("a",)
    opens, wrong, errors = race(seconds, lambda stop, out: [mp.Process(target=changer, args=(d, mode, stop, out))]
                                + [mp.Process(target=reader, args=(d, names, stop, out)) for _ in range(readers)])
    failed = sum(errors.values())
    print(f"{mode}: {opens} opens, {failed} failed "
          + (", ".join(f"{os.strerror(e)} (errno {e}) {k}" for e, k in sorted(errors.items())) or "")
          + f"; {wrong} read wrong data")
    sys.exit(1 if failed or wrong else 0)


def dir_main(d, mode, seconds, readers):
    setup_dirs(d)
    opens, wrong, errors = race(seconds, lambda stop, out: [mp.Process(target=changer, args=(d, mode, stop, out))]
                                + [mp.Process(target=dir_reader, args=(d, stop, out)) for _ in range(readers)]
                                + [mp.Process(target=dir_writer, args=(d, i, stop, out)) for i in range(readers)])
    misplaced = misplaced_records(d)
    # through a third name a name is missing for a moment: ENOENT is then the kernel overlay's answer too
    allowed = {2} if mode == "dirmove" else set()
    failed = sum(k for e, k in errors.items() if e not in allowed)
    print(f"{mode}: {opens} opens, {failed} failed "
          + (", ".join(f"{os.strerror(e)} (errno {e}) {k}" for e, k in sorted(errors.items())) or "")
          + f"; {wrong} wrong file read, {misplaced} wrong file written")
    sys.exit(1 if failed or wrong or misplaced else 0)


if __name__ == "__main__":
    main()
