import os, sys, time
d = sys.argv[1]
t = time.time(); names = os.listdir(d); print("listdir", len(names), round(time.time()-t, 2))
t = time.time()
for n in names: os.lstat(os.path.join(d, n))
print("lstat", round(time.time()-t, 2))
t = time.time()
for n in names:
    try: os.getxattr(os.path.join(d, n), "system.posix_acl_access", follow_symlinks=False)
    except OSError: pass
print("getxattr", round(time.time()-t, 2))
