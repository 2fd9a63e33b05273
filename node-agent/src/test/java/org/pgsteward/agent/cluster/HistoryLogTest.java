package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryLogTest {

    @TempDir
    Path dir;

    @Test
    void givenLinesSentTwice_whenLoadedAgain_thenEachLineOnceInOrder() {
        var log = new HistoryLog(dir);
        log.add(List.of("2026-12-01T10:00:00Z a", "2026-12-01T10:00:01Z b"));
        log.add(List.of("2026-12-01T10:00:00Z a", "2026-12-01T10:00:01Z b", "2026-12-01T10:00:02Z c"));

        assertEquals(List.of("2026-12-01T10:00:00Z a", "2026-12-01T10:00:01Z b", "2026-12-01T10:00:02Z c"),
                new HistoryLog(dir).lines());
    }

    @Test
    void givenMoreThanTwiceTheBound_thenTheNewestAreKept() {
        var log = new HistoryLog(dir);
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= 2 * HistoryLog.KEEP; i++) {
            many.add("line " + i);
        }
        log.add(many);

        List<String> kept = new HistoryLog(dir).lines();
        assertEquals(HistoryLog.KEEP, kept.size());
        assertEquals("line " + 2 * HistoryLog.KEEP, kept.get(kept.size() - 1));
    }
}
