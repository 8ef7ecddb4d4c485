#!/usr/bin/env python3
"""seqread-abba.py ROUNDS CONFIG... : seqread-cold, seqread-warm and randread of big.bin on mounts
that are already up (long-lived: a daemon's JIT is warm, unlike overlay-bench.sh's fresh mounts),
interleaved, the order reversed every other round (ABBA). CONFIG is NAME:MOUNTPOINT[:READ_AHEAD_KB];
with READ_AHEAD_KB the mount's /sys/class/bdi/MAJ:MIN/read_ahead_kb is set before its turn.
Per config and round: drop caches, one timed `dd bs=1M` (cold), three more (warm, their median),
drop caches, bench/fsops.py randread 20000 x 4 KiB. Daemon CPU (utime+stime of the process whose
command line ends with the mount point) for cold and randread. Prints a markdown table of medians
(min-max), then the raw runs as JSON. Needs root.
"""
import json
import os
import statistics
import subprocess
import sys
import time

FSOPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fsops.py")


def drop():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")


def dd(path):
    t = time.perf_counter()
    subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=1M", "status=none"], check=True)
    return time.perf_counter() - t


def device(mnt):
    st = os.stat(mnt)
    return "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))


def daemon(mnt):
    out = subprocess.run(["pgrep", "-f", os.path.abspath(mnt) + "( |$)"], capture_output=True, text=True).stdout
    return out.split()[0] if out.split() else None


def cpu(pid):
    if not pid:
        return 0.0
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    rounds = int(sys.argv[1])
    configs = [c.split(":") for c in sys.argv[2:]]
    res = {c[0]: {k: [] for k in ("cold", "warm", "rand", "coldcpu", "randcpu")} for c in configs}
    for r in range(rounds):
        for c in (configs if r % 2 == 0 else list(reversed(configs))):
            name, mnt, x = c[0], c[1], res[c[0]]
            if len(c) > 2:
                with open("/sys/class/bdi/%s/read_ahead_kb" % device(mnt), "w") as f:
                    f.write(c[2])
            pid, big = daemon(mnt), os.path.join(mnt, "big.bin")
            drop()
            c0 = cpu(pid)
            x["cold"].append(dd(big))
            x["coldcpu"].append(cpu(pid) - c0)
            x["warm"].append(statistics.median([dd(big) for _ in range(3)]))
            drop()
            c0 = cpu(pid)
            out = subprocess.run(["python3", FSOPS, "randread", big, "20000", "42", "4096"],
                                 capture_output=True, text=True, check=True).stdout
            x["rand"].append(float(out.split()[1]))
            x["randcpu"].append(cpu(pid) - c0)
        print("round %d done" % (r + 1), file=sys.stderr)

    def m(v):
        return "%.3f (%.3f-%.3f)" % (statistics.median(v), min(v), max(v))
    print("| config | seqread-warm, s | seqread-cold, s | cold daemon cpu, s | randread, s | randread daemon cpu, s |")
    print("|---|---|---|---|---|---|")
    for c in configs:
        x = res[c[0]]
        print("| %s | %s | %s | %.2f | %s | %.2f |" % (c[0], m(x["warm"]), m(x["cold"]), statistics.median(x["coldcpu"]),
                                                      m(x["rand"]), statistics.median(x["randcpu"])))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
