#!/usr/bin/env bash
# real-privs.sh: what a write, truncate or chown does to setuid/setgid bits and file capabilities
# of lower files (copied up on the way), as root and as uid 65534; atomic symlink swaps (deploy
# pattern: ln -sfn + mv -T), fallocate, cp --reflink=auto/--sparse=always of lower files.
. "$(dirname "$0")/real-lib.sh"
make_lower() {
    mkdir -p "$L/p" "$L/rel/v1" "$L/rel/v2"
    for f in suid_root suid_nobody sgid_nobody cap_root cap_nobody suid_trunc suid_chown cap_chown; do
        cp /bin/true "$L/p/$f"
    done
    chmod 4755 "$L/p/suid_root" "$L/p/suid_chown"; chmod 4777 "$L/p/suid_nobody" "$L/p/suid_trunc"
    chmod 2777 "$L/p/sgid_nobody"; chmod 777 "$L/p/cap_nobody"
    for f in cap_root cap_nobody cap_chown; do setcap cap_net_raw+ep "$L/p/$f"; done
    echo one > "$L/rel/v1/x"; echo two > "$L/rel/v2/x"; ln -s v1 "$L/rel/current"
    head -c 1048576 /dev/urandom > "$L/p/big"
}
workload() {
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    show() { for f in "$@"; do printf '%s %s %s\n' "$(stat -c '%a %u:%g %s' "$f")" "$(getcap "$f" | awk '{print $2}')" "$f"; done; }
    cd p || return 1
    echo "## before"; show *
    echo "## root appends"; echo x >> suid_root; echo x >> cap_root
    echo "## nobody appends / truncates"; as_nobody sh -c 'echo x >> suid_nobody; echo x >> sgid_nobody; echo x >> cap_nobody; truncate -s 100 suid_trunc'
    echo "## chown"; chown 1:1 suid_chown cap_chown
    echo "## after"; show suid_root cap_root suid_nobody sgid_nobody cap_nobody suid_trunc suid_chown cap_chown
    echo "## fallocate, cp --reflink=auto --sparse=always"; fallocate -l 8M big; fallocate -p -o 0 -l 65536 big; stat -c '%s' big
    cp --reflink=auto --sparse=always big big2; cmp big big2 && echo same
    cd ../rel || return 1
    echo "## symlink swap"; ln -sfn v2 current.tmp && mv -T current.tmp current; readlink current; cat current/x
    ln -sfn v1 current; readlink current; cat current/x
}
real_main
