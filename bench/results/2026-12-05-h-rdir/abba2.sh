#!/bin/bash
# abba2.sh SCRIPT ROUNDS A B
s=$1; n=$2; a=$3; b=$4
for i in $(seq $n); do ./$s $a; ./$s $b; ./$s $b; ./$s $a; done
