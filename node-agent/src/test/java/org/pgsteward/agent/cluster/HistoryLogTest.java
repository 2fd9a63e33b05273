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

    @org.junit.jupiter.api.Test
    void givenAnAgentEvent_whenReadBack_thenItIsThisNodesEventOfItsKind_andTheSupervisorsLinesAreNot(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        HistoryLog log = new HistoryLog(dir);
        java.time.Instant at = java.time.Instant.parse("2026-12-02T05:00:00Z");
        log.agentEvent(at, 1, "fence", true, "node1 fenced: lease expiring: 1 of 3 members promise");
        log.agentEvent(at, 1, "auto_rejoin", false, "node1 rejoin failed, still fenced: pg_rewind failed");
        log.add(java.util.List.of(at + " node 1 is primary in epoch 1: registered"));
        var lines = new HistoryLog(dir).lines();
        var fence = org.pgsteward.protocol.cluster.HistoryEntry.parse(lines.get(0));
        assertEquals(org.pgsteward.protocol.cluster.HistoryEntry.agent(at, 1, "fence", true,
                "node1 fenced: lease expiring: 1 of 3 members promise"), fence);
        assertEquals(false, org.pgsteward.protocol.cluster.HistoryEntry.parse(lines.get(1)).ok());
        assertEquals(true, org.pgsteward.protocol.cluster.HistoryEntry.parse(lines.get(2)).fromSupervisor());
    }
}
