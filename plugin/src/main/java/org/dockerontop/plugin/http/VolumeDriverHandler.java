package org.dockerontop.plugin.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.dockerontop.plugin.http.ProtocolMessages.ActivateResponse;
import org.dockerontop.plugin.http.ProtocolMessages.Capabilities;
import org.dockerontop.plugin.http.ProtocolMessages.CapabilitiesResponse;
import org.dockerontop.plugin.http.ProtocolMessages.CreateRequest;
import org.dockerontop.plugin.http.ProtocolMessages.ErrResponse;
import org.dockerontop.plugin.http.ProtocolMessages.GetResponse;
import org.dockerontop.plugin.http.ProtocolMessages.ListResponse;
import org.dockerontop.plugin.http.ProtocolMessages.MountRequest;
import org.dockerontop.plugin.http.ProtocolMessages.MountpointResponse;
import org.dockerontop.plugin.http.ProtocolMessages.NameRequest;
import org.dockerontop.plugin.http.ProtocolMessages.Volume;
import org.dockerontop.plugin.volume.VolumeException;
import org.dockerontop.plugin.volume.VolumeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.dockerontop.plugin.http.ProtocolMessages.JSON;
import static org.dockerontop.plugin.http.ProtocolMessages.mountpoint;

/**
 * The nine endpoints of the Docker volume plugin protocol. Each route decodes its request, makes one call
 * on the {@link VolumeService} and encodes the answer; every failure becomes {@code {"Err": message}}:
 * {@link VolumeException} with 500, a refused request ({@link ProtocolException}) with its 4xx status,
 * anything unexpected with 500, a generic message and the stack trace in the log.
 *
 * <p>Logging: every request at debug; a failed state-changing call (Create, Remove, Mount, Unmount) at warn with
 * the Err the user sees. Successful state changes are logged at info by the volume service itself, which knows
 * what it did (strategy, mountpoint, last user); logging them here too would double every line.
 *
 * <p>Runs on a worker thread (mounts block): wrap it in a {@code BlockingHandler}.
 */
