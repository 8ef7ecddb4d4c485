#!/usr/bin/env bash
# real-git.sh: a git repository in the lower, used through the mount (status, checkout of an old
# commit and back, commit -a, stash, clean -fdx, gc --aggressive, fsck, worktree add).
. "$(dirname "$0")/real-lib.sh"
SRC=${SRC:-/work/main}
make_lower() {
    echo "## step 1"; git clone -q --no-hardlinks "$SRC" "$L/repo"
    echo "## step 2"; git -C "$L/repo" config user.email t@t; git -C "$L/repo" config user.name t
    echo junk > "$L/repo/untracked.txt"; mkdir -p "$L/repo/build/x"; echo o > "$L/repo/build/x/o.o"
}
workload() {
    export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
    cd repo || return 1
    echo "## step 3"; git config pack.threads 1; git config gc.auto 0; git config maintenance.auto false   # no detached auto-gc; gc's delta search is otherwise not deterministic
    echo "## step 4"; git status --porcelain
    echo "## step 5"; old=$(git rev-list --max-count=1 --skip=200 HEAD)
    echo "## step 6"; git checkout -q "$old" && git status --porcelain | head
    echo "## step 7"; git checkout -q - && git status --porcelain | head
    echo "## step 8"; echo "edit" >> README.md; sed -i 's/Java/JAVA/' README.md
    echo "## step 9"; git commit -qa -m edit && git log --oneline -1
    echo "## step 10"; echo "stash me" >> pom.xml; git stash -q && git stash list && git diff --stat; git stash pop -q && git diff --stat
    echo "## step 11"; git checkout -q pom.xml
    echo "## step 12"; git clean -fdxq; ls
    echo "## step 13"; git gc -q --aggressive && git count-objects -v | grep -v size
    echo "## step 14"; git fsck --no-progress 2>&1 | sort | head
    echo "## step 15"; git worktree add -q ../wt2 HEAD~3 && git -C ../wt2 status --porcelain && git worktree list | sed 's/ [0-9a-f]\{7,\} / HASH /'
    echo "## step 16"; git -C ../wt2 log --oneline -1
    echo "## step 17"; git worktree remove ../wt2 && git worktree prune
    echo "## step 18"; git status --porcelain
}
# git's index holds st_ino/st_dev/ctime of each file: it differs between any two file systems
IGNORE_RE='\.git/index '
# which loose objects git "freshens" (utimensat, so a copy-up that marks the directory impure) depends
# on racy-git timestamps in its index: differs run to run on one and the same mount type
export NO_IMPURE=1
real_main
