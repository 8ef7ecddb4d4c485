package org.dockerontop.plugin.volume;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The content of {@code NAME/activemounts/ID}: how many times dockerd mounted the volume with that
 * mount ID without unmounting it (IDs repeat: {@code docker cp}, dockerd restarts).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ActiveMount(@JsonProperty("UsageCount") int usageCount) {
}
