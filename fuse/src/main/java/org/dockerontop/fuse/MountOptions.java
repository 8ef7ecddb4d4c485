package org.dockerontop.fuse;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@code docker-on-top-fuse}, in both accepted forms:
 * {@code [-f] [-d] -o lowerdir=L,upperdir=U,workdir=W[,opts] MOUNTPOINT} and the mount.fuse form
 * {@code SOURCE MOUNTPOINT -o OPTIONS}. Inside an option value a backslash escapes a comma, a colon
 * or a backslash. Generic mount options (rw, noatime, dev, suid, ...) are accepted and ignored.
 */
final class MountOptions {
    String source = "docker-on-top";
    String mountPoint;
    String lowerDir;
    String upperDir;
    String workDir;
    boolean foreground;
    boolean debug;
    boolean readOnly;
    /** Sync nothing, as the kernel overlay's {@code volatile} option (and fuse-overlayfs's) does. */
    boolean volatileMount;
    /** POSIX ACLs enforced and settable, as on the kernel overlay; off with {@code noacl} (see PosixAcls). */
    boolean acl = true;
    boolean help;
    boolean version;
    String logFile;
    /**
     * FUSE worker threads (Java threads, for the mount's life; a few more are added only while
     * changes of hard-linked files would otherwise leave none free, see FuseLoop). Two, not one per core or
     * more: the kernel hands each request to the reader of /dev/fuse that has waited longest, so
     * with many idle workers every request wakes a cold thread (bench/results/2026-11-28-findings.md
     * section 5); a second one keeps the mount answering while the first is in a slow call
     * (a copy-up, an fsync).
     */
    int threads = 2;
    /**
     * Our loop's node table limit ({@link NodePruner}): option {@code maxnodes=}; 0 (the default)
     * sizes it by the heap.
     */
    int maxNodes;
    /** Who reads /dev/fuse: option {@code loop=}, see {@link Loop}. */
    Loop loop = Loop.JAVA_ELSE_LIBFUSE;
    /** Which open files the kernel reads and writes itself (see {@link Passthrough.Policy}). */
    Passthrough.Policy passthrough = Passthrough.Policy.ON;
    final List<String> ignored = new ArrayList<>();
    /** Generic mount flags libfuse understands, passed on in order (dev, nosuid, noexec, ...). */
    final List<String> mountFlags = new ArrayList<>();

    private static final java.util.Set<String> LIBFUSE_FLAGS = java.util.Set.of(
            "suid", "nosuid", "dev", "nodev", "exec", "noexec", "async", "sync", "atime", "noatime", "dirsync");

