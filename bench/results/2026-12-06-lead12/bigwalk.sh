#!/bin/bash
# bigwalk.sh: du -s of the 151,500-file tree x3 on a fresh mount, old jar (-Xmx96m) / new jar / fuse-overlayfs, 2 ABBA rounds
old=/tmp/conf/jar-9235fe2.jar; new=/tmp/j-final.jar
for r in 1 2; do
  if [ $r = 1 ]; then order="old new fo"; else order="fo new old"; fi
  for v in $order; do
    case $v in
      old) DOCKER_ON_TOP_FUSE_XMX=96m /tmp/duwalk.sh $old "" "old(9235fe2,-Xmx96m)";;
      new) /tmp/duwalk.sh $new "" "new";;
      fo) /tmp/duwalk.sh fo "" "fuse-overlayfs";;
    esac
  done
done
