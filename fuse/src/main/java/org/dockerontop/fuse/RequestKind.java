package org.dockerontop.fuse;

import static org.dockerontop.fuse.FuseAbi.IN_HEADER_SIZE;

import jnr.ffi.Pointer;
import org.dockerontop.overlay.nativeio.Native;
import org.dockerontop.overlay.nativeio.Stat;

/**
 * What each request kind of one {@link JavaRequests} worker ({@link EntryRequests},
 * {@link AttrRequests}, {@link NameChanges}, {@link FileRequests}, {@link XattrRequests},
 * {@link DirRequests}) works on: the filesystem, the node table, the worker's request buffer and
 * reply, and a stat buffer of its own. Final fields, read as the kind's own: serving a request by
 * kind adds no indirection or allocation; each worker makes one object of each kind at its start.
 * Fails with nothing itself.
 */
abstract class RequestKind {
    /** Where a request's own fields begin, after the fuse_in_header. */
    static final int IN = IN_HEADER_SIZE;

    final OverlayFs fs;
    final NodeTable nodes;
    /** The request buffer. */
    final Pointer mem;
    final Replies replies;
    /** The reply body ({@link Replies#body}). */
    final Pointer body;
    /** The attributes a request of this kind reads, for its reply or its checks. */
    final Pointer st = Native.allocate(Stat.SIZE);

    RequestKind(OverlayFs fs, NodeTable nodes, Pointer mem, Replies replies) {
        this.fs = fs;
        this.nodes = nodes;
        this.mem = mem;
        this.replies = replies;
        this.body = replies.body;
    }
}
