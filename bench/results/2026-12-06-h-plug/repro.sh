#!/bin/bash
# The three plugin defects h-user3 left (findings 36), through the real dockerd, on both strategies.
# usage (root, dockerd running, the IT busybox image built): repro.sh BINDIR [DRIVER]
#   BINDIR holds docker-on-top.jar and docker-on-top-fuse.jar (as built by mvn package)
# Starts its own daemon on a temporary root, prints what a user sees, and removes everything it made.
set -u
bin=$(readlink -f "$1"); driver=${2:-hplug}
img=$(docker images --format '{{.Repository}}:{{.Tag}}' docker-on-top-it-busybox | head -1)
work=$(mktemp -d /tmp/dot-repro.XXXXXX); root=$work/root
(setsid java -jar "$bin/docker-on-top.jar" --name "$driver" --root "$root" </dev/null >"$work/plugin.log" 2>&1 & echo $! >"$work/pid")
for _ in $(seq 100); do [ -S /run/docker/plugins/$driver.sock ] && break; sleep 0.1; done
run() { docker run --rm --network none "$@" 2>&1 | grep -v "^Run 'docker run --help'" | grep -v '^$'; }
mounted() { grep -c " $root/$1/mountpoint " /proc/self/mountinfo; }
for s in overlay fuse; do
    echo "=== strategy $s"
    # 1. an Unmount whose ID is not counted (cleared by hand, as the README says, or by start-up)
    mkdir -p "$work/b1" && echo x >"$work/b1/f"
    docker volume create -d "$driver" -o base="$work/b1" -o strategy=$s u-$s >/dev/null
    docker run -d --name u-$s --network none -v u-$s:/data "$img" sleep 1000 >/dev/null
    rm "$root/u-$s/activemounts/"*
    docker rm -f u-$s >/dev/null; sleep 1.5
    echo "1. after the container's Unmount (its count cleared before): mounted=$(mounted u-$s)," \
        "FUSE servers=$(ps -eo args | grep -c "[u]-$s/mountpoint")"
    docker volume rm u-$s >/dev/null
    # 2. the base removed while a container uses the volume, then a second container
    mkdir -p "$work/b2" && echo x >"$work/b2/f"
    docker volume create -d "$driver" -o base="$work/b2" -o strategy=$s b-$s >/dev/null
    docker run -d --name b-$s --network none -v b-$s:/data "$img" sleep 1000 >/dev/null
    rm -rf "$work/b2"
    echo "2. second container: $(run -v b-$s:/data "$img" ls /data)"
    mkdir -p "$work/b2"
    docker rm -f b-$s >/dev/null
    docker volume rm b-$s >/dev/null
    # 3. an overlay of other layers at the volume's mountpoint
    mkdir -p "$work/b3" "$work/o/l" "$work/o/u" "$work/o/w" && echo theirs >"$work/o/l/theirs"
    docker volume create -d "$driver" -o base="$work/b3" -o strategy=$s f-$s >/dev/null
    mkdir -p "$root/f-$s/mountpoint"
    if [ $s = overlay ]; then
        mount -t overlay someone -o lowerdir=$work/o/l,upperdir=$work/o/u,workdir=$work/o/w "$root/f-$s/mountpoint"
    else
        fuse-overlayfs -o lowerdir=$work/o/l,upperdir=$work/o/u,workdir=$work/o/w "$root/f-$s/mountpoint"
    fi
    echo "3. container on a foreign $s mount: $(run -v f-$s:/data "$img" sh -c 'echo mine >/data/written')"
    echo "   then: foreign mount still there=$(mounted f-$s), the write in the volume's upper=$(ls "$root/f-$s/upper" \
        | grep -c written), in the foreign upper=$(ls "$work/o/u" | grep -c written)"
    umount "$root/f-$s/mountpoint" 2>/dev/null
    docker volume rm f-$s >/dev/null 2>&1
    rm -rf "$work/o"
done
kill "$(cat "$work/pid")"; sleep 1
grep -q " $root/" /proc/self/mountinfo && echo "LEFT MOUNTS: $(grep " $root/" /proc/self/mountinfo)"
rm -rf "$work"
