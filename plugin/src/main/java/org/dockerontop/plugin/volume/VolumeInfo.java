package org.dockerontop.plugin.volume;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * What the plugin reports about one volume.
 *
 * @param name       the volume name
 * @param mountpoint where the merged view is mounted, or {@code null} while no container uses it
 * @param createdAt  when the volume was created (reported as RFC 3339)
 * @param status     free-form status shown by {@code docker volume inspect} (insertion-ordered)
 */
public record VolumeInfo(String name, Path mountpoint, Instant createdAt, Map<String, Object> status) {
}
