import os, sys, mmap, time
d = sys.argv[1]
a, b = os.path.join(d, 'a'), os.path.join(d, 'b')
with open(a, 'wb') as f: f.write(b'0' * 8192)
os.link(a, b)
ra = os.open(b, os.O_RDONLY); os.pread(ra, 8192, 0)
fd = os.open(a, os.O_RDWR)
m = mmap.mmap(fd, 8192)
m[0:4] = b'MMAP'
print('read through b right after the store (no msync):', os.pread(ra, 4, 0))
m.close()
print('after munmap:', os.pread(ra, 4, 0))
os.fsync(fd)
print('after fsync of a:', os.pread(ra, 4, 0))
