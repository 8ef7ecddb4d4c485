package org.dockerontop.plugin.cli;

/** The command line cannot be used: the message says which flag is wrong and why. */
public class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
