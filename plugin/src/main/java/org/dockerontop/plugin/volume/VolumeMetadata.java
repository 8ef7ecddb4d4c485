package org.dockerontop.plugin.volume;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;

/**
 * The content of {@code NAME/metadata.json}. The original docker-on-top writes only
 * {@code {"BaseDirPath": "...", "Volatile": false}}; such files are read as they are (strategy
 * {@code null} = the daemon's default, createdAt {@code null} = unknown). Unknown fields are ignored
 * so that a newer version's files stay readable.
 *
 * @param baseDirPath the base (lower) directory, absolute
 * @param volatileVolume whether changes are discarded at the next mount with no user
 * @param strategy    overlay, fuse or auto as chosen with {@code -o strategy=}; {@code null} follows the daemon
 * @param createdAt   when the volume was created, RFC 3339; {@code null} in the original's files
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"BaseDirPath", "Volatile", "Strategy", "CreatedAt"})
public record VolumeMetadata(
        @JsonProperty("BaseDirPath") String baseDirPath,
        @JsonProperty("Volatile") boolean volatileVolume,
        @JsonProperty("Strategy") String strategy,
        @JsonProperty("CreatedAt") String createdAt) {

    /** @return {@link #createdAt()} parsed, or {@code null} if absent or unparseable */
    public Instant createdAtInstant() {
        try {
            return createdAt == null ? null : Instant.parse(createdAt);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The strategy the volume was created with, or {@code fallback} (the daemon's) if none was given. */
    public String strategyOr(String fallback) {
        return strategy != null ? strategy : fallback;
    }

    public VolumeMetadata withCreatedAt(Instant when) {
        return new VolumeMetadata(baseDirPath, volatileVolume, strategy, when.toString());
    }
}
