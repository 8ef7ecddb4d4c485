#!/bin/bash
tests="open-plain open-trunc open-creat open-creat-trunc open-creat-excl open-creat-excl-trunc noent-plain noent-trunc noent-creat noent-creat-trunc noent-creat-excl noent-creat-excl-trunc sym1-plain sym1-trunc sym1-creat sym1-creat-excl sym2-plain sym2-trunc sym2-creat sym2-creat-excl symx-plain symx-trunc symx-creat symx-creat-excl symx-creat-trunc truncate dir-open dir-weird-open dir-open-dir dir-weird-open-dir dir-sym1-open dir-sym1-weird-open dir-sym2-open dir-sym2-weird-open readlink mkdir rmdir rmtree rmtree-new hard-link hard-link-dir hard-link-sym unlink rename-file rename-hard-link rename-new-dir rename-new-pop-dir rename-mass rename-mass-2 rename-mass-3 rename-mass-4 rename-mass-5 rename-mass-dir rename-mass-sym rename-exdev"
out=/tmp/hl/ums-java.txt; : > $out
for t in $tests; do for ts in 0 1; do /tmp/hl/ums-one.sh $ts $t >> $out; done; done
echo "java: $(grep -c ^PASS $out) pass, $(grep -c ^FAIL $out) fail" >> $out
