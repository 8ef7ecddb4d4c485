#!/usr/bin/env python3
"""Data-integrity checker for a file with several names (fsx does not do hard links).

One file gets 2-3 names (made through the mount under test), then random changes are made
through one name (pwrite, write through a shared mapping + msync, truncate, ftruncate, fsync,
through long-lived or freshly opened descriptors) and after each change the content is read back
through the other names (pread on long-lived and fresh descriptors, fresh mappings, fstat/stat
sizes) and compared with an in-memory model. Deterministic for a seed.

  hardlink-check.py DIR [--setup new|lower|tmpfile] [--names N] [--ops N] [--seed S]
                        [--procs 1|2] [--maxlen BYTES] [--maxop BYTES] [--ref FILE]

--setup new      DIR/n0 is created through the mount, then linked as DIR/sub/n1, DIR/n2...
--setup lower    DIR/n0 must exist (a lower file, content also readable at --ref outside the
                 mount); a read-only descriptor is opened on it first, then link(2) copies it up;
                 reads through that descriptor see the copy (not so on the kernel overlay, whose
                 mappings of it stay on the lower file: --no-early-view there)
--setup tmpfile  an O_TMPFILE file in DIR is written, named DIR/n0 by linkat(AT_EMPTY_PATH) and
                 linked further; its descriptor stays open as one more way in, as in
                 TmpfileRegressionTest.changesThroughEitherSideOnceNamed
--procs 2        a writer process makes the changes, a reader process (its own descriptors) checks
                 each one; they take turns through two pipes, so the model stays deterministic

On a mismatch it prints the operation log's tail, the first differing offset, and whether the
same read still differs after 0.2 s and after 2 s (stale cache dropped late, or for good), then
exits 1. The same run on a kernel overlay or a plain directory is the control.
"""
import argparse
import ctypes
import json
import mmap
import os
import random
import sys
import time

PAGE = mmap.PAGESIZE
AT_FDCWD, AT_EMPTY_PATH = -100, 0x1000
libc = ctypes.CDLL(None, use_errno=True)


class Mismatch(Exception):
    pass


def linkat_empty(fd, to):
    if libc.linkat(fd, b"", AT_FDCWD, to.encode(), AT_EMPTY_PATH) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), to)


class View:
    """One way into the file: a name (path) and/or a long-lived descriptor pair."""

    def __init__(self, label, path, rw, ro):
        self.label, self.path, self.rw, self.ro = label, path, rw, ro

    def __repr__(self):
        return self.label


def open_views(paths, tmpfd=None):
    views = []
    if tmpfd is not None:
        views.append(View("tmpfd", None, tmpfd, tmpfd))
    for i, p in enumerate(paths):
        views.append(View("n%d" % i, p, os.open(p, os.O_RDWR), os.open(p, os.O_RDONLY)))
    return views


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class Checker:
    def __init__(self, views, model, rng, log, who):
        self.views, self.model, self.rng, self.log, self.who = views, model, rng, log, who
        self.checks = 0

    def pick_reader(self, writer_label):
        others = [v for v in self.views if v.label != writer_label]
        if others and self.rng.random() < 0.85:
            return self.rng.choice(others)
        return self.rng.choice(self.views)

    def read_via(self, how, v, off, ln):
        if how == "pread-ro":
            return os.pread(v.ro, ln, off)
        if how == "pread-rw":
            return os.pread(v.rw, ln, off)
        if how == "pread-fresh":
            fd = os.open(v.path, os.O_RDONLY)
            try:
                return os.pread(fd, ln, off)
            finally:
                os.close(fd)
        if how == "mmap":
            size = os.fstat(v.ro).st_size
            if size == 0:
                return b""
            end = min(off + ln, size)
            if off >= end:
                return b""
            base = off - off % PAGE
            m = mmap.mmap(v.ro, end - base, mmap.MAP_SHARED, mmap.PROT_READ, offset=base)
            try:
                return m[off - base:end - base]
            finally:
                m.close()
        raise ValueError(how)

    def check(self, writer_label, op_index):
        v = self.pick_reader(writer_label)
        hows = ["pread-ro", "pread-rw", "mmap", "size"]
        if v.path is not None:
            hows += ["pread-fresh", "pread-fresh", "stat"]
        how = self.rng.choice(hows)
        size = len(self.model)
        self.checks += 1
        if how in ("size", "stat"):
            got = os.fstat(v.ro).st_size if how == "size" else os.stat(v.path).st_size
            if got != size:
                self.fail(op_index, v, how, "size %d, expected %d" % (got, size),
                          lambda: os.fstat(v.ro).st_size if how == "size" else os.stat(v.path).st_size, size)
            return
        if self.rng.random() < 0.2 or size == 0:
            off, ln = 0, size + 100
        else:
            off = self.rng.randrange(size)
            ln = self.rng.randint(1, max(1, min(size - off + 50, 70000)))
        want = bytes(self.model[off:off + ln])
        got = self.read_via(how, v, off, ln)
        if got != want:
            d = first_diff(got, want)
            self.fail(op_index, v, how, "read %d@%d: got %d bytes, expected %d; first difference at +%d (%s vs %s)"
                      % (ln, off, len(got), len(want), d, got[d:d + 8].hex(), want[d:d + 8].hex()),
                      lambda: self.read_via(how, v, off, ln), want)

    def fail(self, op_index, v, how, what, again, want):
        later = []
        for delay in (0.2, 2.0):
            time.sleep(delay)
            later.append("still wrong" if again() != want else "right")
        msg = "%s: MISMATCH after op %d, reading through %s by %s: %s; after 0.2 s: %s, after 2.2 s: %s" % (
            self.who, op_index, v.label, how, what, later[0], later[1])
        raise Mismatch(msg)


