#!/usr/bin/env python3
"""Copy-ups of small lower files through a fresh mount of JAR: daemon CPU (10 ms ticks) and wall
time of N opens for appending of 4 KiB lower files (a copy-up with data: copied, fsynced, linked)
and of N chmods of empty lower files (a copy-up without data, under the parent's stripe).
usage: copyups.py JAR N  -> one line: data_wall_s data_cpu_ticks empty_wall_s empty_cpu_ticks"""
import os, sys, subprocess, time, tempfile, shutil

jar, n = sys.argv[1], int(sys.argv[2])
root = tempfile.mkdtemp(prefix="hfs3-cu-", dir="/var/tmp")
lo, up, wk, mnt = (os.path.join(root, d) for d in ("l", "u", "w", "m"))
for d in (lo, up, wk, mnt):
    os.mkdir(d)
for sub in ("data", "empty"):
    os.mkdir(os.path.join(lo, sub))
    for i in range(n):
        with open(os.path.join(lo, sub, "f%d" % i), "w") as f:
            f.write("x" * 4096 if sub == "data" else "")
os.sync()
env = dict(os.environ, DOCKER_ON_TOP_FUSE_JAR=jar)
here = os.path.dirname(os.path.abspath(__file__))
cmd = os.path.join(here, "..", "..", "..", "src", "bin", "docker-on-top-fuse")
subprocess.run([cmd, "-o", "lowerdir=%s,upperdir=%s,workdir=%s" % (lo, up, wk), mnt], env=env, check=True)
try:
    pid = None
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                c = open("/proc/%s/cmdline" % p, "rb").read()
                if mnt.encode() in c and b"java" in c:
                    pid = p
            except OSError:
                pass
    def cpu():
        f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    out = []
    for sub in ("data", "empty"):
        d = os.path.join(mnt, sub)
        for i in range(n):
            os.stat(os.path.join(d, "f%d" % i))
        c0, t0 = cpu(), time.time()
        for i in range(n):
            p = os.path.join(d, "f%d" % i)
            if sub == "data":
                os.close(os.open(p, os.O_WRONLY | os.O_APPEND))
            else:
                os.chmod(p, 0o600)
        t1, c1 = time.time(), cpu()
        out += ["%.3f" % (t1 - t0), str(c1 - c0)]
    print(" ".join(out))
finally:
    subprocess.run(["fusermount", "-u", mnt])
    shutil.rmtree(root, ignore_errors=True)
