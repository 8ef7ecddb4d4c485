#!/bin/bash
# abba.sh ROUNDS A B [C]: ab.sh A B B A per round (B A A B on even rounds), C once per round in the middle
R=$1; A=$2; B=$3; C=$4
for r in $(seq 1 $R); do
  if [ $((r % 2)) = 1 ]; then o="$A $B ${C} $B $A"; else o="$B $A ${C} $A $B"; fi
  for v in $o; do echo "r$r $(./ab.sh $v)"; done
done
