#!/bin/bash
# Builds docker-on-top from this source tree, installs it, and starts the plugin.
# Run as root on Debian 12 (or a Debian-like system):  ./src/install.sh
#
#   - installs what is missing: Java 17, Maven, FUSE 3 (+ libfuse2), and Docker (docker.io) if no
#     Docker engine is installed;
#   - builds with `mvn -q -DskipTests package`;
#   - installs the jars in $PREFIX/lib/docker-on-top, the launchers docker-on-top and
#     docker-on-top-fuse in $PREFIX/bin, and the systemd unit;
#   - makes the FUSE server's class-data-sharing archive beside its jar (src/fuse-cds-archive.sh:
#     one training mount; if it fails, the install goes on without it);
#   - starts the plugin: with systemd (enabled, ordered before docker.service); without systemd
#     (e.g. in a container) in the background, logging to $LOG, and waits until its socket is up.
# Running it again upgrades and restarts the plugin; mounted volumes stay mounted.
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
LOG=${LOG:-/var/log/docker-on-top.log}
PIDFILE=/run/docker-on-top.pid
SOCKET=/run/docker/plugins/docker-on-top.sock
UNIT=/etc/systemd/system/docker-on-top.service

say() { echo "docker-on-top install: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
[[ $(id -u) == 0 ]] || die "run as root (sudo $0): the plugin mounts filesystems and serves a root-only socket"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

packages=()
command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || packages+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || packages+=(maven)
installed fuse3 || packages+=(fuse3)
# libfuse2 was renamed libfuse2t64 after Debian 12
if ! installed libfuse2 && ! installed libfuse2t64; then
    if apt-cache show libfuse2t64 >/dev/null 2>&1; then packages+=(libfuse2t64); else packages+=(libfuse2); fi
fi
command -v dockerd >/dev/null || packages+=(docker.io)
if ((${#packages[@]})); then
    say "installing ${packages[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

say "building (mvn -q -DskipTests package)"
mvn -B -q -DskipTests package
for jar in plugin/target/docker-on-top.jar fuse/target/docker-on-top-fuse.jar; do
    [[ -f $jar ]] || die "the build did not produce $jar"
done

say "installing into $PREFIX"
install -d "$PREFIX/lib/docker-on-top" "$PREFIX/bin" "$PREFIX/share/doc/docker-on-top"
# install into temporary names and rename: a running daemon keeps reading its old jar undisturbed
for jar in plugin/target/docker-on-top.jar fuse/target/docker-on-top-fuse.jar; do
    install -m 0644 "$jar" "$PREFIX/lib/docker-on-top/.$(basename "$jar").new"
    mv -f "$PREFIX/lib/docker-on-top/.$(basename "$jar").new" "$PREFIX/lib/docker-on-top/$(basename "$jar")"
done
install -m 0755 src/bin/docker-on-top "$PREFIX/bin/docker-on-top"
if [[ -f src/bin/docker-on-top-fuse ]]; then
    install -m 0755 src/bin/docker-on-top-fuse "$PREFIX/bin/docker-on-top-fuse"
else
    say "warning: src/bin/docker-on-top-fuse is missing; the plugin will run the FUSE jar beside its own"
fi
install -m 0644 README.md "$PREFIX/share/doc/docker-on-top/README.md"

# The FUSE server's class-data-sharing archive, made again at every install: an archive of an
# earlier jar is ignored by the JVM. Without one the FUSE volumes work as well, only start slower.
say "training the FUSE server for its class-data-sharing archive (one temporary mount)"
if ! src/fuse-cds-archive.sh "$PREFIX/lib/docker-on-top/docker-on-top-fuse.jar" "$PREFIX/bin/docker-on-top-fuse"; then
    say "warning: no class-data-sharing archive for the FUSE server (see above); FUSE volumes work, their servers start slower"
fi

# Answers once the daemon serves its socket: asked over the socket where curl exists, else told by
# the daemon's log line (printed once it listens) since $LOG_FROM.
LOG_FROM=0
socket_answers() {
    [[ -S $SOCKET ]] || return 1
    if command -v curl >/dev/null; then
        curl -s --max-time 5 --unix-socket "$SOCKET" -X POST -d '{}' http://docker-on-top/Plugin.Activate | grep -q VolumeDriver
    else
        tail -c "+$((LOG_FROM + 1))" "$LOG" 2>/dev/null | grep -q 'serving volume driver'
    fi
}

if [[ -d /run/systemd/system ]]; then
    say "installing the systemd unit and (re)starting docker-on-top.service"
    sed "s#/usr/local/bin/docker-on-top#$PREFIX/bin/docker-on-top#" src/systemd/docker-on-top.service > "$UNIT"
    systemctl daemon-reload
    systemctl enable docker-on-top.service
    systemctl restart docker-on-top.service
    systemctl --no-pager --lines=5 status docker-on-top.service || die "the service did not start: journalctl -u docker-on-top"
else
    say "no systemd here: starting the daemon in the background (log: $LOG)"
    # only a docker-on-top daemon: a pid file that outlived its daemon may name a reused pid
    old=$(cat "$PIDFILE" 2>/dev/null || true)
    if [[ $old =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$old/cmdline" \
            | grep -q -e 'docker-on-top\.jar' -e "$PREFIX/bin/docker-on-top "; then
        say "stopping the daemon started earlier (pid $old)"
        kill -TERM "$old"
        for _ in $(seq 1 300); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$old" 2>/dev/null && die "pid $old did not stop within 30 s"
    fi
    # (a daemon started some other way, e.g. the original docker-on-top, keeps its socket: the new
    # daemon refuses to start, and says so in the log shown below)
    mkdir -p "$(dirname "$LOG")"
    LOG_FROM=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    setsid "$PREFIX/bin/docker-on-top" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" > "$PIDFILE"
    for _ in $(seq 1 600); do
        socket_answers && break
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOG" >&2; die "the daemon exited; its log is above"; }
        sleep 0.1
    done
    socket_answers || { tail -n 30 "$LOG" >&2; die "no answer on $SOCKET after 60 s; its log is above"; }
    say "docker-on-top is running (pid $pid), serving $SOCKET"
fi
say "done. Try: docker volume create --driver docker-on-top -o base=/some/dir myvol && docker run --rm -v myvol:/data busybox ls /data"
