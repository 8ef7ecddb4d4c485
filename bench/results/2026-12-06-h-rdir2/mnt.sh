#!/bin/bash
# mnt.sh FS DIR: mounts FS (ours|fovl|kernel) at DIR/mnt with fresh upper/work; prints daemon pid. JAR= selects our jar.
fs=$1; d=$2
L=/var/tmp/bench-data/lower
rm -rf --one-file-system "$d"; mkdir -p "$d/upper" "$d/work" "$d/mnt"
o="lowerdir=$L,upperdir=$d/upper,workdir=$d/work"
case $fs in
  ours) env DOCKER_ON_TOP_FUSE_JAR=${JAR:-/var/tmp/h-rdir2/base.jar} /work/main/src/bin/docker-on-top-fuse -o "$o${OPTS:+,$OPTS}" "$d/mnt" >"$d.log" 2>&1 || { cat "$d.log"; exit 1; } ;;
  fovl) fuse-overlayfs -o "$o" "$d/mnt" ;;
  kernel) mount -t overlay overlay -o "$o" "$d/mnt" ;;
esac
if [ $fs != kernel ]; then
  for p in $(pgrep -f -- "$d/mnt"); do echo $p; done | tail -1
fi
