package org.dockerontop.plugin.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.dockerontop.plugin.volume.VolumeInfo;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * The JSON bodies of the Docker volume plugin protocol, with the field names dockerd uses.
 * Response records list their fields in the order they are written.
 */
final class ProtocolMessages {
    private ProtocolMessages() {
    }

    /** Unknown request fields are ignored: newer dockerd versions may send more than we know. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    record NameRequest(@JsonProperty("Name") String name) {
    }

    record CreateRequest(@JsonProperty("Name") String name, @JsonProperty("Opts") Map<String, String> options) {
    }

    record MountRequest(@JsonProperty("Name") String name, @JsonProperty("ID") String id) {
    }

    record ActivateResponse(@JsonProperty("Implements") List<String> implementsApis) {
    }

    record ErrResponse(@JsonProperty("Err") String err) {
    }

    record MountpointResponse(@JsonProperty("Mountpoint") String mountpoint, @JsonProperty("Err") String err) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Volume(@JsonProperty("Name") String name,
                  @JsonProperty("Mountpoint") String mountpoint,
                  @JsonProperty("CreatedAt") String createdAt,
                  @JsonProperty("Status") Map<String, Object> status) {

        /** Everything {@code Get} reports. */
        static Volume full(VolumeInfo info) {
            return new Volume(info.name(), ProtocolMessages.mountpoint(info.mountpoint()),
                    info.createdAt() == null ? null : DateTimeFormatter.ISO_INSTANT.format(info.createdAt()),
                    info.status());
        }

        /** What {@code List} reports: dockerd reads only the name and mountpoint there. */
        static Volume brief(VolumeInfo info) {
            return new Volume(info.name(), ProtocolMessages.mountpoint(info.mountpoint()), null, null);
        }
    }

    record GetResponse(@JsonProperty("Volume") Volume volume, @JsonProperty("Err") String err) {
    }

    record ListResponse(@JsonProperty("Volumes") List<Volume> volumes, @JsonProperty("Err") String err) {
    }

    record Capabilities(@JsonProperty("Scope") String scope) {
    }

    record CapabilitiesResponse(@JsonProperty("Capabilities") Capabilities capabilities) {
    }

    /** The content type volume plugins answer with; dockerd's own requests usually carry none. */
    static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

    /** Answers {@code exchange} with {@code status} and {@code response} as JSON; works on I/O and worker threads. */
    static void send(HttpServerExchange exchange, int status, Object response) throws IOException {
        send(exchange, status, JSON.writeValueAsBytes(response));
    }

    /** Answers {@code exchange} with {@code status} and the already encoded JSON {@code json}. */
    static void send(HttpServerExchange exchange, int status, byte[] json) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, CONTENT_TYPE);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, json.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(json));
    }

    /** An unmounted volume has no mountpoint: the protocol says so with an empty string. */
    static String mountpoint(Path path) {
        return path == null ? "" : path.toString();
    }
}