class Writer:
    def __init__(self, views, model, rng, maxlen, maxop, use_mmap):
        self.views, self.model, self.rng = views, model, rng
        self.maxlen, self.maxop, self.use_mmap = maxlen, maxop, use_mmap

    def next_op(self):
        """Chooses the next change (a dict, also what the reader process is sent)."""
        r = self.rng
        v = r.choice(self.views)
        kinds = ["pwrite"] * 5 + ["truncate"] * 2 + ["fsync"]
        if self.use_mmap:
            kinds += ["mmapwrite"] * 2
        kind = r.choice(kinds)
        op = {"kind": kind, "view": v.label}
        if kind in ("pwrite", "mmapwrite"):
            off = r.randrange(self.maxlen)
            ln = r.randint(1, min(self.maxop, self.maxlen - off))
            op.update(off=off, len=ln, data_seed=r.getrandbits(32))
            op["fresh"] = kind == "pwrite" and v.path is not None and r.random() < 0.3
        elif kind == "truncate":
            op["size"] = r.choice([0, r.randrange(self.maxlen), len(self.model), r.randrange(PAGE * 4)])
            op["by_path"] = v.path is not None and r.random() < 0.5
        elif kind == "fsync":
            op["data_only"] = r.random() < 0.5
        return op

    def view(self, label):
        return next(v for v in self.views if v.label == label)

    def do(self, op):
        v = self.view(op["view"])
        k = op["kind"]
        if k == "pwrite":
            data = random.Random(op["data_seed"]).randbytes(op["len"])
            if op["fresh"]:
                fd = os.open(v.path, os.O_WRONLY)
                try:
                    n = os.pwrite(fd, data, op["off"])
                finally:
                    os.close(fd)
            else:
                n = os.pwrite(v.rw, data, op["off"])
            assert n == len(data), "short write %d" % n
        elif k == "mmapwrite":
            data = random.Random(op["data_seed"]).randbytes(op["len"])
            off, end = op["off"], op["off"] + op["len"]
            if os.fstat(v.rw).st_size < end:
                os.ftruncate(v.rw, end)
            base = off - off % PAGE
            m = mmap.mmap(v.rw, end - base, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=base)
            try:
                m[off - base:end - base] = data
                m.flush()  # msync(MS_SYNC), as fsx does
            finally:
                m.close()
        elif k == "truncate":
            if op["by_path"]:
                os.truncate(v.path, op["size"])
            else:
                os.ftruncate(v.rw, op["size"])
        elif k == "fsync":
            (os.fdatasync if op["data_only"] else os.fsync)(v.rw)
        apply(self.model, op)


def apply(model, op):
    """The op's effect on the model."""
    k = op["kind"]
    if k in ("pwrite", "mmapwrite"):
        data = random.Random(op["data_seed"]).randbytes(op["len"])
        off, end = op["off"], op["off"] + op["len"]
        if len(model) < off:
            model.extend(bytes(off - len(model)))
        model[off:end] = data
    elif k == "truncate":
        size = op["size"]
        if size < len(model):
            del model[size:]
        else:
            model.extend(bytes(size - len(model)))


def describe(op):
    k = op["kind"]
    if k in ("pwrite", "mmapwrite"):
        return "%s via %s%s %d@%d" % (k, op["view"], " (fresh fd)" if op.get("fresh") else "", op["len"], op["off"])
    if k == "truncate":
        return "truncate via %s %s to %d" % (op["view"], "path" if op["by_path"] else "fd", op["size"])
    return "%s via %s" % ("fdatasync" if op["data_only"] else "fsync", op["view"])


