#!/usr/bin/env bash
# real-concurrent.sh: the git, C build, python/sqlite and file-tools workloads at the same time on
# one mount (each in its own part of the tree), then the same on the other; outputs and trees compared.
. "$(dirname "$0")/real-lib.sh"
REAL_LIB_ONLY=1
# any of: git cbuild python filetools dpkg races privs (each works in its own part of the tree)
WORKLOADS=${WORKLOADS:-git cbuild python filetools}
for w in $WORKLOADS; do
    . "$HERE/real-$w.sh"
    eval "${w}_$(declare -f make_lower)"; eval "${w}_$(declare -f workload)"
done
IGNORE_RE='\.git/index |pyvenv.cfg|venv/bin/activate|^t\.tar |r/app.log |r/many[0-9] '
export NO_IMPURE=1
make_lower() { for w in $WORKLOADS; do ${w}_make_lower; done; }
workload() {
    for w in $WORKLOADS; do ( ${w}_workload > "$T/c.$w.$(basename "$MNT")" 2>&1; echo "rc=$?" >> "$T/c.$w.$(basename "$MNT")" ) & done
    wait
    for w in $WORKLOADS; do echo "#### $w"; cat "$T/c.$w.$(basename "$MNT")"; done
}
REAL_LIB_ONLY=0
real_main
