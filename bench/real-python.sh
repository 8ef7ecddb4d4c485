#!/usr/bin/env bash
# real-python.sh: python3 -m venv on the mount, compileall of a lower tree, sqlite databases of the
# lower changed through the mount (rollback journal, WAL, VACUUM, integrity_check).
. "$(dirname "$0")/real-lib.sh"
PY=/usr/bin/python3
make_lower() {
    mkdir -p "$L/py"; cp -a /usr/lib/python3.11/json /usr/lib/python3.11/email /usr/lib/python3.11/asyncio "$L/py/"
    find "$L/py" -name __pycache__ -prune -exec rm -rf {} +
    $PY - "$L" <<'P'
import sqlite3, sys
for name, wal in (("j.db", False), ("w.db", True)):
    c = sqlite3.connect(f"{sys.argv[1]}/{name}")
    if wal: c.execute("pragma journal_mode=wal")
    c.execute("create table t(i integer primary key, s text)")
    c.executemany("insert into t(s) values(?)", [("x" * (i % 300),) for i in range(20000)])
    c.commit(); c.close()
P
}
workload() {
    echo "## venv"; $PY -m venv --without-pip venv && venv/bin/python -c 'import sys; print(sys.prefix != sys.base_prefix)'
    echo "## compileall"; $PY -m compileall -q --invalidation-mode unchecked-hash py >/dev/null; echo rc=$?; find py -name '*.pyc' | wc -l
    echo "## sqlite"; $PY - <<'P'
import sqlite3, threading
for name in ("j.db", "w.db"):
    c = sqlite3.connect(name)
    print(name, c.execute("pragma journal_mode").fetchone())
    with c:
        c.execute("update t set s = s || 'y' where i % 3 = 0")
        c.execute("delete from t where i % 7 = 0")
    try:
        with c:
            c.execute("insert into t(s) values('rolled back')"); raise RuntimeError
    except RuntimeError: pass
    # a second connection writing while the first reads (WAL: a read transaction open meanwhile)
    d = sqlite3.connect(name, timeout=10)
    cur = c.execute("select count(*), sum(length(s)) from t")
    if name == "j.db": print(name, cur.fetchone())
    with d: d.execute("insert into t(s) values('from d')")
    if name == "w.db": print(name, cur.fetchone())
    print(name, c.execute("select count(*) from t").fetchone())
    d.close()
    c.execute("pragma wal_checkpoint(truncate)") if name == "w.db" else None
    c.execute("vacuum")
    print(name, c.execute("pragma integrity_check").fetchone(), c.execute("select count(*), sum(length(s)) from t").fetchone())
    c.close()
P
    sqlite3 w.db 'pragma journal_mode=delete; select count(*) from t;'
    ls *.db
}
# .pyc of unchecked-hash mode hold no mtimes; the venv's pyvenv.cfg and activate scripts hold its path
IGNORE_RE='pyvenv.cfg|venv/bin/activate'
real_main