def setup(args):
    """Makes the names; returns (paths, tmpfd, initial content, long-lived lower fd or None)."""
    d = args.dir
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    paths = [os.path.join(d, "n0"), os.path.join(d, "sub", "n1"), os.path.join(d, "n2")][:args.names]
    rng = random.Random(args.seed ^ 0x5eed)
    tmpfd = None
    early = None
    if args.setup == "new":
        content = rng.randbytes(rng.randrange(args.maxlen))
        with open(paths[0], "xb") as f:
            f.write(content)
    elif args.setup == "lower":
        with open(args.ref, "rb") as f:
            content = f.read()
        early = os.open(paths[0], os.O_RDONLY)  # opened on the lower file, before the copy-up
        if os.pread(early, len(content) + 1, 0) != content:
            raise Mismatch("lower file differs from --ref before any change")
    else:
        content = rng.randbytes(rng.randrange(args.maxlen))
        tmpfd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o644)
        os.write(tmpfd, content)
        linkat_empty(tmpfd, paths[0])
    for p in paths[1:]:
        os.link(paths[0], p)
    return paths, tmpfd, bytearray(content), early


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--setup", choices=["new", "lower", "tmpfile"], default="new")
    ap.add_argument("--names", type=int, default=3)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--procs", type=int, choices=[1, 2], default=1)
    ap.add_argument("--maxlen", type=int, default=256 * 1024)
    ap.add_argument("--maxop", type=int, default=64 * 1024)
    ap.add_argument("--checks", type=int, default=3, help="reads checked after each change")
    ap.add_argument("--no-mmap", action="store_true")
    ap.add_argument("--ref")
    ap.add_argument("--no-early-view", action="store_true",
                    help="lower: do not read through the descriptor opened before the copy-up (the kernel "
                         "overlay maps the lower file for it: stale data, SIGBUS past the lower file's end)")
    args = ap.parse_args()
    if args.setup == "lower" and not args.ref:
        ap.error("--setup lower needs --ref")

    paths, tmpfd, model, early = setup(args)
    if args.no_early_view:
        early = None
    log = []
    try:
        if args.procs == 1:
            run_single(args, paths, tmpfd, model, early, log)
        else:
            run_pair(args, paths, tmpfd, model, early, log)
    except Mismatch as e:
        print("FAIL seed=%d setup=%s procs=%d: %s" % (args.seed, args.setup, args.procs, e))
        print("last operations:")
        for i, op in log[-25:]:
            print("  %5d %s" % (i, describe(op)))
        sys.exit(1)
    print("OK seed=%d setup=%s names=%d procs=%d ops=%d final size %d" % (
        args.seed, args.setup, args.names, args.procs, args.ops, len(model)))


def run_single(args, paths, tmpfd, model, early, log):
    views = open_views(paths, tmpfd)
    if early is not None:
        views.append(View("n0-before-copyup", None, os.open(paths[0], os.O_RDWR), early))
    w = Writer(views, model, random.Random(args.seed), args.maxlen, args.maxop, not args.no_mmap)
    c = Checker(views, model, random.Random(args.seed + 1), log, "single")
    for _ in range(args.checks):
        c.check(None, 0)
    for i in range(1, args.ops + 1):
        op = w.next_op()
        log.append((i, op))
        w.do(op)
        for _ in range(args.checks):
            c.check(op["view"], i)


def run_pair(args, paths, tmpfd, model, early, log):
    to_reader_r, to_reader_w = os.pipe()
    to_writer_r, to_writer_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        # the reader: its own descriptors (its own open files), the same model
        os.close(to_reader_w)
        os.close(to_writer_r)
        code = 0
        try:
            views = open_views(paths)
            if tmpfd is not None:
                views.insert(0, View("tmpfd", None, tmpfd, tmpfd))  # the same open file, inherited
            if early is not None:
                views.append(View("n0-before-copyup", None, early, early))
            c = Checker(views, model, random.Random(args.seed + 2), log, "reader")
            inp = os.fdopen(to_reader_r, "r")
            out = os.fdopen(to_writer_w, "w", buffering=1)
            out.write("ready\n")
            for line in inp:
                i, op = json.loads(line)
                apply(model, op)
                log.append((i, op))
                try:
                    for _ in range(args.checks):
                        c.check(op["view"], i)
                    out.write("ok\n")
                except Mismatch as e:
                    out.write(json.dumps(str(e)) + "\n")
                    code = 1
                    break
                except Exception as e:  # noqa: BLE001 - told to the writer, which reports it
                    out.write(json.dumps("reader: op %d: %r" % (i, e)) + "\n")
                    code = 1
                    break
        finally:
            os._exit(code)
    os.close(to_reader_r)
    os.close(to_writer_w)
    views = open_views(paths, tmpfd)
    w = Writer(views, model, random.Random(args.seed), args.maxlen, args.maxop, not args.no_mmap)
    out = os.fdopen(to_reader_w, "w", buffering=1)
    inp = os.fdopen(to_writer_r, "r")
    try:
        assert inp.readline() == "ready\n"
        for i in range(1, args.ops + 1):
            op = w.next_op()
            log.append((i, op))
            w.do(op)
            out.write(json.dumps([i, op]) + "\n")
            answer = inp.readline()
            if answer != "ok\n":
                raise Mismatch(json.loads(answer) if answer else "reader died")
    finally:
        out.close()
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