final class VolumeDriverHandler implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(VolumeDriverHandler.class);

    /** dockerd's requests are a few hundred bytes; anything near this is not from dockerd. */
    static final int MAX_BODY_BYTES = 1024 * 1024;

    private static final ErrResponse OK = new ErrResponse("");

    @FunctionalInterface
    private interface Call {
        Object answer(byte[] body) throws ProtocolException, VolumeException;
    }

    /** @param changesState whether the call changes volume state: its failures are logged at warn */
    private record Route(String endpoint, boolean changesState, Call call) {
    }

    private final VolumeService volumes;
    private final Map<String, Route> routes;

    VolumeDriverHandler(VolumeService volumes) {
        this.volumes = volumes;
        this.routes = Map.of(
                "/Plugin.Activate", new Route("Activate", false, body -> new ActivateResponse(List.of("VolumeDriver"))),
                "/VolumeDriver.Create", new Route("Create", true, this::create),
                "/VolumeDriver.Remove", new Route("Remove", true, this::remove),
                "/VolumeDriver.Mount", new Route("Mount", true, this::mount),
                "/VolumeDriver.Unmount", new Route("Unmount", true, this::unmount),
                "/VolumeDriver.Path", new Route("Path", false, this::path),
                "/VolumeDriver.Get", new Route("Get", false, this::get),
                "/VolumeDriver.List", new Route("List", false, this::list),
                "/VolumeDriver.Capabilities", new Route("Capabilities", false,
                        body -> new CapabilitiesResponse(new Capabilities("local"))));
    }

    private Object create(byte[] body) throws ProtocolException, VolumeException {
        CreateRequest request = decode(body, CreateRequest.class, "Create");
        String name = requireName(request.name());
        Map<String, String> options = request.options() == null ? Map.of() : request.options();
        volumes.create(name, options);
        return OK;
    }

    private Object remove(byte[] body) throws ProtocolException, VolumeException {
        String name = requireName(decode(body, NameRequest.class, "Remove").name());
        volumes.remove(name);
        return OK;
    }

    private Object mount(byte[] body) throws ProtocolException, VolumeException {
        MountRequest request = decode(body, MountRequest.class, "Mount");
        String name = requireName(request.name());
        String id = requireId(request.id());
        return new MountpointResponse(mountpoint(volumes.mount(name, id)), "");
    }

    private Object unmount(byte[] body) throws ProtocolException, VolumeException {
        MountRequest request = decode(body, MountRequest.class, "Unmount");
        String name = requireName(request.name());
        String id = requireId(request.id());
        volumes.unmount(name, id);
        return OK;
    }

    private Object path(byte[] body) throws ProtocolException, VolumeException {
        String name = requireName(decode(body, NameRequest.class, "Path").name());
        return new MountpointResponse(mountpoint(volumes.path(name)), "");
    }

    private Object get(byte[] body) throws ProtocolException, VolumeException {
        String name = requireName(decode(body, NameRequest.class, "Get").name());
        return new GetResponse(Volume.full(volumes.get(name)), "");
    }

    private Object list(byte[] body) throws VolumeException {
        // the request carries nothing: its body is not even parsed
        return new ListResponse(volumes.list().stream().map(Volume::brief).toList(), "");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long start = System.nanoTime();
        String path = exchange.getRequestPath();
        Route route = routes.get(path);
        String endpoint = route == null ? path : route.endpoint();
        byte[] body = new byte[0];
        int status;
        byte[] response;
        try {
            if (route == null) {
                throw new ProtocolException(404, "unknown endpoint " + path
                        + ": docker-on-top serves the Docker volume plugin protocol (/Plugin.Activate, /VolumeDriver.*)");
            }
            if (!Methods.POST.equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().put(Headers.ALLOW, Methods.POST_STRING);
                throw new ProtocolException(405, exchange.getRequestMethod() + " is not allowed on " + path + ": use POST");
            }
            body = readBody(exchange);
            // encoded here, so that a value the service returns but JSON cannot carry is an internal error too
            response = JSON.writeValueAsBytes(route.call().answer(body));
            status = 200;
        } catch (ProtocolException e) {
            status = e.status();
            response = err(e.getMessage());
            log.warn("refused {} request: {}", endpoint, e.getMessage());
        } catch (VolumeException e) {
            status = 500;
            String message = e.getMessage() == null || e.getMessage().isBlank()
                    ? "docker-on-top: " + endpoint + " failed; see the daemon's log" : e.getMessage();
            response = err(message);
            if (route.changesState()) {
                log.warn("{} {} failed: {}", endpoint, describe(body), message, e.getCause());
            } else {
                log.debug("{} {} failed: {}", endpoint, describe(body), message);
            }
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            status = 500;
            response = err("docker-on-top: internal error while handling " + endpoint
                    + " (" + e.getClass().getSimpleName() + "); see the daemon's log");
            log.error("unexpected failure handling {} {}", endpoint, describe(body), e);
        }
        try {
            ProtocolMessages.send(exchange, status, response);
        } catch (RuntimeException e) {
            log.debug("could not answer {}: {}", endpoint, e.toString());
            exchange.setPersistent(false);
        }
        if (log.isDebugEnabled()) {
            log.debug("{} {} {} -> {} in {} µs", exchange.getRequestMethod(), path, describe(body), status,
                    (System.nanoTime() - start) / 1000);
        }
    }

    private static byte[] err(String message) {
        try {
            return JSON.writeValueAsBytes(new ErrResponse(message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string always encodes", e);
        }
    }

    private static byte[] readBody(HttpServerExchange exchange) throws ProtocolException {
        long declared = exchange.getRequestContentLength();
        if (declared > MAX_BODY_BYTES) {
            exchange.setPersistent(false); // the body stays unread: the connection cannot carry another request
            throw tooLarge(declared + " bytes");
        }
        byte[] body;
        try {
            body = exchange.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            // the client went away or sent broken framing (e.g. a bad chunk size): nothing more to read here
            exchange.setPersistent(false);
            throw new ProtocolException(400, "incomplete request body: " + e.getMessage());
        }
        if (body.length > MAX_BODY_BYTES) {
            exchange.setPersistent(false);
            throw tooLarge("more than " + MAX_BODY_BYTES + " bytes");
        }
        return body;
    }

    private static ProtocolException tooLarge(String size) {
        return new ProtocolException(413, "request body of " + size + " is larger than the "
                + MAX_BODY_BYTES / 1024 + " KiB a volume plugin request can need");
    }

    private static <T> T decode(byte[] body, Class<T> type, String endpoint) throws ProtocolException {
        T request = null;
        try {
            if (!new String(body, StandardCharsets.UTF_8).isBlank()) {
                request = JSON.readValue(body, type);
            }
        } catch (MismatchedInputException e) {
            // valid JSON of the wrong shape: Jackson's own message names the daemon's classes, not the field
            throw new ProtocolException(400, "the " + endpoint + " request has a value of the wrong type"
                    + fieldPath(e) + ": expected " + (e.getTargetType() == String.class ? "a string" : "a JSON object"));
        } catch (JsonProcessingException e) {
            throw new ProtocolException(400, "malformed JSON in the " + endpoint + " request: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ProtocolException(400, "unreadable " + endpoint + " request: " + e.getMessage());
        }
        if (request == null) {
            throw new ProtocolException(400, "the " + endpoint + " request has no body: a JSON object is expected");
        }
        return request;
    }

    /** " at Opts.base" for the field a mismatch is in, "" for the request itself. */
    private static String fieldPath(MismatchedInputException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            path.append(path.length() == 0 ? "" : ".")
                    .append(r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]");
        }
        return path.length() == 0 ? "" : " at " + path;
    }

    private static String requireName(String name) throws ProtocolException {
        if (name == null || name.isEmpty()) {
            throw new ProtocolException(400, "the request has no volume Name");
        }
        return name;
    }

    private static String requireId(String id) throws ProtocolException {
        if (id == null || id.isEmpty()) {
            throw new ProtocolException(400, "the request has no mount ID");
        }
        return id;
    }

    /** The start of a request body for a log line: one line, control characters escaped, at most 300 bytes. */
    private static String describe(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8).strip();
        StringBuilder line = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                line.append(String.format("\\x%02x", c));
            } else {
                line.appendCodePoint(c);
            }
        });
        return body.length > 300 ? line + "…" : line.toString();
    }
}
