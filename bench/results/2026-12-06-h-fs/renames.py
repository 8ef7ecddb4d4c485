#!/usr/bin/env python3
"""Renames through a fresh mount of JAR: daemon CPU and wall time of N renames of upper files
(made through the mount first) and of M renames of lower files (copied up by the rename).
usage: renames.py JAR N M  -> one line: upper_wall_s upper_cpu_ticks lower_wall_s lower_cpu_ticks"""
import os, sys, subprocess, time, tempfile, shutil

jar, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
root = tempfile.mkdtemp(prefix="hfs-ren-", dir="/var/tmp")
lo, up, wk, mnt = (os.path.join(root, d) for d in ("l", "u", "w", "m"))
for d in (lo, up, wk, mnt):
    os.mkdir(d)
os.mkdir(os.path.join(lo, "low"))
for i in range(m):
    with open(os.path.join(lo, "low", "f%d" % i), "w") as f:
        f.write("x" * 4096)
env = dict(os.environ, DOCKER_ON_TOP_FUSE_JAR=jar)
here = os.path.dirname(os.path.abspath(__file__))
cmd = os.path.join(here, "..", "..", "..", "src", "bin", "docker-on-top-fuse")
subprocess.run([cmd, "-o", "lowerdir=%s,upperdir=%s,workdir=%s" % (lo, up, wk), mnt], env=env, check=True)
try:
    pid = None
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if mnt.encode() in open("/proc/%s/cmdline" % p, "rb").read() and b"java" in open("/proc/%s/cmdline" % p, "rb").read():
                    pid = p
            except OSError:
                pass
    def cpu():
        f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    d = os.path.join(mnt, "up")
    os.mkdir(d)
    for i in range(n):
        open(os.path.join(d, "f%d" % i), "w").close()
    for i in range(200):  # warm-up
        os.rename(os.path.join(d, "f%d" % i), os.path.join(d, "g%d" % i))
    c0, t0 = cpu(), time.time()
    for i in range(200, n):
        os.rename(os.path.join(d, "f%d" % i), os.path.join(d, "g%d" % i))
    t1, c1 = time.time(), cpu()
    dl = os.path.join(mnt, "low")
    for i in range(m):
        os.stat(os.path.join(dl, "f%d" % i))
    c2, t2 = cpu(), time.time()
    for i in range(m):
        os.rename(os.path.join(dl, "f%d" % i), os.path.join(dl, "g%d" % i))
    t3, c3 = time.time(), cpu()
    print("%.3f %d %.3f %d" % (t1 - t0, c1 - c0, t3 - t2, c3 - c2))
finally:
    subprocess.run(["fusermount", "-u", mnt])
    shutil.rmtree(root, ignore_errors=True)
