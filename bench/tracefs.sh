# tracefs.sh: sourced by the bench's tracing scripts (folio-orders.sh, fuse-requests.sh). Records one
# tracepoint in a tracing instance of its own, so nothing else is traced and other tracing users are
# not disturbed; the instance is removed when the script exits. Needs root.

tracing=/sys/kernel/tracing

# trace_require EVENT HINT: exits with an error unless tracefs has EVENT ("events/SYSTEM/NAME").
trace_require() {
    if [ ! -d "$tracing/$1" ]; then
        echo "$0: no $tracing/$1 ($2)" >&2
        exit 1
    fi
}

# trace_dev PATH: sets major, minor and kernel_dev (MAJOR << 20 | MINOR, as tracepoints hold a
# dev_t: a superblock's s_dev, a FUSE connection id) for the filesystem PATH is on.
trace_dev() {
    local dev
    dev=$(stat -c %d "$1")
    minor=$(( (dev & 0xff) | ((dev >> 12) & 0xfff00) ))
    major=$(( (dev >> 8) & 0xfff ))
    kernel_dev=$(( (major << 20) | minor ))
}

# trace_start NAME EVENT BUFFER_KB FILTER: makes the instance NAME-PID (path in $inst) and
# starts recording EVENT where FILTER holds, BUFFER_KB per CPU.
trace_start() {
    inst=$tracing/instances/$1-$$
    trace_event=$2
    mkdir "$inst"
    trap 'echo 0 >"$inst/$trace_event/enable" 2>/dev/null || true; rmdir "$inst"' EXIT
    echo "$3" >"$inst/buffer_size_kb"
    echo "$4" >"$inst/$trace_event/filter"
    echo 1 >"$inst/$trace_event/enable"
}

# trace_stop: stops recording; the trace stays readable in $inst/trace until exit.
trace_stop() {
    echo 0 >"$inst/$trace_event/enable"
}
