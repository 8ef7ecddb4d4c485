package org.dockerontop.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecentMapTest {
    @Test
    void keepsBetweenOneAndTwoGenerationsOfTheMostRecentEntries() {
        RecentMap<Integer, Integer> m = new RecentMap<>(100);
        for (int i = 0; i < 100_000; i++) {
            m.put(i, -i);
            assertTrue(m.size() <= 200, "size " + m.size() + " after " + (i + 1) + " puts");
        }
        assertTrue(m.size() >= 100);
        for (int i = 100_000 - 100; i < 100_000; i++) {
            assertEquals(-i, m.get(i), "the last generation's entries are all kept");
        }
        assertNull(m.get(0));
    }

    @Test
    void anEntryPutAgainMovesToTheCurrentGenerationAndRemoveFindsItInEither() {
        RecentMap<String, String> m = new RecentMap<>(2);
        m.put("a", "1");
        m.put("b", "2");
        m.put("c", "3"); // rotates: a and b are the previous generation
        assertEquals("1", m.get("a"));
        m.put("a", "4"); // current again, and only there
        m.put("d", "5"); // rotates: c and a previous, b dropped
        assertNull(m.get("b"));
        assertEquals("4", m.get("a"));
        assertEquals("3", m.remove("c"));
        assertNull(m.get("c"));
        assertEquals("4", m.remove("a"));
        assertEquals("5", m.remove("d"));
        assertTrue(m.isEmpty());
    }
}
