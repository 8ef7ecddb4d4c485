package org.dockerontop.plugin.volume;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The volume operations behind the Docker volume plugin protocol. One call per protocol route;
 * every failure is a {@link VolumeException} whose message is shown to the Docker user.
 * Implementations are safe to call concurrently, including Mount and Unmount of one volume.
 */
public interface VolumeService {

    /**
     * Creates a volume.
     *
     * @throws VolumeException if the name or an option is invalid, the base directory is unusable,
     *                         the volume already exists, or its state cannot be written
     */
    void create(String name, Map<String, String> options) throws VolumeException;

    /**
     * Removes a volume and all its state, unmounting any leftover mount first.
     *
     * @throws VolumeException if the volume does not exist or its mount or state cannot be removed
     */
    void remove(String name) throws VolumeException;

    /**
     * Counts one more use of the volume by mount ID {@code id}, mounting it on first use.
     * Idempotent per ID in the sense that a repeated ID is counted, never treated as new.
     * On failure everything this call did is rolled back.
     *
     * @return the mountpoint to hand to the container
     * @throws VolumeException if the volume does not exist or cannot be mounted
     */
    Path mount(String name, String id) throws VolumeException;

    /**
     * Counts one use of the volume by mount ID {@code id} as finished, unmounting at the last one. An ID that holds
     * no use (its count was cleared or dropped as lost) while no other use is counted either is the last one too: a
     * mount left uncounted is then released, and if nothing is mounted nothing happens.
     *
     * @throws VolumeException if the volume does not exist, the ID holds no use while other IDs do (nothing is
     *                         changed), or unmounting fails (the volume then stays mounted, and counted if it was)
     */
    void unmount(String name, String id) throws VolumeException;

    /**
     * @return the volume's mountpoint while mounted, else {@code null}
     * @throws VolumeException if the volume does not exist
     */
    Path path(String name) throws VolumeException;

    /**
     * @return the volume and its Status; unreadable metadata is reported there (as {@code problem}), not thrown,
     *         since dockerd forgets a volume whose Get fails when it starts
     * @throws VolumeException if the volume does not exist, or its active mounts or the mount table cannot be read
     */
    VolumeInfo get(String name) throws VolumeException;

    /**
     * @return every volume, also one whose metadata is unreadable (logged; dockerd would otherwise forget it, and
     *         then it could not be removed); a directory without metadata is no volume and is skipped
     * @throws VolumeException if the state directory cannot be listed
     */
    List<VolumeInfo> list() throws VolumeException;
}
