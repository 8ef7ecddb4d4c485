/**
 * Regression tests for what users report about fuse-overlayfs (issue numbers in
 * containers/fuse-overlayfs; see the shared notes overlay-format.md): SQLite corruption (#475),
 * 10k-entry directories (#360), nlink and inode numbers (#435, #401, #192, #391), chown -R and
 * directory mtimes (#400), copy_file_range from a read-only file (#399), fd and memory leaks
 * (#210, #238, #378), lower changes (#320, #298). Most run as parity checks against the kernel
 * overlay through {@link org.dockerontop.fuse.parity.Parity}; the leak test watches the FUSE server
 * process itself. Correctness only: speed is the benchmark's job.
 */
package org.dockerontop.fuse.regression;
