package org.dockerontop.plugin.cli;

import java.util.Map;

/**
 * Configures slf4j-simple (and routes Undertow's and XNIO's jboss-logging to it). slf4j-simple reads its
 * configuration once, when the first logger is created: call {@link #configure} before anything logs.
 */
public final class Logging {
    private Logging() {
    }

    /** @param level error, warn, info or debug: the level of docker-on-top's own messages */
    public static void configure(String level) {
        // the libraries' info messages (XNIO's version banner, …) are noise in a daemon's log
        String libraries = level.equals("debug") ? "info" : "warn";
        Map<String, String> settings = Map.of(
                "org.slf4j.simpleLogger.defaultLogLevel", level,
                "org.slf4j.simpleLogger.logFile", "System.err",
                "org.slf4j.simpleLogger.showDateTime", "true",
                "org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
                "org.slf4j.simpleLogger.showShortLogName", "true",
                "org.slf4j.simpleLogger.showThreadName", level.equals("debug") ? "true" : "false",
                "org.slf4j.simpleLogger.log.org.xnio", libraries,
                "org.slf4j.simpleLogger.log.io.undertow", libraries,
                "org.slf4j.simpleLogger.log.org.jboss", libraries,
                "org.jboss.logging.provider", "slf4j");
        // explicit -D settings on the java command line win
        settings.forEach((key, value) -> {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        });
    }
}
