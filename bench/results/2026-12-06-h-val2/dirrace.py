#!/usr/bin/env python3
"""fstat/fchmod/read by path of a file while a directory holding one of its names is renamed back and forth.
dirrace.py MNT SECONDS MODE  (MODE: other = the file's other name is in the renamed dir; own = the open name is)"""
import os, sys, time, errno, collections
m, secs, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
os.chdir(m); os.makedirs("o", exist_ok=True)
open("o/first", "w").write("x" * 100)
if mode == "other":
    os.link("o/first", "h"); fd = os.open("h", os.O_RDWR)
else:
    fd = os.open("o/first", os.O_RDWR)
pid = os.fork()
if pid == 0:
    end = time.time() + secs
    while time.time() < end:
        os.rename("o", "o2"); os.rename("o2", "o")
    os._exit(0)
c = collections.Counter(); end = time.time() + secs
while time.time() < end:
    for what, f in (("fstat", lambda: os.fstat(fd)), ("fchmod", lambda: os.fchmod(fd, 0o644)),
                    ("fsetxattr", lambda: os.setxattr(fd, "user.a", b"1")), ("fgetxattr", lambda: os.getxattr(fd, "user.a"))):
        try: f(); c[what + " ok"] += 1
        except OSError as e: c[what + " " + errno.errorcode[e.errno]] += 1
os.waitpid(pid, 0); os.close(fd)
print(mode, dict(sorted(c.items())))