    /** A command line that cannot be used; the message says what to fix. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static MountOptions parse(String[] args) throws UsageException {
        MountOptions o = new MountOptions();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-o")) {
                if (i + 1 >= args.length) {
                    throw new UsageException("-o needs an option list");
                }
                o.options(args[++i]);
            } else if (a.startsWith("-o")) {
                o.options(a.substring(2));
            } else if (a.equals("-f")) {
                o.foreground = true;
            } else if (a.equals("-d")) {
                o.debug = true;
                o.foreground = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                o.help = true;
            } else if (a.equals("-V") || a.equals("--version")) {
                o.version = true;
            } else if (a.equals("-s") || a.equals("-n") || a.equals("-v")) {
                o.ignored.add(a); // mount(8) helper flags: single-threaded, no mtab, verbose
            } else if (a.startsWith("-") && a.length() > 1) {
                throw new UsageException("unknown flag " + a);
            } else {
                positional.add(a);
            }
        }
        if (o.help || o.version) {
            return o;
        }
        if (positional.size() == 1) {
            o.mountPoint = positional.get(0);
        } else if (positional.size() == 2) {
            o.source = positional.get(0);
            o.mountPoint = positional.get(1);
        } else if (positional.isEmpty()) {
            throw new UsageException("missing MOUNTPOINT");
        } else {
            throw new UsageException("too many arguments: " + String.join(" ", positional));
        }
        if (o.lowerDir == null || o.lowerDir.isEmpty()) {
            throw new UsageException("missing lowerdir= option");
        }
        if (o.upperDir == null || o.upperDir.isEmpty()) {
            throw new UsageException("missing upperdir= option");
        }
        if (o.workDir == null || o.workDir.isEmpty()) {
            throw new UsageException("missing workdir= option");
        }
        return o;
    }

    private void options(String list) throws UsageException {
        for (String opt : split(list, ',')) {
            if (opt.isEmpty()) {
                continue;
            }
            int eq = opt.indexOf('=');
            String key = eq < 0 ? opt : opt.substring(0, eq);
            String rawValue = eq < 0 ? null : opt.substring(eq + 1);
            switch (key) {
                case "lowerdir": {
                    List<String> layers = split(need(key, rawValue), ':');
                    if (layers.size() != 1) {
                        throw new UsageException("lowerdir: only one lower layer is supported, got " + layers.size()
                                + " (escape a ':' in a path as '\\:')");
                    }
                    lowerDir = unescape(layers.get(0));
                    break;
                }
                case "upperdir":
                    upperDir = unescape(need(key, rawValue));
                    break;
                case "workdir":
                    workDir = unescape(need(key, rawValue));
                    break;
                case "ro":
                    readOnly = true;
                    break;
                case "rw":
                    readOnly = false;
                    break;
                case "volatile":
                    volatileMount = true;
                    break;
                case "acl":
                    acl = true;
                    break;
                case "noacl":
                    acl = false;
                    break;
                case "threads":
                    try {
                        threads = Integer.parseInt(need(key, rawValue));
                    } catch (NumberFormatException e) {
                        threads = -1;
                    }
                    if (threads < 1 || threads > 256) {
                        throw new UsageException("threads= needs a number from 1 to 256");
                    }
                    break;
                case "maxnodes":
                    try {
                        maxNodes = Integer.parseInt(need(key, rawValue));
                    } catch (NumberFormatException e) {
                        maxNodes = -1;
                    }
                    if (maxNodes < 100) {
                        throw new UsageException("maxnodes= needs a number of at least 100");
                    }
                    break;
                case "passthrough":
                    try {
                        passthrough = Passthrough.Policy.parse(need(key, rawValue));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("passthrough= takes on or off");
                    }
                    break;
                case "loop": {
                    String v = need(key, rawValue);
                    if (!v.equals("java") && !v.equals("libfuse")) {
                        throw new UsageException("loop= takes libfuse or java");
                    }
                    loop = v.equals("java") ? Loop.JAVA : Loop.LIBFUSE;
                    break;
                }
                case "log":
                    logFile = unescape(need(key, rawValue));
                    break;
                case "redirect_dir":
                case "metacopy":
                case "index":
                case "nfs_export":
                    if (rawValue != null && !rawValue.equals("off") && !rawValue.equals("nofollow")) {
                        throw new UsageException(key + "=" + rawValue + " is not supported (only " + key + "=off)");
                    }
                    ignored.add(opt);
                    break;
                default:
                    if (LIBFUSE_FLAGS.contains(opt)) {
                        mountFlags.add(opt);
                        break;
                    }
                    ignored.add(opt); // generic mount options (noatime, dev, suid, xino=...): accepted
            }
        }
    }

    private static String need(String key, String value) throws UsageException {
        if (value == null || value.isEmpty()) {
            throw new UsageException(key + "= needs a value");
        }
        return value;
    }

    /** Splits on unescaped {@code sep}, keeping escapes in place for a later {@link #unescape}. */
    static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                cur.append(c).append(s.charAt(++i));
            } else if (c == sep) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                out.append(s.charAt(++i));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Escapes a value for a libfuse {@code -o} list (libfuse treats a backslash as escape). */
    static String escapeForFuse(String s) {
        return s.replace("\\", "\\\\").replace(",", "\\,");
    }

    static String usage() {
        return "usage: docker-on-top-fuse [-f] [-d] -o lowerdir=DIR,upperdir=DIR,workdir=DIR[,OPTIONS] MOUNTPOINT\n"
                + "       docker-on-top-fuse SOURCE MOUNTPOINT -o lowerdir=DIR,upperdir=DIR,workdir=DIR[,OPTIONS]\n"
                + "  A copy-on-write overlay of one lower directory under an upper directory, in the kernel\n"
                + "  overlayfs upper format. Returns once the mount answers; -f stays in the foreground, -d debugs.\n"
                + "  In option values a backslash escapes ',' ':' and '\\'. Options: ro, log=FILE (daemon output),\n"
                + "  threads=N (FUSE worker threads, default 2); maxnodes=N (files the server keeps track of\n"
                + "  before it asks the kernel to forget unused ones; default: by its heap, ~430k at -Xmx256m);\n"
                + "  passthrough=on|off (default on: on kernel\n"
                + "  6.9+ the kernel reads and writes open upper-layer files itself, bypassing the daemon);\n"
                + "  volatile (sync nothing, not even on fsync: a crash may lose changes; as with the kernel\n"
                + "  overlay, the workdir is then marked and later mounts of it refused until the mark is removed);\n"
                + "  noacl (the kernel checks the modes only and ACLs cannot be set; default: POSIX ACLs as on\n"
                + "  the kernel overlay, where the kernel offers them);\n"
                + "  loop=java|libfuse (who serves /dev/fuse: our own request loop, which mounts with\n"
                + "  mount(2) and so needs root, or libfuse 2.9, which can mount through fusermount;\n"
                + "  without the option: ours, else libfuse where mount(2) is not permitted);\n"
                + "  generic mount options (rw, noatime, dev, suid, ...) are accepted and ignored.\n";
    }
}
