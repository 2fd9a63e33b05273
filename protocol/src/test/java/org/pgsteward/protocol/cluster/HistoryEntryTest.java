package org.pgsteward.protocol.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class HistoryEntryTest {

    private static final Instant AT = Instant.parse("2026-12-02T05:40:48Z");

    @Test
    void givenEachKindOfEntry_whenWrittenAndReadBack_thenTheSameEntry() {
        for (HistoryEntry e : java.util.List.of(
                HistoryEntry.supervisor(AT, "promote", false, "promote FAILED: node3 (node 3) did not become primary"),
                HistoryEntry.supervisor(AT, "primary", true, "node 2 is primary in epoch 2: votes from nodes [2, 3]"),
                HistoryEntry.agent(AT, 1, "fence", true, "node1 fenced: lease expiring [x] "),
                HistoryEntry.agent(AT, 12, "auto_rejoin", false, "node12 rejoin failed"))) {
            assertEquals(e, HistoryEntry.parse(e.line()), e.line());
        }
        assertEquals("2026-12-02T05:40:48Z [agent 1 fence] node1 fenced", HistoryEntry.agent(AT, 1, "fence", true,
                "node1 fenced").line());
    }

    @Test
    void givenALineOfAnEarlierVersion_thenTheSupervisorsWithItsTextAndOutcome() {
        assertEquals(HistoryEntry.supervisor(AT, "supervisor", false, "promote FAILED: node 2: pg_ctl promote failed"),
                HistoryEntry.parse(AT + " promote FAILED: node 2: pg_ctl promote failed"));
        assertEquals(HistoryEntry.supervisor(AT, "supervisor", true, "node 1 is primary in epoch 1: registered"),
                HistoryEntry.parse(AT + " node 1 is primary in epoch 1: registered"));
        assertEquals(HistoryEntry.supervisor(Instant.EPOCH, "supervisor", true, "no instant here"),
                HistoryEntry.parse("no instant here"));
    }
}
