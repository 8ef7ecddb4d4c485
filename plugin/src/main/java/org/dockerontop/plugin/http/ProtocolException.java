package org.dockerontop.plugin.http;

/**
 * A request the protocol layer refuses before reaching the volume service (malformed JSON, missing
 * field, unknown endpoint, wrong method, body too large). Answered with {@code status} and {@code {"Err": message}}.
 */
final class ProtocolException extends Exception {
    private final int status;

    ProtocolException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
