#!/usr/bin/env python3
"""While an OPEN for writing copies a big lower file up (holding its node's read lock on our loop),
unlink 300 unrelated files whose nodes were looked up right after it (node ids on every one of the
256 NodeLocks stripes) and report the slowest unlink: one sharing the big file's stripe needs the
write lock, so it waits for the copy, if the node locks are what it waits for.
usage: open-copyup-nodelocks.py JAR SIZE_MIB"""
import os, sys, subprocess, time, tempfile, shutil, threading

jar, mib = sys.argv[1], int(sys.argv[2])
root = tempfile.mkdtemp(prefix="hfs3-nl-", dir="/var/tmp")
lo, up, wk, mnt = (os.path.join(root, d) for d in ("l", "u", "w", "m"))
for d in (lo, up, wk, mnt):
    os.mkdir(d)
os.mkdir(os.path.join(lo, "src")); os.mkdir(os.path.join(lo, "other"))
with open(os.path.join(lo, "src", "big"), "wb") as f:
    for i in range(mib):
        f.write(os.urandom(1 << 20))
for i in range(300):
    with open(os.path.join(lo, "other", "f%d" % i), "w") as f:
        f.write("x")
os.sync()
env = dict(os.environ, DOCKER_ON_TOP_FUSE_JAR=jar)
here = os.path.dirname(os.path.abspath(__file__))
cmd = os.path.join(here, "..", "..", "..", "src", "bin", "docker-on-top-fuse")
subprocess.run([cmd, "-o", "lowerdir=%s,upperdir=%s,workdir=%s" % (lo, up, wk), mnt], env=env, check=True)
try:
    big = os.path.join(mnt, "src", "big")
    os.stat(big)
    others = [os.path.join(mnt, "other", "f%d" % i) for i in range(300)]
    for p in others:
        os.stat(p)
    took = {}
    def copy():
        t0 = time.time()
        os.close(os.open(big, os.O_WRONLY))
        took["copy"] = time.time() - t0
    t = threading.Thread(target=copy)
    t.start()
    time.sleep(0.2)
    slowest, which = 0, None
    for p in others:
        t0 = time.time()
        os.unlink(p)
        d = time.time() - t0
        if d > slowest:
            slowest, which = d, p
    t.join()
    print("copy-up %.0f ms; 300 unlinks beside it, the slowest %.0f ms (%s)" % (took["copy"] * 1000, slowest * 1000, os.path.basename(which)))
finally:
    subprocess.run(["fusermount", "-u", mnt])
    shutil.rmtree(root, ignore_errors=True)
