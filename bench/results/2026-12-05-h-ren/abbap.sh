#!/bin/bash
n=$1; shift; vs=("$@")
for r in $(seq $n); do
  if (( r % 2 )); then order=("${vs[@]}"); else order=(); for ((i=${#vs[@]}-1;i>=0;i--)); do order+=("${vs[$i]}"); done; fi
  for v in "${order[@]}"; do /var/tmp/h-ren/prof.sh $v 2>/dev/null; done
done
