#!/bin/bash
# mklower.sh DIR LABEL SEED: lower file of 132-258 KiB random, ref copy in DIR/refs
d=$1; label=$2; s=$3
mkdir -p $d/lower $d/refs
sz=$(( (132 + (s*37) % 127) * 1024 + s*13 ))
head -c $sz /dev/urandom > $d/lower/$label-$s
cp $d/lower/$label-$s $d/refs/$label-$s
