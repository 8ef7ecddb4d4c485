#!/usr/bin/env bash
# real-races.sh: copy-up under concurrent use, as log writers and databases meet it: several
# processes appending (O_APPEND) to one lower file at once, several writing distinct ranges of one
# lower file opened at once, a reader opened before another process's copy-up, mmap stores into a
# lower file, flock/fcntl locks held across the copy-up.
. "$(dirname "$0")/real-lib.sh"
make_lower() {
    mkdir -p "$L/r"
    seq 1 1000 | sed 's/^/lower line /' > "$L/r/app.log"
    head -c 4194304 /dev/zero > "$L/r/ranges"
    seq 1 100000 > "$L/r/read"
    head -c 65536 /dev/zero > "$L/r/mm"
    echo lock > "$L/r/lock"
    for i in $(seq 1 8); do seq 1 100 > "$L/r/many$i"; done
}
workload() {
    python3 - <<'P'
import os, mmap, time, fcntl, multiprocessing as mp, hashlib
def appender(k, barrier):
    fd = os.open("r/app.log", os.O_WRONLY | os.O_APPEND)
    barrier.wait()
    for i in range(2000):
        os.write(fd, f"writer {k} line {i:05d}\n".encode())
    os.close(fd)
def ranger(k, barrier):
    fd = os.open("r/ranges", os.O_RDWR)
    barrier.wait()
    for i in range(64):
        os.pwrite(fd, bytes([65 + k]) * 4096, (k * 64 + i) * 4096)
    os.close(fd)
def opener(k, barrier):
    barrier.wait()
    # everyone opens the same 8 lower files for writing at once: 8 copy-ups raced by 4 processes
    for j in range(1, 9):
        with open(f"r/many{j}", "a") as f:
            f.write(f"p{k}\n")
for target, n in ((appender, 4), (ranger, 4), (opener, 4)):
    b = mp.Barrier(n)
    ps = [mp.Process(target=target, args=(k, b)) for k in range(n)]
    [p.start() for p in ps]; [p.join() for p in ps]
    print(target.__name__, [p.exitcode for p in ps])
lines = open("r/app.log").read().splitlines()
print("app.log lines", len(lines), "intact", all(l.startswith(("lower line", "writer")) for l in lines),
      "per writer", sorted(sum(1 for l in lines if l.startswith(f"writer {k} ")) for k in range(4)))
data = open("r/ranges", "rb").read()
print("ranges", len(data), [data.count(bytes([65 + k])) for k in range(4)], data.count(0))
print("many", [sorted(open(f"r/many{j}").read().split()[100:]) for j in (1, 8)])
# a reader opened before another process copies the file up
r = open("r/read")
first = r.readline()
pid = os.fork()
if pid == 0:
    with open("r/read", "r+") as w: w.write("CHANGED\n")
    os._exit(0)
os.waitpid(pid, 0)
r.seek(0); print("reader opened before copy-up sees", r.readline().strip(), "(first was", first.strip() + ")")
r.close()
# mmap stores into a lower file
with open("r/mm", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[100:105] = b"hello"; m.flush(); m.close()
print("mm", hashlib.sha256(open("r/mm", "rb").read()).hexdigest()[:16])
# fcntl and flock locks taken on the lower file, kept while another process copies it up
f = open("r/lock"); fcntl.flock(f, fcntl.LOCK_SH); f2 = open("r/lock"); fcntl.lockf(f2, fcntl.LOCK_SH)
pid = os.fork()
if pid == 0:
    g = open("r/lock", "r+")
    try: fcntl.flock(g, fcntl.LOCK_EX | fcntl.LOCK_NB); print("child flock EX: got it")
    except OSError as e: print("child flock EX:", e.errno)
    try: fcntl.lockf(g, fcntl.LOCK_EX | fcntl.LOCK_NB); print("child lockf EX: got it")
    except OSError as e: print("child lockf EX:", e.errno)
    os._exit(0)
os.waitpid(pid, 0)
P
}
# the writers' lines interleave in a different order every run: the workload prints their counts
IGNORE_RE='r/app.log |r/many[0-9] '
real_main
