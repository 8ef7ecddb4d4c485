#!/usr/bin/env python3
"""Opens of a name while it is renamed over or exchanged: which errors readers see.

  rename-race.py DIR replace|exchange [SECONDS] [READERS]

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
"""
import ctypes
import multiprocessing as mp
import os
import sys
import time

SIZE = 8192


def changer(d, mode, stop, out):
    libc = ctypes.CDLL(None, use_errno=True)
    a, b, tmp = (os.path.join(d, n).encode() for n in ("a", "b", "tmp"))
    n = 0
    while not stop.is_set():
        if mode == "exchange":
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


def main():
    d, mode = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    readers = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    if mode not in ("replace", "exchange"):
        sys.exit("mode: replace or exchange")
    for name, c in (("a", b"A"), ("b", b"B")):
        p = os.path.join(d, name)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(c * SIZE)
    names = ("a", "b") if mode == "exchange" else ("a",)
    stop, out = mp.Event(), mp.Queue()
    procs = [mp.Process(target=changer, args=(d, mode, stop, out))]
    procs += [mp.Process(target=reader, args=(d, names, stop, out)) for _ in range(readers)]
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
    failed = sum(errors.values())
    print(f"{mode}: {opens} opens, {failed} failed "
          + (", ".join(f"{os.strerror(e)} (errno {e}) {k}" for e, k in sorted(errors.items())) or "")
          + f"; {wrong} read wrong data")
    sys.exit(1 if failed or wrong else 0)


if __name__ == "__main__":
    main()
