import os, sys
# micro.py dread FILE COUNT SIZE SPAN | dwrite FILE COUNT SIZE SPAN : O_DIRECT preads / plain pwrites
op, path, count, size, span = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
slots = span // size
if op == "dread":
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    for i in range(count):
        if len(os.pread(fd, size, (i % slots) * size)) != size: sys.exit("short read")
else:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    buf = b"x" * size
    for i in range(count):
        os.pwrite(fd, buf, (i % slots) * size)
os.close(fd)
