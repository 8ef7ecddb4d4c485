import os, sys
top = sys.argv[1]; n = int(sys.argv[2])
for i in range(n):
    os.close(os.open(os.path.join(top, "x%05d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
    os.listdir(top)
