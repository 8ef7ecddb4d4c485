package org.dockerontop.plugin.volume;

/**
 * The one error type of the plugin layer. Its message reaches the Docker user verbatim
 * (as the {@code Err} of a plugin response), so it must say what went wrong and what to do.
 */
public class VolumeException extends Exception {
    public VolumeException(String message) {
        super(message);
    }

    public VolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
