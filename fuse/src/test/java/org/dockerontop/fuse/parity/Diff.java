package org.dockerontop.fuse.parity;

import java.util.Arrays;
import java.util.List;

/** A minimal line diff (LCS) so a failing comparison shows only what differs: "-" kernel, "+" fuse. */
final class Diff {
    private Diff() {}

    static String text(String a, String b) {
        return lines(Arrays.asList(a.split("\n")), Arrays.asList(b.split("\n")));
    }

    /** Lines only in {@code a} ("-") and only in {@code b} ("+"); order-insensitive, for long inputs. */
    static String sets(List<String> a, List<String> b) {
        java.util.Set<String> sa = new java.util.HashSet<>(a), sb = new java.util.HashSet<>(b);
        StringBuilder out = new StringBuilder();
        int shown = 0;
        for (String l : a) if (!sb.contains(l) && shown++ < 200) out.append("- ").append(l).append('\n');
        for (String l : b) if (!sa.contains(l) && shown++ < 400) out.append("+ ").append(l).append('\n');
        return out.toString();
    }

    static String lines(List<String> a, List<String> b) {
        int n = a.size(), m = b.size();
        if ((long) n * m > 4_000_000L) return sets(a, b);
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        StringBuilder out = new StringBuilder();
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) {
                i++;
                j++;
            } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
                out.append("+ ").append(b.get(j++)).append('\n');
            } else {
                out.append("- ").append(a.get(i++)).append('\n');
            }
        }
        return out.toString();
    }
}
