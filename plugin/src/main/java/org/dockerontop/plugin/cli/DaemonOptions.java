package org.dockerontop.plugin.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The daemon's command line.
 *
 * @param name     the volume driver name users pass to {@code docker volume create --driver}
 * @param socket   where dockerd finds the plugin: /run/docker/plugins/NAME.sock unless overridden
 * @param root     the state directory
 * @param strategy default mount strategy: auto, overlay or fuse
 * @param logLevel error, warn, info or debug
 * @param help     print the usage and exit
 * @param version  print the version and exit
 */
public record DaemonOptions(String name, Path socket, Path root, String strategy, String logLevel,
                            boolean help, boolean version) {

    public static final String DEFAULT_NAME = "docker-on-top";
    public static final Path PLUGIN_DIRECTORY = Path.of("/run/docker/plugins");
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/docker-on-top");

    /** Docker's own rule for names, and the socket file name must not escape the plugin directory. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    private static final List<String> STRATEGIES = List.of("auto", "overlay", "fuse");
    private static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug");
    /** sun_path holds 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 107;

    public static final String USAGE = """
            Usage: docker-on-top [OPTIONS]

            Serves the docker-on-top Docker volume plugin (copy-on-write views of host directories)
            in the foreground, logging to stderr. Must run as root.

            Options:
              --name NAME          volume driver name (default: docker-on-top); the socket is
                                   /run/docker/plugins/NAME.sock
              --socket PATH        serve on this unix socket instead (e.g. for tests)
              --root DIR           state directory (default: /var/lib/docker-on-top)
              --strategy STRATEGY  how volumes are mounted unless created with -o strategy=:
                                   auto (kernel overlay, else FUSE), overlay or fuse (default: auto)
              --log-level LEVEL    error, warn, info or debug (default: info)
              --help               show this help and exit
              --version            show the version and exit

            Example:
              sudo docker-on-top &
              docker volume create --driver docker-on-top -o base=/srv/data myvol
              docker run --rm -v myvol:/data busybox ls /data
            """;

    /**
     * @throws UsageException naming the flag that is unknown, lacks its value or has an invalid one
     */
    public static DaemonOptions parse(String... args) throws UsageException {
        String name = DEFAULT_NAME;
        String socket = null;
        String root = DEFAULT_ROOT.toString();
        String strategy = "auto";
        String logLevel = "info";
        boolean help = false;
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (flag) {
                case "--help", "-h" -> help = true;
                case "--version" -> version = true;
                case "--name", "--socket", "--root", "--strategy", "--log-level" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException(flag + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (flag) {
                        case "--name" -> name = value;
                        case "--socket" -> socket = value;
                        case "--root" -> root = value;
                        case "--strategy" -> strategy = value;
                        default -> logLevel = value;
                    }
                }
                default -> throw new UsageException(arg.startsWith("-")
                        ? "unknown option " + flag
                        : "unexpected argument " + arg + " (the daemon takes only options)");
            }
        }
        if (!NAME.matcher(name).matches()) {
            throw new UsageException("invalid --name " + name + ": use letters, digits, '_', '.' and '-', starting with a letter or digit");
        }
        if (!STRATEGIES.contains(strategy)) {
            throw new UsageException("invalid --strategy " + strategy + ": use one of " + String.join(", ", STRATEGIES));
        }
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new UsageException("invalid --log-level " + logLevel + ": use one of " + String.join(", ", LOG_LEVELS));
        }
        Path socketPath = socket == null ? PLUGIN_DIRECTORY.resolve(name + ".sock") : path("--socket", socket);
        if (socketPath.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            throw new UsageException("socket path " + socketPath + " is longer than the " + MAX_SOCKET_PATH_BYTES
                    + " bytes a unix socket address can hold; choose a shorter --name or --socket");
        }
        return new DaemonOptions(name, socketPath, path("--root", root), strategy, logLevel, help, version);
    }

    private static Path path(String flag, String value) throws UsageException {
        if (value.isEmpty()) {
            throw new UsageException(flag + " needs a non-empty path");
        }
        try {
            return Path.of(value).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new UsageException("invalid " + flag + " " + value + ": " + e.getMessage());
        }
    }
}
