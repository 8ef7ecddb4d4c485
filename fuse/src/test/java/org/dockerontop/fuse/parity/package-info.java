/**
 * Parity suite: the FUSE overlay filesystem against the kernel's overlayfs, scenario by scenario.
 *
 * <p>Each test builds the same layers twice ({@link org.dockerontop.fuse.parity.Layouts}), runs one
 * {@link org.dockerontop.fuse.parity.Scenario} on a kernel overlay mount and on the filesystem under
 * test, and compares (see {@link org.dockerontop.fuse.parity.Parity}): every call's result and errno,
 * the mounted tree, the upper directory after unmounting, that the lower was not touched and that no
 * temporary file was left in the workdir. {@code ParityRoundTripTest} mounts an upper written by one
 * implementation with the other.
 *
 * <p>What is compared and what is not (decided by running the kernel against itself, which must show
 * no difference at all): timestamps are compared as classes ({@code T0} = preserved from the layer
 * template, {@code now} = changed during the run, or an exact time a scenario set), because two runs
 * happen at different instants; atime is not compared (relatime); ctime only for the lower (any change
 * there means the base was written). st_ino is compared as the layer inode it names
 * ({@code L:path}/{@code U:path}), since the two runs use different copies of the layers. The kernel's
 * private upper bookkeeping ({@code trusted.overlay.origin/impure/uuid/nlink}) and whiteout link
 * counts are not part of the format and are not compared; {@code trusted.overlay.opaque} and
 * whiteouts are. Directory d_ino is not compared with st_ino (the kernel itself differs after remount).
 *
 * <p>Needs root, /dev/fuse and overlayfs. Run:
 * {@code mvn -pl fuse -am test -Dtest='Parity*,*Regression*' -Dsurefire.failIfNoSpecifiedTests=false}.
 * System properties: {@code dot.parity.fuse} — the command under test (default: the launcher
 * {@code src/bin/docker-on-top-fuse} running this build's classes; {@code kernel} compares the kernel
 * with itself to check the harness; {@code fuse-overlayfs} runs the C reference);
 * {@code dot.parity.fuse.options} — extra mount options; {@code dot.parity.verbose=true} — print the
 * kernel's log, view and upper for each scenario.
 */
package org.dockerontop.fuse.parity;
