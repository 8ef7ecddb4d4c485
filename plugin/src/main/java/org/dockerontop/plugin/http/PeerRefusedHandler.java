package org.dockerontop.plugin.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import org.dockerontop.plugin.http.ProtocolMessages.ErrResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every request of a peer that is not root with 403. Reached only if the socket file's
 * permissions were loosened by someone: volume operations mount filesystems, so they stay root-only.
 */
final class PeerRefusedHandler implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(PeerRefusedHandler.class);

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        log.warn("refused {} {} from a peer that is not root", exchange.getRequestMethod(), exchange.getRequestPath());
        exchange.setPersistent(false); // the body is never read
        ProtocolMessages.send(exchange, 403, new ErrResponse(
                "docker-on-top only serves root (dockerd); this connection's peer is another user"));
    }
}
