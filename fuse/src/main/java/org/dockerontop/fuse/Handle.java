package org.dockerontop.fuse;

/** An open file: the real file descriptor and which layer it is on. */
final class Handle {
    final int fd;
    final boolean upper;

    Handle(int fd, boolean upper) {
        this.fd = fd;
        this.upper = upper;
    }
}
