package org.dockerontop.fuse.parity;

/** The layer contents scenarios start from. */
public final class Layouts {
    private Layouts() {}

    public static final int USER = 1000;

    /** A base directory with every kind of entry the scenarios touch. */
    public static final Template LOWER = t -> {
        t.file("file.txt", "hello lower\n", 0644)
                .file("ro.txt", "read only\n", 0444)
                .file("exec.sh", "#!/bin/sh\necho hi\n", 0755)
                .file("owned.txt", "owned by 1000\n", 0640).owner("owned.txt", USER, USER)
                .file("xattr.txt", "with xattrs\n", 0644)
                .xattr("xattr.txt", "user.color", "blue").xattr("xattr.txt", "user.empty", "")
                .file("hard1", "linked\n", 0644).hardlink("hard1", "hard2")
                .symlink("link", "file.txt").symlink("dangling", "nowhere")
                .fifo("fifo", 0644)
                .dir("dir", 0755).file("dir/a.txt", "a\n", 0644).file("dir/b.txt", "b\n", 0644)
                .dir("dir/sub", 0755).file("dir/sub/c.txt", "c\n", 0644)
                .dir("dir/sub/deeper", 0700).file("dir/sub/deeper/d.txt", "d\n", 0600)
                .dir("dir2", 0750).owner("dir2", USER, USER).file("dir2/x.txt", "x\n", 0644).owner("dir2/x.txt", USER, USER)
                .xattr("dir2", "user.tag", "lowerdir")
                .dir("empty", 0755)
                .dir("tree", 0755);
        for (int i = 0; i < 3; i++) {
            t.dir("tree/d" + i, 0755).owner("tree/d" + i, USER, USER);
            for (int j = 0; j < 3; j++) t.file("tree/d" + i + "/f" + j, "tree " + i + j + "\n", 0644);
        }
        t.dir("root", 0755)
                .file("root/public", "public\n", 0644)
                .file("root/secret", "secret\n", 0600)
                .dir("root/closed", 0700).file("root/closed/inner", "inner\n", 0644)
                .sparse("sparse", 8 << 20, "DATA".repeat(1024).getBytes(), 1 << 20, 6 << 20);
    };

    /**
     * An upper directory as a previous session (kernel format) left it: a whiteout over dir/b.txt, a new
     * dir/up.txt, an opaque dir2 with its own content, a pure-upper directory and a copied-up file.
     */
    public static final Template UPPER = t -> {
        t.dir("dir", 0755).whiteout("dir/b.txt").file("dir/up.txt", "from upper\n", 0644)
                .dir("dir2", 0750).owner("dir2", USER, USER).opaque("dir2").file("dir2/y.txt", "y\n", 0644)
                .dir("updir", 0755).file("updir/u.txt", "u\n", 0644).dir("updir/nested", 0755)
                .file("file.txt", "hello upper\n", 0644)
                .whiteout("ro.txt");
    };
}
