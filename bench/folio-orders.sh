#!/bin/bash
# folio-orders.sh: which folio sizes the kernel adds to the page cache of one filesystem while a
# command runs (tracepoint filemap:mm_filemap_add_to_page_cache, which records each folio's order).
#
#   bench/folio-orders.sh PATH COMMAND [ARGS...]
#
# PATH is any file or directory on the filesystem to watch (a mount point, a file in it). Prints
# one line per order: folios added and their KiB. Uses a tracing instance of its own, removed on
# exit. COMMAND's output is passed through. Needs root. For what a file's cache holds now (rather
# than what was added), see folio-sizes.py.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 PATH COMMAND [ARGS...]" >&2
    exit 2
fi
path=$1
shift
tracing=/sys/kernel/tracing
event=events/filemap/mm_filemap_add_to_page_cache
if [ ! -d "$tracing/$event" ]; then
    echo "$0: no $tracing/$event (tracefs not mounted?)" >&2
    exit 1
fi
dev=$(stat -c %d "$path")
# userspace dev_t -> the kernel's (MAJOR << 20 | MINOR), as the tracepoint's s_dev holds it
minor=$(( (dev & 0xff) | ((dev >> 12) & 0xfff00) ))
major=$(( (dev >> 8) & 0xfff ))
sdev=$(( (major << 20) | minor ))

inst=$tracing/instances/folio-orders-$$
mkdir "$inst"
trap 'echo 0 >"$inst/$event/enable" 2>/dev/null; rmdir "$inst"' EXIT
echo 65536 >"$inst/buffer_size_kb"   # per CPU: ~1 M events, a 4 GiB read in 4 KiB folios
echo "s_dev == $sdev" >"$inst/$event/filter"
echo 1 >"$inst/$event/enable"
"$@"
echo 0 >"$inst/$event/enable"
lost=$(grep -h overrun "$inst"/per_cpu/cpu*/stats | awk '{s += $2} END {print s + 0}')
echo "folios added to the page cache of $major:$minor ($path):"
grep -o 'order=[0-9]*' "$inst/trace" | cut -d= -f2 | sort -n | uniq -c |
    awk '{kib = 4 * 2 ^ $2; total += $1 * kib; printf "  order %2d (%5d KiB): %8d folios, %9d KiB\n", $2, kib, $1, $1 * kib}
         END {printf "  total %d KiB\n", total}'
if [ "$lost" != 0 ]; then echo "  ($lost events lost: the counts are short)"; fi
