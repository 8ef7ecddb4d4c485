#!/usr/bin/env python3
"""File-system operations timed from inside one process, for overlay-bench.sh.

Each timed sub-command prints one or more lines "NAME SECONDS". The clock runs
only around the file-system calls, so interpreter start-up is not measured;
per call, CPython adds about a microsecond, far below a FUSE round trip.

Sub-commands:
  gen-files DIR N SIZE PER_DIR [LIST]  (untimed) N files of SIZE random bytes, PER_DIR per
                                 sub-directory (0: all in DIR); their relative paths go to LIST
  randread FILE N SEED BS        N preads of BS bytes at BS-aligned offsets drawn from SEED
  files-create DIR N             mkdir DIR, create N empty files in it
  files-stat DIR N               stat each of them
  files-readdir DIR N            list DIR 5 times
  files-unlink DIR N             unlink each of them
  walk DIR                       os.walk the tree and lstat every entry
  readall DIR LIST               open, read to EOF and close DIR/P for every P in LIST
  rename DIR LOWERDIR            rename DIR/NAME to DIR/NAME.renamed for every NAME in LOWERDIR
  report ...                     print the result tables (see overlay-bench.sh)
"""
import os
import random
import statistics
import sys
import time

clock = time.perf_counter


def gen_files(top, n, size, per_dir, listfile=None):
    n, size, per_dir = int(n), int(size), int(per_dir)
    names = []
    for i in range(n):
        rel = os.path.join("d%03d" % (i // per_dir), "f%05d" % i) if per_dir > 0 else "f%05d" % i
        if per_dir > 0 and i % per_dir == 0:
            os.makedirs(os.path.join(top, os.path.dirname(rel)), exist_ok=True)
        elif i == 0:
            os.makedirs(top, exist_ok=True)
        with open(os.path.join(top, rel), "wb") as f:
            f.write(os.urandom(size))
        names.append(rel)
    if listfile:
        with open(listfile, "w") as f:
            f.write("\n".join(names) + "\n")


def randread(path, n, seed, bs):
    n, bs = int(n), int(bs)
    fd = os.open(path, os.O_RDONLY)
    try:
        blocks = os.fstat(fd).st_size // bs
        rng = random.Random(int(seed))
        offsets = [rng.randrange(blocks) * bs for _ in range(n)]
        pread = os.pread
        t0 = clock()
        for off in offsets:
            if len(pread(fd, bs, off)) != bs:
                raise SystemExit("short read at %d" % off)
        t1 = clock()
    finally:
        os.close(fd)
    print("randread %.6f" % (t1 - t0))


def _names(top, n):
    return [os.path.join(top, "file%05d" % i) for i in range(int(n))]


def files_create(top, n):
    os.mkdir(top)
    names = _names(top, n)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
    t0 = clock()
    for p in names:
        os.close(os.open(p, flags, 0o644))
    print("files-create %.6f" % (clock() - t0))


def files_stat(top, n):
    names = _names(top, n)
    t0 = clock()
    for p in names:
        os.stat(p)
    print("files-stat %.6f" % (clock() - t0))


def files_readdir(top, n):
    n = int(n)
    t0 = clock()
    for _ in range(5):
        if len(os.listdir(top)) != n:
            raise SystemExit("readdir: wrong number of entries")
    print("files-readdir %.6f" % (clock() - t0))


def files_unlink(top, n):
    names = _names(top, n)
    t0 = clock()
    for p in names:
        os.unlink(p)
    print("files-unlink %.6f" % (clock() - t0))


def walk(top):
    count = 0
    lstat = os.lstat
    join = os.path.join
    t0 = clock()
    for d, dirs, fnames in os.walk(top):
        for name in dirs:
            lstat(join(d, name))
        for name in fnames:
            lstat(join(d, name))
        count += len(dirs) + len(fnames)
    t1 = clock()
    if count == 0:
        raise SystemExit("walk: empty tree")
    print("walk %.6f" % (t1 - t0))


def readall(top, listfile):
    # The names come from a list written when the data was generated, so that no
    # walk of the mount warms its dentries: lookup + open + read + close are timed.
    with open(listfile) as f:
        paths = [os.path.join(top, line.rstrip("\n")) for line in f if line.strip()]
    t0 = clock()
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        while os.read(fd, 65536):
            pass
        os.close(fd)
    print("smallread-cold %.6f" % (clock() - t0))


def rename(top, lower):
    # Names are listed from the lower directory, so the mount sees only the renames.
    names = sorted(os.listdir(lower))
    t0 = clock()
    for name in names:
        p = os.path.join(top, name)
        os.rename(p, p + ".renamed")
    print("rename-lower %.6f" % (clock() - t0))


# ---------------------------------------------------------------- report

def fmt_secs(v):
    if v is None:
        return "FAIL"
    if v >= 100:
        return "%.0f s" % v
    if v >= 10:
        return "%.1f s" % v
    if v >= 0.1:
        return "%.2f s" % v
    return "%.1f ms" % (v * 1000)


def report(results_tsv, rss_tsv, order, fs_list, fs_notes):
    """results_tsv rows: workload fs run seconds|FAIL daemon-cpu-seconds|-
    rss_tsv rows: fs workload run VmHWM-kB threads"""
    runs, cpu, failed = {}, {}, {}
    for line in open(results_tsv):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 5:
            continue
        wl, fs, _, secs, dcpu = parts[:5]
        if secs == "FAIL":
            failed[(wl, fs)] = failed.get((wl, fs), 0) + 1
            continue
        runs.setdefault((wl, fs), []).append(float(secs))
        if dcpu != "-":
            cpu.setdefault((wl, fs), []).append(float(dcpu))
    fs_list = fs_list.split(",")
    notes = dict(n.split("=", 1) for n in fs_notes.split(";") if "=" in n)
    wls = [w for w in order.split(",")
           if any((w, f) in runs or (w, f) in failed for f in fs_list)]
    K, F, O = "kernel", "fuse-overlayfs", "docker-on-top-fuse"

    def med(d, key):
        v = d.get(key)
        return statistics.median(v) if v else None

    def cell(wl, fs):
        if fs in notes:
            return notes[fs]
        if fs not in fs_list:
            return "not run"
        v = med(runs, (wl, fs))
        s = fmt_secs(v)
        nf = failed.get((wl, fs), 0)
        if nf and v is not None:
            s += " (%d of %d failed)" % (nf, nf + len(runs[(wl, fs)]))
        return s

    def ratio(a, b):
        if a is None or b is None or b <= 0:
            return "-"
        return "%.2f" % (a / b)

    rows = []
    for wl in wls:
        o = med(runs, (wl, O))
        rows.append([wl, cell(wl, K), cell(wl, F), cell(wl, O),
                     ratio(o, med(runs, (wl, F))), ratio(o, med(runs, (wl, K)))])
    print_table(["workload", K, F, O, "ours/fuse-overlayfs", "ours/kernel"], rows)

    if cpu:
        print()
        print("CPU time (user+sys) of the FUSE daemon during the timed part, median:")
        print()
        rows = []
        for wl in wls:
            a, b = med(cpu, (wl, F)), med(cpu, (wl, O))
            rows.append([wl, "-" if a is None else "%.2f s" % a,
                         "-" if b is None else "%.2f s" % b, ratio(b, a) if a else "-"])
        print_table(["workload", F, O, "ours/fuse-overlayfs"], rows)

    rss = {}
    for line in open(rss_tsv):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 5 or not parts[3]:
            continue
        fs, wl, _, hwm, thr = parts[:5]
        rss.setdefault(fs, []).append((int(hwm), int(thr or 0), wl))
    if rss:
        print()
        print("Peak RSS (VmHWM of the daemon, read just before each unmount; every workload "
              "runs on a fresh mount):")
        print()
        rows = []
        for fs in (F, O):
            if fs not in rss:
                continue
            v = rss[fs]
            top = max(v)
            per = {}
            for hwm, thr, wl in v:
                per[wl] = max(per.get(wl, 0), hwm)
            rows.append([fs, "%.1f MiB (%s)" % (top[0] / 1024, top[2]),
                         "%.1f MiB" % (statistics.median(h for h, _, _ in v) / 1024),
                         str(max(t for _, t, _ in v)),
                         ", ".join("%s %.0f" % (w, per[w] / 1024) for w in sorted(per))])
        print_table(["daemon", "max VmHWM (workload)", "median VmHWM", "max threads at end",
                     "max VmHWM per workload, MiB"], rows)

    print()
    print("All runs, seconds:")
    print()
    rows = []
    for wl in wls:
        r = [wl]
        for fs in fs_list:
            v = runs.get((wl, fs), [])
            s = " ".join("%.4f" % x for x in v)
            if failed.get((wl, fs)):
                s += " FAIL x%d" % failed[(wl, fs)]
            r.append(s.strip() or "-")
        rows.append(r)
    print_table(["workload"] + fs_list, rows)


def print_table(head, rows):
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    fn = {
        "gen-files": gen_files, "randread": randread, "walk": walk,
        "files-create": files_create, "files-stat": files_stat,
        "files-readdir": files_readdir, "files-unlink": files_unlink,
        "readall": readall, "rename": rename, "report": report,
    }.get(cmd)
    if fn is None:
        print("unknown sub-command " + cmd, file=sys.stderr)
        return 2
    fn(*args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
