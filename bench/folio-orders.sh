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
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tracefs.sh"
event=events/filemap/mm_filemap_add_to_page_cache
trace_require "$event" "tracefs not mounted?"
trace_dev "$path"
# ~1 M events per CPU: a 4 GiB read in 4 KiB folios
trace_start folio-orders "$event" 65536 "s_dev == $kernel_dev"
"$@"
trace_stop
lost=$(grep -h overrun "$inst"/per_cpu/cpu*/stats | awk '{s += $2} END {print s + 0}')
echo "folios added to the page cache of $major:$minor ($path):"
grep -o 'order=[0-9]*' "$inst/trace" | cut -d= -f2 | sort -n | uniq -c |
    awk '{kib = 4 * 2 ^ $2; total += $1 * kib; printf "  order %2d (%5d KiB): %8d folios, %9d KiB\n", $2, kib, $1, $1 * kib}
         END {printf "  total %d KiB\n", total}'
if [ "$lost" != 0 ]; then echo "  ($lost events lost: the counts are short)"; fi
