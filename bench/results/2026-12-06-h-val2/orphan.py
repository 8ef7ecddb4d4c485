import os, sys, errno, time, subprocess
m = sys.argv[1]
def r(label, f):
    try: print(label, repr(f()))
    except OSError as e: print(label, "ERR", errno.errorcode[e.errno])
def drop():
    os.sync(); open("/proc/sys/vm/drop_caches", "w").write("2"); time.sleep(1.2)  # > attr timeout
os.chdir(m)
# case 1: first name's directory forgotten while the file stays alive through the second name
os.mkdir("d1"); os.mkdir("d2")
with open("d1/a", "w") as f: f.write("hello")
os.link("d1/a", "d2/b")
fd = os.open("d2/b", os.O_RDWR)
drop()
r("1 fstat", lambda: (os.fstat(fd).st_nlink, os.fstat(fd).st_size))
r("1 stat b", lambda: (os.stat("d2/b").st_nlink, os.stat("d2/b").st_size))
r("1 fchmod", lambda: os.fchmod(fd, 0o600))
r("1 cat b", lambda: open("d2/b").read())
r("1 cat a", lambda: open("d1/a").read())
r("1 chmod a", lambda: os.chmod("d1/a", 0o640))
r("1 stat a", lambda: oct(os.stat("d1/a").st_mode))
os.close(fd)
# case 2: same, then the first name removed
os.mkdir("e1"); os.mkdir("e2")
with open("e1/a", "w") as f: f.write("hello")
os.link("e1/a", "e2/b")
fd = os.open("e2/b", os.O_RDWR)
drop()
r("2 unlink a", lambda: os.unlink("e1/a"))
r("2 fstat", lambda: (os.fstat(fd).st_nlink, os.fstat(fd).st_size))
r("2 stat b", lambda: (os.stat("e2/b").st_nlink))
r("2 cat b", lambda: open("e2/b").read())
r("2 setxattr b", lambda: os.setxattr("e2/b", "user.x", b"1"))
os.close(fd)
r("2 list e2", lambda: os.listdir("e2"))
