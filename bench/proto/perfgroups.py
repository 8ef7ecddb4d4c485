import sys, re, collections
# perfgroups.py REPORT.txt: `perf report --stdio --sort sym` of the product's server (with a JIT
# perf map) summed by what the code is: overlay logic, FUSE glue, jnr/jffi, JDK, native libraries.
g = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r"\s+([\d.]+)%\s+\[\.\]\s+(.*)", line)
    if not m:
        continue
    p, sym = float(m.group(1)), m.group(2)
    if re.search(r"org\.dockerontop\.fuse\.(OverlayFs|HardLinks|Passthrough|HandleTable|Handle\b|Listing|LowerLayer|CopyUp|UnnamedFiles|RecentMap|XattrLists|OverlayIo)", sym):
        k = "overlay logic (OverlayFs, Passthrough, HandleTable, HardLinks, ...)"
    elif "org.dockerontop.fuse." in sym:
        k = "FUSE glue (FuseOverlay, FuseLoop, KernelReplyPatch, ...)"
    elif "org.dockerontop.overlay." in sym:
        k = "nativeio (ByteStringParameter, ...)"
    elif re.search(r"\b(jnr|com\.kenai\.jffi|ru\.serce)\.", sym):
        k = "jnr-ffi / jffi / jnr-fuse Java code"
    elif re.search(r"\bjava\.|\bjdk\.|\bsun\.", sym):
        k = "JDK Java code"
    elif sym in ("Interpreter",) or "adapters" in sym or "StubRoutines" in sym or "vtable" in sym or "itable" in sym:
        k = "interpreter, stubs, adapters"
    else:
        k = "native: libjvm, libc, libfuse, jffi"
    g[k] += p
for k, v in g.most_common():
    print("%6.1f%%  %s" % (v, k))
