import os, sys, time
# micro.py neg DIR N [PREFIX]: N lstat() of distinct missing names in DIR (one negative LOOKUP each)
# micro.py openclose FILE N   : N open+close of FILE (OPEN and RELEASE each)
op, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
prefix = sys.argv[4] if len(sys.argv) > 4 else "missing"

t0 = time.perf_counter()
if op == "neg":
    for i in range(n):
        try:
            os.lstat("%s/%s-%d" % (path, prefix, i))
        except FileNotFoundError:
            pass
        else:
            sys.exit("exists")
else:
    for i in range(n):
        os.close(os.open(path, os.O_RDONLY))
print("%s %.6f" % (op, time.perf_counter() - t0))
