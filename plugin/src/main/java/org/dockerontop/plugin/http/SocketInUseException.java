package org.dockerontop.plugin.http;

import java.io.IOException;
import java.nio.file.Path;

/** Something (most likely another docker-on-top daemon) already answers on the socket this daemon wants. */
public class SocketInUseException extends IOException {
    public SocketInUseException(Path socket) {
        super("another daemon is already serving " + socket
                + " (is docker-on-top running already? stop it first, or choose another --name/--socket)");
    }
}
