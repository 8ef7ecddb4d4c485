# hist.sh JAR [xattr]: with xattr, an lgetxattr of each file too (as ls -l does)
jar=$1; xattr=${2:-}
D=/tmp/sr/h; rm -rf $D; mkdir -p $D/{u,w,m}; DOCKER_ON_TOP_FUSE_JAR=$jar /work/main/src/bin/docker-on-top-fuse -o lowerdir=/var/tmp/flat100k,upperdir=$D/u,workdir=$D/w $D/m; pid=$(pgrep -n -f "$D/m")
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
python3 -c "
import os,time
d='$D/m'
t=time.perf_counter()
for n in os.listdir(d):
    os.lstat(d+'/'+n)
    if '$xattr':
        try: os.getxattr(d+'/'+n, 'user.x', follow_symlinks=False)
        except OSError: pass
print('walk %.2f' % (time.perf_counter()-t))
"
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
jcmd $pid GC.run >/dev/null; echo "cpu=$((t1-t0)) $(grep VmHWM /proc/$pid/status) live=$(jcmd $pid GC.heap_info | awk '/tenured/{print $6}')"; jcmd $pid GC.class_histogram | awk 'NR>3 && NR<=10 {printf "%s %s %s; ", $2, $3, $4} END {print ""}'
umount $D/m
